import CycleGANCompute
import Foundation
import XCTest

@testable import CycleGANTraining

final class SafetensorsTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func sampleFile() -> SafetensorsFile {
        SafetensorsFile(
            tensors: [
                "model.1.weight": StoredTensor(shape: TensorShape([2, 3]),
                                               values: [1, -2, 3.5, .pi, -0, 1e-38]),
                "model.1.bias": StoredTensor(shape: TensorShape([2]), values: [0.25, -7]),
                "scalar": StoredTensor(shape: TensorShape([]), values: [42]),
                "empty": StoredTensor(shape: TensorShape([0, 4]), values: []),
            ],
            metadata: ["netG": "resnet_9blocks", "note": "quote \" and unicode é"])
    }

    func testRoundTripIsExact() throws {
        let url = folder.appendingPathComponent("sample.safetensors")
        let original = sampleFile()
        try original.write(to: url)
        let loaded = try SafetensorsFile.read(from: url)
        XCTAssertEqual(loaded, original)
        let weight = try XCTUnwrap(loaded.tensors["model.1.weight"])
        XCTAssertEqual(weight.values.map(\.bitPattern),
                       [1, -2, 3.5, .pi, -0, 1e-38].map { (value: Float) in value.bitPattern })
    }

    func testLayoutFollowsSpecification() throws {
        let data = try sampleFile().encoded()
        let headerSize = data.prefix(8).enumerated().reduce(0) { sum, byte in
            sum | Int(byte.element) << (8 * byte.offset)
        }
        XCTAssertEqual(headerSize % 8, 0, "header is padded to 8 bytes")
        let header = try XCTUnwrap(JSONSerialization.jsonObject(
            with: data.subdata(in: 8..<(8 + headerSize))) as? [String: Any])
        let bias = try XCTUnwrap(header["model.1.bias"] as? [String: Any])
        XCTAssertEqual(bias["dtype"] as? String, "F32")
        XCTAssertEqual(bias["shape"] as? [Int], [2])
        let offsets = try XCTUnwrap(bias["data_offsets"] as? [Int])
        XCTAssertEqual(offsets[1] - offsets[0], 8)
        XCTAssertEqual((header["__metadata__"] as? [String: String])?["netG"], "resnet_9blocks")

        // Data of model.1.bias, little-endian fp32 at its offsets.
        let start = 8 + headerSize + offsets[0]
        let bits = data.subdata(in: start..<(start + 4)).enumerated().reduce(UInt32(0)) {
            $0 | UInt32($1.element) << (8 * UInt32($1.offset))
        }
        XCTAssertEqual(Float(bitPattern: bits), 0.25)
        XCTAssertEqual(data.count, 8 + headerSize + (6 + 2 + 1) * 4, "no gaps in the data")
    }

    func testReadsHalfPrecisionAndDouble() throws {
        // A header written by hand: F16 [1, -2, 65504, 2^-24], BF16 [1.5, -0.5], F64 [0.1].
        let header = #"{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},"#
            + #""d":{"dtype":"F64","shape":[1],"data_offsets":[12,20]}}"#
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        for half: UInt16 in [0x3C00, 0xC000, 0x7BFF, 0x0001] {
            withUnsafeBytes(of: half.littleEndian) { data.append(contentsOf: $0) }
        }
        for brain: UInt16 in [0x3FC0, 0xBF00] {
            withUnsafeBytes(of: brain.littleEndian) { data.append(contentsOf: $0) }
        }
        withUnsafeBytes(of: (0.1 as Double).bitPattern.littleEndian) {
            data.append(contentsOf: $0)
        }
        let file = try SafetensorsFile.decode(data, path: "hand-written")
        XCTAssertEqual(file.tensors["h"]?.values, [1, -2, 65504, 0x1.0p-24])
        XCTAssertEqual(file.tensors["b"]?.values, [1.5, -0.5])
        XCTAssertEqual(file.tensors["d"]?.values, [Float(0.1)])
    }

    func testRejectsCorruptFiles() throws {
        let valid = try sampleFile().encoded()
        let cases: [(String, Data)] = [
            ("too short", valid.prefix(5)),
            ("header size beyond the file", Data([255, 255, 255, 0, 0, 0, 0, 0]) + valid.dropFirst(8)),
            ("truncated data", valid.dropLast(4)),
            ("header not JSON", Data([4, 0, 0, 0, 0, 0, 0, 0]) + Data("nope".utf8)),
        ]
        for (name, data) in cases {
            XCTAssertThrowsError(try SafetensorsFile.decode(data, path: "case.safetensors"),
                                 name) { error in
                XCTAssertTrue("\(error)".contains("case.safetensors"), "\(name): \(error)")
            }
        }
        let header = #"{"x":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8) + Data(count: 8))
        XCTAssertThrowsError(try SafetensorsFile.decode(data, path: "int.safetensors")) {
            XCTAssertTrue("\($0)".contains("I64"), "\($0)")
        }
    }

    func testWriteReplacesAtomicallyAndLeavesNoTemporaryFiles() throws {
        let url = folder.appendingPathComponent("net.safetensors")
        try sampleFile().write(to: url)
        var second = sampleFile()
        second.metadata["note"] = "second"
        try second.write(to: url)
        XCTAssertEqual(try SafetensorsFile.read(from: url).metadata["note"], "second")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssertEqual(names, ["net.safetensors"], "temporary files left behind")
    }

    func testWriteIntoMissingFolderNamesThePath() {
        let url = folder.appendingPathComponent("missing/net.safetensors")
        XCTAssertThrowsError(try sampleFile().write(to: url)) { error in
            XCTAssertTrue("\(error)".contains("missing"), "\(error)")
        }
    }

    func testMismatchedValueCountIsRejected() {
        let file = SafetensorsFile(tensors: ["w": StoredTensor(shape: TensorShape([3]),
                                                               values: [1, 2])])
        XCTAssertThrowsError(try file.encoded())
    }
}
