/// Activations and element-wise arithmetic on the device (Kernels/elementwise.cl). Every tensor
/// of one call has the same element count; outputs may be the same view as an input.
extension OpenCLBackend {
    public func activationForward(_ activation: Activation, input: Tensor,
                                  output: Tensor) throws {
        let op = "activationForward"
        try validateSlope(of: activation, op: op)
        try validateSameCount(("input", input), [("output", output)], op: op)

        var arguments: [KernelArgument] = [.tensor(input), .tensor(output), .int(input.count)]
        let kernel: String
        switch activation {
        case .relu:
            kernel = "relu_forward"
        case .leakyReLU(let slope):
            kernel = "leaky_relu_forward"
            arguments.append(.float(slope))
        case .tanh:
            kernel = "tanh_forward"
        }
        try launch(kernel, in: "elementwise.cl", arguments: arguments, count: input.count)
    }

    public func activationBackward(_ activation: Activation, output: Tensor, gradOutput: Tensor,
                                   gradInput: Tensor) throws {
        let op = "activationBackward"
        try validateSlope(of: activation, op: op)
        try validateSameCount(("output", output),
                              [("gradOutput", gradOutput), ("gradInput", gradInput)], op: op)

        var arguments: [KernelArgument] = [.tensor(output), .tensor(gradOutput),
                                           .tensor(gradInput), .int(output.count)]
        let kernel: String
        switch activation {
        case .relu:
            kernel = "relu_backward"
        case .leakyReLU(let slope):
            kernel = "leaky_relu_backward"
            arguments.append(.float(slope))
        case .tanh:
            kernel = "tanh_backward"
        }
        try launch(kernel, in: "elementwise.cl", arguments: arguments, count: output.count)
    }

    public func add(_ a: Tensor, _ b: Tensor, output: Tensor) throws {
        try validateSameCount(("a", a), [("b", b), ("output", output)], op: "add")
        let arguments: [KernelArgument] = [.tensor(a), .tensor(b), .tensor(output), .int(a.count)]
        if usesVector4(a, b, output) {
            try launch("add_forward_vec4", in: "elementwise.cl", arguments: arguments,
                       count: a.count / 4)
        } else {
            try launch("add_forward", in: "elementwise.cl", arguments: arguments, count: a.count)
        }
    }

    public func accumulate(_ x: Tensor, scaledBy alpha: Float, into y: Tensor) throws {
        try validateSameCount(("x", x), [("y", y)], op: "accumulate")
        let arguments: [KernelArgument] = [.tensor(x), .tensor(y), .int(x.count), .float(alpha)]
        if usesVector4(x, y) {
            try launch("accumulate_forward_vec4", in: "elementwise.cl", arguments: arguments,
                       count: x.count / 4)
        } else {
            try launch("accumulate_forward", in: "elementwise.cl", arguments: arguments,
                       count: x.count)
        }
    }

    public func scale(_ x: Tensor, by alpha: Float, output: Tensor) throws {
        try validateSameCount(("x", x), [("output", output)], op: "scale")
        try launch("scale_forward", in: "elementwise.cl",
                   arguments: [.tensor(x), .tensor(output), .int(x.count), .float(alpha)],
                   count: x.count)
    }

    public func fill(_ tensor: Tensor, with value: Float) throws {
        try launch("fill_forward", in: "elementwise.cl",
                   arguments: [.tensor(tensor), .int(tensor.count), .float(value)],
                   count: tensor.count)
    }

    public func copy(_ source: Tensor, to destination: Tensor) throws {
        let op = "copy"
        try validateSameCount(("source", source), [("destination", destination)], op: op)
        if source.buffer === destination.buffer && source.offset == destination.offset {
            return
        }
        try validateDisjoint(("destination", destination), from: ("source", source), op: op)
        try launch("copy_forward", in: "elementwise.cl",
                   arguments: [.tensor(source), .tensor(destination), .int(source.count)],
                   count: source.count)
    }

    /// Returns whether an element-wise op may take its `_vec4` kernel. It may when the policy
    /// allows variants and the count and every offset are multiples of 4, as those kernels
    /// assume.
    private func usesVector4(_ tensors: Tensor...) -> Bool {
        kernelVariants == .fastest
            && tensors.allSatisfy { $0.count % 4 == 0 && $0.offset % 4 == 0 }
    }

    private func validateSlope(of activation: Activation, op: String) throws {
        if case .leakyReLU(let slope) = activation, !(slope >= 0) {
            throw ComputeError.shapeMismatch(op: op, detail: "LeakyReLU slope \(slope) is "
                + "invalid because the backward pass reads the sign of x from the output, "
                + "which needs a slope >= 0")
        }
    }
}
