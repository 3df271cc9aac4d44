import CycleGANCompute
import XCTest

/// Tolerances for the convolution tests.
private enum ConvolutionTolerance {
    static let handComputed = Tolerance(
        atol: 1e-5, rtol: 1e-6,
        reason: "small integer inputs, so the sums are exact in Double and round once to fp32")
    static let finiteDifference = Tolerance(
        atol: 3e-4, rtol: 1e-3,
        reason: "convolution is linear, so central differences have no truncation error. What "
            + "remains is fp32 rounding of ~150 outputs (about 1e-6 in L) divided by 2h = 0.02")
    static let adjoint = Tolerance(
        atol: 1e-5, rtol: 1e-5,
        reason: "both inner products sum the same products, and each op output rounds to fp32 once")
}

/// One convolution layer shape of the finite-difference grid.
struct ConvolutionCase: CustomStringConvertible {
    var batch: Int
    var inputChannels: Int
    var outputChannels: Int
    var height: Int
    var width: Int
    var geometry: ConvolutionGeometry

    var description: String {
        "N\(batch) Cin\(inputChannels) Cout\(outputChannels) \(height)x\(width) "
            + "k\(geometry.kernelHeight)x\(geometry.kernelWidth) s\(geometry.stride) "
            + "p\(geometry.padding) op\(geometry.outputPadding)"
    }
}

/// Kernel sizes 1, 3, 4 and 7, strides 1 and 2, padding 0 to 3, batch 1 and 2, non-square images
/// and one non-square kernel.
private let convolutionCases: [ConvolutionCase] = [
    ConvolutionCase(batch: 1, inputChannels: 3, outputChannels: 5, height: 5, width: 5,
                    geometry: ConvolutionGeometry(kernel: 1)),
    ConvolutionCase(batch: 2, inputChannels: 3, outputChannels: 5, height: 5, width: 5,
                    geometry: ConvolutionGeometry(kernel: 3, stride: 1, padding: 1)),
    ConvolutionCase(batch: 2, inputChannels: 5, outputChannels: 3, height: 6, width: 5,
                    geometry: ConvolutionGeometry(kernel: 3, stride: 2, padding: 1)),
    ConvolutionCase(batch: 1, inputChannels: 3, outputChannels: 3, height: 8, width: 8,
                    geometry: ConvolutionGeometry(kernel: 4, stride: 2, padding: 1)),
    ConvolutionCase(batch: 2, inputChannels: 3, outputChannels: 2, height: 5, width: 4,
                    geometry: ConvolutionGeometry(kernel: 4, stride: 1, padding: 2)),
    ConvolutionCase(batch: 1, inputChannels: 3, outputChannels: 4, height: 6, width: 6,
                    geometry: ConvolutionGeometry(kernel: 7, stride: 1, padding: 3)),
    ConvolutionCase(batch: 1, inputChannels: 5, outputChannels: 3, height: 7, width: 7,
                    geometry: ConvolutionGeometry(kernel: 3, stride: 2, padding: 0)),
    ConvolutionCase(batch: 2, inputChannels: 3, outputChannels: 3, height: 9, width: 7,
                    geometry: ConvolutionGeometry(kernel: 7, stride: 2, padding: 2)),
    ConvolutionCase(batch: 1, inputChannels: 3, outputChannels: 5, height: 5, width: 6,
                    geometry: ConvolutionGeometry(kernel: 1, stride: 2, padding: 0)),
    ConvolutionCase(batch: 1, inputChannels: 2, outputChannels: 3, height: 5, width: 5,
                    geometry: ConvolutionGeometry(kernelHeight: 3, kernelWidth: 1, padding: 1)),
]

final class CPUConvolutionTests: XCTestCase {
    let backend = CPUBackend()

    func testForwardMatchesHandComputedKernel() throws {
        // 1..9 in a 3x3 plane, an asymmetric 2x2 kernel, so a flipped kernel or a transposed
        // index gives different numbers.
        let input = try backend.tensor([1, 1, 3, 3], (1...9).map(Float.init))
        let weight = try backend.tensor([1, 1, 2, 2], [1, 2, 3, 4])
        let bias = try backend.tensor([1], [0.5])
        let output = try backend.makeTensor(TensorShape([1, 1, 2, 2]))
        try backend.conv2dForward(input: input, weight: weight, bias: bias, output: output,
                                  geometry: ConvolutionGeometry(kernel: 2))

        // out[0, 0] = 1*1 + 2*2 + 4*3 + 5*4 + 0.5, and so on.
        assertClose(try backend.read(output), [37.5, 47.5, 67.5, 77.5],
                    tolerance: ConvolutionTolerance.handComputed, "2x2 kernel on a 3x3 ramp",
                    shape: output.shape)
    }

    func testForwardHonoursStrideAndPadding() throws {
        // Only taps (0, 0) = 10 and (2, 1) = 1 are nonzero, so
        // out[y, x] = 10 * in[2y - 1, 2x - 1] + in[2y + 1, 2x], zero outside the 3x3 input.
        let input = try backend.tensor([1, 1, 3, 3], (1...9).map(Float.init))
        let weight = try backend.tensor([1, 1, 3, 3], [10, 0, 0, 0, 0, 0, 0, 1, 0])
        let output = try backend.makeTensor(TensorShape([1, 1, 2, 2]))
        try backend.conv2dForward(input: input, weight: weight, bias: nil, output: output,
                                  geometry: ConvolutionGeometry(kernel: 3, stride: 2, padding: 1))

        assertClose(try backend.read(output), [4, 6, 0, 50],
                    tolerance: ConvolutionTolerance.handComputed, "stride 2, padding 1",
                    shape: output.shape)
    }

    func testForwardMixesChannelsByWeightRows() throws {
        // Input channel 0 is all 1 and channel 1 all 10. The weight is [[1, 2], [3, 4]] as
        // [out, in], so output 0 is 1 + 2*10 and output 1 is 3 + 4*10.
        let input = try backend.tensor([1, 2, 2, 2], [1, 1, 1, 1, 10, 10, 10, 10])
        let weight = try backend.tensor([2, 2, 1, 1], [1, 2, 3, 4])
        let output = try backend.makeTensor(TensorShape([1, 2, 2, 2]))
        try backend.conv2dForward(input: input, weight: weight, bias: nil, output: output,
                                  geometry: ConvolutionGeometry(kernel: 1))

        assertClose(try backend.read(output), [21, 21, 21, 21, 43, 43, 43, 43],
                    tolerance: ConvolutionTolerance.handComputed, "1x1 channel mixing",
                    shape: output.shape)
    }

    func testBackwardMatchesFiniteDifferences() throws {
        let gradientCheck = GradientCheck(step: 1e-2,
                                          tolerance: ConvolutionTolerance.finiteDifference)
        for (caseIndex, layer) in convolutionCases.enumerated() {
            var random = SeededRandom(seed: 100 + UInt64(caseIndex))
            let g = layer.geometry
            let size = g.convolutionOutputSize(height: layer.height, width: layer.width)
            let inputShape = [layer.batch, layer.inputChannels, layer.height, layer.width]
            let weightShape = [layer.outputChannels, layer.inputChannels, g.kernelHeight,
                               g.kernelWidth]
            let outputShape = [layer.batch, layer.outputChannels, size.height, size.width]
            let x = random.uniformValues(TensorShape(inputShape).count)
            let w = random.uniformValues(TensorShape(weightShape).count)
            let b = random.uniformValues(layer.outputChannels)
            let r = random.uniformValues(TensorShape(outputShape).count)

            func forward(_ x: [Float], _ w: [Float], _ b: [Float]) throws -> [Float] {
                let output = try backend.makeTensor(TensorShape(outputShape))
                try backend.conv2dForward(input: backend.tensor(inputShape, x),
                                          weight: backend.tensor(weightShape, w),
                                          bias: backend.tensor([layer.outputChannels], b),
                                          output: output, geometry: g)
                return try backend.read(output)
            }

            // Analytic gradients of L = sum(output * r), every tensor a view inside guard bands.
            let input = try GuardedTensor(backend, inputShape, values: x)
            let weight = try GuardedTensor(backend, weightShape, values: w)
            let gradOutput = try GuardedTensor(backend, outputShape, values: r)
            let gradInput = try GuardedTensor(backend, inputShape)
            let gradWeight = try GuardedTensor(backend, weightShape)
            let gradBias = try GuardedTensor(backend, [layer.outputChannels])
            try backend.conv2dBackwardInput(gradOutput: gradOutput.tensor, weight: weight.tensor,
                                            gradInput: gradInput.tensor, geometry: g)
            try backend.conv2dBackwardWeight(input: input.tensor, gradOutput: gradOutput.tensor,
                                             gradWeight: gradWeight.tensor,
                                             gradBias: gradBias.tensor, geometry: g,
                                             accumulate: false)
            for (name, guarded) in [("gradInput", gradInput), ("gradWeight", gradWeight),
                                    ("gradBias", gradBias)] {
                try guarded.assertGuardsIntact(backend, "\(layer) \(name)")
            }

            try gradientCheck.check("\(layer) input", values: x, shape: TensorShape(inputShape),
                                    analytic: try backend.read(gradInput.tensor),
                                    outputWeights: r, random: &random) { try forward($0, w, b) }
            try gradientCheck.check("\(layer) weight", values: w,
                                    shape: TensorShape(weightShape),
                                    analytic: try backend.read(gradWeight.tensor),
                                    outputWeights: r, random: &random) { try forward(x, $0, b) }
            try gradientCheck.check("\(layer) bias", values: b,
                                    shape: TensorShape([layer.outputChannels]),
                                    analytic: try backend.read(gradBias.tensor),
                                    outputWeights: r, random: &random) { try forward(x, w, $0) }
        }
    }

    func testBackwardInputIsAdjointOfForward() throws {
        // <conv(x), y> must equal <x, conv2dBackwardInput(y)> for any x and y.
        for (caseIndex, layer) in convolutionCases.enumerated() {
            var random = SeededRandom(seed: 200 + UInt64(caseIndex))
            let g = layer.geometry
            let size = g.convolutionOutputSize(height: layer.height, width: layer.width)
            let inputShape = [layer.batch, layer.inputChannels, layer.height, layer.width]
            let weightShape = [layer.outputChannels, layer.inputChannels, g.kernelHeight,
                               g.kernelWidth]
            let outputShape = [layer.batch, layer.outputChannels, size.height, size.width]
            let x = random.uniformValues(TensorShape(inputShape).count)
            let y = random.uniformValues(TensorShape(outputShape).count)
            let weight = try backend.tensor(weightShape,
                                            random.uniformValues(TensorShape(weightShape).count))

            let output = try backend.makeTensor(TensorShape(outputShape))
            try backend.conv2dForward(input: backend.tensor(inputShape, x), weight: weight,
                                      bias: nil, output: output, geometry: g)
            let gradInput = try backend.makeTensor(TensorShape(inputShape))
            try backend.conv2dBackwardInput(gradOutput: backend.tensor(outputShape, y),
                                            weight: weight, gradInput: gradInput, geometry: g)

            let forwardSide = dot(try backend.read(output), y)
            let adjointSide = dot(x, try backend.read(gradInput))
            assertClose([forwardSide], [adjointSide], tolerance: ConvolutionTolerance.adjoint,
                        "\(layer): <conv(x), y> vs <x, conv2dBackwardInput(y)>")
        }
    }

    func testBackwardWeightAccumulates() throws {
        var random = SeededRandom(seed: 300)
        let g = ConvolutionGeometry(kernel: 3, stride: 2, padding: 1)
        let input = try backend.randomTensor([2, 3, 6, 6], using: &random)
        let gradOutput = try backend.randomTensor([2, 4, 3, 3], using: &random)
        let gradWeight = try backend.makeTensor(TensorShape([4, 3, 3, 3]))
        let gradBias = try backend.makeTensor(TensorShape([4]))

        try backend.conv2dBackwardWeight(input: input, gradOutput: gradOutput,
                                         gradWeight: gradWeight, gradBias: gradBias, geometry: g,
                                         accumulate: false)
        let once = try backend.read(gradWeight)
        let onceBias = try backend.read(gradBias)
        try backend.conv2dBackwardWeight(input: input, gradOutput: gradOutput,
                                         gradWeight: gradWeight, gradBias: gradBias, geometry: g,
                                         accumulate: true)

        assertClose(try backend.read(gradWeight), once.map { 2 * $0 },
                    tolerance: ConvolutionTolerance.handComputed, "accumulated weight gradient")
        assertClose(try backend.read(gradBias), onceBias.map { 2 * $0 },
                    tolerance: ConvolutionTolerance.handComputed, "accumulated bias gradient")
        try backend.conv2dBackwardWeight(input: input, gradOutput: gradOutput,
                                         gradWeight: gradWeight, gradBias: gradBias, geometry: g,
                                         accumulate: false)
        XCTAssertEqual(try backend.read(gradWeight), once, "accumulate: false must overwrite")
    }

    func testForwardIsBitwiseDeterministic() throws {
        var random = SeededRandom(seed: 400)
        let g = ConvolutionGeometry(kernel: 3, padding: 1)
        let input = try backend.tensor([2, 16, 24, 24], random.uniformValues(2 * 16 * 24 * 24))
        let weight = try backend.tensor([32, 16, 3, 3], random.uniformValues(32 * 16 * 9))
        let gradWeight = try backend.makeTensor(TensorShape([32, 16, 3, 3]))
        let output = try backend.makeTensor(TensorShape([2, 32, 24, 24]))
        var outputs: [[Float]] = []
        var weightGradients: [[Float]] = []
        for _ in 0..<3 {
            try backend.conv2dForward(input: input, weight: weight, bias: nil, output: output,
                                      geometry: g)
            try backend.conv2dBackwardWeight(input: input, gradOutput: output,
                                             gradWeight: gradWeight, gradBias: nil, geometry: g,
                                             accumulate: false)
            outputs.append(try backend.read(output))
            weightGradients.append(try backend.read(gradWeight))
        }
        XCTAssertEqual(outputs[1], outputs[0], "second forward differs from the first")
        XCTAssertEqual(outputs[2], outputs[0], "third forward differs from the first")
        XCTAssertEqual(weightGradients[1], weightGradients[0], "weight gradients differ")
        XCTAssertEqual(weightGradients[2], weightGradients[0], "weight gradients differ")
    }

    func testMismatchedShapesThrowNamedErrors() throws {
        let input = try backend.makeTensor(TensorShape([1, 3, 8, 8]))
        let weight = try backend.makeTensor(TensorShape([4, 5, 3, 3]))
        let output = try backend.makeTensor(TensorShape([1, 4, 6, 6]))
        assertShapeMismatch(op: "conv2dForward", containing: "has 3 channels but weight") {
            try backend.conv2dForward(input: input, weight: weight, bias: nil, output: output,
                                      geometry: ConvolutionGeometry(kernel: 3))
        }

        let goodWeight = try backend.makeTensor(TensorShape([4, 3, 3, 3]))
        assertShapeMismatch(op: "conv2dForward", containing: "gives [1, 4, 4, 4]") {
            try backend.conv2dForward(input: input, weight: goodWeight, bias: nil, output: output,
                                      geometry: ConvolutionGeometry(kernel: 3, stride: 2,
                                                                    padding: 1))
        }
        assertShapeMismatch(op: "conv2dForward", containing: "bias [3]") {
            try backend.conv2dForward(input: input, weight: goodWeight,
                                      bias: backend.makeTensor(TensorShape([3])), output: output,
                                      geometry: ConvolutionGeometry(kernel: 3))
        }
        assertShapeMismatch(op: "conv2dForward", containing: "geometry says 5x5") {
            try backend.conv2dForward(input: input, weight: goodWeight, bias: nil, output: output,
                                      geometry: ConvolutionGeometry(kernel: 5))
        }
        assertShapeMismatch(op: "conv2dBackwardInput", containing: "gradInput [1, 3, 8, 8]") {
            try backend.conv2dBackwardInput(gradOutput: output, weight: weight, gradInput: input,
                                            geometry: ConvolutionGeometry(kernel: 3))
        }
        assertShapeMismatch(op: "conv2dForward", containing: "overlaps") {
            let shared = try backend.makeTensor(TensorShape([192 + 144]))
            try backend.conv2dForward(
                input: shared.view(at: 0, shape: TensorShape([1, 3, 8, 8])), weight: goodWeight,
                bias: nil, output: shared.view(at: 100, shape: TensorShape([1, 4, 6, 6])),
                geometry: ConvolutionGeometry(kernel: 3))
        }
    }
}
