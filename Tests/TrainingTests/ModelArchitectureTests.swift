import CycleGANCompute
import Foundation
import XCTest

@testable import CycleGANTraining

final class ModelArchitectureTests: XCTestCase {
    func testParameterCountsMatchReference() throws {
        XCTAssertEqual(try NetworkSummary.parameterCount(netG: "resnet_9blocks", ngf: 64),
                       11_378_179)
        XCTAssertEqual(try NetworkSummary.parameterCount(netG: "resnet_6blocks", ngf: 64),
                       7_837_699)
        XCTAssertEqual(try NetworkSummary.discriminatorParameterCount(ndf: 64), 2_764_737)
    }

    func testStateDictMatchesPyTorchFixture() throws {
        let fixture = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(modelStateDictFixture.utf8))
                as? [String: [String: Any]])
        let cases: [(String, NetworkArchitecture)] = [
            ("resnet_9blocks", .resnetGenerator(ngf: 64, residualBlocks: 9)),
            ("resnet_6blocks", .resnetGenerator(ngf: 64, residualBlocks: 6)),
            ("basic", .patchGANDiscriminator(ndf: 64, layers: 3)),
        ]
        for (name, architecture) in cases {
            let entry = try XCTUnwrap(fixture[name], "fixture lacks \(name)")
            let expected = try XCTUnwrap(entry["state_dict"] as? [[Any]])
                .map { pair -> (String, [Int]) in
                    (pair[0] as? String ?? "", pair[1] as? [Int] ?? [])
                }
            let actual = architecture.stateDictShapes.map { ($0.key, $0.shape.dimensions) }
            XCTAssertEqual(actual.count, expected.count, "\(name): number of state_dict entries")
            for (index, (key, shape)) in expected.enumerated() where index < actual.count {
                XCTAssertEqual(actual[index].0, key, "\(name): key #\(index)")
                XCTAssertEqual(actual[index].1, shape, "\(name): shape of \(key)")
            }
            XCTAssertEqual(architecture.parameterCount, entry["parameters"] as? Int,
                           "\(name): parameter count")
        }
    }

    func testGeneratorKeysFollowSequentialIndices() {
        for blocks in [9, 6, 1] {
            let keys = NetworkArchitecture.resnetGenerator(ngf: 8, residualBlocks: blocks)
                .stateDictShapes.map(\.key)
            var expected = ["model.1", "model.4", "model.7"].flatMap { [$0 + ".weight",
                                                                        $0 + ".bias"] }
            for block in 0..<blocks {
                for convolution in [1, 5] {
                    let prefix = "model.\(10 + block).conv_block.\(convolution)"
                    expected += [prefix + ".weight", prefix + ".bias"]
                }
            }
            for index in [10 + blocks, 13 + blocks, 17 + blocks] {
                expected += ["model.\(index).weight", "model.\(index).bias"]
            }
            XCTAssertEqual(keys, expected, "resnet_\(blocks)blocks")
        }
    }

    func testGeneratorShapesAtNgf16() throws {
        let shapes = Dictionary(
            uniqueKeysWithValues: NetworkArchitecture.resnetGenerator(ngf: 16, residualBlocks: 2)
                .stateDictShapes.map { ($0.key, $0.shape.dimensions) })
        XCTAssertEqual(shapes["model.1.weight"], [16, 3, 7, 7])
        XCTAssertEqual(shapes["model.4.weight"], [32, 16, 3, 3])
        XCTAssertEqual(shapes["model.7.weight"], [64, 32, 3, 3])
        XCTAssertEqual(shapes["model.11.conv_block.5.weight"], [64, 64, 3, 3])
        // Transposed convolutions store [in, out, k, k].
        XCTAssertEqual(shapes["model.12.weight"], [64, 32, 3, 3])
        XCTAssertEqual(shapes["model.12.bias"], [32])
        XCTAssertEqual(shapes["model.15.weight"], [32, 16, 3, 3])
        XCTAssertEqual(shapes["model.19.weight"], [3, 16, 7, 7])
        XCTAssertEqual(shapes["model.19.bias"], [3])
    }

    func testDiscriminatorKeys() {
        let keys = NetworkArchitecture.patchGANDiscriminator(ndf: 64, layers: 3)
            .stateDictShapes.map(\.key)
        XCTAssertEqual(keys, ["model.0", "model.2", "model.5", "model.8", "model.11"]
            .flatMap { [$0 + ".weight", $0 + ".bias"] })
    }

    func testNetGParsing() throws {
        XCTAssertEqual(try NetworkArchitecture.generator(netG: "resnet_3blocks", ngf: 16),
                       .resnetGenerator(ngf: 16, residualBlocks: 3))
        for invalid in ["resnet_0blocks", "unet_256", "resnet_blocks", "resnet_-1blocks"] {
            XCTAssertThrowsError(try NetworkArchitecture.generator(netG: invalid, ngf: 64),
                                 invalid) { error in
                XCTAssertTrue("\(error)".contains(invalid), "message names the value: \(error)")
            }
        }
        XCTAssertThrowsError(try NetworkArchitecture.generator(netG: "resnet_9blocks", ngf: 0))
    }
}
