/// ConvTranspose2d forward and backward on the host.
///
/// Layouts: input `[N, Cin, H, W]`, weight `[Cin, Cout, kh, kw]` (PyTorch's order for transposed
/// convolutions), output `[N, Cout, OH, OW]`. A transposed convolution is the input-gradient of
/// the convolution from its output back to its input with the same weight tensor, which then
/// reads as `[out, in, kh, kw]` of that convolution. So each op here runs one of the
/// convolution loops with the sizes exchanged (`ConvolutionSizes.adjoint`), and no zeros are
/// ever inserted between input pixels.
extension CPUBackend {
    public func convTranspose2dForward(input: Tensor, weight: Tensor, bias: Tensor?,
                                       output: Tensor, geometry: ConvolutionGeometry) throws {
        let op = "convTranspose2dForward"
        let sizes = try validateTransposedConvolution(input: input, weight: weight, bias: bias,
                                                      output: output, geometry: geometry, op: op)
        try validateDisjoint(("output", output), from: ("input", input), op: op)
        try validateDisjoint(("output", output), from: ("weight", weight), op: op)

        let biasValues = try bias.map { try elements(of: $0, op: op) }
        scatterConvolution(gradOutput: try elements(of: input, op: op),
                           weight: try elements(of: weight, op: op), bias: biasValues,
                           gradInput: try elements(of: output, op: op), sizes: sizes.adjoint)
    }

    public func convTranspose2dBackwardInput(gradOutput: Tensor, weight: Tensor,
                                             gradInput: Tensor,
                                             geometry: ConvolutionGeometry) throws {
        let op = "convTranspose2dBackwardInput"
        let sizes = try validateTransposedConvolution(input: gradInput, weight: weight, bias: nil,
                                                      output: gradOutput, geometry: geometry,
                                                      op: op, names: .backwardInput)
        try validateDisjoint(("gradInput", gradInput), from: ("gradOutput", gradOutput), op: op)
        try validateDisjoint(("gradInput", gradInput), from: ("weight", weight), op: op)

        gatherConvolution(input: try elements(of: gradOutput, op: op),
                          weight: try elements(of: weight, op: op), bias: nil,
                          output: try elements(of: gradInput, op: op), sizes: sizes.adjoint)
    }

    public func convTranspose2dBackwardWeight(input: Tensor, gradOutput: Tensor,
                                              gradWeight: Tensor, gradBias: Tensor?,
                                              geometry: ConvolutionGeometry,
                                              accumulate: Bool) throws {
        let op = "convTranspose2dBackwardWeight"
        let sizes = try validateTransposedConvolution(input: input, weight: gradWeight,
                                                      bias: gradBias, output: gradOutput,
                                                      geometry: geometry, op: op,
                                                      names: .backwardWeight)
        try validateDisjoint(("gradWeight", gradWeight), from: ("input", input), op: op)
        try validateDisjoint(("gradWeight", gradWeight), from: ("gradOutput", gradOutput), op: op)
        let gradOutputValues = try elements(of: gradOutput, op: op)

        // gradWeight[i, o, ky, kx] sums input[n, i, y, x] * gradOutput[n, o, y*s - p + ky, ...],
        // which is the convolution weight gradient with gradOutput as the convolution's input.
        convolutionWeightGradient(input: gradOutputValues,
                                  gradOutput: try elements(of: input, op: op),
                                  gradWeight: try elements(of: gradWeight, op: op),
                                  sizes: sizes.adjoint, accumulate: accumulate)
        if let gradBias {
            sumChannels(of: gradOutputValues, batch: sizes.batch, channels: sizes.outputChannels,
                        planeSize: sizes.outputHeight * sizes.outputWidth,
                        into: try elements(of: gradBias, op: op), accumulate: accumulate)
        }
    }
}
