/// ReflectionPad2d forward and backward on the host.
///
/// Layouts: input `[N, C, H, W]`, output `[N, C, H + 2p, W + 2p]`. Output row `oy` reads input row
/// `reflect(oy - p)`, where `reflect` mirrors about the edge row without repeating it (PyTorch's
/// ReflectionPad2d): -1 maps to 1 and H maps to H - 2. The same holds for columns.
extension CPUBackend {
    public func reflectionPad2dForward(input: Tensor, output: Tensor, padding: Int) throws {
        let op = "reflectionPad2dForward"
        let (n, c, h, w) = try validateReflectionPad(input: input, output: output,
                                                     padding: padding, op: op)
        try validateDisjoint(("output", output), from: ("input", input), op: op)
        let source = try elements(of: input, op: op)
        let destination = try elements(of: output, op: op)
        let paddedHeight = h + 2 * padding
        let paddedWidth = w + 2 * padding

        parallelFor(n * c) { plane in
            let inputBase = plane * h * w
            let outputBase = plane * paddedHeight * paddedWidth
            for oy in 0..<paddedHeight {
                let inputRow = inputBase + reflect(oy - padding, size: h) * w
                let outputRow = outputBase + oy * paddedWidth
                for ox in 0..<paddedWidth {
                    destination[outputRow + ox] = source[inputRow + reflect(ox - padding, size: w)]
                }
            }
        }
    }

    public func reflectionPad2dBackward(gradOutput: Tensor, gradInput: Tensor,
                                        padding: Int) throws {
        let op = "reflectionPad2dBackward"
        let (n, c, h, w) = try validateReflectionPad(input: gradInput, output: gradOutput,
                                                     padding: padding, op: op,
                                                     names: .backwardInput)
        try validateDisjoint(("gradInput", gradInput), from: ("gradOutput", gradOutput), op: op)
        let source = try elements(of: gradOutput, op: op)
        let destination = try elements(of: gradInput, op: op)
        let paddedHeight = h + 2 * padding
        let paddedWidth = w + 2 * padding

        // Each input pixel receives up to four output gradients (itself and its mirror images),
        // added in output order, so the sum is the same on every run.
        parallelFor(n * c) { plane in
            let inputBase = plane * h * w
            let outputBase = plane * paddedHeight * paddedWidth
            for index in inputBase..<(inputBase + h * w) {
                destination[index] = 0
            }
            for oy in 0..<paddedHeight {
                let inputRow = inputBase + reflect(oy - padding, size: h) * w
                let outputRow = outputBase + oy * paddedWidth
                for ox in 0..<paddedWidth {
                    destination[inputRow + reflect(ox - padding, size: w)] += source[outputRow + ox]
                }
            }
        }
    }
}

/// Returns the input index that padded index `index` (-size < index < 2 * size - 1) mirrors.
func reflect(_ index: Int, size: Int) -> Int {
    if index < 0 {
        return -index
    }
    if index >= size {
        return 2 * (size - 1) - index
    }
    return index
}
