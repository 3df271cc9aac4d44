import CycleGANCompute
import CycleGANImages
@testable import CycleGANTraining
import Foundation
import XCTest

private struct SimulatedKill: Error {}

/// The run loop with `ScriptedModel`: outputs, resume, stops and errors, independent of the
/// real networks.
final class RunLoopTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = try makeTemporaryDirectory(self, label: "loop")
    }

    private func makeRun(_ options: TrainOptions, console: CapturingConsole = CapturingConsole(),
                         stopRequest: StopRequest = StopRequest(),
                         configure: ((ScriptedModel) -> Void)? = nil) -> TrainingRun {
        TrainingRun(options: options, backend: CPUBackend(), console: console,
                    stopRequest: stopRequest,
                    makeModel: { _, options in
                        let model = ScriptedModel(seed: options.seed)
                        configure?(model)
                        return model
                    })
    }

    /// The weights in the committed checkpoint and the model state, for exact comparisons.
    private func checkpointContents(_ options: TrainOptions)
        throws -> (weights: [String: [Float]], state: [String: String]) {
        let model = ScriptedModel(seed: 12345)
        try model.loadNetworks(from: options.experimentDirectory, prefix: "latest")
        let loaded = try XCTUnwrap(try CheckpointStore(directory: options.experimentDirectory)
            .loadState())
        let state = loaded.state.metadata.filter { $0.key.hasPrefix("scripted.") }
        return (model.weights, state)
    }

    private func options(name: String, maxIterations: Int?) -> TrainOptions {
        var options = tinyOptions(checkpointsDir: root, name: name)
        options.maxIterations = maxIterations
        return options
    }

    func testSyntheticRunWritesEveryOutput() throws {
        let options = options(name: "outputs", maxIterations: 20)
        let console = CapturingConsole()
        let outcome = try makeRun(options, console: console).run()
        XCTAssertEqual(outcome, .reachedMaxIterations(
            RunPosition(epoch: 2, epochIteration: 4, totalIterations: 20)))

        let directory = options.experimentDirectory
        var expected = ["options.txt", "loss_log.txt", "loss_log.csv", "web/index.html",
                        "latest_training_state.safetensors"]
        expected += networkNames.map { "latest_net_\($0).safetensors" }
        expected += networkNames.map { "1_net_\($0).safetensors" }
        expected += [5, 10, 15, 20].map {
            "web/images/" + WebPage.sheetName(for: RunPosition(
                epoch: $0 > 16 ? 2 : 1, epochIteration: 0, totalIterations: $0))
        }
        for file in expected {
            XCTAssertTrue(FileManager.default.fileExists(
                atPath: directory.appendingPathComponent(file).path), "missing \(file)")
        }
        XCTAssertFalse(FileManager.default.fileExists(
            atPath: directory.appendingPathComponent("train.lock").path), "lock left behind")

        let records = try LossLog.readCSV(directory.appendingPathComponent("loss_log.csv"))
        XCTAssertEqual(records.map { $0.totalIterations },
                       Array(stride(from: 2, through: 20, by: 2)))
        XCTAssertEqual(records.last?.lossNames.first, "D_A")
        XCTAssertTrue(console.text.contains("(epoch: 2, iters: 4, total: 20, time: "), console.text)
        XCTAssertTrue(console.text.contains("data: built-in synthetic dataset"), console.text)
        XCTAssertTrue(console.text.contains("device: "), console.text)
        XCTAssertEqual(try checkpointContents(options).state["scripted.steps"], "20")
    }

    func testResumeMatchesUninterruptedRun() throws {
        let whole = options(name: "whole", maxIterations: 20)
        _ = try makeRun(whole).run()

        let halves = options(name: "halves", maxIterations: 10)
        XCTAssertEqual(try makeRun(halves).run().position.totalIterations, 10)
        var second = halves
        second.maxIterations = 20
        second.continueTrain = true
        let console = CapturingConsole()
        XCTAssertEqual(try makeRun(second, console: console).run(),
                       .reachedMaxIterations(RunPosition(epoch: 2, epochIteration: 4,
                                                         totalIterations: 20)))
        XCTAssertTrue(console.text.contains("resuming from the checkpoint at epoch 1, "
            + "iteration 10 (total 10)"), console.text)

        let expected = try checkpointContents(whole)
        let actual = try checkpointContents(second)
        XCTAssertEqual(actual.weights, expected.weights, "weights differ after resume")
        XCTAssertEqual(actual.state, expected.state, "model state differs after resume")
        XCTAssertEqual(
            try LossLog.readCSV(second.experimentDirectory.appendingPathComponent("loss_log.csv"))
                .map { $0.lossValues },
            try LossLog.readCSV(whole.experimentDirectory.appendingPathComponent("loss_log.csv"))
                .map { $0.lossValues })
    }

    func testKillDuringSaveThenResumeMatches() throws {
        let whole = options(name: "whole", maxIterations: 20)
        _ = try makeRun(whole).run()

        // Saves happen at 7 and 14 (save-latest-freq 7); the second is killed after its
        // networks are written, so the resume starts from iteration 7.
        let killed = options(name: "killed", maxIterations: 20)
        let run = makeRun(killed)
        var saves = 0
        run.hooks.checkpointFault = { step in
            if step == .networksWritten {
                saves += 1
                if saves == 2 { throw SimulatedKill() }
            }
        }
        XCTAssertThrowsError(try run.run())
        var resumed = killed
        resumed.continueTrain = true
        let console = CapturingConsole()
        _ = try makeRun(resumed, console: console).run()
        XCTAssertTrue(console.text.contains("(total 7)"), console.text)

        let expected = try checkpointContents(whole)
        let actual = try checkpointContents(resumed)
        XCTAssertEqual(actual.weights, expected.weights)
        XCTAssertEqual(actual.state, expected.state)
    }

    func testNonFiniteLossStopsAndKeepsLastCheckpoint() throws {
        let options = options(name: "nan", maxIterations: 20)
        let run = makeRun(options) { $0.nanAtStep = 9 }
        XCTAssertThrowsError(try run.run()) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("loss G_B is nan at epoch 1, iteration 9 (total 9)"),
                          message)
            XCTAssertTrue(message.contains("last good checkpoint (epoch 1, iteration 7 (total 7))"),
                          message)
        }
        let saved = try XCTUnwrap(try CheckpointStore(directory: options.experimentDirectory)
            .loadState())
        XCTAssertEqual(saved.run.position.totalIterations, 7, "the bad state was saved")
        let log = try String(contentsOf: options.experimentDirectory
            .appendingPathComponent("loss_log.txt"), encoding: .utf8)
        XCTAssertTrue(log.contains("loss G_B is nan"), log)
    }

    func testSignalFinishesIterationSavesAndResumes() throws {
        let whole = options(name: "whole", maxIterations: 10)
        _ = try makeRun(whole).run()

        let interrupted = options(name: "interrupted", maxIterations: 10)
        let stop = StopRequest()
        let monitor = SignalMonitor(stopRequest: stop, onFirstSignal: { _ in },
                                    onRepeatedSignal: { _ in })
        defer { monitor.cancel() }
        let console = CapturingConsole()
        let run = makeRun(interrupted, console: console, stopRequest: stop)
        run.hooks.afterIteration = { position in
            guard position.totalIterations == 3 else { return }
            kill(getpid(), SIGINT)
            // Dispatch delivers the signal on another queue; the run checks after this hook.
            let deadline = Date().addingTimeInterval(5)
            while stop.requestedReason == nil, Date() < deadline {
                usleep(1000)
            }
        }
        let outcome = try run.run()
        XCTAssertEqual(outcome, .interrupted(RunPosition(epoch: 1, epochIteration: 3,
                                                         totalIterations: 3), reason: "SIGINT"))
        let resumeLine = try XCTUnwrap(console.lines.last { $0.contains("Resume with:") })
        XCTAssertTrue(resumeLine.contains("Resume with:\n  cyclegan train "), resumeLine)
        XCTAssertTrue(resumeLine.contains(" --name interrupted --checkpoints-dir \(root.path) "),
                      resumeLine)
        XCTAssertTrue(resumeLine.contains(" --max-iterations 10 "), resumeLine)
        XCTAssertTrue(resumeLine.hasSuffix(" --continue"), resumeLine)

        var resumed = interrupted
        resumed.continueTrain = true
        _ = try makeRun(resumed).run()
        XCTAssertEqual(try checkpointContents(resumed).weights,
                       try checkpointContents(whole).weights)
    }

    func testExistingCheckpointNeedsContinue() throws {
        let options = options(name: "existing", maxIterations: 3)
        _ = try makeRun(options).run()
        XCTAssertThrowsError(try makeRun(options).run()) { error in
            XCTAssertTrue("\(error)".contains("already holds a checkpoint at epoch 1, iteration 3"),
                          "\(error)")
        }
        var missing = self.options(name: "missing", maxIterations: 3)
        missing.continueTrain = true
        XCTAssertThrowsError(try makeRun(missing).run()) { error in
            XCTAssertTrue("\(error)".contains("holds no checkpoint"), "\(error)")
        }
    }

    func testContinueAtMaxIterationsDoesNothing() throws {
        var options = options(name: "done", maxIterations: 4)
        _ = try makeRun(options).run()
        options.continueTrain = true
        let console = CapturingConsole()
        XCTAssertEqual(try makeRun(options, console: console).run().position.totalIterations, 4)
        XCTAssertTrue(console.text.contains("nothing to train: reached --max-iterations 4"),
                      console.text)
    }

    func testRunOnLockedFolderIsRejected() throws {
        let options = options(name: "locked", maxIterations: 2)
        try FileManager.default.createDirectory(at: options.experimentDirectory,
                                                withIntermediateDirectories: true)
        let lockURL = options.experimentDirectory.appendingPathComponent("train.lock")
        let lock = try RunLock(url: lockURL)
        defer { lock.release() }
        XCTAssertThrowsError(try makeRun(options).run()) { error in
            XCTAssertTrue("\(error)".contains("another training run (process \(getpid()))"),
                          "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(
            atPath: options.experimentDirectory.appendingPathComponent("options.txt").path),
                       "the rejected run wrote outputs")
    }

    func testLearningRateFollowsScheduleAcrossEpochs() throws {
        var options = options(name: "schedule", maxIterations: nil)
        options.nEpochs = 1
        options.nEpochsDecay = 2
        var model: ScriptedModel?
        _ = try makeRun(options) { model = $0 }.run()
        let rates = try XCTUnwrap(model).learningRates
        XCTAssertEqual(rates.count, 48, "three epochs of 16 iterations")
        let schedule = LearningRateSchedule(options: options)
        for epoch in 1...3 {
            let slice = rates[(epoch - 1) * 16..<epoch * 16]
            XCTAssertEqual(Set(slice), [schedule.learningRate(epoch: epoch)], "epoch \(epoch)")
        }
    }

    func testFolderDatasetRunsAndResumes() throws {
        let dataroot = root.appendingPathComponent("data")
        for (domain, count) in [(DataDomain.a, 3), (DataDomain.b, 5)] {
            let folder = dataroot.appendingPathComponent(domain == .a ? "trainA" : "trainB")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (index, image) in SyntheticImages.images(domain: domain, count: count, size: 40)
                .enumerated() {
                try image.writePNG(to: folder.appendingPathComponent("\(index).png"))
            }
        }
        var whole = options(name: "folder-whole", maxIterations: 8)
        whole.dataroot = dataroot.path
        let console = CapturingConsole()
        XCTAssertEqual(try makeRun(whole, console: console).run(),
                       .reachedMaxIterations(RunPosition(epoch: 2, epochIteration: 3,
                                                         totalIterations: 8)))
        XCTAssertTrue(console.text.contains("(3 images)"), console.text)
        XCTAssertTrue(console.text.contains("iterations per epoch: 5 "), console.text)

        var halves = whole
        halves.name = "folder-halves"
        halves.maxIterations = 4
        _ = try makeRun(halves).run()
        halves.maxIterations = 8
        halves.continueTrain = true
        _ = try makeRun(halves).run()
        XCTAssertEqual(try checkpointContents(halves).weights,
                       try checkpointContents(whole).weights)
    }
}
