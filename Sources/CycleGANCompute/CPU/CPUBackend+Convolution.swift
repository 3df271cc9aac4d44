/// Conv2d forward and backward on the host, plus the three loops that the transposed
/// convolution reuses with input and output exchanged.
///
/// Layouts: input `[N, Cin, H, W]`, weight `[Cout, Cin, kh, kw]`, output `[N, Cout, OH, OW]`.
/// Each loop sums every element it writes into a Double in a fixed loop order, and each task
/// writes only its own planes or weights, so results do not depend on thread timing.
extension CPUBackend {
    public func conv2dForward(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor,
                              geometry: ConvolutionGeometry) throws {
        let op = "conv2dForward"
        let sizes = try validateConvolution(input: input, weight: weight, bias: bias,
                                            output: output, geometry: geometry, op: op)
        try validateDisjoint(("output", output), from: ("input", input), op: op)
        try validateDisjoint(("output", output), from: ("weight", weight), op: op)

        let biasValues = try bias.map { try elements(of: $0, op: op) }
        gatherConvolution(input: try elements(of: input, op: op),
                          weight: try elements(of: weight, op: op), bias: biasValues,
                          output: try elements(of: output, op: op), sizes: sizes)
    }

    public func conv2dBackwardInput(gradOutput: Tensor, weight: Tensor, gradInput: Tensor,
                                    geometry: ConvolutionGeometry) throws {
        let op = "conv2dBackwardInput"
        let sizes = try validateConvolution(input: gradInput, weight: weight, bias: nil,
                                            output: gradOutput, geometry: geometry, op: op,
                                            names: .backwardInput)
        try validateDisjoint(("gradInput", gradInput), from: ("gradOutput", gradOutput), op: op)
        try validateDisjoint(("gradInput", gradInput), from: ("weight", weight), op: op)

        scatterConvolution(gradOutput: try elements(of: gradOutput, op: op),
                           weight: try elements(of: weight, op: op), bias: nil,
                           gradInput: try elements(of: gradInput, op: op), sizes: sizes)
    }

    public func conv2dBackwardWeight(input: Tensor, gradOutput: Tensor, gradWeight: Tensor,
                                     gradBias: Tensor?, geometry: ConvolutionGeometry,
                                     accumulate: Bool) throws {
        let op = "conv2dBackwardWeight"
        let sizes = try validateConvolution(input: input, weight: gradWeight, bias: gradBias,
                                            output: gradOutput, geometry: geometry, op: op,
                                            names: .backwardWeight)
        try validateDisjoint(("gradWeight", gradWeight), from: ("input", input), op: op)
        try validateDisjoint(("gradWeight", gradWeight), from: ("gradOutput", gradOutput), op: op)
        let gradOutputValues = try elements(of: gradOutput, op: op)

        convolutionWeightGradient(input: try elements(of: input, op: op),
                                  gradOutput: gradOutputValues,
                                  gradWeight: try elements(of: gradWeight, op: op),
                                  sizes: sizes, accumulate: accumulate)
        if let gradBias {
            sumChannels(of: gradOutputValues, batch: sizes.batch, channels: sizes.outputChannels,
                        planeSize: sizes.outputHeight * sizes.outputWidth,
                        into: try elements(of: gradBias, op: op), accumulate: accumulate)
        }
    }

    // MARK: - Loops shared with the transposed convolution

    /// Computes output[n, o, y, x] = bias[o] + the sum over i, ky, kx of
    /// input[n, i, y*s - p + ky, x*s - p + kx] * weight[o, i, ky, kx], one task per (n, o).
    func gatherConvolution(input: UnsafeMutableBufferPointer<Float>,
                           weight: UnsafeMutableBufferPointer<Float>,
                           bias: UnsafeMutableBufferPointer<Float>?,
                           output: UnsafeMutableBufferPointer<Float>, sizes s: ConvolutionSizes) {
        let inputPlane = s.inputHeight * s.inputWidth
        let outputPlane = s.outputHeight * s.outputWidth
        let stride = s.stride
        parallelFor(s.batch * s.outputChannels) { task in
            let n = task / s.outputChannels
            let o = task % s.outputChannels
            let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: outputPlane)
            defer { sums.deallocate() }
            sums.initialize(repeating: bias.map { Double($0[o]) } ?? 0)

            for i in 0..<s.inputChannels {
                let plane = (n * s.inputChannels + i) * inputPlane
                let taps = (o * s.inputChannels + i) * s.kernelHeight * s.kernelWidth
                for ky in 0..<s.kernelHeight {
                    for kx in 0..<s.kernelWidth {
                        let tap = Double(weight[taps + ky * s.kernelWidth + kx])
                        let columns = s.outputColumns(reading: kx)
                        for y in s.outputRows(reading: ky) {
                            let inputRow = plane + s.inputOffset(outputRow: y, ky: ky, kx: kx)
                            let outputRow = y * s.outputWidth
                            for x in columns {
                                sums[outputRow + x] += tap * Double(input[inputRow + x * stride])
                            }
                        }
                    }
                }
            }

            let base = task * outputPlane
            for index in 0..<outputPlane {
                output[base + index] = Float(sums[index])
            }
        }
    }

    /// Computes the adjoint of `gatherConvolution`: gradInput[n, i, iy, ix] = bias[i] + the sum of
    /// gradOutput[n, o, y, x] * weight[o, i, ky, kx] over every (o, ky, kx, y, x) with
    /// iy = y*s - p + ky and ix = x*s - p + kx. One task per (n, i) scatters into its own plane.
    func scatterConvolution(gradOutput: UnsafeMutableBufferPointer<Float>,
                            weight: UnsafeMutableBufferPointer<Float>,
                            bias: UnsafeMutableBufferPointer<Float>?,
                            gradInput: UnsafeMutableBufferPointer<Float>,
                            sizes s: ConvolutionSizes) {
        let inputPlane = s.inputHeight * s.inputWidth
        let outputPlane = s.outputHeight * s.outputWidth
        let stride = s.stride
        parallelFor(s.batch * s.inputChannels) { task in
            let n = task / s.inputChannels
            let i = task % s.inputChannels
            let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: inputPlane)
            defer { sums.deallocate() }
            sums.initialize(repeating: bias.map { Double($0[i]) } ?? 0)

            for o in 0..<s.outputChannels {
                let plane = (n * s.outputChannels + o) * outputPlane
                let taps = (o * s.inputChannels + i) * s.kernelHeight * s.kernelWidth
                for ky in 0..<s.kernelHeight {
                    for kx in 0..<s.kernelWidth {
                        let tap = Double(weight[taps + ky * s.kernelWidth + kx])
                        let columns = s.outputColumns(reading: kx)
                        for y in s.outputRows(reading: ky) {
                            let inputRow = s.inputOffset(outputRow: y, ky: ky, kx: kx)
                            let outputRow = plane + y * s.outputWidth
                            for x in columns {
                                let gradient = Double(gradOutput[outputRow + x])
                                sums[inputRow + x * stride] += tap * gradient
                            }
                        }
                    }
                }
            }

            let base = task * inputPlane
            for index in 0..<inputPlane {
                gradInput[base + index] = Float(sums[index])
            }
        }
    }

    /// Computes gradWeight[o, i, ky, kx] (+)= the sum over n, y, x of
    /// gradOutput[n, o, y, x] * input[n, i, y*s - p + ky, x*s - p + kx], one task per o.
    func convolutionWeightGradient(input: UnsafeMutableBufferPointer<Float>,
                                   gradOutput: UnsafeMutableBufferPointer<Float>,
                                   gradWeight: UnsafeMutableBufferPointer<Float>,
                                   sizes s: ConvolutionSizes, accumulate: Bool) {
        let inputPlane = s.inputHeight * s.inputWidth
        let outputPlane = s.outputHeight * s.outputWidth
        let stride = s.stride
        parallelFor(s.outputChannels) { o in
            for i in 0..<s.inputChannels {
                let taps = (o * s.inputChannels + i) * s.kernelHeight * s.kernelWidth
                for ky in 0..<s.kernelHeight {
                    for kx in 0..<s.kernelWidth {
                        let columns = s.outputColumns(reading: kx)
                        var sum = 0.0
                        for n in 0..<s.batch {
                            let inputBase = (n * s.inputChannels + i) * inputPlane
                            let outputBase = (n * s.outputChannels + o) * outputPlane
                            for y in s.outputRows(reading: ky) {
                                let inputRow = inputBase
                                    + s.inputOffset(outputRow: y, ky: ky, kx: kx)
                                let outputRow = outputBase + y * s.outputWidth
                                for x in columns {
                                    sum += Double(gradOutput[outputRow + x])
                                        * Double(input[inputRow + x * stride])
                                }
                            }
                        }
                        let index = taps + ky * s.kernelWidth + kx
                        let previous = accumulate ? Double(gradWeight[index]) : 0
                        gradWeight[index] = Float(previous + sum)
                    }
                }
            }
        }
    }

    /// Computes sums[c] (+)= the sum of values[n, c, ...] over n and the plane, a bias gradient.
    func sumChannels(of values: UnsafeMutableBufferPointer<Float>, batch: Int, channels: Int,
                     planeSize: Int, into sums: UnsafeMutableBufferPointer<Float>,
                     accumulate: Bool) {
        parallelFor(channels) { c in
            var sum = 0.0
            for n in 0..<batch {
                let base = (n * channels + c) * planeSize
                for index in base..<(base + planeSize) {
                    sum += Double(values[index])
                }
            }
            let previous = accumulate ? Double(sums[c]) : 0
            sums[c] = Float(previous + sum)
        }
    }
}

extension ConvolutionSizes {
    /// Returns the output rows y whose input row y*stride - padding + ky lies inside the input,
    /// so the inner loops need no bounds checks.
    func outputRows(reading ky: Int) -> Range<Int> {
        tapRange(ky, inputSize: inputHeight, outputSize: outputHeight, stride: stride,
                 padding: padding)
    }

    /// Returns the output columns x whose input column x*stride - padding + kx lies inside the
    /// input.
    func outputColumns(reading kx: Int) -> Range<Int> {
        tapRange(kx, inputSize: inputWidth, outputSize: outputWidth, stride: stride,
                 padding: padding)
    }

    /// Offset within an input plane of the pixel that output (outputRow, 0) reads through tap
    /// (ky, kx). It may be negative or past the row, but never for an x in `outputColumns`.
    func inputOffset(outputRow y: Int, ky: Int, kx: Int) -> Int {
        (y * stride - padding + ky) * inputWidth - padding + kx
    }
}

/// Returns the output positions y for which y*stride - padding + tap lies in 0..<inputSize.
private func tapRange(_ tap: Int, inputSize: Int, outputSize: Int, stride: Int,
                      padding: Int) -> Range<Int> {
    let firstOffset = padding - tap
    let lower = firstOffset <= 0 ? 0 : (firstOffset + stride - 1) / stride
    let lastOffset = inputSize - 1 + padding - tap
    if lastOffset < 0 {
        return 0..<0
    }
    let upper = min(outputSize, lastOffset / stride + 1)
    return lower < upper ? lower..<upper : 0..<0
}
