/// Instance normalization without affine parameters on the device (Kernels/instance_norm.cl):
/// one work-group per (n, c) plane, reducing in local memory in a fixed order.
extension OpenCLBackend {
    public func instanceNormForward(input: Tensor, output: Tensor, invStd: Tensor,
                                    epsilon: Float) throws {
        let op = "instanceNormForward"
        let sizes = try validateInstanceNorm(input: ("input", input),
                                             others: [("output", output)], invStd: invStd, op: op)
        try validateDisjoint(("invStd", invStd), from: ("input", input), op: op)
        try validateDisjoint(("invStd", invStd), from: ("output", output), op: op)

        try launch("instance_norm_forward", in: "instance_norm.cl",
                   arguments: [.tensor(input),
                               .tensor(output),
                               .tensor(invStd),
                               .int(sizes.n * sizes.c),
                               .int(sizes.h * sizes.w),
                               .float(epsilon)],
                   groups: sizes.n * sizes.c)
    }

    public func instanceNormBackward(gradOutput: Tensor, output: Tensor, invStd: Tensor,
                                     gradInput: Tensor) throws {
        let op = "instanceNormBackward"
        let sizes = try validateInstanceNorm(input: ("gradOutput", gradOutput),
                                             others: [("output", output),
                                                      ("gradInput", gradInput)],
                                             invStd: invStd, op: op)
        try validateDisjoint(("gradInput", gradInput), from: ("invStd", invStd), op: op)

        try launch("instance_norm_backward", in: "instance_norm.cl",
                   arguments: [.tensor(gradOutput),
                               .tensor(output),
                               .tensor(invStd),
                               .tensor(gradInput),
                               .int(sizes.n * sizes.c),
                               .int(sizes.h * sizes.w)],
                   groups: sizes.n * sizes.c)
    }
}
