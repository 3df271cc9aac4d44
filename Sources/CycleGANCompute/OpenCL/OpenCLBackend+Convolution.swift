/// Conv2d forward and backward on the device (Kernels/conv2d.cl).
///
/// Layouts: input `[N, Cin, H, W]`, weight `[Cout, Cin, kh, kw]`, output `[N, Cout, OH, OW]`.
/// The weight gradient runs one work-group per weight element with a fixed-order tree reduction,
/// so it is deterministic and needs no atomics.
extension OpenCLBackend {
    public func conv2dForward(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor,
                              geometry: ConvolutionGeometry) throws {
        let op = "conv2dForward"
        let sizes = try validateConvolution(input: input, weight: weight, bias: bias,
                                            output: output, geometry: geometry, op: op)
        try validateDisjoint(("output", output), from: ("input", input), op: op)
        try validateDisjoint(("output", output), from: ("weight", weight), op: op)

        let blocked = usesChannelBlocks(of: sizes.outputChannels)
        try launch(blocked ? "conv2d_forward_cout4" : "conv2d_forward", in: "conv2d.cl",
                   arguments: [.tensor(input),
                               .tensor(weight),
                               bias.map { .tensor($0) } ?? .absentTensor,
                               .int(bias == nil ? 0 : 1),
                               .tensor(output)] + sizes.kernelArguments,
                   count: blocked ? output.count / 4 : output.count)
    }

    public func conv2dBackwardInput(gradOutput: Tensor, weight: Tensor, gradInput: Tensor,
                                    geometry: ConvolutionGeometry) throws {
        let op = "conv2dBackwardInput"
        let sizes = try validateConvolution(input: gradInput, weight: weight, bias: nil,
                                            output: gradOutput, geometry: geometry, op: op,
                                            names: .backwardInput)
        try validateDisjoint(("gradInput", gradInput), from: ("gradOutput", gradOutput), op: op)
        try validateDisjoint(("gradInput", gradInput), from: ("weight", weight), op: op)

        let blocked = usesChannelBlocks(of: sizes.inputChannels)
        try launch(blocked ? "conv2d_backward_input_cin4" : "conv2d_backward_input",
                   in: "conv2d.cl",
                   arguments: [.tensor(gradOutput),
                               .tensor(weight),
                               .tensor(gradInput)] + sizes.kernelArguments,
                   count: blocked ? gradInput.count / 4 : gradInput.count)
    }

    public func conv2dBackwardWeight(input: Tensor, gradOutput: Tensor, gradWeight: Tensor,
                                     gradBias: Tensor?, geometry: ConvolutionGeometry,
                                     accumulate: Bool) throws {
        let op = "conv2dBackwardWeight"
        let sizes = try validateConvolution(input: input, weight: gradWeight, bias: gradBias,
                                            output: gradOutput, geometry: geometry, op: op,
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
            try launch("conv2d_backward_weight", in: "conv2d.cl", arguments: arguments,
                       groups: gradWeight.count)
        case .serial:
            try launch("conv2d_backward_weight_serial", in: "conv2d.cl", arguments: arguments,
                       count: gradWeight.count)
        }
        if let gradBias {
            try launchBiasGradient(gradOutput: gradOutput, gradBias: gradBias, sizes: sizes,
                                   accumulate: accumulate, op: op)
        }
    }

    /// gradBias[k] (+)= the sum of gradOutput's channel k over batch and pixels, for both the
    /// convolution and the transposed convolution. `sizes` are in the op's own terms, so
    /// `outputChannels` and the output plane size describe `gradOutput`.
    func launchBiasGradient(gradOutput: Tensor, gradBias: Tensor, sizes: ConvolutionSizes,
                            accumulate: Bool, op: String) throws {
        try validateDisjoint(("gradBias", gradBias), from: ("gradOutput", gradOutput), op: op)
        try launch("conv2d_backward_bias", in: "conv2d.cl",
                   arguments: [.tensor(gradOutput),
                               .tensor(gradBias),
                               .int(sizes.batch),
                               .int(sizes.outputChannels),
                               .int(sizes.outputHeight * sizes.outputWidth),
                               .int(accumulate ? 1 : 0)],
                   groups: sizes.outputChannels)
    }
}

/// Kernels for a convolution's weight gradient.
enum WeightGradientVariant {
    /// The baseline: one work-group per weight element and a tree reduction in local memory.
    case workGroupReduction
    /// One work-item per weight element with a compensated sum. CPU devices pay for every
    /// work-group launch and barrier, so it ran 2.2 to 2.7 times faster than the reduction on
    /// PoCL 3.1 with 2 cores (128 to 128 channels, 3x3, 32x32).
    case serial
}

extension OpenCLBackend {
    /// Returns whether a convolution may take its `_cout4` or `_cin4` kernel, which computes
    /// four channels per work-item: the policy allows variants and `channels` is a multiple of
    /// 4, as those kernels assume.
    func usesChannelBlocks(of channels: Int) -> Bool {
        kernelVariants == .fastest && channels % 4 == 0
    }

    /// Picks the weight-gradient kernel for this device: `serial` on CPU devices unless the
    /// baseline is forced, the work-group reduction everywhere else.
    var weightGradientVariant: WeightGradientVariant {
        kernelVariants == .fastest && device.type == .cpu ? .serial : .workGroupReduction
    }
}

extension ConvolutionSizes {
    /// N, Cin, H, W, Cout, OH, OW, KH, KW, S, P: the size arguments of every convolution kernel,
    /// in the order the kernels declare them.
    var kernelArguments: [KernelArgument] {
        [.int(batch), .int(inputChannels), .int(inputHeight), .int(inputWidth),
         .int(outputChannels), .int(outputHeight), .int(outputWidth),
         .int(kernelHeight), .int(kernelWidth), .int(stride), .int(padding)]
    }
}
