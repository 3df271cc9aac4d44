/// ConvTranspose2d forward and backward on the device (Kernels/conv_transpose2d.cl), all by
/// gathering: no zeros are inserted and no kernel scatters.
///
/// Layouts: input `[N, Cin, H, W]`, weight `[Cin, Cout, kh, kw]` (PyTorch's order), output
/// `[N, Cout, OH, OW]` with OH = (H - 1) * stride - 2 * padding + kh + outputPadding.
extension OpenCLBackend {
    public func convTranspose2dForward(input: Tensor, weight: Tensor, bias: Tensor?,
                                       output: Tensor, geometry: ConvolutionGeometry) throws {
        let op = "convTranspose2dForward"
        let sizes = try validateTransposedConvolution(input: input, weight: weight, bias: bias,
                                                      output: output, geometry: geometry, op: op)
        try validateDisjoint(("output", output), from: ("input", input), op: op)
        try validateDisjoint(("output", output), from: ("weight", weight), op: op)

        let blocked = usesChannelBlocks(of: sizes.outputChannels)
        try launch(blocked ? "conv_transpose2d_forward_cout4" : "conv_transpose2d_forward",
                   in: "conv_transpose2d.cl",
                   arguments: [.tensor(input),
                               .tensor(weight),
                               bias.map { .tensor($0) } ?? .absentTensor,
                               .int(bias == nil ? 0 : 1),
                               .tensor(output)] + sizes.kernelArguments,
                   count: blocked ? output.count / 4 : output.count)
    }

    public func convTranspose2dBackwardInput(gradOutput: Tensor, weight: Tensor, gradInput: Tensor,
                                             geometry: ConvolutionGeometry) throws {
        let op = "convTranspose2dBackwardInput"
        let sizes = try validateTransposedConvolution(input: gradInput, weight: weight, bias: nil,
                                                      output: gradOutput, geometry: geometry,
                                                      op: op, names: .backwardInput)
        try validateDisjoint(("gradInput", gradInput), from: ("gradOutput", gradOutput), op: op)
        try validateDisjoint(("gradInput", gradInput), from: ("weight", weight), op: op)

        let blocked = usesChannelBlocks(of: sizes.inputChannels)
        try launch(blocked ? "conv_transpose2d_backward_input_cin4"
                       : "conv_transpose2d_backward_input",
                   in: "conv_transpose2d.cl",
                   arguments: [.tensor(gradOutput),
                               .tensor(weight),
                               .tensor(gradInput)] + sizes.kernelArguments,
                   count: blocked ? gradInput.count / 4 : gradInput.count)
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
        try validateDisjoint(("gradWeight", gradWeight), from: ("gradOutput", gradOutput),
                             op: op)

        let arguments: [KernelArgument] = [.tensor(input),
                                           .tensor(gradOutput),
                                           .tensor(gradWeight)] + sizes.kernelArguments
            + [.int(accumulate ? 1 : 0)]
        switch weightGradientVariant {
        case .workGroupReduction:
            try launch("conv_transpose2d_backward_weight", in: "conv_transpose2d.cl",
                       arguments: arguments, groups: gradWeight.count)
        case .serial:
            try launch("conv_transpose2d_backward_weight_serial", in: "conv_transpose2d.cl",
                       arguments: arguments, count: gradWeight.count)
        }
        if let gradBias {
            try launchBiasGradient(gradOutput: gradOutput, gradBias: gradBias, sizes: sizes,
                                   accumulate: accumulate, op: op)
        }
    }
}
