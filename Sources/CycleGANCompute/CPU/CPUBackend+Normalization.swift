/// InstanceNorm2d without affine parameters (PyTorch's default) on the host.
///
/// Layouts: input and output `[N, C, H, W]`, invStd `[N * C]`. Each (n, c) plane is normalized by
/// its own mean and biased variance (divided by H*W), both computed in Double with two passes.
/// One task per plane, so the forward and backward passes can run in place.
extension CPUBackend {
    public func instanceNormForward(input: Tensor, output: Tensor, invStd: Tensor,
                                    epsilon: Float) throws {
        let op = "instanceNormForward"
        let (n, c, h, w) = try validateInstanceNorm(input: ("input", input),
                                                    others: [("output", output)],
                                                    invStd: invStd, op: op)
        let x = try elements(of: input, op: op)
        let y = try elements(of: output, op: op)
        let savedInvStd = try elements(of: invStd, op: op)
        let planeSize = h * w

        parallelFor(n * c) { plane in
            let base = plane * planeSize
            var sum = 0.0
            for index in base..<(base + planeSize) {
                sum += Double(x[index])
            }
            let mean = sum / Double(planeSize)

            var squares = 0.0
            for index in base..<(base + planeSize) {
                let centered = Double(x[index]) - mean
                squares += centered * centered
            }
            let variance = squares / Double(planeSize)
            let scale = 1 / (variance + Double(epsilon)).squareRoot()

            savedInvStd[plane] = Float(scale)
            for index in base..<(base + planeSize) {
                y[index] = Float((Double(x[index]) - mean) * scale)
            }
        }
    }

    public func instanceNormBackward(gradOutput: Tensor, output: Tensor, invStd: Tensor,
                                     gradInput: Tensor) throws {
        let op = "instanceNormBackward"
        let (n, c, h, w) = try validateInstanceNorm(
            input: ("output", output),
            others: [("gradOutput", gradOutput), ("gradInput", gradInput)],
            invStd: invStd, op: op)
        let dy = try elements(of: gradOutput, op: op)
        let y = try elements(of: output, op: op)
        let savedInvStd = try elements(of: invStd, op: op)
        let dx = try elements(of: gradInput, op: op)
        let planeSize = h * w

        // dx = invStd * (dy - mean(dy) - y * mean(dy * y)), the derivative of
        // (x - mean) / sqrt(biased variance + epsilon) written in terms of the output y.
        parallelFor(n * c) { plane in
            let base = plane * planeSize
            var gradSum = 0.0
            var projectedSum = 0.0
            for index in base..<(base + planeSize) {
                gradSum += Double(dy[index])
                projectedSum += Double(dy[index]) * Double(y[index])
            }
            let gradMean = gradSum / Double(planeSize)
            let projectedMean = projectedSum / Double(planeSize)
            let scale = Double(savedInvStd[plane])

            for index in base..<(base + planeSize) {
                let centered = Double(dy[index]) - gradMean - Double(y[index]) * projectedMean
                dx[index] = Float(scale * centered)
            }
        }
    }
}
