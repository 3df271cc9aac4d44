import CycleGANCompute
@testable import CycleGANTraining
import XCTest

/// A thrown error that stands for the process being killed at a save step.
private struct SimulatedKill: Error {
    let step: CheckpointStore.Step
}

final class RunCheckpointTests: XCTestCase {
    private func runState(total: Int) -> RunState {
        RunState(position: RunPosition(epoch: 1, epochIteration: total, totalIterations: total),
                 iterationsPerEpoch: 16, options: TrainOptions())
    }

    private func advance(_ model: ScriptedModel, steps: Int) throws {
        model.learningRate = 0.1
        for step in 0..<steps {
            let batch = (0..<12).map { Float(($0 + step) % 5) / 5 }
            _ = try model.optimizeParameters(realA: batch, shapeA: TensorShape([1, 3, 2, 2]),
                                             realB: batch.reversed(),
                                             shapeB: TensorShape([1, 3, 2, 2]))
        }
    }

    func testSaveAndLoadRoundTrip() throws {
        let directory = try makeTemporaryDirectory(self, label: "checkpoint")
        let store = CheckpointStore(directory: directory)
        XCTAssertNil(try store.loadState())

        let model = ScriptedModel(seed: 3)
        try advance(model, steps: 4)
        let set = try store.save(model: model, run: runState(total: 4))

        let loaded = try XCTUnwrap(try CheckpointStore(directory: directory).loadState())
        XCTAssertEqual(loaded.run.position,
                       RunPosition(epoch: 1, epochIteration: 4, totalIterations: 4))
        XCTAssertEqual(loaded.run.iterationsPerEpoch, 16)
        XCTAssertEqual(loaded.run.options["ngf"], "64")
        XCTAssertEqual(loaded.set.resolvingSymlinksInPath().path,
                       set.resolvingSymlinksInPath().path)
        XCTAssertEqual(loaded.state.metadata["scripted.steps"], "4")

        let restored = ScriptedModel(seed: 99)
        try restored.loadNetworks(from: directory, prefix: "latest")
        XCTAssertEqual(restored.weights, model.weights,
                       "latest_net_* links in the experiment folder read the committed set")
        for name in networkNames + ["training_state"] {
            let file = name == "training_state" ? "latest_training_state.safetensors"
                : "latest_net_\(name).safetensors"
            let url = directory.appendingPathComponent(file)
            XCTAssertNoThrow(try SafetensorsFile.read(from: url), "\(file) unreadable")
        }
    }

    func testKillAtEverySaveStepLeavesLoadableCheckpoint() throws {
        for failingStep in CheckpointStore.Step.allCases {
            let directory = try makeTemporaryDirectory(self, label: "kill-\(failingStep)")
            let model = ScriptedModel(seed: 5)
            try advance(model, steps: 3)
            try CheckpointStore(directory: directory).save(model: model, run: runState(total: 3))
            let firstWeights = model.weights

            try advance(model, steps: 2)
            let secondWeights = model.weights
            let store = CheckpointStore(directory: directory)
            store.faultInjection = { step in
                if step == failingStep { throw SimulatedKill(step: step) }
            }
            XCTAssertThrowsError(try store.save(model: model, run: runState(total: 5)),
                                 "save did not reach step \(failingStep)")

            // A new process finds exactly one complete checkpoint: the old one until the
            // commit rename, the new one from then on.
            let reopened = CheckpointStore(directory: directory)
            let loaded = try XCTUnwrap(try reopened.loadState(),
                                       "no checkpoint after \(failingStep)")
            let steps = CheckpointStore.Step.allCases
            let committed = try XCTUnwrap(steps.firstIndex(of: failingStep))
                >= (try XCTUnwrap(steps.firstIndex(of: .committed)))
            XCTAssertEqual(loaded.run.position.totalIterations, committed ? 5 : 3,
                           "kill after \(failingStep)")
            let restored = ScriptedModel(seed: 0)
            try restored.loadNetworks(from: loaded.set, prefix: "latest")
            XCTAssertEqual(restored.weights, committed ? secondWeights : firstWeights,
                           "networks of the set found after a kill at \(failingStep)")
            try restored.restoreTrainingState(loaded.state)
            XCTAssertEqual(restored.steps, committed ? 5 : 3, "state after \(failingStep)")

            // Startup cleanup leaves only the committed set, and saving works again.
            try reopened.removeUncommittedSets()
            try reopened.updateUserLinks()
            let sets = try FileManager.default.contentsOfDirectory(
                atPath: directory.appendingPathComponent("checkpoint_sets").path)
            XCTAssertEqual(sets.count, 1, "sets left after cleanup at \(failingStep): \(sets)")
            let linked = ScriptedModel(seed: 0)
            try linked.loadNetworks(from: directory, prefix: "latest")
            XCTAssertEqual(linked.weights, restored.weights, "user links at \(failingStep)")
            try reopened.save(model: model, run: runState(total: 6))
            XCTAssertEqual(try reopened.loadState()?.run.position.totalIterations, 6)
        }
    }

    func testSaveRemovesOlderSets() throws {
        let directory = try makeTemporaryDirectory(self, label: "older-sets")
        let store = CheckpointStore(directory: directory)
        let model = ScriptedModel(seed: 1)
        for total in 1...3 {
            try advance(model, steps: 1)
            try store.save(model: model, run: runState(total: total))
        }
        let sets = try FileManager.default.contentsOfDirectory(
            atPath: directory.appendingPathComponent("checkpoint_sets").path)
        XCTAssertEqual(sets.count, 1, "\(sets)")
        XCTAssertTrue(sets[0].hasPrefix("iter_000000003_"), sets[0])
    }

    func testCorruptPointerIsReported() throws {
        let directory = try makeTemporaryDirectory(self, label: "corrupt")
        XCTAssertEqual(symlink("checkpoint_sets/missing",
                               directory.appendingPathComponent("latest_checkpoint").path), 0)
        XCTAssertThrowsError(try CheckpointStore(directory: directory).loadState()) { error in
            XCTAssertTrue("\(error)".contains("checkpoint_sets/missing"), "\(error)")
        }
    }

    func testResumeRejectsChangedDataOrderOption() throws {
        var options = TrainOptions()
        options.seed = 4
        let position = RunPosition(epoch: 2, epochIteration: 1, totalIterations: 17)
        let state = RunState(position: position, iterationsPerEpoch: 16, options: options)
        let decoded = try RunState(metadata: state.metadata, source: URL(fileURLWithPath: "/x"))
        XCTAssertEqual(decoded, state)
        XCTAssertNoThrow(try decoded.checkResumable(with: options, iterationsPerEpoch: 16))

        var changed = options
        changed.seed = 5
        XCTAssertThrowsError(try decoded.checkResumable(with: changed, iterationsPerEpoch: 16)) {
            XCTAssertTrue("\($0)".contains("--seed 4 but this run has --seed 5"), "\($0)")
        }
        var faster = options
        faster.lr = 0.001
        XCTAssertNoThrow(try decoded.checkResumable(with: faster, iterationsPerEpoch: 16),
                         "the learning rate may change on resume")
        XCTAssertThrowsError(try decoded.checkResumable(with: options, iterationsPerEpoch: 15)) {
            XCTAssertTrue("\($0)".contains("gave 16 iterations per epoch"), "\($0)")
        }
    }
}
