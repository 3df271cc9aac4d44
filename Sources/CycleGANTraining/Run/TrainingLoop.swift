import CycleGANCompute
import CycleGANImages
import Foundation

extension TrainingRun {
    /// Runs the epoch loop of the reference's train.py from `start`. Each epoch gets one
    /// learning rate and one data loader. The loop logs every print-freq iterations, writes a
    /// sample sheet every display-freq, saves the latest checkpoint every save-latest-freq and
    /// at each epoch end, and saves `<epoch>_net_*` every save-epoch-freq epochs.
    func train(from start: RunPosition) throws -> RunOutcome {
        guard let model, let dataset, let lossLog else {
            preconditionFailure("train(from:) runs after run() has set up the experiment")
        }
        let iterationsPerEpoch = dataset.iterationsPerEpoch
        var position = nextPosition(after: start, iterationsPerEpoch: iterationsPerEpoch)
        if let nothing = nothingToTrain(from: start,
                                                   iterationsPerEpoch: iterationsPerEpoch) {
            console.line("nothing to train: " + nothing.message)
            return nothing.outcome
        }

        let schedule = LearningRateSchedule(options: options)
        var interval = IntervalTimer()
        for epoch in position.epoch...lastEpoch {
            if epoch != position.epoch {
                position = RunPosition(epoch: epoch, epochIteration: 0,
                                       totalIterations: position.totalIterations)
            }
            model.learningRate = schedule.learningRate(epoch: epoch)
            console.line("epoch \(epoch)/\(lastEpoch): learning rate \(model.learningRate), "
                + "starting at iteration \(position.epochIteration) of \(iterationsPerEpoch)")
            let loader = DataLoader(dataset: dataset, epoch: epoch,
                                        startIteration: position.epochIteration, prefetch: 2)
            var progress = EpochProgress()

            while true {
                let waitStart = Date()
                guard let batch = try loader.next() else { break }
                let computeStart = Date()
                let losses = try model.optimizeParameters(
                    realA: batch.a.values, shapeA: batch.a.shape,
                    realB: batch.b.values, shapeB: batch.b.shape)
                let computeSeconds = Date().timeIntervalSince(computeStart)
                completedIterations += 1
                position.epochIteration += 1
                position.totalIterations += 1
                interval.add(compute: computeSeconds,
                             dataWait: computeStart.timeIntervalSince(waitStart))
                progress.add(seconds: Date().timeIntervalSince(waitStart))

                try checkFinite(losses, at: position, log: lossLog)
                try savingOnFailure(at: position) {
                    try report(losses, at: position, interval: &interval, progress: progress,
                               iterationsPerEpoch: iterationsPerEpoch, log: lossLog)
                }
                // The last iteration of an epoch saves once, after the epoch-end snapshot.
                let atEpochEnd = position.epochIteration >= iterationsPerEpoch
                if position.totalIterations % options.saveLatestFreq == 0, !atEpochEnd {
                    try saveCheckpoint(at: position)
                }
                try hooks.afterIteration?(position)
                if !atEpochEnd, let reason = stopReason(at: position) {
                    return try stop(reason, at: position)
                }
            }

            if epoch % options.saveEpochFreq == 0 {
                try model.saveNetworks(to: directory, prefix: String(epoch),
                                       extraMetadata: networkMetadata(position))
                console.line("saved \(epoch)_net_{\(networkNames.joined(separator: ","))}"
                    + ".safetensors")
            }
            try saveCheckpoint(at: position)
            let resumedNote = progress.iterations < position.epochIteration
                ? " (resumed at iteration \(position.epochIteration - progress.iterations))" : ""
            console.line("end of epoch \(epoch)/\(lastEpoch): \(progress.iterations) "
                + "iterations in " + duration(progress.elapsed) + resumedNote)
            if let reason = stopReason(at: position) {
                return try stop(reason, at: position)
            }
        }
        try lossLog.appendNote("finished all epochs at \(position)")
        console.line("finished training at \(position); outputs are in \(directory.path)")
        return .finished(position)
    }

    /// The position training continues from: the start of the next epoch when `start` ends
    /// an epoch.
    private func nextPosition(after start: RunPosition, iterationsPerEpoch: Int) -> RunPosition {
        guard start.epochIteration >= iterationsPerEpoch else { return start }
        return RunPosition(epoch: start.epoch + 1, epochIteration: 0,
                           totalIterations: start.totalIterations)
    }

    /// Why a run starting at `start` has nothing to train, with its outcome, or nil when it has
    /// iterations to run.
    func nothingToTrain(from start: RunPosition,
                        iterationsPerEpoch: Int) -> (message: String, outcome: RunOutcome)? {
        let position = nextPosition(after: start, iterationsPerEpoch: iterationsPerEpoch)
        if let reason = stopReason(at: position) {
            return (reason.message, reason.outcome(position))
        }
        guard position.epoch <= lastEpoch else {
            return ("the checkpoint has finished every epoch through \(lastEpoch); raise "
                + "--n-epochs or --n-epochs-decay to train longer", .finished(position))
        }
        return nil
    }

    /// Returns the reason to stop at `position`, or nil to go on.
    private func stopReason(at position: RunPosition) -> StopReason? {
        if let maxIterations = options.maxIterations, position.totalIterations >= maxIterations {
            return .maxIterations(maxIterations)
        }
        return stopRequest.requestedReason.map { StopReason.requested($0) }
    }

    private func stop(_ reason: StopReason, at position: RunPosition) throws -> RunOutcome {
        if lastCheckpoint != position {
            try saveCheckpoint(at: position)
        }
        try lossLog?.appendNote("stopped at \(position): \(reason.message)")
        console.line("stopped at \(position): \(reason.message)")
        if case .requested = reason {
            console.line("checkpoint saved in \(directory.path). Resume with:\n  "
                + resumeCommand)
        }
        return reason.outcome(position)
    }

    /// Throws `nonFiniteLoss` naming the first loss that is NaN or infinite, after logging it.
    private func checkFinite(_ losses: IterationLosses, at position: RunPosition,
                             log: LossLog) throws {
        guard let bad = losses.named.first(where: { !$0.value.isFinite }) else { return }
        let error = TrainingRunError.nonFiniteLoss(
            name: bad.name, value: bad.value, position: position, lastCheckpoint: lastCheckpoint,
            directory: directory)
        try log.appendNote(error.description)
        throw error
    }

    /// Logs every print-freq iterations, draws the progress bar and writes sample sheets.
    private func report(_ losses: IterationLosses, at position: RunPosition,
                        interval: inout IntervalTimer, progress: EpochProgress,
                        iterationsPerEpoch: Int, log: LossLog) throws {
        if position.totalIterations % options.printFreq == 0 {
            let record = LossRecord(
                epoch: position.epoch, epochIteration: position.epochIteration,
                totalIterations: position.totalIterations,
                secondsPerIteration: interval.meanCompute, dataSeconds: interval.meanDataWait,
                losses: losses.named)
            try log.append(record)
            if !console.isTerminal {
                console.line(record.logLine)
            }
            interval = IntervalTimer()
        }
        if console.isTerminal {
            let line = ProgressLine(
                epoch: position.epoch, lastEpoch: lastEpoch, iteration: position.epochIteration,
                iterationsPerEpoch: iterationsPerEpoch,
                iterationsPerSecond: progress.iterationsPerSecond, losses: losses.named,
                terminalWidth: terminalColumns() - 1)
            console.progress(line.text)
        }
        if position.totalIterations % options.displayFreq == 0 {
            try writeSampleSheet(at: position, records: log.records)
        }
    }

    /// Writes the sample sheet and rewrites web/index.html. A failure of either is reported
    /// once per kind and reason and does not stop training, because both are previews.
    private func writeSampleSheet(at position: RunPosition, records: [LossRecord]) throws {
        guard let model else { return }
        let url = webPage.imagesDirectory.appendingPathComponent(WebPage.sheetName(for: position))
        do {
            try FileOperationError.wrapping("create the folder", webPage.imagesDirectory) {
                try FileManager.default.createDirectory(at: webPage.imagesDirectory,
                                                        withIntermediateDirectories: true)
            }
            try SampleSheets.write(model: model, to: url)
        } catch let error as ComputeError {
            throw error
        } catch {
            warnOnce(kind: "sample sheet", error: error)
            return
        }
        do {
            try webPage.writeIndex(records: records)
        } catch {
            warnOnce(kind: "web page", error: error)
        }
    }

    /// Prints a warning that `kind` of output failed, once for each kind and reason. The key
    /// leaves out the file path, because each sample sheet has its own file name.
    func warnOnce(kind: String, error: Error) {
        let message = "\(error)"
        let reason = (error as? FileOperationError).map { "\($0.operation)|\($0.reason)" }
            ?? message
        guard warnedOutputFailures.insert(kind + "|" + reason).inserted else { return }
        console.warning("warning: \(message). Training goes on without this \(kind); this "
            + "warning is not repeated for the same failure.")
    }

    /// Runs `body`. When it throws, this saves a checkpoint at `position` (unless one was saved
    /// there) before rethrowing, so a failing loss log does not lose the iterations since the
    /// last save. A failure of that save is printed, and the first error is rethrown.
    private func savingOnFailure(at position: RunPosition, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            if lastCheckpoint != position {
                do {
                    try saveCheckpoint(at: position)
                } catch let saveError {
                    var reason = "\(saveError)"
                    if case let TrainingRunError.saveFailed(detail, _, _, _) = saveError {
                        reason = detail
                    }
                    console.warning("warning: saving a checkpoint after the error failed too: "
                        + reason)
                }
            }
            throw error
        }
    }

    /// Commits a checkpoint of the model and `position`. A failed save throws `saveFailed`,
    /// which names the previous checkpoint and the command that resumes it. Errors of the
    /// compute backend pass through unchanged.
    func saveCheckpoint(at position: RunPosition) throws {
        guard let model, let dataset else { return }
        let state = RunState(position: position, iterationsPerEpoch: dataset.iterationsPerEpoch,
                             options: options)
        do {
            try store.save(model: model, run: state)
        } catch let error as ComputeError {
            throw error
        } catch {
            throw TrainingRunError.saveFailed(
                detail: "\(error)", lastCheckpoint: lastCheckpoint, directory: directory,
                nextCommand: lastCheckpoint == nil ? restartCommand : resumeCommand)
        }
        lastCheckpoint = position
        console.line("saved checkpoint at \(position)")
    }

    private func networkMetadata(_ position: RunPosition) -> [String: String] {
        ["epoch": String(position.epoch), "total_iterations": String(position.totalIterations)]
    }
}

private enum StopReason {
    case maxIterations(Int)
    case requested(String)

    var message: String {
        switch self {
        case let .maxIterations(limit):
            return "reached --max-iterations \(limit)"
        case let .requested(reason):
            return "\(reason) received"
        }
    }

    func outcome(_ position: RunPosition) -> RunOutcome {
        switch self {
        case .maxIterations:
            return .reachedMaxIterations(position)
        case let .requested(reason):
            return .interrupted(position, reason: reason)
        }
    }
}

/// Mean compute and data-wait seconds per iteration since the last log line.
private struct IntervalTimer {
    var count = 0
    var compute = 0.0
    var dataWait = 0.0

    mutating func add(compute: Double, dataWait: Double) {
        count += 1
        self.compute += compute
        self.dataWait += dataWait
    }

    var meanCompute: Double { count > 0 ? compute / Double(count) : 0 }
    var meanDataWait: Double { count > 0 ? dataWait / Double(count) : 0 }
}

/// Iteration rate of the current epoch, for the progress bar.
private struct EpochProgress {
    var iterations = 0
    var elapsed = 0.0

    mutating func add(seconds: Double) {
        iterations += 1
        elapsed += seconds
    }

    var iterationsPerSecond: Double { elapsed > 0 ? Double(iterations) / elapsed : 0 }
}
