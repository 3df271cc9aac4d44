import CycleGANCompute

/// Positions of one direction's unweighted losses in the iteration's loss tensor; the second
/// direction's follow the first's.
enum LossSlot: Int, CaseIterable {
    case gan, cycle, identity, discriminatorReal, discriminatorFake

    static var count: Int { allCases.count }
}

/// One direction of the cycle: a generator, the generator that maps back, the discriminator that
/// judges the generator's outputs and the pool of those outputs. One function serves A to B and
/// B to A with the roles swapped.
struct CycleDirection {
    enum Name { case aToB, bToA }

    /// G_A for A to B.
    let generator: Network
    /// G_B for A to B.
    let inverse: Network
    /// D_A for A to B.
    let discriminator: Network
    /// fake_B_pool for A to B.
    let pool: ImagePool
    /// lambda_A for A to B: weight of the cycle loss L1(G_B(G_A(A)), A).
    let sourceLambda: Float
    /// lambda_B for A to B: with lambda_identity, weight of the identity loss L1(G_A(B), B).
    let targetLambda: Float
    /// First element of this direction's losses in the loss tensor.
    let lossOffset: Int
}

/// Outputs of one direction's generator step, kept for the discriminator step and the visuals.
struct GeneratorOutputs {
    /// fake_B = G_A(A) for A to B.
    let fake: Tensor
    /// rec_A = G_B(fake_B) for A to B.
    let rec: Tensor
    /// idt_A = G_A(B) for A to B, when lambda_identity > 0.
    let identity: Tensor?
}

extension CycleGANModel {
    func direction(_ name: CycleDirection.Name) -> CycleDirection {
        switch name {
        case .aToB:
            return CycleDirection(
                generator: generatorA, inverse: generatorB, discriminator: discriminatorA,
                pool: fakeBPool, sourceLambda: options.lambdaA, targetLambda: options.lambdaB,
                lossOffset: 0)
        case .bToA:
            return CycleDirection(
                generator: generatorB, inverse: generatorA, discriminator: discriminatorB,
                pool: fakeAPool, sourceLambda: options.lambdaB, targetLambda: options.lambdaA,
                lossOffset: LossSlot.count)
        }
    }

    private func lossView(_ losses: Tensor, _ direction: CycleDirection,
                          _ slot: LossSlot) -> Tensor {
        losses.view(at: direction.lossOffset + slot.rawValue, shape: TensorShape([1]))
    }

    /// Runs one direction's part of the generator step and accumulates its gradients into the
    /// generator store: the GAN loss through the (frozen) discriminator, the cycle loss through
    /// the inverse generator, and the identity loss when lambda_identity > 0.
    func generatorStep(_ direction: CycleDirection, source: Tensor, target: Tensor,
                       losses: Tensor) throws -> GeneratorOutputs {
        let (fake, fakeRecord) = try direction.generator.forward(source)
        let (rec, recRecord) = try direction.inverse.forward(fake)
        try requireShape(rec, source.shape, what: "the reconstruction of \(source.shape)")

        // GAN loss: the discriminator should take the fake for real. Its own parameters get no
        // gradient, as in the reference, which freezes D during the generator step.
        let (prediction, predictionRecord) = try direction.discriminator.forward(fake)
        let predictionGradient = try backend.makeTensor(prediction.shape)
        try ganLoss(prediction, isReal: true, loss: lossView(losses, direction, .gan),
                    gradient: predictionGradient, gradScale: 1)
        let fakeGradient = try direction.discriminator.backward(
            predictionGradient, record: predictionRecord, needsInputGradient: true,
            accumulatesParameterGradients: false)

        // Cycle loss: lambda * L1(inverse(fake), source), back through both generators.
        let recGradient = try backend.makeTensor(rec.shape)
        try backend.l1Loss(input: rec, target: source, loss: lossView(losses, direction, .cycle),
                           gradInput: recGradient, gradScale: direction.sourceLambda)
        let cycleGradient = try direction.inverse.backward(
            recGradient, record: recRecord, needsInputGradient: true,
            accumulatesParameterGradients: true)
        guard let fakeGradient, let cycleGradient else {
            throw ModelError.invalidInput(layer: "generator step",
                                          detail: "a backward pass returned no input gradient")
        }
        try backend.accumulate(cycleGradient, scaledBy: 1, into: fakeGradient)
        _ = try direction.generator.backward(
            fakeGradient, record: fakeRecord, needsInputGradient: false,
            accumulatesParameterGradients: true)

        // Identity loss: the generator applied to its own target domain should change nothing.
        guard options.lambdaIdentity > 0 else {
            return GeneratorOutputs(fake: fake, rec: rec, identity: nil)
        }
        let (identity, identityRecord) = try direction.generator.forward(target)
        try requireShape(identity, target.shape, what: "the identity mapping of \(target.shape)")
        let identityGradient = try backend.makeTensor(identity.shape)
        try backend.l1Loss(input: identity, target: target,
                           loss: lossView(losses, direction, .identity),
                           gradInput: identityGradient,
                           gradScale: direction.targetLambda * options.lambdaIdentity)
        _ = try direction.generator.backward(
            identityGradient, record: identityRecord, needsInputGradient: false,
            accumulatesParameterGradients: true)
        return GeneratorOutputs(fake: fake, rec: rec, identity: identity)
    }

    /// Runs one direction's part of the discriminator step: half the GAN loss on a real image
    /// and half on a pooled fake, whose generator gets no gradient (the reference detaches it).
    func discriminatorStep(_ direction: CycleDirection, real: Tensor, fake: Tensor,
                           losses: Tensor) throws {
        let discriminator = direction.discriminator
        let (realPrediction, realRecord) = try discriminator.forward(real)
        let realGradient = try backend.makeTensor(realPrediction.shape)
        try ganLoss(realPrediction, isReal: true,
                    loss: lossView(losses, direction, .discriminatorReal),
                    gradient: realGradient, gradScale: 0.5)
        _ = try discriminator.backward(realGradient, record: realRecord,
                                       needsInputGradient: false,
                                       accumulatesParameterGradients: true)

        let pooled = try direction.pool.query(fake, backend: backend, random: &poolRandom)
        let (fakePrediction, fakeRecord) = try discriminator.forward(pooled)
        let fakeGradient = try backend.makeTensor(fakePrediction.shape)
        try ganLoss(fakePrediction, isReal: false,
                    loss: lossView(losses, direction, .discriminatorFake),
                    gradient: fakeGradient, gradScale: 0.5)
        _ = try discriminator.backward(fakeGradient, record: fakeRecord,
                                       needsInputGradient: false,
                                       accumulatesParameterGradients: true)
    }

    /// Computes the reference's GANLoss: lsgan is the mean squared error against 1 (real) or 0 (fake),
    /// vanilla the binary cross-entropy of the logits against those labels.
    func ganLoss(_ prediction: Tensor, isReal: Bool, loss: Tensor, gradient: Tensor,
                 gradScale: Float) throws {
        let label: Float = isReal ? 1 : 0
        switch options.ganMode {
        case .lsgan:
            try backend.mseLoss(input: prediction, target: label, loss: loss,
                                gradInput: gradient, gradScale: gradScale)
        case .vanilla:
            try backend.bceWithLogitsLoss(input: prediction, target: label, loss: loss,
                                          gradInput: gradient, gradScale: gradScale)
        }
    }

    /// Reads the loss tensor (the iteration's one synchronisation) and weights the terms as the
    /// reference reports them.
    func readLosses(_ lossValues: Tensor, toB: CycleDirection,
                    toA: CycleDirection) throws -> IterationLosses {
        let raw = try backend.read(lossValues)
        func terms(_ direction: CycleDirection) -> (d: Float, g: Float, cycle: Float,
                                                     identity: Float) {
            func value(_ slot: LossSlot) -> Float { raw[direction.lossOffset + slot.rawValue] }
            return ((value(.discriminatorReal) + value(.discriminatorFake)) * 0.5,
                    value(.gan),
                    value(.cycle) * direction.sourceLambda,
                    value(.identity) * direction.targetLambda * options.lambdaIdentity)
        }
        let a = terms(toB)
        let b = terms(toA)
        return IterationLosses(dA: a.d, gA: a.g, cycleA: a.cycle, idtA: a.identity,
                               dB: b.d, gB: b.g, cycleB: b.cycle, idtB: b.identity)
    }

    private func requireShape(_ tensor: Tensor, _ shape: TensorShape, what: String) throws {
        guard tensor.shape == shape else {
            throw ModelError.invalidInput(
                layer: "generator", detail: "\(what) has the shape \(tensor.shape); use images "
                    + "whose height and width are multiples of 4")
        }
    }
}
