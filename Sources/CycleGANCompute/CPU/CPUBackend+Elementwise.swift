import Foundation

/// Activations and element-wise arithmetic on the host. Every tensor of one call has the same
/// element count (shapes may differ). These ops may run in place: the output may be the same
/// view as an input.
extension CPUBackend {
    public func activationForward(_ activation: Activation, input: Tensor,
                                  output: Tensor) throws {
        let op = "activationForward"
        try validateActivation(activation, op: op)
        try validateSameCount(("input", input), [("output", output)], op: op)
        let x = try elements(of: input, op: op)
        let y = try elements(of: output, op: op)

        parallelRanges(x.count) { range in
            switch activation {
            case .relu:
                // Written so that NaN passes through, as in PyTorch.
                for index in range {
                    y[index] = x[index] < 0 ? 0 : x[index]
                }
            case .leakyReLU(let slope):
                for index in range {
                    y[index] = x[index] > 0 ? x[index] : slope * x[index]
                }
            case .tanh:
                for index in range {
                    y[index] = Foundation.tanh(x[index])
                }
            }
        }
    }

    /// Computes the gradient from the forward output y: ReLU passes the gradient where y > 0,
    /// LeakyReLU scales it by the slope where y <= 0 (y > 0 exactly when x > 0 because the slope is
    /// non-negative), and tanh multiplies it by 1 - y^2.
    public func activationBackward(_ activation: Activation, output: Tensor, gradOutput: Tensor,
                                   gradInput: Tensor) throws {
        let op = "activationBackward"
        try validateActivation(activation, op: op)
        try validateSameCount(("output", output),
                              [("gradOutput", gradOutput), ("gradInput", gradInput)], op: op)
        let y = try elements(of: output, op: op)
        let dy = try elements(of: gradOutput, op: op)
        let dx = try elements(of: gradInput, op: op)

        parallelRanges(y.count) { range in
            switch activation {
            case .relu:
                for index in range {
                    dx[index] = y[index] <= 0 ? 0 : dy[index]
                }
            case .leakyReLU(let slope):
                for index in range {
                    dx[index] = y[index] > 0 ? dy[index] : slope * dy[index]
                }
            case .tanh:
                for index in range {
                    dx[index] = dy[index] * (1 - y[index] * y[index])
                }
            }
        }
    }

    public func add(_ a: Tensor, _ b: Tensor, output: Tensor) throws {
        let op = "add"
        try validateSameCount(("a", a), [("b", b), ("output", output)], op: op)
        let x = try elements(of: a, op: op)
        let y = try elements(of: b, op: op)
        let sum = try elements(of: output, op: op)

        parallelRanges(x.count) { range in
            for index in range {
                sum[index] = x[index] + y[index]
            }
        }
    }

    public func accumulate(_ x: Tensor, scaledBy alpha: Float, into y: Tensor) throws {
        let op = "accumulate"
        try validateSameCount(("x", x), [("y", y)], op: op)
        let source = try elements(of: x, op: op)
        let destination = try elements(of: y, op: op)

        parallelRanges(source.count) { range in
            for index in range {
                destination[index] += alpha * source[index]
            }
        }
    }

    public func scale(_ x: Tensor, by alpha: Float, output: Tensor) throws {
        let op = "scale"
        try validateSameCount(("x", x), [("output", output)], op: op)
        let source = try elements(of: x, op: op)
        let destination = try elements(of: output, op: op)

        parallelRanges(source.count) { range in
            for index in range {
                destination[index] = alpha * source[index]
            }
        }
    }

    public func fill(_ tensor: Tensor, with value: Float) throws {
        let destination = try elements(of: tensor, op: "fill")
        parallelRanges(destination.count) { range in
            for index in range {
                destination[index] = value
            }
        }
    }

    /// Copies `source` into `destination`. The two may be the same view but must not partly
    /// overlap, because the copy runs in chunks on several cores.
    public func copy(_ source: Tensor, to destination: Tensor) throws {
        let op = "copy"
        try validateSameCount(("source", source), [("destination", destination)], op: op)
        if source.buffer === destination.buffer && source.offset == destination.offset {
            return
        }
        try validateDisjoint(("destination", destination), from: ("source", source), op: op)
        let from = try elements(of: source, op: op)
        let to = try elements(of: destination, op: op)

        parallelRanges(from.count) { range in
            for index in range {
                to[index] = from[index]
            }
        }
    }

    private func validateActivation(_ activation: Activation, op: String) throws {
        if case .leakyReLU(let slope) = activation, !(slope >= 0) {
            throw ComputeError.shapeMismatch(op: op, detail: "LeakyReLU slope \(slope) is "
                + "invalid because the backward pass reads the sign of x from the output, "
                + "which needs a slope >= 0")
        }
    }
}
