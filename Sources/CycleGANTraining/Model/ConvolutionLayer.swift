import CycleGANCompute

/// PyTorch Conv2d or ConvTranspose2d with a bias, square kernel and equal stride and padding on
/// both axes.
///
/// Weights are `[out, in, k, k]` for a convolution and `[in, out, k, k]` for a transposed
/// convolution, as PyTorch stores them, under the keys `<name>.weight` and `<name>.bias`.
struct ConvolutionLayer: Layer {
    let name: String
    let inputChannels: Int
    let outputChannels: Int
    let geometry: ConvolutionGeometry
    let isTransposed: Bool
    let weight: ParameterSlot
    let bias: ParameterSlot

    var hasParameters: Bool { true }

    init(name: String, inputChannels: Int, outputChannels: Int, geometry: ConvolutionGeometry,
         isTransposed: Bool = false, allocator: inout ParameterAllocator) {
        self.name = name
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.geometry = geometry
        self.isTransposed = isTransposed
        let channels = isTransposed ? [inputChannels, outputChannels]
            : [outputChannels, inputChannels]
        let weightShape = TensorShape(channels + [geometry.kernelHeight, geometry.kernelWidth])
        weight = allocator.reserve(name + ".weight", shape: weightShape, isBias: false)
        bias = allocator.reserve(name + ".bias", shape: TensorShape([outputChannels]),
                                 isBias: true)
    }

    func outputShape(for input: TensorShape) throws -> TensorShape {
        let (n, _, h, w) = input.nchw
        let size = isTransposed ? geometry.transposedOutputSize(height: h, width: w)
            : geometry.convolutionOutputSize(height: h, width: w)
        guard size.height > 0, size.width > 0 else {
            throw ModelError.invalidInput(
                layer: name, detail: "a \(geometry.kernelHeight)x\(geometry.kernelWidth) kernel "
                    + "with stride \(geometry.stride) and padding \(geometry.padding) leaves no "
                    + "output pixels for the input \(input); use larger images")
        }
        return TensorShape(n: n, c: outputChannels, h: size.height, w: size.width)
    }

    func forward(_ input: Tensor, store: ParameterStore) throws
        -> (output: Tensor, saved: SavedActivations) {
        try requireChannels(input, inputChannels, layer: name)
        let output = try store.backend.makeTensor(try outputShape(for: input.shape))
        if isTransposed {
            try store.backend.convTranspose2dForward(
                input: input, weight: store.value(weight), bias: store.value(bias),
                output: output, geometry: geometry)
        } else {
            try store.backend.conv2dForward(
                input: input, weight: store.value(weight), bias: store.value(bias),
                output: output, geometry: geometry)
        }
        return (output, .input(input))
    }

    func backward(_ gradOutput: Tensor, saved: SavedActivations, store: ParameterStore,
                  needsInputGradient: Bool, accumulatesParameterGradients: Bool) throws
        -> Tensor? {
        guard case let .input(input) = saved else {
            throw ModelError.invalidInput(layer: name, detail: recordMismatch)
        }
        let backend = store.backend

        if accumulatesParameterGradients {
            if isTransposed {
                try backend.convTranspose2dBackwardWeight(
                    input: input, gradOutput: gradOutput, gradWeight: store.gradient(weight),
                    gradBias: store.gradient(bias), geometry: geometry, accumulate: true)
            } else {
                try backend.conv2dBackwardWeight(
                    input: input, gradOutput: gradOutput, gradWeight: store.gradient(weight),
                    gradBias: store.gradient(bias), geometry: geometry, accumulate: true)
            }
        }

        guard needsInputGradient else { return nil }
        let gradInput = try backend.makeTensor(input.shape)
        if isTransposed {
            try backend.convTranspose2dBackwardInput(
                gradOutput: gradOutput, weight: store.value(weight), gradInput: gradInput,
                geometry: geometry)
        } else {
            try backend.conv2dBackwardInput(
                gradOutput: gradOutput, weight: store.value(weight), gradInput: gradInput,
                geometry: geometry)
        }
        return gradInput
    }
}
