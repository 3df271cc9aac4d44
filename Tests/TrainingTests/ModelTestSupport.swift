import CycleGANCompute
import Foundation
import XCTest

@testable import CycleGANTraining

/// An absolute plus relative tolerance with the reason it is as large as it is.
struct Tolerance {
    var absolute: Double
    var relative: Double
    var reason: String

    func allows(_ actual: Double, _ expected: Double) -> Bool {
        abs(actual - expected) <= absolute + relative * abs(expected)
    }
}

/// Compares element-wise and reports the maximum error, where it is and the first mismatches.
/// With `printsSummary` false, only a failure prints; the maximum error is returned either way.
@discardableResult
func assertClose(_ actual: [Double], _ expected: [Double], _ tolerance: Tolerance,
                 _ label: String, printsSummary: Bool = true, file: StaticString = #filePath,
                 line: UInt = #line) -> Double {
    guard actual.count == expected.count else {
        XCTFail("\(label): \(actual.count) values, expected \(expected.count)", file: file,
                line: line)
        return .nan
    }
    var maxError = 0.0
    var maxIndex = 0
    var mismatches: [String] = []
    for index in actual.indices {
        let error = abs(actual[index] - expected[index])
        if error > maxError || error.isNaN {
            maxError = error
            maxIndex = index
        }
        if !tolerance.allows(actual[index], expected[index]) || actual[index].isNaN {
            mismatches.append("[\(index)] \(actual[index]) vs \(expected[index])")
        }
    }
    let summary = "\(label): max error \(maxError) at [\(maxIndex)] (\(actual.count) values, "
        + "tolerance \(tolerance.absolute) + \(tolerance.relative) * |expected|: "
        + "\(tolerance.reason))"
    if printsSummary {
        print(summary)
    }
    if !mismatches.isEmpty {
        XCTFail("\(summary); \(mismatches.count) mismatches, first: "
            + mismatches.prefix(5).joined(separator: ", "), file: file, line: line)
    }
    return maxError
}

/// Options for networks small enough to train in a test.
func tinyOptions(ngf: Int = 4, blocks: Int = 1, seed: UInt64 = 7) -> TrainOptions {
    var options = TrainOptions()
    options.netG = "resnet_\(blocks)blocks"
    options.ngf = ngf
    options.ndf = ngf
    options.seed = seed
    return options
}

/// Uniform values in [-1, 1] from a seeded generator.
func randomImages(_ shape: TensorShape, seed: UInt64) -> [Float] {
    var random = SeededRandom(seed: seed)
    return (0..<shape.count).map { _ in Float(random.nextUniform() * 2 - 1) }
}

/// Host values of a whole store's parameters.
func parameterValues(_ store: ParameterStore) throws -> [Float] {
    try store.backend.read(store.values)
}
