/// Conv2d forward and backward on the host, plus the three loops that the transposed
/// convolution reuses with input and output exchanged.
///
/// Layouts: input `[N, Cin, H, W]`, weight `[Cout, Cin, kh, kw]`, output `[N, Cout, OH, OW]`.
/// Each loop sums every output element in a fixed order (input channel, kernel row, kernel
/// column) into a Double, and a task writes only its own output planes, so results do not
/// depend on thread timing.
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

    /// output[n, o, y, x] = bias[o] + sum over i, ky, kx of
    /// input[n, i, y*s - p + ky, x*s - p + kx] * weight[o, i, ky, kx], one task per (n, o).
    func gatherConvolution(input: UnsafeMutableBufferPointer<Float>,
                           weight: UnsafeMutableBufferPointer<Float>,
                           bias: UnsafeMutableBufferPointer<Float>?,
                           output: UnsafeMutableBufferPointer<Float>, sizes: ConvolutionSizes) {
        let s = sizes
        let inputPlane = s.inputHeight * s.inputWidth
        let outputPlane = s.outputHeight * s.outputWidth
        let kernelSize = s.kernelHeight * s.kernelWidth
        parallelFor(s.batch * s.outputChannels) { task in
            let n = task / s.outputChannels
            let o = task % s.outputChannels
            let initial = bias.map { Double($0[o]) } ?? 0
            var sums = [Double](repeating: initial, count: outputPlane)
            sums.withUnsafeMutableBufferPointer { sums in
                for i in 0..<s.inputChannels {
                    let plane = (n * s.inputChannels + i) * inputPlane
                    for ky in 0..<s.kernelHeight {
                        let rows = tapRange(ky, inputSize: s.inputHeight, outputSize: s.outputHeight,
                                            stride: s.stride, padding: s.padding)
                        for kx in 0..<s.kernelWidth {
                            let columns = tapRange(kx, inputSize: s.inputWidth,
                                                   outputSize: s.outputWidth,
                                                   stride: s.stride, padding: s.padding)
                            let tap = Double(weight[(o * s.inputChannels + i) * kernelSize
                                + ky * s.kernelWidth + kx])
                            for y in rows {
                                let inputRow = plane + (y * s.stride - s.padding + ky) * s.inputWidth
                                    - s.padding + kx
                                let outputRow = y * s.outputWidth
                                for x in columns {
                                    sums[outputRow + x] += tap * Double(input[inputRow + x * s.stride])
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
    }

    /// The adjoint of `gatherConvolution`: gradInput[n, i, iy, ix] = bias[i] + the sum of
    /// gradOutput[n, o, y, x] * weight[o, i, ky, kx] over every (o, ky, kx, y, x) with
    /// iy = y*s - p + ky and ix = x*s - p + kx. One task per (n, i) scatters into its own plane.
    func scatterConvolution(gradOutput: UnsafeMutableBufferPointer<Float>,
                            weight: UnsafeMutableBufferPointer<Float>,
                            bias: UnsafeMutableBufferPointer<Float>?,
                            gradInput: UnsafeMutableBufferPointer<Float>, sizes: ConvolutionSizes) {
        let s = sizes
        let inputPlane = s.inputHeight * s.inputWidth
        let outputPlane = s.outputHeight * s.outputWidth
        let kernelSize = s.kernelHeight * s.kernelWidth
        parallelFor(s.batch * s.inputChannels) { task in
            let n = task / s.inputChannels
            let i = task % s.inputChannels
            let initial = bias.map { Double($0[i]) } ?? 0
            var sums = [Double](repeating: initial, count: inputPlane)
            sums.withUnsafeMutableBufferPointer { sums in
                for o in 0..<s.outputChannels {
                    let plane = (n * s.outputChannels + o) * outputPlane
                    for ky in 0..<s.kernelHeight {
                        let rows = tapRange(ky, inputSize: s.inputHeight, outputSize: s.outputHeight,
                                            stride: s.stride, padding: s.padding)
                        for kx in 0..<s.kernelWidth {
                            let columns = tapRange(kx, inputSize: s.inputWidth,
                                                   outputSize: s.outputWidth,
                                                   stride: s.stride, padding: s.padding)
                            let tap = Double(weight[(o * s.inputChannels + i) * kernelSize
                                + ky * s.kernelWidth + kx])
                            for y in rows {
                                let inputRow = (y * s.stride - s.padding + ky) * s.inputWidth
                                    - s.padding + kx
                                let outputRow = plane + y * s.outputWidth
                                for x in columns {
                                    sums[inputRow + x * s.stride] += tap * Double(gradOutput[outputRow + x])
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
    }

    /// gradWeight[o, i, ky, kx] (+)= the sum over n, y, x of
    /// gradOutput[n, o, y, x] * input[n, i, y*s - p + ky, x*s - p + kx], one task per o.
    func convolutionWeightGradient(input: UnsafeMutableBufferPointer<Float>,
                                   gradOutput: UnsafeMutableBufferPointer<Float>,
                                   gradWeight: UnsafeMutableBufferPointer<Float>,
                                   sizes: ConvolutionSizes, accumulate: Bool) {
        let s = sizes
        let inputPlane = s.inputHeight * s.inputWidth
        let outputPlane = s.outputHeight * s.outputWidth
        let kernelSize = s.kernelHeight * s.kernelWidth
        parallelFor(s.outputChannels) { o in
            for i in 0..<s.inputChannels {
                for ky in 0..<s.kernelHeight {
                    let rows = tapRange(ky, inputSize: s.inputHeight, outputSize: s.outputHeight,
                                        stride: s.stride, padding: s.padding)
                    for kx in 0..<s.kernelWidth {
                        let columns = tapRange(kx, inputSize: s.inputWidth,
                                               outputSize: s.outputWidth,
                                               stride: s.stride, padding: s.padding)
                        var sum = 0.0
                        for n in 0..<s.batch {
                            let inputBase = (n * s.inputChannels + i) * inputPlane
                            let outputBase = (n * s.outputChannels + o) * outputPlane
                            for y in rows {
                                let inputRow = inputBase
                                    + (y * s.stride - s.padding + ky) * s.inputWidth - s.padding + kx
                                let outputRow = outputBase + y * s.outputWidth
                                for x in columns {
                                    sum += Double(gradOutput[outputRow + x])
                                        * Double(input[inputRow + x * s.stride])
                                }
                            }
                        }
                        let index = (o * s.inputChannels + i) * kernelSize + ky * s.kernelWidth + kx
                        let previous = accumulate ? Double(gradWeight[index]) : 0
                        gradWeight[index] = Float(previous + sum)
                    }
                }
            }
        }
    }

    /// sums[c] (+)= the sum of values[n, c, ...] over n and the plane: a bias gradient.
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

/// The output positions y whose input position y*stride - padding + tap lies in 0..<inputSize,
/// so the inner loops need no bounds checks.
func tapRange(_ tap: Int, inputSize: Int, outputSize: Int, stride: Int,
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
