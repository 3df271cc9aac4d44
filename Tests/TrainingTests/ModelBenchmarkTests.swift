import CycleGANCompute
import Foundation
import XCTest

@testable import CycleGANTraining

/// Iteration timing, run only when CYCLEGAN_MODEL_BENCHMARK=1 because it measures, it does not
/// check: `CYCLEGAN_MODEL_BENCHMARK=1 swift test -c release --filter ModelBenchmarkTests`.
final class ModelBenchmarkTests: XCTestCase {
    func testIterationTimeNgf16ThreeBlocks64() throws {
        guard ProcessInfo.processInfo.environment["CYCLEGAN_MODEL_BENCHMARK"] == "1" else {
            throw XCTSkip("set CYCLEGAN_MODEL_BENCHMARK=1 to time iterations")
        }
        for backend in try benchmarkBackends() {
            let options = tinyOptions(ngf: 16, blocks: 3, seed: 1)
            let model = try CycleGANModel(backend: backend, options: options)
            let shape = TensorShape(n: 1, c: 3, h: 64, w: 64)
            let a = randomImages(shape, seed: 1)
            let b = randomImages(shape, seed: 2)
            // The first iterations fill buffer pools and compile kernels.
            for _ in 0..<2 {
                _ = try model.optimizeParameters(realA: a, shapeA: shape, realB: b, shapeB: shape)
            }
            let iterations = 5
            let start = Date()
            for _ in 0..<iterations {
                _ = try model.optimizeParameters(realA: a, shapeA: shape, realB: b, shapeB: shape)
            }
            let milliseconds = Date().timeIntervalSince(start) * 1000 / Double(iterations)
            print("iteration ngf 16, resnet_3blocks, 64x64, batch 1 on \(backend.deviceDescription)"
                + ": \(String(format: "%.1f", milliseconds)) ms")
        }
    }
}
