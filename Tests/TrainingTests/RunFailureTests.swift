import CycleGANCompute
@testable import CycleGANTraining
import Foundation
import XCTest

/// Runs that fail: what they leave in the experiment folder, the next steps their messages
/// name, and the exit status `cyclegan train` gives each kind of failure.
final class RunFailureTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = try makeTemporaryDirectory(self, label: "failures")
    }

    private func makeRun(_ options: TrainOptions,
                         makeModel: @escaping (ComputeBackend, TrainOptions) throws
                             -> TrainableModel = { _, options in
                                 ScriptedModel(seed: options.seed) }) -> TrainingRun {
        TrainingRun(options: options, backend: CPUBackend(), console: CapturingConsole(),
                    makeModel: makeModel)
    }

    private func runError(_ run: TrainingRun, file: StaticString = #filePath,
                          line: UInt = #line) -> Error? {
        do {
            _ = try run.run()
            XCTFail("expected the run to fail", file: file, line: line)
        } catch {
            return error
        }
        return nil
    }

    private func emptyFolder() throws -> URL {
        let folder = root.appendingPathComponent("no-images")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    // MARK: - Experiment folder left behind

    func testBadDataLeavesNoExperimentFolder() throws {
        var options = tinyOptions(checkpointsDir: root, name: "bad-data")
        options.dirA = try emptyFolder().path
        options.dirB = try emptyFolder().path
        let error = try XCTUnwrap(runError(makeRun(options)))
        XCTAssertTrue(error is TrainDataError, "\(error)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: options.experimentDirectory.path),
                       "the failed run left \(options.experimentDirectory.path) behind")
    }

    func testFailingBackendLeavesNoExperimentFolder() throws {
        let options = tinyOptions(checkpointsDir: root, name: "bad-kernels")
        let atCreation = makeRun(options, makeModel: { _, _ in
            throw ComputeError.kernelSource("conv.cl cannot be read")
        })
        XCTAssertNotNil(runError(atCreation))
        XCTAssertFalse(FileManager.default.fileExists(atPath: options.experimentDirectory.path))

        let atFirstIteration = makeRun(options, makeModel: { _, options in
            FailingModel(base: ScriptedModel(seed: options.seed))
        })
        XCTAssertNotNil(runError(atFirstIteration))
        XCTAssertFalse(FileManager.default.fileExists(atPath: options.experimentDirectory.path),
                       "a folder holding only options.txt and a loss log header was left")
    }

    func testFailedRunKeepsAnExistingExperimentFolder() throws {
        var options = tinyOptions(checkpointsDir: root, name: "existing")
        try FileManager.default.createDirectory(at: options.experimentDirectory,
                                                withIntermediateDirectories: true)
        let notes = options.experimentDirectory.appendingPathComponent("notes.txt")
        try Data("mine".utf8).write(to: notes)
        options.dirA = try emptyFolder().path
        options.dirB = try emptyFolder().path
        XCTAssertNotNil(runError(makeRun(options)))
        XCTAssertTrue(FileManager.default.fileExists(atPath: notes.path))
    }

    // MARK: - Next steps

    func testFailedSaveNamesThePreviousCheckpointAndResumeCommand() throws {
        var options = tinyOptions(checkpointsDir: root, name: "save")
        options.maxIterations = 20
        let run = makeRun(options)
        var saves = 0
        run.hooks.checkpointFault = { step in
            guard step == .setCreated else { return }
            saves += 1
            if saves == 2 {
                throw FileOperationError(operation: "create the folder",
                                         path: "checkpoint_sets/iter_14",
                                         reason: "permission denied")
            }
        }
        let error = try XCTUnwrap(runError(run))
        let text = "\(error)"
        XCTAssertTrue(text.contains("permission denied"), text)
        XCTAssertTrue(text.contains("previous checkpoint (epoch 1, iteration 7 (total 7))"), text)
        XCTAssertTrue(text.contains("is intact"), text)
        XCTAssertTrue(text.contains("cyclegan train ") && text.contains("--continue"), text)
        XCTAssertEqual(TrainExitStatus.code(for: error), TrainExitStatus.runtimeFailure)
        XCTAssertTrue(FileManager.default.fileExists(atPath: options.experimentDirectory.path))
    }

    func testFailedFirstSaveSaysNoCheckpointExists() throws {
        var options = tinyOptions(checkpointsDir: root, name: "first-save")
        options.maxIterations = 20
        let run = makeRun(options)
        run.hooks.checkpointFault = { step in
            if step == .setCreated {
                throw FileOperationError(operation: "write", path: "x", reason: "disk full")
            }
        }
        let text = "\(try XCTUnwrap(runError(run)))"
        XCTAssertTrue(text.contains("No earlier checkpoint exists"), text)
        XCTAssertFalse(text.contains("--continue"), text)
    }

    func testUnwritableLogFileSaysToFixItsPermissions() {
        let directory = root.appendingPathComponent("run")
        let log = directory.appendingPathComponent("loss_log.txt").path
        let error = TrainingRunError.unwritablePath(directory: directory, path: log,
                                                    reason: "permission denied")
        let text = "\(error)"
        XCTAssertTrue(text.contains("cannot write to \(log): permission denied"), text)
        XCTAssertTrue(text.contains("chmod -R u+w \(log)"), text)
        XCTAssertTrue(text.contains("--continue"), text)
    }

    // MARK: - Exit status

    func testEveryInputProblemExitsWithTwo() throws {
        var options = tinyOptions(checkpointsDir: root, name: "garbage")
        let folder = root.appendingPathComponent("garbage")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("not an image".utf8).write(to: folder.appendingPathComponent("x.png"))
        options.dirA = folder.path
        options.dirB = folder.path
        options.skipBadImages = true
        let unusable = try XCTUnwrap(runError(makeRun(options)))
        options.skipBadImages = false
        let undecodable = try XCTUnwrap(runError(makeRun(options)))
        let inputErrors: [Error] = [
            unusable, undecodable,
            TrainOptionError.unexpectedArgument("x"),
            TrainingRunError.noCheckpoint(directory: root),
            ComputeError.invalidEnvironment(variable: "CYCLEGAN_X", value: "y", detail: "z"),
        ]
        for error in inputErrors {
            XCTAssertEqual(TrainExitStatus.code(for: error), TrainExitStatus.inputError,
                           "\(error)")
        }
        XCTAssertEqual(TrainExitStatus.code(for: ComputeError.noDevice("none")),
                       TrainExitStatus.runtimeFailure)
        XCTAssertTrue(TrainOptions.helpText().contains("Exit status:\n  0 "))
    }
}

/// A model whose first iteration fails as a kernel error would.
private final class FailingModel: TrainableModel {
    let base: ScriptedModel
    init(base: ScriptedModel) { self.base = base }

    var learningRate: Float {
        get { base.learningRate }
        set { base.learningRate = newValue }
    }

    func optimizeParameters(realA: [Float], shapeA: TensorShape,
                            realB: [Float], shapeB: TensorShape) throws -> IterationLosses {
        throw ComputeError.buildFailed(program: "conv", options: "", log: "syntax error")
    }

    func visuals() throws -> [(label: String, values: [Float], shape: TensorShape)] {
        try base.visuals()
    }

    func saveNetworks(to directory: URL, prefix: String,
                      extraMetadata: [String: String]) throws -> [URL] {
        try base.saveNetworks(to: directory, prefix: prefix, extraMetadata: extraMetadata)
    }

    func loadNetworks(from directory: URL, prefix: String) throws {
        try base.loadNetworks(from: directory, prefix: prefix)
    }

    func trainingState() throws -> SafetensorsFile { try base.trainingState() }

    func restoreTrainingState(_ state: SafetensorsFile) throws {
        try base.restoreTrainingState(state)
    }
}
