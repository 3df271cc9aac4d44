import CycleGANCompute
import Foundation

/// Exit statuses of `cyclegan train`, so the command and its help text agree.
public enum TrainExitStatus {
    /// The run finished, reached --max-iterations, or stopped on a signal after saving.
    public static let success: Int32 = 0
    /// A failure while running: a backend or kernel error, a non-finite loss, a damaged
    /// checkpoint, a failed save.
    public static let runtimeFailure: Int32 = 1
    /// A problem with the user's input: the command line, a CYCLEGAN_* environment variable,
    /// the data folders or their images, or an experiment folder that does not fit the options.
    public static let inputError: Int32 = 2
    /// A second SIGINT or SIGTERM ended the run without saving (128 + SIGINT).
    public static let interruptedWithoutSaving: Int32 = 130

    /// The exit status for `error`, which ended a run.
    public static func code(for error: Error) -> Int32 {
        switch error {
        case is TrainOptionError, is TrainDataError:
            return inputError
        case let error as TrainingRunError:
            switch error {
            case .checkpointExists, .noCheckpoint, .experimentFolder, .unwritablePath:
                return inputError
            case .nonFiniteLoss, .damagedCheckpoint, .saveFailed:
                return runtimeFailure
            }
        case let error as CheckpointError:
            if case .corrupt = error { return runtimeFailure }
            return inputError
        case let error as ComputeError:
            if case .invalidEnvironment = error { return inputError }
            return runtimeFailure
        default:
            return runtimeFailure
        }
    }

    /// The "Exit status" section of `cyclegan train --help`.
    static let helpLines = [
        "Exit status:",
        "  0    finished, reached --max-iterations, or stopped on a signal after saving",
        "  1    failed while running (backend or kernel error, non-finite loss, damaged",
        "       checkpoint, failed save)",
        "  2    invalid input: options, CYCLEGAN_* environment variables, data folders or their",
        "       images, or an experiment folder that does not fit the options",
        "  130  a second SIGINT or SIGTERM ended the run without saving",
    ]
}
