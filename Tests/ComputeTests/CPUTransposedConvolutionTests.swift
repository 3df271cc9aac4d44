import CycleGANCompute
import XCTest

/// Tolerances for the transposed convolution tests.
private enum TransposedTolerance {
    static let handComputed = Tolerance(
        atol: 1e-5, rtol: 1e-6,
        reason: "small integer inputs, so the sums are exact in Double and round once to fp32")
    static let finiteDifference = Tolerance(
        atol: 3e-4, rtol: 1e-3,
        reason: "transposed convolution is linear, so central differences have no truncation "
            + "error. What remains is fp32 rounding of the outputs divided by 2h = 0.02")
    static let sameSums = Tolerance(
        atol: 1e-6, rtol: 1e-6,
        reason: "both ops sum the same products, so only the final fp32 rounding may differ")
}

/// Kernel sizes 1, 3, 4 and 7, strides 1 and 2, padding 0 to 3 and output padding 0 and 1,
/// including the generator's upsampling layer (k3 s2 p1 op1).
private let transposedCases: [ConvolutionCase] = [
    ConvolutionCase(batch: 1, inputChannels: 3, outputChannels: 5, height: 3, width: 3,
                    geometry: ConvolutionGeometry(kernel: 3, stride: 2, padding: 1,
                                                  outputPadding: 1)),
    ConvolutionCase(batch: 2, inputChannels: 5, outputChannels: 3, height: 4, width: 3,
                    geometry: ConvolutionGeometry(kernel: 3, stride: 2, padding: 1,
                                                  outputPadding: 1)),
    ConvolutionCase(batch: 1, inputChannels: 3, outputChannels: 3, height: 3, width: 3,
                    geometry: ConvolutionGeometry(kernel: 4, stride: 2, padding: 1)),
    ConvolutionCase(batch: 2, inputChannels: 3, outputChannels: 2, height: 4, width: 4,
                    geometry: ConvolutionGeometry(kernel: 3, stride: 1, padding: 1)),
    ConvolutionCase(batch: 1, inputChannels: 3, outputChannels: 5, height: 5, width: 5,
                    geometry: ConvolutionGeometry(kernel: 1)),
    ConvolutionCase(batch: 1, inputChannels: 3, outputChannels: 2, height: 3, width: 4,
                    geometry: ConvolutionGeometry(kernel: 7, stride: 1, padding: 3)),
    ConvolutionCase(batch: 1, inputChannels: 2, outputChannels: 3, height: 3, width: 3,
                    geometry: ConvolutionGeometry(kernel: 7, stride: 2, padding: 3,
                                                  outputPadding: 1)),
    ConvolutionCase(batch: 2, inputChannels: 3, outputChannels: 3, height: 3, width: 3,
                    geometry: ConvolutionGeometry(kernel: 3, stride: 2, padding: 0,
                                                  outputPadding: 1)),
    ConvolutionCase(batch: 1, inputChannels: 3, outputChannels: 2, height: 2, width: 3,
                    geometry: ConvolutionGeometry(kernel: 4, stride: 2, padding: 2,
                                                  outputPadding: 1)),
]

final class CPUTransposedConvolutionTests: XCTestCase {
    let backend = CPUBackend()

    /// Returns the shapes of one case: input, weight `[in, out, kh, kw]` and output.
    private func shapes(_ layer: ConvolutionCase) -> (input: [Int], weight: [Int], output: [Int]) {
        let g = layer.geometry
        let size = g.transposedOutputSize(height: layer.height, width: layer.width)
        return ([layer.batch, layer.inputChannels, layer.height, layer.width],
                [layer.inputChannels, layer.outputChannels, g.kernelHeight, g.kernelWidth],
                [layer.batch, layer.outputChannels, size.height, size.width])
    }

    func testForwardPlacesScaledKernelPerInputPixel() throws {
        // With stride 2 and a 2x2 kernel each input pixel writes its own 2x2 block:
        // out[2y + ky, 2x + kx] = in[y, x] * w[ky, kx].
        let input = try backend.tensor([1, 1, 2, 2], [1, 2, 3, 4])
        let weight = try backend.tensor([1, 1, 2, 2], [1, 2, 3, 4])
        let output = try backend.makeTensor(TensorShape([1, 1, 4, 4]))
        try backend.convTranspose2dForward(input: input, weight: weight, bias: nil,
                                           output: output,
                                           geometry: ConvolutionGeometry(kernel: 2, stride: 2))

        let expected: [Float] = [1, 2, 2, 4,
                                 3, 4, 6, 8,
                                 3, 6, 4, 8,
                                 9, 12, 12, 16]
        assertClose(try backend.read(output), expected,
                    tolerance: TransposedTolerance.handComputed, "stride 2 blocks",
                    shape: output.shape)
    }

    func testWeightIsOrderedInputThenOutput() throws {
        // One input channel, two output channels: weight [1, 2, 1, 1] = [3, 5] scales the input
        // into each output channel, then the bias [0.5, -1] is added.
        let input = try backend.tensor([1, 1, 1, 1], [2])
        let weight = try backend.tensor([1, 2, 1, 1], [3, 5])
        let bias = try backend.tensor([2], [0.5, -1])
        let output = try backend.makeTensor(TensorShape([1, 2, 1, 1]))
        try backend.convTranspose2dForward(input: input, weight: weight, bias: bias,
                                           output: output,
                                           geometry: ConvolutionGeometry(kernel: 1))
        assertClose(try backend.read(output), [6.5, 9], tolerance: TransposedTolerance.handComputed,
                    "one input channel into two outputs")

        // Two input channels into one output channel sum: 2*3 + 7*5.
        let pair = try backend.tensor([1, 2, 1, 1], [2, 7])
        let merge = try backend.tensor([2, 1, 1, 1], [3, 5])
        let single = try backend.makeTensor(TensorShape([1, 1, 1, 1]))
        try backend.convTranspose2dForward(input: pair, weight: merge, bias: nil, output: single,
                                           geometry: ConvolutionGeometry(kernel: 1))
        assertClose(try backend.read(single), [41], tolerance: TransposedTolerance.handComputed,
                    "two input channels into one output")
    }

    func testForwardEqualsConvolutionBackwardInput() throws {
        // ConvTranspose2d with weight [in, out, kh, kw] is the input-gradient of the Conv2d from
        // its output shape to its input shape whose weight [out, in, kh, kw] is the same tensor.
        for (caseIndex, layer) in transposedCases.enumerated() {
            var random = SeededRandom(seed: 500 + UInt64(caseIndex))
            let (inputShape, weightShape, outputShape) = shapes(layer)
            let input = try backend.tensor(inputShape,
                                           random.uniformValues(TensorShape(inputShape).count))
            let weight = try backend.tensor(weightShape,
                                            random.uniformValues(TensorShape(weightShape).count))
            let convolutionGeometry = ConvolutionGeometry(
                kernelHeight: layer.geometry.kernelHeight, kernelWidth: layer.geometry.kernelWidth,
                stride: layer.geometry.stride, padding: layer.geometry.padding)

            let transposed = try backend.makeTensor(TensorShape(outputShape))
            try backend.convTranspose2dForward(input: input, weight: weight, bias: nil,
                                               output: transposed, geometry: layer.geometry)
            let gradient = try backend.makeTensor(TensorShape(outputShape))
            try backend.conv2dBackwardInput(gradOutput: input, weight: weight, gradInput: gradient,
                                            geometry: convolutionGeometry)
            assertClose(try backend.read(transposed), try backend.read(gradient),
                        tolerance: TransposedTolerance.sameSums,
                        "\(layer): convTranspose2dForward vs conv2dBackwardInput",
                        shape: TensorShape(outputShape))

            // And the transposed op's input-gradient is that convolution's forward pass.
            let gradOutputValues = random.uniformValues(TensorShape(outputShape).count)
            let gradOutput = try backend.tensor(outputShape, gradOutputValues)
            let transposedGrad = try backend.makeTensor(TensorShape(inputShape))
            try backend.convTranspose2dBackwardInput(gradOutput: gradOutput, weight: weight,
                                                     gradInput: transposedGrad,
                                                     geometry: layer.geometry)
            let convolved = try backend.makeTensor(TensorShape(inputShape))
            try backend.conv2dForward(input: gradOutput, weight: weight, bias: nil,
                                      output: convolved, geometry: convolutionGeometry)
            assertClose(try backend.read(transposedGrad), try backend.read(convolved),
                        tolerance: TransposedTolerance.sameSums,
                        "\(layer): convTranspose2dBackwardInput vs conv2dForward",
                        shape: TensorShape(inputShape))
        }
    }

    func testBackwardMatchesFiniteDifferences() throws {
        let gradientCheck = GradientCheck(step: 1e-2,
                                          tolerance: TransposedTolerance.finiteDifference)
        for (caseIndex, layer) in transposedCases.enumerated() {
            var random = SeededRandom(seed: 600 + UInt64(caseIndex))
            let g = layer.geometry
            let (inputShape, weightShape, outputShape) = shapes(layer)
            let x = random.uniformValues(TensorShape(inputShape).count)
            let w = random.uniformValues(TensorShape(weightShape).count)
            let b = random.uniformValues(layer.outputChannels)
            let r = random.uniformValues(TensorShape(outputShape).count)

            func forward(_ x: [Float], _ w: [Float], _ b: [Float]) throws -> [Float] {
                let output = try backend.makeTensor(TensorShape(outputShape))
                try backend.convTranspose2dForward(input: backend.tensor(inputShape, x),
                                                   weight: backend.tensor(weightShape, w),
                                                   bias: backend.tensor([layer.outputChannels], b),
                                                   output: output, geometry: g)
                return try backend.read(output)
            }

            let input = try GuardedTensor(backend, inputShape, values: x)
            let weight = try GuardedTensor(backend, weightShape, values: w)
            let gradOutput = try GuardedTensor(backend, outputShape, values: r)
            let gradInput = try GuardedTensor(backend, inputShape)
            let gradWeight = try GuardedTensor(backend, weightShape)
            let gradBias = try GuardedTensor(backend, [layer.outputChannels])
            try backend.convTranspose2dBackwardInput(gradOutput: gradOutput.tensor,
                                                     weight: weight.tensor,
                                                     gradInput: gradInput.tensor, geometry: g)
            try backend.convTranspose2dBackwardWeight(input: input.tensor,
                                                      gradOutput: gradOutput.tensor,
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

    func testBackwardWeightAccumulates() throws {
        var random = SeededRandom(seed: 700)
        let g = ConvolutionGeometry(kernel: 3, stride: 2, padding: 1, outputPadding: 1)
        let input = try backend.tensor([2, 4, 3, 3], random.uniformValues(72))
        let gradOutput = try backend.tensor([2, 3, 6, 6], random.uniformValues(216))
        let gradWeight = try backend.makeTensor(TensorShape([4, 3, 3, 3]))
        let gradBias = try backend.makeTensor(TensorShape([3]))
        try backend.convTranspose2dBackwardWeight(input: input, gradOutput: gradOutput,
                                                  gradWeight: gradWeight, gradBias: gradBias,
                                                  geometry: g, accumulate: false)
        let once = try backend.read(gradWeight)
        let onceBias = try backend.read(gradBias)
        try backend.convTranspose2dBackwardWeight(input: input, gradOutput: gradOutput,
                                                  gradWeight: gradWeight, gradBias: gradBias,
                                                  geometry: g, accumulate: true)

        assertClose(try backend.read(gradWeight), once.map { 2 * $0 },
                    tolerance: TransposedTolerance.handComputed, "accumulated weight gradient")
        assertClose(try backend.read(gradBias), onceBias.map { 2 * $0 },
                    tolerance: TransposedTolerance.handComputed, "accumulated bias gradient")
    }

    func testMismatchedShapesThrowNamedErrors() throws {
        let input = try backend.makeTensor(TensorShape([1, 4, 3, 3]))
        let weight = try backend.makeTensor(TensorShape([4, 2, 3, 3]))
        let upsample = ConvolutionGeometry(kernel: 3, stride: 2, padding: 1, outputPadding: 1)
        assertShapeMismatch(op: "convTranspose2dForward", containing: "gives [1, 2, 6, 6]") {
            try backend.convTranspose2dForward(
                input: input, weight: weight, bias: nil,
                output: backend.makeTensor(TensorShape([1, 2, 5, 5])), geometry: upsample)
        }
        assertShapeMismatch(op: "convTranspose2dForward", containing: "[in, out, kh, kw]") {
            try backend.convTranspose2dForward(
                input: input, weight: backend.makeTensor(TensorShape([2, 4, 3, 3])), bias: nil,
                output: backend.makeTensor(TensorShape([1, 4, 6, 6])), geometry: upsample)
        }
        assertShapeMismatch(op: "convTranspose2dForward", containing: "must be in 0..<stride") {
            try backend.convTranspose2dForward(
                input: input, weight: weight, bias: nil,
                output: backend.makeTensor(TensorShape([1, 2, 7, 7])),
                geometry: ConvolutionGeometry(kernel: 3, stride: 2, padding: 1, outputPadding: 2))
        }
    }
}
