import CycleGANCompute
import CycleGANImages
import Foundation
import XCTest

@testable import CycleGANTraining

/// Short real training runs: on horse2zebra photos when the shared datasets are present, and on
/// generated images (colored shapes in domain A, the same shapes striped in domain B).
final class ModelTrainingRunTests: XCTestCase {
    private let size = 32

    /// One image of a shape (disc or square) with a random color, position and radius on a gray
    /// background; `striped` darkens every other pair of rows inside the shape. NCHW values in
    /// [-1, 1].
    private func shapeImage(random: inout SeededRandom, striped: Bool) -> [Float] {
        let color = (0..<3).map { _ in Float(random.nextUniform() * 1.6 - 0.8) }
        let radius = 5 + Double(random.nextIndex(below: 6))
        let centerX = radius + random.nextUniform() * (Double(size) - 2 * radius)
        let centerY = radius + random.nextUniform() * (Double(size) - 2 * radius)
        let isDisc = random.nextUniform() < 0.5
        var image = [Float](repeating: -0.2, count: 3 * size * size)
        for y in 0..<size {
            for x in 0..<size {
                let dx = Double(x) + 0.5 - centerX
                let dy = Double(y) + 0.5 - centerY
                let inside = isDisc ? dx * dx + dy * dy <= radius * radius
                    : max(abs(dx), abs(dy)) <= radius
                guard inside else { continue }
                let stripe: Float = striped && (y / 2) % 2 == 0 ? -0.9 : 0
                for channel in 0..<3 {
                    image[(channel * size + y) * size + x] = stripe == 0 ? color[channel] : stripe
                }
            }
        }
        return image
    }

    func testCycleLossFallsOnGeneratedShapes() throws {
        var options = tinyOptions(ngf: 8, blocks: 2, seed: 3)
        options.ndf = 8
        let model = try CycleGANModel(backend: CPUBackend(), options: options)
        let shape = TensorShape(n: 1, c: 3, h: size, w: size)
        var random = SeededRandom(seed: 17)
        var cycleLosses: [Float] = []
        let start = Date()
        for iteration in 0..<30 {
            let a = shapeImage(random: &random, striped: false)
            let b = shapeImage(random: &random, striped: true)
            let losses = try model.optimizeParameters(realA: a, shapeA: shape, realB: b,
                                                      shapeB: shape)
            for (name, value) in losses.named {
                XCTAssertTrue(value.isFinite, "iteration \(iteration): \(name) = \(value)")
            }
            cycleLosses.append(losses.cycleA + losses.cycleB)
        }
        assertCycleLossFalls(cycleLosses, window: 5, ratio: 0.75, start: start)
    }

    /// Trains on real horse and zebra photos through the dataset loader at a 32-pixel crop, and
    /// measures the cycle error L1(G_B(G_A(a)), a) + L1(G_A(G_B(b)), b) on eight held-out images
    /// per domain before and after. Per-iteration training losses on photos are too noisy at
    /// this size to compare, so the held-out error is the measure. Skipped when the shared
    /// datasets are not beside the package.
    func testCycleErrorFallsOnHorse2Zebra() throws {
        let dataroot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/datasets/horse2zebra")
        let trainA = dataroot.appendingPathComponent("trainA").path
        guard FileManager.default.fileExists(atPath: trainA) else {
            throw XCTSkip("no horse2zebra dataset at \(dataroot.path)")
        }
        // The first 40 files of each domain train; the next 8 are held out.
        let pathsA = try ImageFolder.imagePaths(in: trainA)
        let pathsB = try ImageFolder.imagePaths(in: dataroot.appendingPathComponent("trainB").path)
        let decode = { (path: String) in
            try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path))
        }
        let configuration = DatasetConfiguration(loadSize: 36, cropSize: 32, seed: 5)
        let dataset = try UnalignedDataset(imagesA: try pathsA.prefix(40).map(decode),
                                           imagesB: try pathsB.prefix(40).map(decode),
                                           configuration: configuration)
        let heldOutA = try heldOutBatch(pathsA[40..<48].map(decode))
        let heldOutB = try heldOutBatch(pathsB[40..<48].map(decode))

        var options = tinyOptions(ngf: 8, blocks: 2, seed: 3)
        options.ndf = 8
        let model = try CycleGANModel(backend: CPUBackend(), options: options)
        let errorBefore = try cycleError(model, heldOutA, heldOutB)
        let loader = DataLoader(dataset: dataset, epoch: 1)
        var iterations = 0
        let start = Date()
        while let batch = try loader.next() {
            let losses = try model.optimizeParameters(realA: batch.a.values, shapeA: batch.a.shape,
                                                      realB: batch.b.values, shapeB: batch.b.shape)
            for (name, value) in losses.named {
                XCTAssertTrue(value.isFinite, "iteration \(batch.iteration): \(name) = \(value)")
            }
            iterations += 1
        }
        let errorAfter = try cycleError(model, heldOutA, heldOutB)
        print("held-out cycle error: \(errorBefore) before, \(errorAfter) after \(iterations) "
            + "iterations in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        XCTAssertEqual(iterations, 40)
        // The error must fall by at least a tenth of its initial value.
        XCTAssertLessThan(errorAfter, 0.9 * errorBefore)
    }

    /// Resizes photos to 32x32 (bicubic, as the loader) and stacks them as one NCHW batch.
    private func heldOutBatch(_ images: [RGBImage]) throws
        -> (values: [Float], shape: TensorShape) {
        let values = images.flatMap { $0.resizedBicubic(width: 32, height: 32).tensorValues() }
        return (values, TensorShape(n: images.count, c: 3, h: 32, w: 32))
    }

    /// Mean absolute error of both reconstructions, summed over the two directions.
    private func cycleError(_ model: CycleGANModel,
                            _ a: (values: [Float], shape: TensorShape),
                            _ b: (values: [Float], shape: TensorShape)) throws -> Float {
        func reconstructionError(_ forward: Network, _ backward: Network,
                                 _ real: (values: [Float], shape: TensorShape)) throws -> Float {
            let fake = try forward.apply(to: real.values, shape: real.shape)
            let rec = try backward.apply(to: fake.values, shape: fake.shape)
            let total = zip(rec.values, real.values).reduce(Float(0)) { $0 + abs($1.0 - $1.1) }
            return total / Float(real.values.count)
        }
        return try reconstructionError(model.generatorA, model.generatorB, a)
            + reconstructionError(model.generatorB, model.generatorA, b)
    }

    /// Checks that the mean cycle loss of the last `window` iterations is below `ratio` times
    /// that of the first `window`.
    private func assertCycleLossFalls(_ cycleLosses: [Float], window: Int, ratio: Float,
                                      start: Date, line: UInt = #line) {
        let seconds = Date().timeIntervalSince(start)
        let first = cycleLosses.prefix(window).reduce(0, +) / Float(window)
        let last = cycleLosses.suffix(window).reduce(0, +) / Float(window)
        print("cycle loss (A + B), mean of \(window) iterations: first \(first), last \(last); "
            + "\(cycleLosses.count) iterations in \(String(format: "%.1f", seconds)) s")
        XCTAssertLessThan(last, ratio * first, "cycle losses: \(cycleLosses)", line: line)
    }
}
