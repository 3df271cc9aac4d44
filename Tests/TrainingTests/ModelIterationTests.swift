import CycleGANCompute
import XCTest

@testable import CycleGANTraining

final class ModelIterationTests: XCTestCase {
    /// The iteration and the host recomputation run the same fp32 networks on the same backend.
    /// Only the loss reductions differ (the host sums in Double), so a few fp32 ulps.
    private let lossTolerance = Tolerance(absolute: 1e-6, relative: 1e-5,
                                          reason: "same fp32 networks, reductions differ")

    private let shape = TensorShape(n: 1, c: 3, h: 32, w: 32)

    func testIterationLossesMatchHostRecomputation() throws {
        for mode in TrainOptions.GANMode.allCases {
            var options = tinyOptions()
            options.ganMode = mode
            options.lambdaA = 10
            options.lambdaB = 7
            options.lambdaIdentity = 0.5
            let model = try CycleGANModel(backend: CPUBackend(), options: options)
            let realA = randomImages(shape, seed: 1)
            let realB = randomImages(shape, seed: 2)
            let expected = try expectedLosses(model, realA: realA, realB: realB)
            let losses = try model.optimizeParameters(realA: realA, shapeA: shape, realB: realB,
                                                      shapeB: shape)
            assertClose(losses.named.map { Double($0.value) }, expected.named.map {
                Double($0.value)
            }, lossTolerance, "\(mode) losses \(losses.named.map(\.name))")
            for (name, value) in losses.named {
                XCTAssertTrue(value.isFinite, "\(mode) \(name) = \(value)")
                XCTAssertGreaterThan(value, 0, "\(mode) \(name)")
            }
        }
    }

    func testIterationChangesEveryNetwork() throws {
        let model = try CycleGANModel(backend: CPUBackend(), options: tinyOptions())
        let before = try model.networksByRole.map { try model.backend.read($0.network.values) }
        _ = try model.optimizeParameters(realA: randomImages(shape, seed: 1), shapeA: shape,
                                         realB: randomImages(shape, seed: 2), shapeB: shape)
        for ((role, network), old) in zip(model.networksByRole, before) {
            let new = try model.backend.read(network.values)
            let changed = zip(old, new).filter { $0 != $1 }.count
            XCTAssertGreaterThan(changed, new.count / 2, "\(role): \(changed) of \(new.count) "
                + "parameters changed")
        }
        XCTAssertEqual(model.generatorStore.stepCount, 1)
        XCTAssertEqual(model.discriminatorStore.stepCount, 1)
        XCTAssertEqual(model.fakeAPool.count, 1)
        XCTAssertEqual(model.fakeBPool.count, 1)
    }

    func testGeneratorStepLeavesDiscriminatorsUntouched() throws {
        let model = try CycleGANModel(backend: CPUBackend(), options: tinyOptions())
        let backend = model.backend
        let discriminatorsBefore = try parameterValues(model.discriminatorStore)
        let imageA = try backend.makeTensor(shape)
        let imageB = try backend.makeTensor(shape)
        try backend.write(randomImages(shape, seed: 1), to: imageA)
        try backend.write(randomImages(shape, seed: 2), to: imageB)
        let losses = try backend.makeTensor(TensorShape([2 * LossSlot.count]))

        try model.generatorStore.zeroGradients()
        try model.discriminatorStore.zeroGradients()
        _ = try model.generatorStep(model.direction(.aToB), source: imageA, target: imageB,
                                    losses: losses)
        _ = try model.generatorStep(model.direction(.bToA), source: imageB, target: imageA,
                                    losses: losses)

        XCTAssertTrue(try backend.read(model.discriminatorStore.gradients).allSatisfy { $0 == 0 },
                      "the generator loss must not reach D's gradients")
        XCTAssertEqual(try parameterValues(model.discriminatorStore), discriminatorsBefore)
        let gradients = try backend.read(model.generatorStore.gradients)
        for network in [model.generatorA, model.generatorB] {
            for slot in network.parameters where !slot.isBias {
                let values = gradients[slot.offset..<(slot.offset + slot.shape.count)]
                XCTAssertTrue(values.contains { $0 != 0 }, "\(slot.key) got no gradient")
            }
        }
    }

    func testZeroIdentityWeightDropsIdentityTerms() throws {
        var options = tinyOptions()
        options.lambdaIdentity = 0
        let model = try CycleGANModel(backend: CPUBackend(), options: options)
        let losses = try model.optimizeParameters(
            realA: randomImages(shape, seed: 1), shapeA: shape,
            realB: randomImages(shape, seed: 2), shapeB: shape)
        XCTAssertEqual(losses.idtA, 0)
        XCTAssertEqual(losses.idtB, 0)
        XCTAssertEqual(try model.visuals().map(\.label),
                       ["real_A", "fake_B", "rec_A", "real_B", "fake_A", "rec_B"])
    }

    func testVisualsAreFirstImageInReferenceOrder() throws {
        let batch = TensorShape(n: 2, c: 3, h: 32, w: 32)
        let model = try CycleGANModel(backend: CPUBackend(), options: tinyOptions())
        XCTAssertTrue(try model.visuals().isEmpty)
        let realA = randomImages(batch, seed: 1)
        _ = try model.optimizeParameters(realA: realA, shapeA: batch,
                                         realB: randomImages(batch, seed: 2), shapeB: batch)
        let visuals = try model.visuals()
        XCTAssertEqual(visuals.map(\.label), ["real_A", "fake_B", "rec_A", "idt_B", "real_B",
                                              "fake_A", "rec_B", "idt_A"])
        for visual in visuals {
            XCTAssertEqual(visual.shape, shape, visual.label)
            XCTAssertGreaterThanOrEqual(visual.values.min() ?? -2, -1, visual.label)
            XCTAssertLessThanOrEqual(visual.values.max() ?? 2, 1, visual.label)
        }
        XCTAssertEqual(visuals[0].values, Array(realA.prefix(shape.count)))
    }

    func testInvalidImageSizeIsRejected() throws {
        let model = try CycleGANModel(backend: CPUBackend(), options: tinyOptions())
        let odd = TensorShape(n: 1, c: 3, h: 30, w: 32)
        XCTAssertThrowsError(try model.optimizeParameters(
            realA: randomImages(odd, seed: 1), shapeA: odd,
            realB: randomImages(odd, seed: 2), shapeB: odd)) { error in
            XCTAssertTrue("\(error)".contains("multiples of 4"), "\(error)")
        }
        let small = TensorShape(n: 1, c: 3, h: 16, w: 16)
        XCTAssertThrowsError(try model.optimizeParameters(
            realA: randomImages(small, seed: 1), shapeA: small,
            realB: randomImages(small, seed: 2), shapeB: small)) { error in
            XCTAssertTrue("\(error)".contains("at least 24"), "\(error)")
        }
        let smallest = TensorShape(n: 1, c: 3, h: 24, w: 28)
        XCTAssertNoThrow(try model.optimizeParameters(
            realA: randomImages(smallest, seed: 1), shapeA: smallest,
            realB: randomImages(smallest, seed: 2), shapeB: smallest))
    }

    // MARK: - Host recomputation

    /// The losses of the first iteration, computed from inference passes of the untrained
    /// networks: the generator step uses the initial weights, the discriminator step uses the
    /// initial discriminators and, with an empty pool, the fakes themselves.
    private func expectedLosses(_ model: CycleGANModel, realA: [Float],
                                realB: [Float]) throws -> IterationLosses {
        let options = model.options
        func run(_ network: Network, _ values: [Float]) throws -> [Float] {
            try network.apply(to: values, shape: shape).values
        }
        func l1(_ x: [Float], _ y: [Float]) -> Float {
            Float(zip(x, y).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) }
                / Double(x.count))
        }
        func gan(_ prediction: [Float], real: Bool) -> Float {
            let label = real ? 1.0 : 0.0
            let total = prediction.reduce(0.0) { sum, value in
                let x = Double(value)
                switch options.ganMode {
                case .lsgan:
                    return sum + (x - label) * (x - label)
                case .vanilla:
                    return sum + max(x, 0) - x * label + log(1 + exp(-abs(x)))
                }
            }
            return Float(total / Double(prediction.count))
        }

        let fakeB = try run(model.generatorA, realA)
        let recA = try run(model.generatorB, fakeB)
        let fakeA = try run(model.generatorB, realB)
        let recB = try run(model.generatorA, fakeA)
        let idtA = try run(model.generatorA, realB)
        let idtB = try run(model.generatorB, realA)
        let dAFake = try run(model.discriminatorA, fakeB)
        let dBFake = try run(model.discriminatorB, fakeA)
        let dAReal = try run(model.discriminatorA, realB)
        let dBReal = try run(model.discriminatorB, realA)
        return IterationLosses(
            dA: (gan(dAReal, real: true) + gan(dAFake, real: false)) * 0.5,
            gA: gan(dAFake, real: true),
            cycleA: l1(recA, realA) * options.lambdaA,
            idtA: l1(idtA, realB) * options.lambdaB * options.lambdaIdentity,
            dB: (gan(dBReal, real: true) + gan(dBFake, real: false)) * 0.5,
            gB: gan(dBFake, real: true),
            cycleB: l1(recB, realB) * options.lambdaB,
            idtB: l1(idtB, realA) * options.lambdaA * options.lambdaIdentity)
    }
}
