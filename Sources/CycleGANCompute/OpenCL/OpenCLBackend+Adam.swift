/// The Adam update (torch.optim.Adam without weight decay or amsgrad) on the device
/// (Kernels/adam.cl): one work-item per parameter, bias corrections computed on the host in
/// Double by `AdamStep`.
extension OpenCLBackend {
    public func adamUpdate(parameters: Tensor, gradients: Tensor, firstMoment: Tensor,
                           secondMoment: Tensor, step: AdamStep) throws {
        let op = "adamUpdate"
        try validateSameCount(("parameters", parameters),
                              [("gradients", gradients), ("firstMoment", firstMoment),
                               ("secondMoment", secondMoment)], op: op)
        if step.step < 1 {
            throw ComputeError.shapeMismatch(op: op, detail: "step \(step.step) is invalid; "
                + "AdamStep.step counts from 1 for the first update")
        }

        try launch("adam_update", in: "adam.cl",
                   arguments: [.tensor(parameters),
                               .tensor(gradients),
                               .tensor(firstMoment),
                               .tensor(secondMoment),
                               .int(parameters.count),
                               .float(step.beta1),
                               .float(step.beta2),
                               .float(step.epsilon),
                               .float(step.stepSize),
                               .float(step.secondMomentCorrection)],
                   count: parameters.count)
    }
}
