/// ReflectionPad2d forward and backward on the device (Kernels/padding.cl). The backward pass
/// gathers the up to nine output gradients that read each input pixel, so it needs no atomics.
extension OpenCLBackend {
    public func reflectionPad2dForward(input: Tensor, output: Tensor, padding: Int) throws {
        let op = "reflectionPad2dForward"
        let sizes = try validateReflectionPad(input: input, output: output, padding: padding,
                                              op: op)
        try validateDisjoint(("output", output), from: ("input", input), op: op)

        try launch("reflection_pad2d_forward", in: "padding.cl",
                   arguments: [.tensor(input),
                               .tensor(output),
                               .int(sizes.n * sizes.c),
                               .int(sizes.h),
                               .int(sizes.w),
                               .int(padding)],
                   count: output.count)
    }

    public func reflectionPad2dBackward(gradOutput: Tensor, gradInput: Tensor,
                                        padding: Int) throws {
        let op = "reflectionPad2dBackward"
        let sizes = try validateReflectionPad(input: gradInput, output: gradOutput,
                                              padding: padding, op: op, names: .backwardInput)
        try validateDisjoint(("gradInput", gradInput), from: ("gradOutput", gradOutput), op: op)

        try launch("reflection_pad2d_backward", in: "padding.cl",
                   arguments: [.tensor(gradOutput),
                               .tensor(gradInput),
                               .int(sizes.n * sizes.c),
                               .int(sizes.h),
                               .int(sizes.w),
                               .int(padding)],
                   count: gradInput.count)
    }
}
