import CycleGANCompute
import CycleGANImages
import Foundation

/// The end of a run without an error. Every case has saved a checkpoint at `position`.
public enum RunOutcome: Equatable {
    /// Trained through the last epoch, n-epochs + n-epochs-decay.
    case finished(RunPosition)
    /// The iteration counter reached --max-iterations.
    case reachedMaxIterations(RunPosition)
    /// Stopped early on request, for example by SIGINT; `reason` names the request.
    case interrupted(RunPosition, reason: String)

    public var position: RunPosition {
        switch self {
        case let .finished(position), let .reachedMaxIterations(position),
             let .interrupted(position, _):
            return position
        }
    }
}

/// A run that stopped with an error the user can act on.
public enum TrainingRunError: Error, CustomStringConvertible {
    case checkpointExists(directory: URL, position: RunPosition)
    case noCheckpoint(directory: URL)
    /// A loss became NaN or infinite; nothing after `lastCheckpoint` was saved.
    case nonFiniteLoss(name: String, value: Float, position: RunPosition,
                       lastCheckpoint: RunPosition?, directory: URL)
    /// The experiment folder cannot be created; `action` is "create".
    case experimentFolder(directory: URL, action: String, reason: String)
    /// `path`, the experiment folder or a file or folder in it, cannot be written.
    case unwritablePath(directory: URL, path: String, reason: String)
    /// A file of the committed checkpoint is missing or damaged. `snapshotEpochs` lists the
    /// epochs with `<epoch>_net_*` snapshots in the folder.
    case damagedCheckpoint(detail: String, directory: URL, snapshotEpochs: [Int])
    /// Saving a checkpoint failed; `lastCheckpoint` is the committed one before it, if any, and
    /// `nextCommand` resumes it (or starts again when there is none).
    case saveFailed(detail: String, lastCheckpoint: RunPosition?, directory: URL,
                    nextCommand: String)

    public var description: String {
        switch self {
        case let .checkpointExists(directory, position):
            return "\(directory.path) already holds a checkpoint at \(position); pass --continue "
                + "to resume it, or choose another --name (or --checkpoints-dir) to start anew"
        case let .noCheckpoint(directory):
            return "--continue was given but \(directory.path) holds no checkpoint; run without "
                + "--continue to start training there"
        case let .nonFiniteLoss(name, value, position, lastCheckpoint, directory):
            let keptMessage = lastCheckpoint.map { "The last good checkpoint (\($0)) stays in "
                + "\(directory.path); resume it with --continue, for example with a lower --lr." }
                ?? "No checkpoint was saved before it."
            return "training stopped: loss \(name) is \(value) at \(position). "
                + "This state was not saved. " + keptMessage
        case let .experimentFolder(directory, action, reason):
            return "cannot \(action) the experiment folder \(directory.path): \(reason); choose "
                + "another --checkpoints-dir or --name"
        case let .unwritablePath(directory, path, reason):
            return "cannot write to \(path): \(reason). Fix its permissions (for example "
                + "chmod -R u+w \(shellQuoted(path))) to keep using \(directory.path) and any "
                + "checkpoint in it with --continue, or choose another --checkpoints-dir or "
                + "--name to start a new run"
        case let .damagedCheckpoint(detail, directory, snapshotEpochs):
            var text = "\(detail)\nThe checkpoint file is damaged or missing: restore it from a "
                + "backup, or start a new run with another --name."
            if !snapshotEpochs.isEmpty {
                let epochs = snapshotEpochs.map(String.init).joined(separator: ", ")
                text += " \(directory.path) also holds the network snapshots of epoch "
                    + "\(epochs) (<epoch>_net_*.safetensors). They hold weights only, without "
                    + "optimizer state, so training cannot resume from them, but they are intact "
                    + "copies of the networks."
            }
            return text
        case let .saveFailed(detail, lastCheckpoint, directory, nextCommand):
            let kept = lastCheckpoint.map { "The previous checkpoint (\($0)) in "
                + "\(directory.path) is intact. Fix the permissions or free space of that "
                + "folder, then resume with:\n  " }
                ?? "No earlier checkpoint exists. Fix the permissions or free space of "
                    + "\(directory.path), then start again with:\n  "
            return "saving a checkpoint failed: \(detail)\n" + kept + nextCommand
        }
    }
}

/// Test hooks of a run.
public struct TrainingRunHooks {
    /// Runs after each iteration's logging and saving, before the stop checks.
    public var afterIteration: ((RunPosition) throws -> Void)?
    /// Runs after each step of each checkpoint save; see `CheckpointStore.faultInjection`.
    public var checkpointFault: ((CheckpointStore.Step) throws -> Void)?

    public init() {}
}

/// One `cyclegan train` run: sets up the experiment folder, resumes or starts the model and
/// trains epoch by epoch as the reference's train.py, writing logs, sample sheets and
/// checkpoints.
public final class TrainingRun {
    public let options: TrainOptions
    public let backend: ComputeBackend
    public let console: RunConsole
    /// Set it (from a signal or a test) to stop after the current iteration and save.
    public let stopRequest: StopRequest
    public var hooks = TrainingRunHooks()
    let makeModel: (ComputeBackend, TrainOptions) throws -> TrainableModel

    var model: TrainableModel?
    var dataset: UnalignedDataset?
    var store: CheckpointStore
    var lossLog: LossLog?
    var webPage: WebPage
    /// Position of the last committed checkpoint of this experiment.
    var lastCheckpoint: RunPosition?
    /// Sample-sheet and web-page failures already reported, by kind and reason.
    var warnedOutputFailures = Set<String>()
    /// Iterations this run has trained, whether or not a checkpoint contains them.
    var completedIterations = 0

    public init(options: TrainOptions, backend: ComputeBackend,
                console: RunConsole = StandardConsole(), stopRequest: StopRequest = StopRequest(),
                makeModel: @escaping (ComputeBackend, TrainOptions) throws -> TrainableModel
                    = { try CycleGANModel(backend: $0, options: $1) }) {
        self.options = options
        self.backend = backend
        self.console = console
        self.stopRequest = stopRequest
        self.makeModel = makeModel
        store = CheckpointStore(directory: options.experimentDirectory)
        webPage = WebPage(directory: options.experimentDirectory.appendingPathComponent("web"),
                          title: "CycleGAN experiment \(options.name)")
    }

    /// The experiment folder, `<checkpoints-dir>/<name>`.
    public var directory: URL { options.experimentDirectory }

    /// The command that resumes this run: every non-default option plus --continue.
    public var resumeCommand: String {
        let arguments = options.nonDefaultArguments().filter { $0 != "--continue" } + ["--continue"]
        return (["cyclegan", "train"] + arguments.map(shellQuoted)).joined(separator: " ")
    }

    /// Trains until the last epoch, --max-iterations or a stop request. Takes the experiment
    /// folder's lock for the whole run. When the run fails before any iteration completes, an
    /// experiment folder that this run created is removed again.
    public func run() throws -> RunOutcome {
        // Checked before creating anything, so a mistyped --name leaves no empty folder.
        if options.continueTrain, !FileManager.default.fileExists(atPath: directory.path) {
            throw TrainingRunError.noCheckpoint(directory: directory)
        }
        var createdFolder = false
        do {
            return try runLocked(createdFolder: &createdFolder)
        } catch {
            // Runs after the lock is released. Bad data or a failing backend thus leaves no
            // folder holding only options.txt and a loss log header.
            if createdFolder, completedIterations == 0, lastCheckpoint == nil {
                try? FileManager.default.removeItem(at: directory)
            }
            throw error
        }
    }

    /// The body of `run()`. Sets `createdFolder` once this run holds the lock of a folder that
    /// it created itself, so a concurrent run's folder is never marked for removal.
    private func runLocked(createdFolder: inout Bool) throws -> RunOutcome {
        let existed = FileManager.default.fileExists(atPath: directory.path)
        try ExperimentFolder.prepare(directory)
        let lock = try RunLock(url: directory.appendingPathComponent("train.lock"))
        defer { lock.release() }
        createdFolder = !existed
        store.faultInjection = hooks.checkpointFault

        let saved = try damageReported { try store.loadState() }
        if options.continueTrain, saved == nil {
            throw TrainingRunError.noCheckpoint(directory: directory)
        }
        if !options.continueTrain, let saved {
            throw TrainingRunError.checkpointExists(directory: directory,
                                                    position: saved.run.position)
        }

        console.line("cyclegan train: experiment '\(options.name)' in \(directory.path)")
        console.line("device: \(backend.deviceDescription)")
        let dataset = try RunData.makeDataset(options: options, console: console)
        self.dataset = dataset
        console.line("iterations per epoch: \(dataset.iterationsPerEpoch) (batch size "
            + "\(options.batchSize)), epochs \(options.epochCount) to \(lastEpoch)")
        console.line(options.optionsFileText(), terminator: "")
        try AtomicFile.write(Data(options.optionsFileText().utf8),
                             to: directory.appendingPathComponent("options.txt"))

        let model = try makeModel(backend, options)
        self.model = model
        var start = RunPosition(epoch: options.epochCount, epochIteration: 0, totalIterations: 0)
        if let saved {
            try saved.run.checkResumable(with: options,
                                         iterationsPerEpoch: dataset.iterationsPerEpoch)
            try damageReported {
                try model.loadNetworks(from: saved.set, prefix: CheckpointStore.networkPrefix)
                try model.restoreTrainingState(saved.state)
            }
            try store.removeUncommittedSets()
            try store.updateUserLinks()
            try webPage.removeSheets(after: saved.run.position.totalIterations)
            start = saved.run.position
            lastCheckpoint = start
            console.line("resuming from the checkpoint at \(start)")
            if let nothing = nothingToTrain(from: start,
                                                       iterationsPerEpoch:
                                                           dataset.iterationsPerEpoch) {
                console.line("nothing to train: " + nothing.message)
                return nothing.outcome
            }
        }
        lossLog = try LossLog(directory: directory,
                              resumingAfter: saved?.run.position.totalIterations)
        return try train(from: start)
    }

    /// Whether a committed checkpoint exists, saved or resumed by this run.
    public var hasCheckpoint: Bool { lastCheckpoint != nil }

    /// The command that starts this run again from the beginning: every non-default option
    /// without --continue.
    public var restartCommand: String {
        let arguments = options.nonDefaultArguments().filter { $0 != "--continue" }
        return (["cyclegan", "train"] + arguments.map(shellQuoted)).joined(separator: " ")
    }

    /// Runs `body`, turning a damaged or missing checkpoint file into `damagedCheckpoint` with
    /// the next steps.
    private func damageReported<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as CheckpointError {
            guard case .corrupt = error else { throw error }
            throw damaged("\(error)")
        } catch let error as ModelError {
            throw damaged("cannot resume from the checkpoint: \(error)")
        } catch let error as SafetensorsError {
            throw damaged("cannot resume from the checkpoint: \(error)")
        }
    }

    private func damaged(_ detail: String) -> TrainingRunError {
        .damagedCheckpoint(detail: detail, directory: directory,
                           snapshotEpochs: ExperimentFolder.snapshotEpochs(in: directory))
    }

    /// Last epoch of the run, n-epochs + n-epochs-decay.
    var lastEpoch: Int { options.nEpochs + options.nEpochsDecay }
}

extension RunConsole {
    /// Prints `text` with `terminator` dropped from its end, for text that already ends in a
    /// newline.
    func line(_ text: String, terminator: String) {
        line(text.hasSuffix("\n") && terminator.isEmpty ? String(text.dropLast()) : text)
    }
}

/// `argument` quoted for a POSIX shell when it contains anything but safe characters.
func shellQuoted(_ argument: String) -> String {
    let safe = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_./=:,+@%"))
    if !argument.isEmpty, argument.unicodeScalars.allSatisfy({ safe.contains($0) }) {
        return argument
    }
    return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// What the run loop needs from a model. `CycleGANModel` is the production conformer; tests
/// wrap it to inject faults such as a non-finite loss.
public protocol TrainableModel: AnyObject {
    /// Learning rate of the next optimizer steps, set by the run once per epoch.
    var learningRate: Float { get set }
    /// Runs one training iteration on NCHW batches in [-1, 1] and returns its losses.
    func optimizeParameters(realA: [Float], shapeA: TensorShape,
                            realB: [Float], shapeB: TensorShape) throws -> IterationLosses
    /// Labelled images of the last iteration for sample sheets, NCHW in [-1, 1].
    func visuals() throws -> [(label: String, values: [Float], shape: TensorShape)]
    /// Writes `<prefix>_net_{G_A,G_B,D_A,D_B}.safetensors` into `directory`.
    @discardableResult
    func saveNetworks(to directory: URL, prefix: String,
                      extraMetadata: [String: String]) throws -> [URL]
    func loadNetworks(from directory: URL, prefix: String) throws
    /// Optimizer states, image pools, their random generator and the learning rate.
    func trainingState() throws -> SafetensorsFile
    func restoreTrainingState(_ state: SafetensorsFile) throws
}

extension CycleGANModel: TrainableModel {}

/// The four network names of a CycleGAN, as the reference names its saved files.
public let networkNames = ["G_A", "G_B", "D_A", "D_B"]
