import CycleGANCompute
import XCTest

@testable import CycleGANTraining

/// Whole-network gradient checks on the CPU backend: the analytic input and parameter gradients
/// of L = sum(w * network(x)) against central finite differences of L.
final class ModelGradientTests: XCTestCase {
    /// Step of the central differences.
    private let step: Float = 1e-3
    /// The network computes in fp32, so L carries a rounding error near 1e-6 from hundreds of
    /// outputs of about 1e-7 relative error each. Divided by 2h that is about 5e-4 absolute.
    /// The relative part covers the O(h^2) truncation and the rare ReLU kink within h.
    private let tolerance = Tolerance(absolute: 2e-3, relative: 2e-2,
                                      reason: "fp32 forward passes divided by 2h = 2e-3")

    func testGeneratorGradientsMatchFiniteDifferences() throws {
        try checkGradients(architecture: .resnetGenerator(ngf: 2, residualBlocks: 1),
                           inputShape: TensorShape(n: 2, c: 3, h: 12, w: 8))
    }

    func testDiscriminatorGradientsMatchFiniteDifferences() throws {
        try checkGradients(architecture: .patchGANDiscriminator(ndf: 2, layers: 3),
                           inputShape: TensorShape(n: 2, c: 3, h: 32, w: 36))
    }

    func testBackwardWithoutParameterGradientsLeavesThemZero() throws {
        let backend = CPUBackend()
        let network = try Network(architecture: .patchGANDiscriminator(ndf: 2, layers: 3),
                                  backend: backend)
        var random = SeededRandom(seed: 3)
        try network.initializeWeights(random: &random)
        let input = try backend.makeTensor(TensorShape(n: 1, c: 3, h: 32, w: 32))
        try backend.write(randomImages(input.shape, seed: 4), to: input)
        let (output, record) = try network.forward(input)
        let gradOutput = try backend.makeTensor(output.shape)
        try backend.fill(gradOutput, with: 1)
        let gradInput = try network.backward(gradOutput, record: record, needsInputGradient: true,
                                             accumulatesParameterGradients: false)
        XCTAssertNotNil(gradInput)
        XCTAssertTrue(try backend.read(network.gradients).allSatisfy { $0 == 0 })
        XCTAssertThrowsError(try network.backward(
            gradOutput, record: record, needsInputGradient: true,
            accumulatesParameterGradients: false), "a record serves one backward pass")
    }

    private func checkGradients(architecture: NetworkArchitecture,
                                inputShape: TensorShape) throws {
        let backend = CPUBackend()
        let network = try Network(architecture: architecture, backend: backend)

        // Larger weights than the N(0, 0.02) initialisation, and nonzero biases, so every
        // parameter's gradient is far from zero where it can be.
        var random = SeededRandom(seed: 11)
        let parameters = (0..<network.parameterCount).map { _ in
            Float(random.nextNormal(standardDeviation: 0.2))
        }
        try backend.write(parameters, to: network.values)
        let inputValues = randomImages(inputShape, seed: 12)
        let input = try backend.makeTensor(inputShape)
        try backend.write(inputValues, to: input)

        // Analytic gradients of L = sum(w * y): the output gradient is w.
        let (output, record) = try network.forward(input)
        let weights = randomImages(output.shape, seed: 13)
        let gradOutput = try backend.makeTensor(output.shape)
        try backend.write(weights, to: gradOutput)
        try network.store.zeroGradients()
        let gradInput = try XCTUnwrap(try network.backward(
            gradOutput, record: record, needsInputGradient: true,
            accumulatesParameterGradients: true))
        let analyticInput = try backend.read(gradInput)
        let analyticParameters = try backend.read(network.gradients)

        func loss() throws -> Double {
            let values = try backend.read(try network(input))
            return zip(values, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        func centralDifference(_ tensor: Tensor, _ host: [Float], _ index: Int,
                               _ h: Float) throws -> Double {
            var perturbed = host
            perturbed[index] = host[index] + h
            try backend.write(perturbed, to: tensor)
            let plus = try loss()
            perturbed[index] = host[index] - h
            try backend.write(perturbed, to: tensor)
            let minus = try loss()
            try backend.write(host, to: tensor)
            return (plus - minus) / Double(2 * h)
        }

        // A ReLU kink within 2h of a sample makes the difference quotient depend on the step.
        // Such samples are left out (at most a quarter of them), the rest compared at step h.
        var kinks: [String] = []
        func compare(_ tensor: Tensor, _ host: [Float], _ indices: [Int], _ labels: [String],
                     analytic: [Float], _ what: String) throws -> [Double] {
            var actual: [Double] = []
            var expected: [Double] = []
            for (index, label) in zip(indices, labels) {
                let numeric = try centralDifference(tensor, host, index, step)
                let doubleStep = try centralDifference(tensor, host, index, 2 * step)
                if !tolerance.allows(doubleStep, numeric) {
                    kinks.append("\(label): \(numeric) at h, \(doubleStep) at 2h")
                    continue
                }
                actual.append(Double(analytic[index]))
                expected.append(numeric)
            }
            assertClose(actual, expected, tolerance, "\(architecture) \(what)")
            return expected
        }

        // Input gradient at 24 sampled pixels.
        var sampler = SeededRandom(seed: 14)
        let inputIndices = (0..<24).map { _ in sampler.nextIndex(below: inputShape.count) }
        _ = try compare(input, inputValues, inputIndices, inputIndices.map { "x[\($0)]" },
                        analytic: analyticInput, "input gradient")

        // Parameter gradients at 3 sampled elements of every weight and bias.
        var parameterIndices: [Int] = []
        var labels: [String] = []
        for slot in network.parameters {
            for _ in 0..<3 {
                let element = sampler.nextIndex(below: slot.shape.count)
                parameterIndices.append(slot.offset - network.baseOffset + element)
                labels.append("\(slot.key)[\(element)]")
            }
        }
        let numeric = try compare(network.values, parameters, parameterIndices, labels,
                                  analytic: analyticParameters, "parameter gradients")
        print("samples left out near a kink: \(kinks)")
        XCTAssertLessThanOrEqual(kinks.count, (inputIndices.count + parameterIndices.count) / 4,
                                 "too many samples near a kink: \(kinks)")
        let largest = numeric.map(abs).max() ?? 0
        XCTAssertGreaterThan(largest, 0.01, "the check compares gradients, not zeros")
    }
}
