import CycleGANImages
import Foundation
import XCTest

/// Locations of committed fixtures and of the optional shared real-world data.
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL {
        folder.appendingPathComponent(name)
    }

    /// Returns the package root's sibling folder `shared/<name>`, when that checkout is present.
    static func shared(_ name: String) -> URL? {
        let packageRoot = folder.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
            .appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// Parses a JSON fixture.
    static func json(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url(name)))
    }

    /// Creates a fresh temporary folder, removed when the test finishes.
    static func temporaryFolder(for testCase: XCTestCase) throws -> URL {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("ImagesTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        testCase.addTeardownBlock {
            try? FileManager.default.removeItem(at: folder)
        }
        return folder
    }
}

/// One stored expectation: an image's size and its RGB bytes.
struct ExpectedImage {
    let width: Int
    let height: Int
    let pixels: [UInt8]

    init?(_ entry: Any?) {
        guard let entry = entry as? [String: Any],
              let width = entry["width"] as? Int, let height = entry["height"] as? Int,
              let encoded = entry["rgb"] as? String,
              let data = Data(base64Encoded: encoded) else { return nil }
        self.width = width
        self.height = height
        self.pixels = [UInt8](data)
    }
}

/// Compares `actual` with expected bytes. Fails with the maximum error, its pixel and the first
/// mismatches when a byte differs by more than `tolerance` or the sizes differ.
/// Returns the maximum error.
@discardableResult
func assertImage(_ actual: RGBImage, equals expected: ExpectedImage, tolerance: Int,
                 _ name: String, file: StaticString = #filePath, line: UInt = #line) -> Int {
    guard actual.width == expected.width, actual.height == expected.height else {
        XCTFail("\(name): size \(actual.width)x\(actual.height), expected "
                + "\(expected.width)x\(expected.height)", file: file, line: line)
        return Int.max
    }
    return assertBytes(actual.pixels, equal: expected.pixels, width: actual.width,
                       tolerance: tolerance, name, file: file, line: line)
}

/// Compares interleaved RGB bytes of images `width` pixels wide, as assertImage does, and
/// returns the maximum error.
@discardableResult
func assertBytes(_ actual: [UInt8], equal expected: [UInt8], width: Int, tolerance: Int,
                 _ name: String, file: StaticString = #filePath, line: UInt = #line) -> Int {
    guard actual.count == expected.count else {
        XCTFail("\(name): \(actual.count) bytes, expected \(expected.count)", file: file,
                line: line)
        return Int.max
    }
    var maxError = 0
    var maxIndex = 0
    var mismatches: [String] = []
    for index in actual.indices {
        let error = abs(Int(actual[index]) - Int(expected[index]))
        if error > maxError {
            maxError = error
            maxIndex = index
        }
        if error > tolerance && mismatches.count < 5 {
            let pixel = index / 3
            mismatches.append("(x \(pixel % width), y \(pixel / width), c \(index % 3)): "
                              + "\(actual[index]) vs \(expected[index])")
        }
    }
    if maxError > tolerance {
        let pixel = maxIndex / 3
        XCTFail("\(name): max error \(maxError) > \(tolerance) at x \(pixel % width), "
                + "y \(pixel / width), channel \(maxIndex % 3); first mismatches: "
                + mismatches.joined(separator: ", "), file: file, line: line)
    }
    return maxError
}

/// Runs `body` and returns the ImageDecodingError it throws, failing if it throws another
/// error or none.
func decodingError(_ name: String, file: StaticString = #filePath, line: UInt = #line,
                   _ body: () throws -> Void) -> ImageDecodingError? {
    do {
        try body()
        XCTFail("\(name): decoded without an error", file: file, line: line)
    } catch let error as ImageDecodingError {
        return error
    } catch {
        XCTFail("\(name): threw \(type(of: error)) instead of ImageDecodingError: \(error)",
                file: file, line: line)
    }
    return nil
}
