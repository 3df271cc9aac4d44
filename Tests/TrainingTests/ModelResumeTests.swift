import CycleGANCompute
import Foundation
import XCTest

@testable import CycleGANTraining

/// Stopping, saving, restoring into a new model and continuing must give bitwise the weights of
/// a run that never stopped (on the CPU backend, whose ops are deterministic).
final class ModelResumeTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("model-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A small pool fills after a few iterations, so the resumed half draws from the restored
    /// pool and its restored random generator.
    private func options() -> TrainOptions {
        var options = tinyOptions(ngf: 4, blocks: 1, seed: 21)
        options.poolSize = 3
        return options
    }

    private func batch(_ iteration: Int, _ shape: TensorShape) -> (a: [Float], b: [Float]) {
        (randomImages(shape, seed: UInt64(2 * iteration + 100)),
         randomImages(shape, seed: UInt64(2 * iteration + 101)))
    }

    private func train(_ model: CycleGANModel, iterations: Range<Int>,
                       shape: TensorShape) throws -> IterationLosses? {
        var last: IterationLosses?
        for iteration in iterations {
            let (a, b) = batch(iteration, shape)
            last = try model.optimizeParameters(realA: a, shapeA: shape, realB: b, shapeB: shape)
        }
        return last
    }

    func testResumeIsBitwiseIdenticalToUninterruptedRun() throws {
        for batchSize in [1, 2] {
            let shape = TensorShape(n: batchSize, c: 3, h: 32, w: 32)
            let iterations = 6

            let uninterrupted = try CycleGANModel(backend: CPUBackend(), options: options())
            let expectedLosses = try train(uninterrupted, iterations: 0..<iterations,
                                           shape: shape)

            let first = try CycleGANModel(backend: CPUBackend(), options: options())
            _ = try train(first, iterations: 0..<(iterations / 2), shape: shape)
            first.learningRate = 1.5e-4
            try first.saveNetworks(to: folder, prefix: "latest", extraMetadata: ["epoch": "3"])
            let stateURL = folder.appendingPathComponent("latest_training_state.safetensors")
            try first.trainingState().write(to: stateURL)
            XCTAssertEqual(first.fakeAPool.count, 3, "the pool is full before the restart")

            // A fresh model with other initial weights and an empty pool.
            var freshOptions = options()
            freshOptions.seed = 99
            let resumed = try CycleGANModel(backend: CPUBackend(), options: freshOptions)
            try resumed.loadNetworks(from: folder, prefix: "latest")
            try resumed.restoreTrainingState(try SafetensorsFile.read(from: stateURL))
            XCTAssertEqual(resumed.learningRate, 1.5e-4)
            resumed.learningRate = uninterrupted.learningRate
            XCTAssertEqual(resumed.generatorStore.stepCount, iterations / 2)
            let resumedLosses = try train(resumed, iterations: (iterations / 2)..<iterations,
                                          shape: shape)

            XCTAssertEqual(resumedLosses, expectedLosses, "batch \(batchSize) last losses")
            for store in [\CycleGANModel.generatorStore, \CycleGANModel.discriminatorStore] {
                for tensor in [\ParameterStore.values, \ParameterStore.firstMoment,
                               \ParameterStore.secondMoment] {
                    let expected = try uninterrupted.backend.read(uninterrupted[keyPath: store][
                        keyPath: tensor])
                    let actual = try resumed.backend.read(resumed[keyPath: store][keyPath: tensor])
                    let differing = zip(expected, actual).filter { $0.bitPattern != $1.bitPattern }
                    XCTAssertTrue(differing.isEmpty, "batch \(batchSize) \(store) \(tensor): "
                        + "\(differing.count) values differ, first \(differing.prefix(3))")
                }
            }
        }
    }

    func testNetworkFilesCarryKeysAndMetadata() throws {
        let model = try CycleGANModel(backend: CPUBackend(), options: options())
        let urls = try model.saveNetworks(to: folder, prefix: "5", extraMetadata: ["epoch": "5"])
        XCTAssertEqual(urls.map(\.lastPathComponent),
                       ["5_net_G_A.safetensors", "5_net_G_B.safetensors",
                        "5_net_D_A.safetensors", "5_net_D_B.safetensors"])
        let generator = try SafetensorsFile.read(from: urls[0])
        XCTAssertEqual(generator.metadata["netG"], "resnet_1blocks")
        XCTAssertEqual(generator.metadata["ngf"], "4")
        XCTAssertEqual(generator.metadata["role"], "G_A")
        XCTAssertEqual(generator.metadata["epoch"], "5")
        XCTAssertEqual(Set(generator.tensors.keys),
                       Set(model.generatorA.architecture.stateDictShapes.map(\.key)))
        let discriminator = try SafetensorsFile.read(from: urls[3])
        XCTAssertEqual(discriminator.metadata["ndf"], "4")
        XCTAssertEqual(discriminator.metadata["role"], "D_B")

        // A generator rebuilt from its file alone computes what the trained model computes.
        let loaded = try Network.load(from: urls[1], backend: CPUBackend())
        XCTAssertEqual(loaded.architecture, model.generatorB.architecture)
        let shape = TensorShape(n: 1, c: 3, h: 32, w: 32)
        let input = randomImages(shape, seed: 5)
        XCTAssertEqual(try loaded.apply(to: input, shape: shape).values,
                       try model.generatorB.apply(to: input, shape: shape).values)
    }

    func testLoadingMismatchedFilesNamesFileAndTensor() throws {
        let small = try CycleGANModel(backend: CPUBackend(), options: options())
        try small.saveNetworks(to: folder, prefix: "small")
        var wider = options()
        wider.ngf = 8
        let model = try CycleGANModel(backend: CPUBackend(), options: wider)
        XCTAssertThrowsError(try model.loadNetworks(from: folder, prefix: "small")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("small_net_G_A.safetensors"), message)
            XCTAssertTrue(message.contains("model.1.weight"), message)
        }

        var deeper = options()
        deeper.netG = "resnet_2blocks"
        let deeperModel = try CycleGANModel(backend: CPUBackend(), options: deeper)
        XCTAssertThrowsError(try deeperModel.loadNetworks(from: folder, prefix: "small")) {
            XCTAssertTrue("\($0)".contains("model.11.conv_block.1.weight"), "\($0)")
        }

        // Swapped files are caught by their role.
        let manager = FileManager.default
        try manager.moveItem(at: folder.appendingPathComponent("small_net_G_A.safetensors"),
                             to: folder.appendingPathComponent("swap.tmp"))
        try manager.moveItem(at: folder.appendingPathComponent("small_net_G_B.safetensors"),
                             to: folder.appendingPathComponent("small_net_G_A.safetensors"))
        XCTAssertThrowsError(try small.loadNetworks(from: folder, prefix: "small")) {
            XCTAssertTrue("\($0)".contains("role"), "\($0)")
        }
    }

    func testTrainingStateFromOtherOptionsIsRejected() throws {
        let model = try CycleGANModel(backend: CPUBackend(), options: options())
        let state = try model.trainingState()
        var other = options()
        other.poolSize = 50
        let otherModel = try CycleGANModel(backend: CPUBackend(), options: other)
        XCTAssertThrowsError(try otherModel.restoreTrainingState(state)) {
            XCTAssertTrue("\($0)".contains("pool_size"), "\($0)")
        }
    }
}
