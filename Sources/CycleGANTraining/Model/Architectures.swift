import CycleGANCompute

/// The two network families of CycleGAN, with the layer layout of the reference implementation
/// (models/networks.py of junyanz/pytorch-CycleGAN-and-pix2pix with its default options:
/// instance normalization without affine parameters, every convolution with a bias, no dropout,
/// RGB in and out).
public enum NetworkArchitecture: Equatable, CustomStringConvertible {
    /// ResnetGenerator: 7x7 stem, two stride-2 downsamplings, `residualBlocks` residual blocks,
    /// two transposed-convolution upsamplings, 7x7 head and tanh. `ngf` is the stem's channels.
    case resnetGenerator(ngf: Int, residualBlocks: Int)
    /// NLayerDiscriminator (PatchGAN): `layers` stride-2 4x4 convolutions after the first, then
    /// two stride-1 ones; one logit per overlapping patch, no sigmoid. `ndf` is the first
    /// convolution's channels; the reference's `basic` discriminator has 3 layers.
    case patchGANDiscriminator(ndf: Int, layers: Int)

    /// Image channels in and out of every network (the reference's input_nc and output_nc).
    public static let imageChannels = 3

    /// The ResNet generator a `netG` option names (`resnet_<N>blocks`, N >= 1) with `ngf`
    /// filters.
    public static func generator(netG: String, ngf: Int) throws -> NetworkArchitecture {
        var options = TrainOptions()
        options.netG = netG
        guard let blocks = options.residualBlocks, blocks >= 1 else {
            throw ModelError.invalidOption(
                name: "netG", value: netG, accepted: "resnet_<N>blocks with N >= 1, for example "
                    + "resnet_9blocks or resnet_6blocks")
        }
        guard ngf >= 1 else {
            throw ModelError.invalidOption(name: "ngf", value: String(ngf),
                                           accepted: "an integer >= 1")
        }
        return .resnetGenerator(ngf: ngf, residualBlocks: blocks)
    }

    /// Returns the reference's `basic` PatchGAN discriminator with `ndf` filters.
    public static func discriminator(ndf: Int) throws -> NetworkArchitecture {
        guard ndf >= 1 else {
            throw ModelError.invalidOption(name: "ndf", value: String(ndf),
                                           accepted: "an integer >= 1")
        }
        return .patchGANDiscriminator(ndf: ndf, layers: 3)
    }

    public var description: String {
        switch self {
        case let .resnetGenerator(ngf, blocks): return "resnet_\(blocks)blocks (ngf \(ngf))"
        case let .patchGANDiscriminator(ndf, layers):
            return "PatchGAN with \(layers) layers (ndf \(ndf))"
        }
    }

    /// The smallest height and width the network accepts. The generator needs at least 2
    /// pixels after its two stride-2 downsamplings for the blocks' reflection padding. The
    /// discriminator halves the size `layers` times and needs 3 pixels left, so that its two
    /// stride-1 4x4 convolutions produce an output.
    public var minimumImageSize: Int {
        switch self {
        case .resnetGenerator: return 8
        case let .patchGANDiscriminator(_, layers): return 3 << layers
        }
    }

    /// Builds the layers, reserving parameters from `allocator` in state_dict order.
    func makeLayers(allocator: inout ParameterAllocator) -> Sequential {
        switch self {
        case let .resnetGenerator(ngf, blocks):
            return ResNetGeneratorLayout.makeLayers(ngf: ngf, residualBlocks: blocks,
                                                    allocator: &allocator)
        case let .patchGANDiscriminator(ndf, layers):
            return PatchGANLayout.makeLayers(ndf: ndf, layers: layers, allocator: &allocator)
        }
    }

    /// Every state_dict key with its shape, in the order PyTorch lists them.
    public var stateDictShapes: [(key: String, shape: TensorShape)] {
        var allocator = ParameterAllocator(startingAt: 0)
        _ = makeLayers(allocator: &allocator)
        return allocator.slots.map { ($0.key, $0.shape) }
    }

    /// Number of scalar parameters.
    public var parameterCount: Int {
        var allocator = ParameterAllocator(startingAt: 0)
        _ = makeLayers(allocator: &allocator)
        return allocator.offset
    }
}

/// Parameter counts of the reference networks, for tests and logs.
public enum NetworkSummary {
    /// Parameters of one ResNet generator named by `netG` (`resnet_<N>blocks`).
    public static func parameterCount(netG: String, ngf: Int) throws -> Int {
        try NetworkArchitecture.generator(netG: netG, ngf: ngf).parameterCount
    }

    /// Parameters of one `basic` PatchGAN discriminator.
    public static func discriminatorParameterCount(ndf: Int) throws -> Int {
        try NetworkArchitecture.discriminator(ndf: ndf).parameterCount
    }
}

/// The ResnetGenerator layer sequence. Indices count every module of the reference's
/// nn.Sequential (padding, convolution, normalization, activation, block), so the convolutions
/// land at the reference's state_dict keys: model.1, model.4, model.7, model.10 ... for the
/// blocks, then model.(10+N), model.(13+N) and model.(17+N).
enum ResNetGeneratorLayout {
    static func makeLayers(ngf: Int, residualBlocks: Int,
                           allocator: inout ParameterAllocator) -> Sequential {
        let channels = NetworkArchitecture.imageChannels
        var layers: [Layer] = []
        func name() -> String { "model.\(layers.count)" }
        func addConvolution(_ input: Int, _ output: Int, _ geometry: ConvolutionGeometry,
                            transposed: Bool = false) {
            layers.append(ConvolutionLayer(
                name: name(), inputChannels: input, outputChannels: output, geometry: geometry,
                isTransposed: transposed, allocator: &allocator))
        }
        func addNormalizedReLU() {
            layers.append(InstanceNormLayer(name: name()))
            layers.append(ActivationLayer(name: name(), activation: .relu))
        }

        // Stem: 7x7 convolution on the reflection-padded image.
        layers.append(ReflectionPadLayer(name: name(), padding: 3))
        addConvolution(channels, ngf, ConvolutionGeometry(kernel: 7))
        addNormalizedReLU()

        // Two stride-2 downsamplings, each doubling the channels.
        for scale in [1, 2] {
            addConvolution(ngf * scale, ngf * scale * 2,
                           ConvolutionGeometry(kernel: 3, stride: 2, padding: 1))
            addNormalizedReLU()
        }

        // Residual blocks at 4 * ngf channels.
        for _ in 0..<residualBlocks {
            let prefix = name() + ".conv_block"
            layers.append(ResidualBlock(
                name: name(),
                body: residualBody(channels: 4 * ngf, prefix: prefix, allocator: &allocator)))
        }

        // Two stride-2 transposed convolutions, each halving the channels.
        for scale in [4, 2] {
            addConvolution(ngf * scale, ngf * scale / 2,
                           ConvolutionGeometry(kernel: 3, stride: 2, padding: 1, outputPadding: 1),
                           transposed: true)
            addNormalizedReLU()
        }

        // Head: 7x7 convolution to RGB and tanh.
        layers.append(ReflectionPadLayer(name: name(), padding: 3))
        addConvolution(ngf, channels, ConvolutionGeometry(kernel: 7))
        layers.append(ActivationLayer(name: name(), activation: .tanh))
        return Sequential(layers: layers)
    }

    /// The reference's ResnetBlock.conv_block without dropout: pad, conv, norm, ReLU, pad, conv,
    /// norm, so the convolutions are conv_block.1 and conv_block.5.
    private static func residualBody(channels: Int, prefix: String,
                                     allocator: inout ParameterAllocator) -> Sequential {
        var layers: [Layer] = []
        func name() -> String { "\(prefix).\(layers.count)" }
        for index in 0..<2 {
            layers.append(ReflectionPadLayer(name: name(), padding: 1))
            layers.append(ConvolutionLayer(
                name: name(), inputChannels: channels, outputChannels: channels,
                geometry: ConvolutionGeometry(kernel: 3), allocator: &allocator))
            layers.append(InstanceNormLayer(name: name()))
            if index == 0 {
                layers.append(ActivationLayer(name: name(), activation: .relu))
            }
        }
        return Sequential(layers: layers)
    }
}

/// The NLayerDiscriminator layer sequence: model.0 is the first convolution (no normalization),
/// then one convolution every three modules (conv, norm, LeakyReLU), ending with the 1-channel
/// convolution, so `layers` 3 gives model.0, .2, .5, .8 and .11.
enum PatchGANLayout {
    static let slope: Float = 0.2

    static func makeLayers(ndf: Int, layers count: Int,
                           allocator: inout ParameterAllocator) -> Sequential {
        var layers: [Layer] = []
        func name() -> String { "model.\(layers.count)" }
        func addConvolution(_ input: Int, _ output: Int, stride: Int) {
            layers.append(ConvolutionLayer(
                name: name(), inputChannels: input, outputChannels: output,
                geometry: ConvolutionGeometry(kernel: 4, stride: stride, padding: 1),
                allocator: &allocator))
        }

        addConvolution(NetworkArchitecture.imageChannels, ndf, stride: 2)
        layers.append(ActivationLayer(name: name(), activation: .leakyReLU(slope: slope)))

        // Channel multipliers double per layer up to 8, as the reference's nf_mult.
        var multiplier = 1
        for layer in 1...count {
            let previous = multiplier
            multiplier = min(1 << layer, 8)
            addConvolution(ndf * previous, ndf * multiplier, stride: layer < count ? 2 : 1)
            layers.append(InstanceNormLayer(name: name()))
            layers.append(ActivationLayer(name: name(), activation: .leakyReLU(slope: slope)))
        }

        addConvolution(ndf * multiplier, 1, stride: 1)
        return Sequential(layers: layers)
    }
}
