import CycleGANCompute
import Foundation

/// The four CycleGAN networks with their optimizers and image pools, trained one iteration at a
/// time in the order of the reference's CycleGANModel.optimize_parameters.
///
/// Names follow the reference: G_A maps domain A to B, G_B maps B to A, D_A judges domain B
/// (real B against G_A's fakes), D_B judges domain A. All generator parameters share one
/// `ParameterStore`, and so do all discriminator parameters, so each optimizer step is one Adam
/// update.
public final class CycleGANModel {
    public let backend: ComputeBackend
    public let options: TrainOptions
    /// G_A (A to B) and G_B (B to A).
    public let generatorA: Network
    public let generatorB: Network
    /// D_A (judges domain B) and D_B (judges domain A).
    public let discriminatorA: Network
    public let discriminatorB: Network
    public let generatorStore: ParameterStore
    public let discriminatorStore: ParameterStore
    /// The reference's fake_A_pool (fed to D_B) and fake_B_pool (fed to D_A).
    public let fakeAPool: ImagePool
    public let fakeBPool: ImagePool
    /// The generator both pools draw from, as the reference's pools share Python's `random`.
    var poolRandom: SeededRandom
    /// Learning rate used by the next optimizer steps (set by the trainer once per epoch).
    public var learningRate: Float

    /// Adam's beta2 and epsilon, the reference's (PyTorch's) defaults.
    static let beta2: Float = 0.999
    static let adamEpsilon: Float = 1e-8
    /// Tag mixed into `options.seed` for this model's random streams, so they differ from the
    /// streams other parts of the trainer derive from the same seed.
    static let seedStream: UInt64 = 0x4359_474D_4F44_454C

    /// Outputs of the last iteration, for `visuals()`.
    var lastImages: [(label: String, tensor: Tensor)] = []

    /// Builds G_A, G_B (ResNet), D_A, D_B (PatchGAN) from options.netG/ngf/ndf, initialised
    /// N(0, 0.02) with zero biases from options.seed; Adam states zero; image pools empty.
    public init(backend: ComputeBackend, options: TrainOptions) throws {
        try CycleGANModel.validate(options)
        let generator = try NetworkArchitecture.generator(netG: options.netG, ngf: options.ngf)
        let discriminator = try NetworkArchitecture.discriminator(ndf: options.ndf)
        self.backend = backend
        self.options = options

        generatorStore = try ParameterStore(backend: backend,
                                            count: 2 * generator.parameterCount)
        discriminatorStore = try ParameterStore(backend: backend,
                                                count: 2 * discriminator.parameterCount)
        generatorA = try Network(architecture: generator, store: generatorStore, baseOffset: 0)
        generatorB = try Network(architecture: generator, store: generatorStore,
                                 baseOffset: generator.parameterCount)
        discriminatorA = try Network(architecture: discriminator, store: discriminatorStore,
                                     baseOffset: 0)
        discriminatorB = try Network(architecture: discriminator, store: discriminatorStore,
                                     baseOffset: discriminator.parameterCount)

        // One stream per network, so each network's initial weights depend on the seed alone.
        let networks = [generatorA, generatorB, discriminatorA, discriminatorB]
        for (index, network) in networks.enumerated() {
            var random = SeededRandom(seed: options.seed,
                                      stream: [CycleGANModel.seedStream, UInt64(index)])
            try network.initializeWeights(random: &random)
        }
        poolRandom = SeededRandom(seed: options.seed,
                                  stream: [CycleGANModel.seedStream, UInt64(networks.count)])
        fakeAPool = ImagePool(capacity: options.poolSize)
        fakeBPool = ImagePool(capacity: options.poolSize)
        learningRate = LearningRateSchedule(options: options)
            .learningRate(epoch: options.epochCount)
    }

    private static func validate(_ options: TrainOptions) throws {
        let weights: [(String, Float)] = [("lambda_A", options.lambdaA),
                                          ("lambda_B", options.lambdaB),
                                          ("lambda_identity", options.lambdaIdentity)]
        for (name, value) in weights where !(value >= 0 && value.isFinite) {
            throw ModelError.invalidOption(name: name, value: String(value),
                                           accepted: "a finite number >= 0")
        }
        guard options.poolSize >= 0 else {
            throw ModelError.invalidOption(name: "pool_size", value: String(options.poolSize),
                                           accepted: "an integer >= 0 (0 disables the pool)")
        }
        guard options.beta1 >= 0, options.beta1 < 1 else {
            throw ModelError.invalidOption(name: "beta1", value: String(options.beta1),
                                           accepted: "a number in [0, 1)")
        }
    }

    // MARK: - One iteration

    /// One training iteration in the reference's order; `realA`, `realB` are NCHW [N, 3, H, W]
    /// host values in [-1, 1], H and W multiples of 4 and at least 24. Reads the losses back (one
    /// synchronisation per iteration).
    public func optimizeParameters(realA: [Float], shapeA: TensorShape,
                                   realB: [Float], shapeB: TensorShape) throws -> IterationLosses {
        let imageA = try upload(realA, shape: shapeA, name: "realA")
        let imageB = try upload(realB, shape: shapeB, name: "realB")
        let lossValues = try backend.makeTensor(TensorShape([2 * LossSlot.count]))
        try backend.fill(lossValues, with: 0)
        let toB = direction(.aToB)
        let toA = direction(.bToA)

        // Generator step: G_A and G_B against the current discriminators.
        try generatorStore.zeroGradients()
        let outputsB = try generatorStep(toB, source: imageA, target: imageB, losses: lossValues)
        let outputsA = try generatorStep(toA, source: imageB, target: imageA, losses: lossValues)
        try generatorStore.adamStep(learningRate: learningRate, beta1: options.beta1,
                                    beta2: CycleGANModel.beta2,
                                    epsilon: CycleGANModel.adamEpsilon)

        // Discriminator step: D_A on real B and pooled fake B, then D_B likewise.
        try discriminatorStore.zeroGradients()
        try discriminatorStep(toB, real: imageB, fake: outputsB.fake, losses: lossValues)
        try discriminatorStep(toA, real: imageA, fake: outputsA.fake, losses: lossValues)
        try discriminatorStore.adamStep(learningRate: learningRate, beta1: options.beta1,
                                        beta2: CycleGANModel.beta2,
                                        epsilon: CycleGANModel.adamEpsilon)

        lastImages = [("real_A", imageA), ("fake_B", outputsB.fake), ("rec_A", outputsB.rec)]
        if let identity = outputsA.identity {
            lastImages.append(("idt_B", identity))
        }
        lastImages += [("real_B", imageB), ("fake_A", outputsA.fake), ("rec_B", outputsA.rec)]
        if let identity = outputsB.identity {
            lastImages.append(("idt_A", identity))
        }
        return try readLosses(lossValues, toB: toB, toA: toA)
    }

    /// Images of the last iteration for sample sheets, in this order: real_A, fake_B, rec_A,
    /// idt_B, real_B, fake_A, rec_B, idt_A (idt_* absent when lambdaIdentity == 0). Values NCHW in
    /// [-1, 1] of the first image of the batch; empty before the first iteration.
    public func visuals() throws -> [(label: String, values: [Float], shape: TensorShape)] {
        try lastImages.map { label, tensor in
            let first = tensor.item(0)
            return (label, try backend.read(first), first.shape)
        }
    }

    private func upload(_ values: [Float], shape: TensorShape, name: String) throws -> Tensor {
        let (_, channels, height, width) = shape.nchw
        let minimum = max(generatorA.architecture.minimumImageSize,
                          discriminatorA.architecture.minimumImageSize)
        guard shape.rank == 4, channels == NetworkArchitecture.imageChannels,
              height % 4 == 0, width % 4 == 0, min(height, width) >= minimum,
              shape.count > 0 else {
            throw ModelError.invalidInput(
                layer: name, detail: "expected NCHW [N, 3, H, W] with H and W multiples of 4 "
                    + "(the generator downsamples twice by 2 and must restore the size) and at "
                    + "least \(minimum) (the discriminator's smallest input), got \(shape)")
        }
        guard values.count == shape.count else {
            throw ModelError.invalidInput(
                layer: name, detail: "\(values.count) values do not fill the shape \(shape) "
                    + "(\(shape.count) values)")
        }
        let tensor = try backend.makeTensor(shape)
        try backend.write(values, to: tensor)
        return tensor
    }
}
