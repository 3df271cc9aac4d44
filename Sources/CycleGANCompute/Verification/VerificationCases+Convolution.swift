/// Sizes of one convolution or transposed convolution case.
struct ConvolutionCase {
    var batch: Int
    var inputChannels: Int
    var height: Int
    var width: Int
    var outputChannels: Int
    var geometry: ConvolutionGeometry
    var hasBias = true
    /// Offset of every view into its buffer.
    var offset = 0
    /// Prefix of the label, such as a CycleGAN layer name.
    var name = ""

    func label(transposed: Bool) -> String {
        let weight = transposed
            ? [inputChannels, outputChannels, geometry.kernelHeight, geometry.kernelWidth]
            : [outputChannels, inputChannels, geometry.kernelHeight, geometry.kernelWidth]
        var parts = [name.isEmpty ? nil : name,
                     "x\(TensorShape([batch, inputChannels, height, width]))",
                     "w\(TensorShape(weight))",
                     "s\(geometry.stride) p\(geometry.padding)"]
        if geometry.outputPadding != 0 {
            parts.append("op\(geometry.outputPadding)")
        }
        if !hasBias {
            parts.append("no bias")
        }
        if offset != 0 {
            parts.append("@\(offset)")
        }
        return parts.compactMap { $0 }.joined(separator: " ")
    }

    /// Weights uniform in +-1/sqrt(fan-in), as PyTorch initializes them, so outputs stay near
    /// unit scale.
    func weightValues(fanIn: Int) -> ValueDistribution {
        let bound = 1 / Double(max(fanIn, 1)).squareRoot()
        return .uniform(-bound...bound)
    }
}

extension VerificationCases {
    /// Conv2d forward, input gradient, and weight and bias gradients with and without
    /// accumulation.
    static func convolution(_ c: ConvolutionCase) -> [VerificationCase] {
        let g = c.geometry
        let out = g.convolutionOutputSize(height: c.height, width: c.width)
        let fanIn = c.inputChannels * g.kernelHeight * g.kernelWidth
        let input = [c.batch, c.inputChannels, c.height, c.width]
        let output = [c.batch, c.outputChannels, out.height, out.width]
        let weight = [c.outputChannels, c.inputChannels, g.kernelHeight, g.kernelWidth]
        let label = c.label(transposed: false)
        let weightSpec = TensorSpec("weight", weight, offset: c.offset,
                                    values: c.weightValues(fanIn: fanIn))
        let biasSpecs = c.hasBias
            ? [TensorSpec("bias", [c.outputChannels], offset: c.offset, values: .uniform(-1...1))]
            : []
        let gradBiasSpecs = c.hasBias ? [TensorSpec("gradBias", [c.outputChannels],
                                                    offset: c.offset)] : []
        let hasBias = c.hasBias

        var cases = [
            VerificationCase(.conv2dForward, label,
                             tensors: [TensorSpec("input", input, offset: c.offset), weightSpec,
                                       TensorSpec("output", output, offset: c.offset)]
                                 + biasSpecs) { backend, t in
                try backend.conv2dForward(input: t("input"), weight: t("weight"),
                                          bias: hasBias ? t("bias") : nil, output: t("output"),
                                          geometry: g)
            },
            VerificationCase(.conv2dBackwardInput, label,
                             tensors: [TensorSpec("gradOutput", output, offset: c.offset),
                                       weightSpec,
                                       TensorSpec("gradInput", input, offset: c.offset)]) { b, t in
                try b.conv2dBackwardInput(gradOutput: t("gradOutput"), weight: t("weight"),
                                          gradInput: t("gradInput"), geometry: g)
            },
        ]
        for accumulate in [false, true] {
            cases.append(VerificationCase(
                .conv2dBackwardWeight, label + (accumulate ? " accumulate" : ""),
                tensors: [TensorSpec("input", input, offset: c.offset),
                          TensorSpec("gradOutput", output, offset: c.offset),
                          TensorSpec("gradWeight", weight, offset: c.offset)] + gradBiasSpecs
            ) { backend, t in
                try backend.conv2dBackwardWeight(
                    input: t("input"), gradOutput: t("gradOutput"), gradWeight: t("gradWeight"),
                    gradBias: hasBias ? t("gradBias") : nil, geometry: g, accumulate: accumulate)
            })
        }
        return cases
    }

    /// ConvTranspose2d forward, input gradient, and weight and bias gradients with and without
    /// accumulation.
    static func transposedConvolution(_ c: ConvolutionCase) -> [VerificationCase] {
        let g = c.geometry
        let out = g.transposedOutputSize(height: c.height, width: c.width)
        let fanIn = c.outputChannels * g.kernelHeight * g.kernelWidth
        let input = [c.batch, c.inputChannels, c.height, c.width]
        let output = [c.batch, c.outputChannels, out.height, out.width]
        let weight = [c.inputChannels, c.outputChannels, g.kernelHeight, g.kernelWidth]
        let label = c.label(transposed: true)
        let weightSpec = TensorSpec("weight", weight, offset: c.offset,
                                    values: c.weightValues(fanIn: fanIn))
        let biasSpecs = c.hasBias
            ? [TensorSpec("bias", [c.outputChannels], offset: c.offset, values: .uniform(-1...1))]
            : []
        let gradBiasSpecs = c.hasBias ? [TensorSpec("gradBias", [c.outputChannels],
                                                    offset: c.offset)] : []
        let hasBias = c.hasBias

        var cases = [
            VerificationCase(.convTranspose2dForward, label,
                             tensors: [TensorSpec("input", input, offset: c.offset), weightSpec,
                                       TensorSpec("output", output, offset: c.offset)]
                                 + biasSpecs) { backend, t in
                try backend.convTranspose2dForward(input: t("input"), weight: t("weight"),
                                                   bias: hasBias ? t("bias") : nil,
                                                   output: t("output"), geometry: g)
            },
            VerificationCase(.convTranspose2dBackwardInput, label,
                             tensors: [TensorSpec("gradOutput", output, offset: c.offset),
                                       weightSpec,
                                       TensorSpec("gradInput", input, offset: c.offset)]) { b, t in
                try b.convTranspose2dBackwardInput(gradOutput: t("gradOutput"),
                                                   weight: t("weight"),
                                                   gradInput: t("gradInput"), geometry: g)
            },
        ]
        for accumulate in [false, true] {
            cases.append(VerificationCase(
                .convTranspose2dBackwardWeight, label + (accumulate ? " accumulate" : ""),
                tensors: [TensorSpec("input", input, offset: c.offset),
                          TensorSpec("gradOutput", output, offset: c.offset),
                          TensorSpec("gradWeight", weight, offset: c.offset)] + gradBiasSpecs
            ) { backend, t in
                try backend.convTranspose2dBackwardWeight(
                    input: t("input"), gradOutput: t("gradOutput"), gradWeight: t("gradWeight"),
                    gradBias: hasBias ? t("gradBias") : nil, geometry: g, accumulate: accumulate)
            })
        }
        return cases
    }

    /// Convolutions that straddle work-group sizes (31, 32, 33), with strides 1 and 2, kernels
    /// 1, 3, 4 and 7, batches 1 and 2, channel counts 3, 5 and 7, and views at offsets. The last
    /// has channel counts that are multiples of 4, for the kernels that compute four channels
    /// per work-item.
    static var convolutionGrid: [ConvolutionCase] {
        [
            ConvolutionCase(batch: 2, inputChannels: 3, height: 33, width: 33, outputChannels: 5,
                            geometry: ConvolutionGeometry(kernel: 3, stride: 1, padding: 1),
                            offset: 3),
            ConvolutionCase(batch: 1, inputChannels: 5, height: 32, width: 32, outputChannels: 7,
                            geometry: ConvolutionGeometry(kernel: 3, stride: 2, padding: 1)),
            ConvolutionCase(batch: 2, inputChannels: 3, height: 31, width: 31, outputChannels: 4,
                            geometry: ConvolutionGeometry(kernel: 7, stride: 1, padding: 3)),
            ConvolutionCase(batch: 1, inputChannels: 7, height: 33, width: 31, outputChannels: 3,
                            geometry: ConvolutionGeometry(kernel: 4, stride: 2, padding: 1),
                            hasBias: false),
            ConvolutionCase(batch: 2, inputChannels: 5, height: 31, width: 32, outputChannels: 6,
                            geometry: ConvolutionGeometry(kernel: 1), offset: 1),
            ConvolutionCase(batch: 1, inputChannels: 3, height: 32, width: 33, outputChannels: 5,
                            geometry: ConvolutionGeometry(kernel: 4, stride: 1, padding: 1)),
            ConvolutionCase(batch: 2, inputChannels: 3, height: 13, width: 13, outputChannels: 3,
                            geometry: ConvolutionGeometry(kernel: 7, stride: 2)),
            ConvolutionCase(batch: 2, inputChannels: 4, height: 17, width: 17, outputChannels: 8,
                            geometry: ConvolutionGeometry(kernel: 4, stride: 2, padding: 1),
                            offset: 3),
        ]
    }

    /// Transposed convolutions with outputs of 31, 32 and 33, strides 1 and 2, kernels 1, 3, 4
    /// and 7, output padding 0 and 1. The last has channel counts that are multiples of 4.
    static var transposedConvolutionGrid: [ConvolutionCase] {
        [
            ConvolutionCase(batch: 2, inputChannels: 5, height: 16, width: 16, outputChannels: 3,
                            geometry: ConvolutionGeometry(kernel: 3, stride: 2, padding: 1,
                                                          outputPadding: 1),
                            offset: 3),
            ConvolutionCase(batch: 1, inputChannels: 3, height: 17, width: 17, outputChannels: 5,
                            geometry: ConvolutionGeometry(kernel: 3, stride: 2, padding: 1)),
            ConvolutionCase(batch: 2, inputChannels: 3, height: 31, width: 31, outputChannels: 4,
                            geometry: ConvolutionGeometry(kernel: 3, stride: 1, padding: 1)),
            ConvolutionCase(batch: 1, inputChannels: 4, height: 15, width: 16, outputChannels: 3,
                            geometry: ConvolutionGeometry(kernel: 4, stride: 2, padding: 1),
                            hasBias: false),
            ConvolutionCase(batch: 1, inputChannels: 3, height: 8, width: 8, outputChannels: 2,
                            geometry: ConvolutionGeometry(kernel: 1)),
            ConvolutionCase(batch: 2, inputChannels: 2, height: 5, width: 5, outputChannels: 3,
                            geometry: ConvolutionGeometry(kernel: 7, stride: 2, padding: 3,
                                                          outputPadding: 1)),
            ConvolutionCase(batch: 2, inputChannels: 8, height: 9, width: 9, outputChannels: 4,
                            geometry: ConvolutionGeometry(kernel: 3, stride: 2, padding: 1,
                                                          outputPadding: 1),
                            offset: 1),
        ]
    }
}
