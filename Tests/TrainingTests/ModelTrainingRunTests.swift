import CycleGANCompute
import Foundation
import XCTest

@testable import CycleGANTraining

/// A short real training run on generated images: colored shapes in domain A, the same shapes
/// striped in domain B.
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
        let seconds = Date().timeIntervalSince(start)
        let first = cycleLosses.prefix(5).reduce(0, +) / 5
        let last = cycleLosses.suffix(5).reduce(0, +) / 5
        print("cycle loss (A + B), mean of 5 iterations: first \(first), last \(last); "
            + "30 iterations in \(String(format: "%.1f", seconds)) s")
        XCTAssertLessThan(last, 0.75 * first, "cycle losses: \(cycleLosses)")
    }
}
