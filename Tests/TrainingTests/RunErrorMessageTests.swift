import CycleGANCompute
import CycleGANImages
@testable import CycleGANTraining
import Foundation
import XCTest

/// Messages of `cyclegan train` failures: plain reasons, the option names of the command line
/// and the next step, and runs that keep going when only a preview output fails.
final class RunErrorMessageTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = try makeTemporaryDirectory(self, label: "messages")
    }

    private func makeRun(_ options: TrainOptions,
                         console: CapturingConsole = CapturingConsole()) -> TrainingRun {
        TrainingRun(options: options, backend: CPUBackend(), console: console,
                    makeModel: { _, options in ScriptedModel(seed: options.seed) })
    }

    private func options(name: String, maxIterations: Int?) -> TrainOptions {
        var options = tinyOptions(checkpointsDir: root, name: name)
        options.maxIterations = maxIterations
        return options
    }

    /// Runs `body` and returns the description of the error it throws, failing without one.
    private func message(_ body: () throws -> Void, file: StaticString = #filePath,
                         line: UInt = #line) -> String {
        do {
            try body()
            XCTFail("expected an error", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

    private func assertPlain(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        for raw in ["NSCocoaErrorDomain", "Error Domain", "could not be completed", ".."] {
            XCTAssertFalse(text.contains(raw), "message contains '\(raw)': \(text)",
                           file: file, line: line)
        }
    }

    // MARK: - Experiment folder

    func testCheckpointsDirThatIsFileIsRejected() throws {
        let file = root.appendingPathComponent("plain-file")
        try Data("x".utf8).write(to: file)
        var options = options(name: "run", maxIterations: 1)
        options.checkpointsDir = file.path

        let text = message { _ = try makeRun(options).run() }
        XCTAssertTrue(text.contains("cannot create the experiment folder"), text)
        XCTAssertTrue(text.contains("\(file.path) is a file, not a folder"), text)
        XCTAssertTrue(text.contains("--checkpoints-dir or --name"), text)
        assertPlain(text)
    }

    func testExperimentNameThatIsFileIsRejected() throws {
        try Data("x".utf8).write(to: root.appendingPathComponent("taken"))
        let text = message { _ = try makeRun(options(name: "taken", maxIterations: 1)).run() }
        XCTAssertTrue(text.contains("a file with that name exists"), text)
        assertPlain(text)
    }

    func testFileErrorReasonUsesPlainWords() {
        let cases: [(error: Error, expected: String)] = [
            (NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES)), "permission denied"),
            (NSError(domain: NSPOSIXErrorDomain, code: Int(EROFS)), "read-only"),
            (NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue,
                     userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain,
                                                              code: Int(ENOSPC))]),
             "no space left"),
            (CocoaError(.fileWriteNoPermission), "permission denied"),
            (CocoaError(.fileWriteFileExists), "a file with that name exists"),
        ]
        for (error, expected) in cases {
            let text = FileErrorReason.text(for: error)
            XCTAssertTrue(text.contains(expected), "\(error) gave '\(text)'")
            assertPlain(text)
        }
        XCTAssertEqual(FileErrorReason.text(errno: EPERM), "permission denied")
    }

    func testContinueWithoutFolderLeavesNothingBehind() throws {
        var options = options(name: "never-trained", maxIterations: 1)
        options.continueTrain = true
        XCTAssertThrowsError(try makeRun(options).run()) { error in
            guard case TrainingRunError.noCheckpoint = error else {
                return XCTFail("expected noCheckpoint, got \(error)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: options.experimentDirectory.path),
                       "an empty experiment folder was left behind")
    }

    // MARK: - Outputs during the run

    func testSampleSheetFailureWarnsOnceAndTrains() throws {
        let options = options(name: "sheets", maxIterations: 20)
        let web = options.experimentDirectory.appendingPathComponent("web")
        try FileManager.default.createDirectory(at: web, withIntermediateDirectories: true)
        try Data("in the way".utf8).write(to: web.appendingPathComponent("images"))
        let console = CapturingConsole()

        let outcome = try makeRun(options, console: console).run()
        XCTAssertEqual(outcome.position.totalIterations, 20)
        let sheetWarnings = console.warnings.filter { $0.contains("sample sheet") }
        XCTAssertEqual(sheetWarnings.count, 1, "warnings: \(console.warnings)")
        XCTAssertLessThanOrEqual(console.warnings.count, 2, "warnings: \(console.warnings)")
        for warning in console.warnings {
            assertPlain(warning)
        }
    }

    func testOutputWarningIsNotRepeatedForOtherFileNames() {
        let console = CapturingConsole()
        let run = makeRun(options(name: "repeat", maxIterations: 1), console: console)
        for name in ["a.png", "b.png", "c.png"] {
            run.warnOnce(kind: "sample sheet", error: FileOperationError(
                operation: "write", path: "/images/" + name, reason: "permission denied"))
        }
        run.warnOnce(kind: "sample sheet", error: FileOperationError(
            operation: "write", path: "/images/d.png", reason: "no space left on the device"))
        run.warnOnce(kind: "web page", error: FileOperationError(
            operation: "write", path: "/index.html", reason: "permission denied"))
        XCTAssertEqual(console.warnings.count, 3, "warnings: \(console.warnings)")
        XCTAssertTrue(console.warnings[0].contains("/images/a.png"), console.warnings[0])
    }

    func testDamagedCheckpointNamesNextSteps() throws {
        var options = options(name: "damaged", maxIterations: 20)
        _ = try makeRun(options).run()
        let file = options.experimentDirectory.appendingPathComponent(
            "latest_net_G_A.safetensors").resolvingSymlinksInPath()
        try Data("truncated".utf8).write(to: file)

        options.continueTrain = true
        options.maxIterations = 30
        XCTAssertThrowsError(try makeRun(options).run()) { error in
            guard case TrainingRunError.damagedCheckpoint = error else {
                return XCTFail("expected damagedCheckpoint, got \(error)")
            }
            let text = "\(error)"
            for phrase in ["latest_net_G_A.safetensors", "restore it", "another --name",
                           "epoch 1"] {
                XCTAssertTrue(text.contains(phrase), "lacks '\(phrase)': \(text)")
            }
        }
    }

    func testContinueWithNothingToTrainAddsNoHeader() throws {
        var options = options(name: "finished", maxIterations: 20)
        _ = try makeRun(options).run()
        let log = options.experimentDirectory.appendingPathComponent("loss_log.txt")
        let before = try String(contentsOf: log, encoding: .utf8)

        options.continueTrain = true
        let console = CapturingConsole()
        _ = try makeRun(options, console: console).run()
        XCTAssertTrue(console.text.contains("nothing to train"), console.text)
        XCTAssertEqual(try String(contentsOf: log, encoding: .utf8), before)
    }

    func testEpochSummaryCountsThisSessionsIterations() throws {
        var options = options(name: "summary", maxIterations: 18)
        _ = try makeRun(options).run()
        options.continueTrain = true
        options.maxIterations = nil
        let console = CapturingConsole()
        _ = try makeRun(options, console: console).run()
        let summary = console.lines.first { $0.hasPrefix("end of epoch 2/2") } ?? ""
        XCTAssertTrue(summary.contains(": 14 iterations in "), summary)
        XCTAssertTrue(summary.contains("resumed at iteration 2"), summary)
    }

    func testRestartCommandDropsContinue() {
        var options = options(name: "restart", maxIterations: 5)
        options.continueTrain = true
        let run = makeRun(options)
        XCTAssertFalse(run.restartCommand.contains("--continue"), run.restartCommand)
        XCTAssertTrue(run.resumeCommand.contains("--continue"), run.resumeCommand)
        XCTAssertFalse(run.hasCheckpoint)
    }

    // MARK: - Options and data

    func testOptionMismatchWithUnsetValueSaysOmit() {
        let error = CheckpointError.optionMismatch(option: "dataroot", saved: "none", given: "/d")
        let text = "\(error)"
        XCTAssertTrue(text.contains("omit --dataroot"), text)
        XCTAssertFalse(text.contains("--dataroot none"), text)
    }

    func testZeroEpochsNamesTheSum() {
        let text = message {
            _ = try TrainOptions.parseCommandLine(["--n-epochs", "0", "--n-epochs-decay", "0"])
        }
        XCTAssertTrue(text.contains("--n-epochs + --n-epochs-decay must be at least 1"), text)
        XCTAssertFalse(text.contains("--epoch-count"), text)
    }

    func testSingleDashArgumentGivesSensibleExample() {
        let text = message { _ = try TrainOptions.parseCommandLine(["-x"]) }
        XCTAssertFalse(text.contains("--dataroot -x"), text)
        XCTAssertTrue(text.contains("two dashes"), text)
        let named = message { _ = try TrainOptions.parseCommandLine(["-name", "a"]) }
        XCTAssertTrue(named.contains("did you mean --name?"), named)
    }

    func testRangeWordingIsPlain() {
        let text = message { _ = try TrainOptions.parseCommandLine(["--beta1", "1"]) }
        XCTAssertTrue(text.contains("a number from 0.0 up to but not including 1.0"), text)
        let lr = message { _ = try TrainOptions.parseCommandLine(["--lr", "0"]) }
        XCTAssertTrue(lr.contains("a number greater than 0.0 and at most 1.0"), lr)
        let lambda = message { _ = try TrainOptions.parseCommandLine(["--lambda-A", "-1"]) }
        XCTAssertTrue(lambda.contains("a number from 0.0 to 10000.0"), lambda)
    }

    private func imageFolders(sizeA: Int, sizeB: Int = 32) throws -> (a: URL, b: URL) {
        let a = root.appendingPathComponent("A"), b = root.appendingPathComponent("B")
        for (folder, size) in [(a, sizeA), (b, sizeB)] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let image = RGBImage(width: size, height: size,
                                 pixels: [UInt8](repeating: 128, count: size * size * 3))
            try image.writePNG(to: folder.appendingPathComponent("image.png"))
        }
        return (a, b)
    }

    private func dataError(_ options: TrainOptions) -> TrainDataError? {
        do {
            _ = try RunData.makeDataset(options: options, console: CapturingConsole())
            XCTFail("expected a TrainDataError")
        } catch let error as TrainDataError {
            return error
        } catch {
            XCTFail("expected a TrainDataError, got \(error)")
        }
        return nil
    }

    func testPreprocessNoneRejectsTinyImagesAtStart() throws {
        let folders = try imageFolders(sizeA: 8)
        var options = options(name: "tiny", maxIterations: 1)
        options.dirA = folders.a.path
        options.dirB = folders.b.path
        options.preprocess = "none"
        let error = try XCTUnwrap(dataError(options))
        XCTAssertTrue(error.isUsageError)
        XCTAssertTrue(error.description.contains(folders.a.appendingPathComponent("image.png")
            .path), error.description)
        XCTAssertTrue(error.description.contains("--preprocess resize_and_crop"),
                      error.description)
    }

    func testImageSmallerThanCropNamesTheFix() throws {
        let folders = try imageFolders(sizeA: 16)
        var options = options(name: "crop", maxIterations: 1)
        options.dirA = folders.a.path
        options.dirB = folders.b.path
        options.preprocess = "crop"
        let text = try XCTUnwrap(dataError(options)).description
        XCTAssertTrue(text.contains("--preprocess resize_and_crop (or scale_width_and_crop), or "
            + "a larger image"), text)
        XCTAssertTrue(text.contains("--skip-bad-images"), text)
        for stale in ["could not be decoded", "cropSize", "skipBadImages"] {
            XCTAssertFalse(text.contains(stale), "contains '\(stale)': \(text)")
        }
    }

    func testEmptyFolderUsesOptionNames() throws {
        let folders = try imageFolders(sizeA: 32)
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        var options = options(name: "empty", maxIterations: 1)
        options.dirA = empty.path
        options.dirB = folders.b.path
        let error = try XCTUnwrap(dataError(options))
        XCTAssertTrue(error.isUsageError)
        for phrase in ["--dataroot", "--dir-a and --dir-b"] {
            XCTAssertTrue(error.description.contains(phrase), error.description)
        }
        XCTAssertFalse(error.description.contains("phase test"), error.description)
    }
}
