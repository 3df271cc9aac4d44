import CycleGANCompute
import CycleGANTraining
import Foundation

/// `cyclegan train`: parses the options, picks the backend and runs `TrainingRun` with
/// SIGINT and SIGTERM turned into a save-and-stop request.
///
/// Every error prints as "cyclegan train: error: ..." and exits with the status that
/// `TrainExitStatus.code(for:)` gives it; `cyclegan train --help` lists them.
enum TrainCommand: Command {
    static let name = "train"
    static let summary = "train a CycleGAN on two folders of unpaired images"

    static func run(arguments: [String]) -> Int32 {
        let options: TrainOptions
        do {
            switch try TrainOptions.parseCommandLine(arguments) {
            case .help:
                print(TrainOptions.helpText(), terminator: "")
                return 0
            case let .train(parsed):
                options = parsed
            }
        } catch {
            FileHandle.standardError.write(Data("cyclegan train: error: \(error)\n".utf8))
            return TrainExitStatus.code(for: error)
        }

        let console = StandardConsole()
        do {
            let backend = try makeBackend(options: options, console: console)
            let stopRequest = StopRequest()
            let run = TrainingRun(options: options, backend: backend, console: console,
                                  stopRequest: stopRequest)
            let lockURL = options.experimentDirectory.appendingPathComponent("train.lock")
            let monitor = SignalMonitor(
                stopRequest: stopRequest,
                onFirstSignal: { signalName in
                    let again = signalName == "SIGINT"
                        ? "Press Ctrl-C again" : "Send \(signalName) again (or press Ctrl-C)"
                    console.warning("\(signalName) received: finishing the current iteration "
                        + "and saving a checkpoint. \(again) to exit at once without saving.")
                },
                onRepeatedSignal: { signalName in
                    let next = run.hasCheckpoint
                        ? "the last checkpoint stays. Resume with:\n  \(run.resumeCommand)"
                        : "no checkpoint was written yet. Start again with:\n  "
                            + run.restartCommand
                    console.warning("\(signalName) received again: exiting without saving; "
                        + next)
                    RunLock.releaseIfOwned(url: lockURL)
                    _exit(TrainExitStatus.interruptedWithoutSaving)
                })
            defer { monitor.cancel() }
            _ = try run.run()
            return TrainExitStatus.success
        } catch {
            console.warning("cyclegan train: error: \(error)")
            return TrainExitStatus.code(for: error)
        }
    }

    /// Creates the backend named by --backend and --device and prints any fallback warning. The
    /// run prints the chosen device itself.
    static func makeBackend(options: TrainOptions, console: RunConsole) throws -> ComputeBackend {
        guard let kind = BackendKind(rawValue: options.backend.rawValue) else {
            throw TrainOptionError.invalidValue(
                option: "backend", value: options.backend.rawValue,
                accepted: "one of " + BackendKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let selection = try BackendSelection.make(kind: kind, deviceIndex: options.device)
        for note in selection.notes where note.hasPrefix("warning:") {
            console.warning(note)
        }
        return selection.backend
    }
}
