import Foundation

/// MSELoss, L1Loss and BCEWithLogitsLoss with mean reduction on the host. The loss sums run in
/// Double, in index order, on one thread. The gradients are element-wise.
extension CPUBackend {
    public func mseLoss(input: Tensor, target: Float, loss: Tensor, gradInput: Tensor?,
                        gradScale: Float) throws {
        let op = "mseLoss"
        let (x, result, dx) = try lossArguments(input: input, loss: loss, gradInput: gradInput,
                                                op: op)
        let count = Double(x.count)
        let t = Double(target)

        var sum = 0.0
        for index in 0..<x.count {
            let difference = Double(x[index]) - t
            sum += difference * difference
        }
        result[0] = Float(sum / count)

        guard let dx else { return }
        let factor = 2 * Double(gradScale) / count
        parallelRanges(x.count) { range in
            for index in range {
                dx[index] = Float(factor * (Double(x[index]) - t))
            }
        }
    }

    public func l1Loss(input: Tensor, target: Tensor, loss: Tensor, gradInput: Tensor?,
                       gradScale: Float) throws {
        let op = "l1Loss"
        try validateSameCount(("input", input), [("target", target)], op: op)
        let (x, result, dx) = try lossArguments(input: input, loss: loss, gradInput: gradInput,
                                                op: op)
        let y = try elements(of: target, op: op)
        let count = Double(x.count)

        var sum = 0.0
        for index in 0..<x.count {
            sum += abs(Double(x[index]) - Double(y[index]))
        }
        result[0] = Float(sum / count)

        guard let dx else { return }
        let step = Float(Double(gradScale) / count)
        parallelRanges(x.count) { range in
            for index in range {
                let difference = x[index] - y[index]
                dx[index] = difference > 0 ? step : (difference < 0 ? -step : 0)
            }
        }
    }

    /// Per element: max(x, 0) - x * t + log(1 + exp(-|x|)), which equals
    /// -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))) without overflow for large |x|.
    public func bceWithLogitsLoss(input: Tensor, target: Float, loss: Tensor, gradInput: Tensor?,
                                  gradScale: Float) throws {
        let op = "bceWithLogitsLoss"
        let (x, result, dx) = try lossArguments(input: input, loss: loss, gradInput: gradInput,
                                                op: op)
        let count = Double(x.count)
        let t = Double(target)

        var sum = 0.0
        for index in 0..<x.count {
            let logit = Double(x[index])
            sum += max(logit, 0) - logit * t + log1p(exp(-abs(logit)))
        }
        result[0] = Float(sum / count)

        guard let dx else { return }
        let factor = Double(gradScale) / count
        parallelRanges(x.count) { range in
            for index in range {
                dx[index] = Float(factor * (sigmoid(Double(x[index])) - t))
            }
        }
    }

    /// Validates a loss call and returns the input, loss and optional gradient elements.
    private func lossArguments(input: Tensor, loss: Tensor, gradInput: Tensor?, op: String) throws
        -> (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>,
            UnsafeMutableBufferPointer<Float>?) {
        try validateLossOutput(loss, input: input, op: op)
        if let gradInput {
            try validateSameCount(("input", input), [("gradInput", gradInput)], op: op)
        }
        let gradValues = try gradInput.map { try elements(of: $0, op: op) }
        return (try elements(of: input, op: op), try elements(of: loss, op: op), gradValues)
    }
}

/// 1 / (1 + exp(-x)), written so that exp never overflows.
private func sigmoid(_ x: Double) -> Double {
    if x >= 0 {
        return 1 / (1 + exp(-x))
    }
    let e = exp(x)
    return e / (1 + e)
}
