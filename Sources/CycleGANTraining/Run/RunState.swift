import Foundation

/// The position of a run: the epoch in progress, iterations done in it and iterations done since
/// the start of training. One iteration is one optimizer step on one batch.
public struct RunPosition: Equatable, CustomStringConvertible {
    public var epoch: Int
    public var epochIteration: Int
    public var totalIterations: Int

    public init(epoch: Int, epochIteration: Int, totalIterations: Int) {
        self.epoch = epoch
        self.epochIteration = epochIteration
        self.totalIterations = totalIterations
    }

    public var description: String {
        "epoch \(epoch), iteration \(epochIteration) (total \(totalIterations))"
    }
}

/// The run's part of a checkpoint: the position and every option, stored as string metadata
/// of the training-state file next to the model's optimizer and pool state.
public struct RunState: Equatable {
    public var position: RunPosition
    /// Batches per epoch of the dataset the checkpoint was trained on.
    public var iterationsPerEpoch: Int
    /// Every option by its command-line name, as options.txt prints it.
    public var options: [String: String]

    static let formatVersion = "1"
    private static let prefix = "run."

    /// Options that decide the data order, the augmentation, the network and pool shapes or
    /// the epoch the learning-rate schedule counts from. A resumed run must use the values
    /// saved in the checkpoint, or it would not continue the same training.
    public static let resumeSensitiveOptions = [
        "dataroot", "dir-a", "dir-b", "seed", "batch-size", "serial-batches", "no-flip",
        "preprocess", "load-size", "crop-size", "netG", "ngf", "ndf", "pool-size", "epoch-count",
    ]

    public init(position: RunPosition, iterationsPerEpoch: Int, options: TrainOptions) {
        self.position = position
        self.iterationsPerEpoch = iterationsPerEpoch
        var values: [String: String] = [:]
        for spec in trainOptionSpecs {
            values[spec.name] = spec.describe(options)
        }
        self.options = values
    }

    /// The metadata entries, all under the "run." prefix so they cannot collide with the
    /// model's own keys.
    public var metadata: [String: String] {
        var entries = [
            Self.prefix + "format": Self.formatVersion,
            Self.prefix + "epoch": String(position.epoch),
            Self.prefix + "epoch_iteration": String(position.epochIteration),
            Self.prefix + "total_iterations": String(position.totalIterations),
            Self.prefix + "iterations_per_epoch": String(iterationsPerEpoch),
        ]
        for (name, value) in options {
            entries[Self.prefix + "option." + name] = value
        }
        return entries
    }

    /// Reads the run state back from training-state metadata; `source` names the file for
    /// errors.
    public init(metadata: [String: String], source: URL) throws {
        func integer(_ key: String) throws -> Int {
            guard let text = metadata[Self.prefix + key], let value = Int(text) else {
                throw CheckpointError.corrupt(
                    url: source, detail: "metadata entry \(Self.prefix)\(key) is missing or not "
                        + "an integer (\(metadata[Self.prefix + key] ?? "absent"))")
            }
            return value
        }
        let format = metadata[Self.prefix + "format"]
        guard format == Self.formatVersion else {
            throw CheckpointError.corrupt(
                url: source, detail: "run state format '\(format ?? "absent")' "
                    + "is not the supported format \(Self.formatVersion)")
        }
        position = RunPosition(epoch: try integer("epoch"),
                               epochIteration: try integer("epoch_iteration"),
                               totalIterations: try integer("total_iterations"))
        iterationsPerEpoch = try integer("iterations_per_epoch")
        var values: [String: String] = [:]
        let optionPrefix = Self.prefix + "option."
        for (key, value) in metadata where key.hasPrefix(optionPrefix) {
            values[String(key.dropFirst(optionPrefix.count))] = value
        }
        options = values
    }

    /// Throws `CheckpointError.optionMismatch` for the first resume-sensitive option whose value
    /// in `options` differs from the checkpoint's, and when the dataset size changed.
    public func checkResumable(with options: TrainOptions, iterationsPerEpoch: Int) throws {
        for name in Self.resumeSensitiveOptions {
            guard let spec = trainOptionSpecs.first(where: { $0.name == name }) else { continue }
            let saved = self.options[name] ?? "absent"
            let given = spec.describe(options)
            if saved != given {
                throw CheckpointError.optionMismatch(option: name, saved: saved, given: given)
            }
        }
        if iterationsPerEpoch != self.iterationsPerEpoch {
            throw CheckpointError.datasetChanged(saved: self.iterationsPerEpoch,
                                                 now: iterationsPerEpoch)
        }
    }
}

/// A checkpoint that cannot be used, with the file and the reason.
public enum CheckpointError: Error, CustomStringConvertible {
    case corrupt(url: URL, detail: String)
    case optionMismatch(option: String, saved: String, given: String)
    case datasetChanged(saved: Int, now: Int)

    public var description: String {
        switch self {
        case let .corrupt(url, detail):
            return "checkpoint \(url.path) cannot be used: \(detail)"
        case let .optionMismatch(option, saved, given):
            // "none" is how options.txt shows an option that was not given.
            let savedText = saved == "none" ? "without --\(option)" : "with --\(option) \(saved)"
            let givenText = given == "none" ? "has no --\(option)" : "has --\(option) \(given)"
            let fix = saved == "none" ? "omit --\(option)" : "pass --\(option) \(saved)"
            return "cannot continue: the checkpoint was trained \(savedText) but this run "
                + "\(givenText); this option changes the data order, the networks or the "
                + "schedule, so \(fix) to resume"
        case let .datasetChanged(saved, now):
            return "cannot continue: the checkpoint's dataset gave \(saved) iterations per epoch "
                + "but the images found now give \(now); restore the image folders as they were, "
                + "or start a new run under another --name"
        }
    }
}
