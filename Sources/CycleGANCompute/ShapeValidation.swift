/// Shape checks shared by every backend, so each op rejects the same mistakes with the same
/// message whichever device runs it. Each check throws `ComputeError.shapeMismatch` naming the op,
/// the argument and the shapes, and returns the sizes the op's loops need.

/// Sizes of one convolution or transposed convolution, in the terms of the op that was called:
/// for a transposed convolution `input` is the transposed op's input.
struct ConvolutionSizes: Equatable {
    var batch: Int
    var inputChannels: Int
    var inputHeight: Int
    var inputWidth: Int
    var outputChannels: Int
    var outputHeight: Int
    var outputWidth: Int
    var kernelHeight: Int
    var kernelWidth: Int
    var stride: Int
    var padding: Int
}

/// Argument names used in error messages, so a backward call names `gradInput` and `gradOutput`
/// where a forward call names `input` and `output`.
struct ConvolutionArgumentNames {
    var input: String
    var output: String
    var weight = "weight"
    var bias = "bias"

    static let forward = ConvolutionArgumentNames(input: "input", output: "output")
    static let backwardInput = ConvolutionArgumentNames(input: "gradInput", output: "gradOutput")
    static let backwardWeight = ConvolutionArgumentNames(input: "input", output: "gradOutput",
                                                         weight: "gradWeight", bias: "gradBias")
}

/// Checks a Conv2d call: `input` `[N, Cin, H, W]`, `weight` `[Cout, Cin, kh, kw]`, `bias` `[Cout]`
/// and `output` `[N, Cout, OH, OW]` with OH and OW from `geometry.convolutionOutputSize`.
func validateConvolution(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor,
                         geometry: ConvolutionGeometry, op: String,
                         names: ConvolutionArgumentNames = .forward) throws -> ConvolutionSizes {
    try validateGeometry(geometry, transposed: false, op: op)
    try validateRank(input, 4, name: names.input, op: op)
    try validateRank(output, 4, name: names.output, op: op)
    try validateRank(weight, 4, name: names.weight, op: op)
    let (n, inChannels, height, width) = input.shape.nchw
    let w = weight.shape.dimensions
    let sizes = ConvolutionSizes(
        batch: n, inputChannels: inChannels, inputHeight: height, inputWidth: width,
        outputChannels: w[0], outputHeight: output.shape.dimensions[2],
        outputWidth: output.shape.dimensions[3], kernelHeight: geometry.kernelHeight,
        kernelWidth: geometry.kernelWidth, stride: geometry.stride, padding: geometry.padding)

    if w[1] != inChannels {
        throw ComputeError.shapeMismatch(op: op, detail: "\(names.input) \(input.shape) has "
            + "\(inChannels) channels but \(names.weight) \(weight.shape) [out, in, kh, kw] "
            + "expects \(w[1])")
    }
    try validateKernel(weight, name: names.weight, geometry: geometry, op: op)
    let expected = geometry.convolutionOutputSize(height: height, width: width)
    if height + 2 * geometry.padding < geometry.kernelHeight
        || width + 2 * geometry.padding < geometry.kernelWidth {
        throw ComputeError.shapeMismatch(op: op, detail: "\(names.input) \(input.shape) padded "
            + "by \(geometry.padding) is smaller than the \(geometry.kernelHeight)x"
            + "\(geometry.kernelWidth) kernel. Use a larger image or more padding.")
    }
    let expectedOutput = TensorShape([n, w[0], expected.height, expected.width])
    if output.shape != expectedOutput {
        throw ComputeError.shapeMismatch(op: op, detail: "\(names.output) is \(output.shape) but "
            + "\(names.input) \(input.shape) with \(names.weight) \(weight.shape), stride "
            + "\(geometry.stride) and padding \(geometry.padding) gives \(expectedOutput)")
    }
    try validateBias(bias, name: names.bias, channels: w[0], op: op)
    return sizes
}

/// Checks a ConvTranspose2d call: `input` `[N, Cin, H, W]`, `weight` `[Cin, Cout, kh, kw]`,
/// `bias` `[Cout]` and `output` `[N, Cout, OH, OW]` with OH and OW from
/// `geometry.transposedOutputSize`.
func validateTransposedConvolution(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor,
                                   geometry: ConvolutionGeometry, op: String,
                                   names: ConvolutionArgumentNames = .forward) throws
    -> ConvolutionSizes {
    try validateGeometry(geometry, transposed: true, op: op)
    try validateRank(input, 4, name: names.input, op: op)
    try validateRank(output, 4, name: names.output, op: op)
    try validateRank(weight, 4, name: names.weight, op: op)
    let (n, inChannels, height, width) = input.shape.nchw
    let w = weight.shape.dimensions

    if w[0] != inChannels {
        throw ComputeError.shapeMismatch(op: op, detail: "\(names.input) \(input.shape) has "
            + "\(inChannels) channels but \(names.weight) \(weight.shape) [in, out, kh, kw] "
            + "expects \(w[0])")
    }
    try validateKernel(weight, name: names.weight, geometry: geometry, op: op)
    let expected = geometry.transposedOutputSize(height: height, width: width)
    if expected.height < 1 || expected.width < 1 {
        throw ComputeError.shapeMismatch(op: op, detail: "\(names.input) \(input.shape) with "
            + "padding \(geometry.padding) gives an empty \(expected.height)x\(expected.width) "
            + "output. Reduce the padding.")
    }
    let expectedOutput = TensorShape([n, w[1], expected.height, expected.width])
    if output.shape != expectedOutput {
        throw ComputeError.shapeMismatch(op: op, detail: "\(names.output) is \(output.shape) but "
            + "\(names.input) \(input.shape) with \(names.weight) \(weight.shape), stride "
            + "\(geometry.stride), padding \(geometry.padding) and output padding "
            + "\(geometry.outputPadding) gives \(expectedOutput)")
    }
    try validateBias(bias, name: names.bias, channels: w[1], op: op)
    return ConvolutionSizes(
        batch: n, inputChannels: inChannels, inputHeight: height, inputWidth: width,
        outputChannels: w[1], outputHeight: expected.height, outputWidth: expected.width,
        kernelHeight: geometry.kernelHeight, kernelWidth: geometry.kernelWidth,
        stride: geometry.stride, padding: geometry.padding)
}

/// Checks ReflectionPad2d: `output` is `input` `[N, C, H, W]` grown to `[N, C, H+2p, W+2p]`, and
/// `padding` is below H and W, as PyTorch requires. Returns the input's NCHW sizes.
func validateReflectionPad(input: Tensor, output: Tensor, padding: Int, op: String,
                           names: ConvolutionArgumentNames = .forward) throws
    -> (n: Int, c: Int, h: Int, w: Int) {
    try validateRank(input, 4, name: names.input, op: op)
    try validateRank(output, 4, name: names.output, op: op)
    let sizes = input.shape.nchw
    if padding < 0 || padding >= sizes.h || padding >= sizes.w {
        throw ComputeError.shapeMismatch(op: op, detail: "padding \(padding) is invalid for "
            + "\(names.input) \(input.shape), because reflection padding must be in 0..<min(H, W)")
    }
    let expected = TensorShape([sizes.n, sizes.c, sizes.h + 2 * padding, sizes.w + 2 * padding])
    if output.shape != expected {
        throw ComputeError.shapeMismatch(op: op, detail: "\(names.output) is \(output.shape) but "
            + "\(names.input) \(input.shape) padded by \(padding) gives \(expected)")
    }
    return sizes
}

/// Checks instance normalization: `others` have the shape of `input` `[N, C, H, W]`, each plane
/// has at least 2 pixels and `invStd` has N*C elements. Returns the input's NCHW sizes.
func validateInstanceNorm(input: (name: String, tensor: Tensor),
                          others: [(name: String, tensor: Tensor)], invStd: Tensor,
                          op: String) throws -> (n: Int, c: Int, h: Int, w: Int) {
    try validateRank(input.tensor, 4, name: input.name, op: op)
    for other in others where other.tensor.shape != input.tensor.shape {
        throw ComputeError.shapeMismatch(op: op, detail: "\(other.name) is \(other.tensor.shape) "
            + "but \(input.name) is \(input.tensor.shape), and they must match")
    }
    let sizes = input.tensor.shape.nchw
    if sizes.h * sizes.w < 2 {
        throw ComputeError.shapeMismatch(op: op, detail: "\(input.name) \(input.tensor.shape) "
            + "has fewer than 2 pixels per plane, so its variance is undefined (PyTorch rejects "
            + "this too). Normalize a larger image.")
    }
    if invStd.count != sizes.n * sizes.c {
        throw ComputeError.shapeMismatch(op: op, detail: "invStd \(invStd.shape) has "
            + "\(invStd.count) elements but \(input.name) \(input.tensor.shape) has "
            + "\(sizes.n * sizes.c) planes (N*C)")
    }
    return sizes
}

/// Checks that every tensor of an element-wise op has `reference`'s element count. Shapes may
/// differ, so a flat parameter buffer can pair with a layer-shaped view of the same size.
func validateSameCount(_ reference: (name: String, tensor: Tensor),
                       _ others: [(name: String, tensor: Tensor)], op: String) throws {
    for other in others where other.tensor.count != reference.tensor.count {
        throw ComputeError.shapeMismatch(op: op, detail: "\(other.name) \(other.tensor.shape) "
            + "has \(other.tensor.count) elements but \(reference.name) "
            + "\(reference.tensor.shape) has \(reference.tensor.count)")
    }
}

/// Checks that a loss output contains exactly one element and the input is not empty.
func validateLossOutput(_ loss: Tensor, input: Tensor, op: String) throws {
    if loss.count != 1 {
        throw ComputeError.shapeMismatch(op: op, detail: "loss \(loss.shape) must hold exactly "
            + "one element")
    }
    if input.count == 0 {
        throw ComputeError.shapeMismatch(op: op, detail: "input \(input.shape) is empty, so its "
            + "mean is undefined")
    }
}

/// Rejects an output that shares memory with an input. Gathering ops such as convolution read
/// neighbours of the element they write, so they cannot run in place.
func validateDisjoint(_ output: (name: String, tensor: Tensor),
                      from input: (name: String, tensor: Tensor), op: String) throws {
    let a = output.tensor
    let b = input.tensor
    guard a.buffer === b.buffer, a.count > 0, b.count > 0 else { return }
    if a.offset < b.offset + b.count && b.offset < a.offset + a.count {
        throw ComputeError.shapeMismatch(op: op, detail: "\(output.name) \(a) overlaps "
            + "\(input.name) \(b) in the same buffer, but this op cannot run in place. Pass a "
            + "separate output tensor")
    }
}

func validateRank(_ tensor: Tensor, _ rank: Int, name: String, op: String) throws {
    if tensor.shape.rank != rank {
        throw ComputeError.shapeMismatch(op: op, detail: "\(name) \(tensor.shape) has rank "
            + "\(tensor.shape.rank) but must have rank \(rank)")
    }
}

private func validateGeometry(_ geometry: ConvolutionGeometry, transposed: Bool,
                              op: String) throws {
    if geometry.kernelHeight < 1 || geometry.kernelWidth < 1 || geometry.stride < 1
        || geometry.padding < 0 {
        throw ComputeError.shapeMismatch(op: op, detail: "geometry \(geometry) is invalid: "
            + "kernel sizes and stride must be >= 1 and padding >= 0")
    }
    if transposed && (geometry.outputPadding < 0 || geometry.outputPadding >= geometry.stride) {
        throw ComputeError.shapeMismatch(op: op, detail: "output padding "
            + "\(geometry.outputPadding) must be in 0..<stride (stride \(geometry.stride)), as "
            + "PyTorch's ConvTranspose2d requires")
    }
    if !transposed && geometry.outputPadding != 0 {
        throw ComputeError.shapeMismatch(op: op, detail: "output padding "
            + "\(geometry.outputPadding) applies only to transposed convolutions. Pass 0.")
    }
}

private func validateKernel(_ weight: Tensor, name: String, geometry: ConvolutionGeometry,
                            op: String) throws {
    let w = weight.shape.dimensions
    if w[2] != geometry.kernelHeight || w[3] != geometry.kernelWidth {
        throw ComputeError.shapeMismatch(op: op, detail: "\(name) \(weight.shape) has a "
            + "\(w[2])x\(w[3]) kernel but the geometry says \(geometry.kernelHeight)x"
            + "\(geometry.kernelWidth)")
    }
}

private func validateBias(_ bias: Tensor?, name: String, channels: Int, op: String) throws {
    guard let bias else { return }
    if bias.shape != TensorShape([channels]) {
        throw ComputeError.shapeMismatch(op: op, detail: "\(name) \(bias.shape) must be "
            + "[\(channels)], one value per output channel")
    }
}

extension ConvolutionSizes {
    /// The same sizes with input and output exchanged. A transposed convolution's input and output
    /// are the output and input of the convolution whose input-gradient it computes.
    var adjoint: ConvolutionSizes {
        ConvolutionSizes(
            batch: batch, inputChannels: outputChannels, inputHeight: outputHeight,
            inputWidth: outputWidth, outputChannels: inputChannels, outputHeight: inputHeight,
            outputWidth: inputWidth, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
            stride: stride, padding: padding)
    }
}
