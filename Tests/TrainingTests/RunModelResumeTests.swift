import CycleGANCompute
@testable import CycleGANTraining
import Foundation
import XCTest

/// Resume exactness and the non-finite stop with the real CycleGAN model on the CPU backend,
/// through the run loop, at tiny sizes (ngf 4, one residual block, 24-pixel crops).
final class RunModelResumeTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = try makeTemporaryDirectory(self, label: "model-resume")
    }

    private func train(_ options: TrainOptions,
                       wrap: ((TrainableModel) -> TrainableModel)? = nil) throws -> RunOutcome {
        let run = TrainingRun(options: options, backend: CPUBackend(),
                              console: CapturingConsole(),
                              makeModel: { backend, options in
                                  let model = try CycleGANModel(backend: backend, options: options)
                                  return wrap?(model) ?? model
                              })
        return try run.run()
    }

    /// Every tensor of the committed checkpoint: the four networks and the training state.
    private func checkpointTensors(_ options: TrainOptions) throws -> [String: StoredTensor] {
        let directory = options.experimentDirectory
        var tensors: [String: StoredTensor] = [:]
        for name in networkNames {
            let file = try SafetensorsFile.read(
                from: directory.appendingPathComponent("latest_net_\(name).safetensors"))
            for (key, tensor) in file.tensors {
                tensors["\(name)/\(key)"] = tensor
            }
        }
        let state = try SafetensorsFile.read(
            from: directory.appendingPathComponent("latest_training_state.safetensors"))
        for (key, tensor) in state.tensors {
            tensors["state/\(key)"] = tensor
        }
        return tensors
    }

    /// Asserts bitwise equality of every tensor, printing the largest difference and where it
    /// is when they differ.
    private func assertBitwiseEqual(_ actual: [String: StoredTensor],
                                    _ expected: [String: StoredTensor],
                                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Set(actual.keys), Set(expected.keys), "tensor names differ",
                       file: file, line: line)
        var mismatches: [String] = []
        var maxError: (value: Float, where: String) = (0, "none")
        for key in expected.keys.sorted() {
            guard let want = expected[key], let got = actual[key] else { continue }
            guard want.shape == got.shape else {
                mismatches.append("\(key): shape \(got.shape) vs \(want.shape)")
                continue
            }
            for (index, (a, b)) in zip(got.values, want.values).enumerated()
            where a.bitPattern != b.bitPattern {
                if mismatches.count < 5 {
                    mismatches.append("\(key)[\(index)]: \(a) vs \(b)")
                }
                if abs(a - b) > maxError.value || maxError.value.isNaN {
                    maxError = (abs(a - b), "\(key)[\(index)]")
                }
            }
        }
        print("compared \(expected.count) tensors; max error \(maxError.value) at "
            + "\(maxError.where)")
        XCTAssertTrue(mismatches.isEmpty, "first mismatches: \(mismatches)", file: file,
                      line: line)
    }

    func testHalvesResumeBitwiseIdentical() throws {
        // 18 iterations cross the end of the 16-iteration first epoch, so the resumed half
        // also passes the epoch-end save, a new learning rate and a new data order.
        var whole = tinyOptions(checkpointsDir: root, name: "whole")
        whole.maxIterations = 18
        whole.nEpochs = 1
        whole.nEpochsDecay = 2
        let start = Date()
        XCTAssertEqual(try train(whole).position.totalIterations, 18)
        print("18 iterations in \(Date().timeIntervalSince(start)) s")

        var halves = whole
        halves.name = "halves"
        halves.maxIterations = 9
        XCTAssertEqual(try train(halves).position.totalIterations, 9)
        halves.maxIterations = 18
        halves.continueTrain = true
        XCTAssertEqual(try train(halves),
                       .reachedMaxIterations(RunPosition(epoch: 2, epochIteration: 2,
                                                         totalIterations: 18)))

        assertBitwiseEqual(try checkpointTensors(halves), try checkpointTensors(whole))
    }

    func testNaNLossKeepsLastGoodCheckpoint() throws {
        var options = tinyOptions(checkpointsDir: root, name: "nan")
        options.maxIterations = 12
        options.saveLatestFreq = 4
        XCTAssertThrowsError(try train(options, wrap: { NaNInjectingModel(wrapping: $0, at: 6) }))
        { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("loss cycle_B is nan at epoch 1, iteration 6 "
                + "(total 6)"), message)
        }
        let saved = try XCTUnwrap(try CheckpointStore(directory: options.experimentDirectory)
            .loadState())
        XCTAssertEqual(saved.run.position.totalIterations, 4)

        // The kept checkpoint resumes, and runs on to the same state as an unbroken run.
        var resumed = options
        resumed.continueTrain = true
        XCTAssertEqual(try train(resumed).position.totalIterations, 12)
        var unbroken = options
        unbroken.name = "unbroken"
        XCTAssertEqual(try train(unbroken).position.totalIterations, 12)
        assertBitwiseEqual(try checkpointTensors(resumed), try checkpointTensors(unbroken))
    }
}

/// Passes everything to the real model, but reports a NaN cycle_B loss at one iteration of this
/// object's life.
private final class NaNInjectingModel: TrainableModel {
    private let model: TrainableModel
    private let nanIteration: Int
    private var iterations = 0

    init(wrapping model: TrainableModel, at iteration: Int) {
        self.model = model
        nanIteration = iteration
    }

    var learningRate: Float {
        get { model.learningRate }
        set { model.learningRate = newValue }
    }

    func optimizeParameters(realA: [Float], shapeA: TensorShape,
                            realB: [Float], shapeB: TensorShape) throws -> IterationLosses {
        iterations += 1
        var losses = try model.optimizeParameters(realA: realA, shapeA: shapeA,
                                                  realB: realB, shapeB: shapeB)
        if iterations == nanIteration {
            losses.cycleB = .nan
        }
        return losses
    }

    func visuals() throws -> [(label: String, values: [Float], shape: TensorShape)] {
        try model.visuals()
    }

    func saveNetworks(to directory: URL, prefix: String,
                      extraMetadata: [String: String]) throws -> [URL] {
        try model.saveNetworks(to: directory, prefix: prefix, extraMetadata: extraMetadata)
    }

    func loadNetworks(from directory: URL, prefix: String) throws {
        try model.loadNetworks(from: directory, prefix: prefix)
    }

    func trainingState() throws -> SafetensorsFile {
        try model.trainingState()
    }

    func restoreTrainingState(_ state: SafetensorsFile) throws {
        try model.restoreTrainingState(state)
    }
}
