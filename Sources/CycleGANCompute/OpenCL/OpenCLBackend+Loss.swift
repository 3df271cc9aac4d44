/// MSELoss, L1Loss and BCEWithLogitsLoss with mean reduction on the device (Kernels/loss.cl).
/// The loss is reduced by one work-group into the one-element `loss` tensor, in a fixed order;
/// the gradient is an element-wise kernel.
extension OpenCLBackend {
    public func mseLoss(input: Tensor, target: Float, loss: Tensor, gradInput: Tensor?,
                        gradScale: Float) throws {
        let op = "mseLoss"
        try validateLoss(input: input, loss: loss, gradInput: gradInput, op: op)

        try launch("mse_loss_forward", in: "loss.cl",
                   arguments: [.tensor(input), .tensor(loss), .int(input.count), .float(target)],
                   groups: 1)
        if let gradInput {
            try launch("mse_loss_backward", in: "loss.cl",
                       arguments: [.tensor(input), .tensor(gradInput), .int(input.count),
                                   .float(target), .float(gradScale)],
                       count: input.count)
        }
    }

    public func l1Loss(input: Tensor, target: Tensor, loss: Tensor, gradInput: Tensor?,
                       gradScale: Float) throws {
        let op = "l1Loss"
        try validateSameCount(("input", input), [("target", target)], op: op)
        try validateLoss(input: input, loss: loss, gradInput: gradInput, op: op)
        try validateDisjoint(("loss", loss), from: ("target", target), op: op)

        try launch("l1_loss_forward", in: "loss.cl",
                   arguments: [.tensor(input), .tensor(target), .tensor(loss),
                               .int(input.count)],
                   groups: 1)
        if let gradInput {
            try launch("l1_loss_backward", in: "loss.cl",
                       arguments: [.tensor(input), .tensor(target), .tensor(gradInput),
                                   .int(input.count), .float(gradScale)],
                       count: input.count)
        }
    }

    public func bceWithLogitsLoss(input: Tensor, target: Float, loss: Tensor, gradInput: Tensor?,
                                  gradScale: Float) throws {
        let op = "bceWithLogitsLoss"
        try validateLoss(input: input, loss: loss, gradInput: gradInput, op: op)

        try launch("bce_with_logits_loss_forward", in: "loss.cl",
                   arguments: [.tensor(input), .tensor(loss), .int(input.count), .float(target)],
                   groups: 1)
        if let gradInput {
            try launch("bce_with_logits_loss_backward", in: "loss.cl",
                       arguments: [.tensor(input), .tensor(gradInput), .int(input.count),
                                   .float(target), .float(gradScale)],
                       count: input.count)
        }
    }

    /// Checks the loss and gradient tensors. The loss kernel runs before the gradient kernel, so
    /// the loss must not overlap the input it reads.
    private func validateLoss(input: Tensor, loss: Tensor, gradInput: Tensor?,
                              op: String) throws {
        try validateLossOutput(loss, input: input, op: op)
        try validateDisjoint(("loss", loss), from: ("input", input), op: op)
        if let gradInput {
            try validateSameCount(("input", input), [("gradInput", gradInput)], op: op)
            try validateDisjoint(("loss", loss), from: ("gradInput", gradInput), op: op)
        }
    }
}
