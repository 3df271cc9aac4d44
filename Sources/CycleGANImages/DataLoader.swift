import Foundation

/// Delivers one epoch of an UnalignedDataset as TrainingBatches, in order, prepared by
/// background threads that decode and augment up to `prefetch` batches ahead of the consumer.
///
/// A loader started at `startIteration` k returns exactly the batches that a loader started at
/// 0 returns from its k-th call on, because every random choice is keyed by (seed, epoch,
/// position) rather than drawn from a shared generator. Cancel it, or let it go out of scope,
/// to stop the threads.
public final class DataLoader {
    public let epoch: Int
    /// Batches in the epoch, including those skipped by startIteration.
    public let iterationCount: Int
    private let queue: BatchQueue

    /// Starts `min(prefetch, active processors)` threads that build batches startIteration,
    /// startIteration + 1, ... of `epoch`, at most `prefetch` ahead of the consumer.
    public init(dataset: UnalignedDataset, epoch: Int, startIteration: Int = 0,
                prefetch: Int = 4) {
        self.epoch = epoch
        self.iterationCount = dataset.iterationsPerEpoch
        let order = dataset.sampleOrder(epoch: epoch)
        let first = min(max(0, startIteration), iterationCount)
        queue = BatchQueue(first: first, end: iterationCount, capacity: max(1, prefetch))

        let processors = ProcessInfo.processInfo.activeProcessorCount
        let workerCount = max(1, min(max(1, prefetch), processors))
        for _ in 0..<workerCount {
            let thread = Thread { [queue] in
                while let iteration = queue.claim() {
                    let result = Result { try dataset.makeBatch(epoch: epoch, iteration: iteration,
                                                                order: order) }
                    queue.deliver(result, for: iteration)
                }
            }
            thread.name = "DataLoader epoch \(epoch)"
            thread.start()
        }
    }

    deinit {
        queue.cancel()
    }

    /// Returns the next batch, waiting for it if the threads have not finished it, or nil after the
    /// epoch's last batch or after cancel(). Throws the decoding error of a file that failed while
    /// its batch was built, for example one changed since the scan. The following call continues
    /// with the next batch.
    public func next() throws -> TrainingBatch? {
        let start = DispatchTime.now().uptimeNanoseconds
        guard let (iteration, result) = queue.take() else { return nil }
        let waited = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let batches = try result.get()
        return TrainingBatch(a: batches.a, b: batches.b, epoch: epoch, iteration: iteration,
                             dataWaitSeconds: waited)
    }

    /// Stops the threads after the batches they are building; next() then returns nil.
    public func cancel() {
        queue.cancel()
    }
}

/// The hand-off between the loader's threads and its consumer: iterations are claimed in
/// order, finished out of order, and taken in order, with at most `capacity` claimed but not
/// yet taken.
private final class BatchQueue {
    typealias Batches = Result<(a: ImageBatch, b: ImageBatch), Error>

    private let condition = NSCondition()
    private var nextClaim: Int
    private var nextTake: Int
    private let end: Int
    private let capacity: Int
    private var finished: [Int: Batches] = [:]
    private var cancelled = false

    init(first: Int, end: Int, capacity: Int) {
        self.nextClaim = first
        self.nextTake = first
        self.end = end
        self.capacity = capacity
    }

    /// Returns the next iteration to build, waiting while `capacity` are already ahead, or nil
    /// when the epoch is fully claimed or the queue is cancelled.
    func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && nextClaim < end && nextClaim >= nextTake + capacity {
            condition.wait()
        }
        guard !cancelled && nextClaim < end else { return nil }
        nextClaim += 1
        return nextClaim - 1
    }

    func deliver(_ batches: Batches, for iteration: Int) {
        condition.lock()
        finished[iteration] = batches
        condition.broadcast()
        condition.unlock()
    }

    /// Returns the next iteration's result, waiting until it is delivered, or nil at the end
    /// or after cancel().
    func take() -> (Int, Batches)? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && nextTake < end && finished[nextTake] == nil {
            condition.wait()
        }
        guard !cancelled && nextTake < end, let batches = finished.removeValue(forKey: nextTake)
        else { return nil }
        nextTake += 1
        condition.broadcast()
        return (nextTake - 1, batches)
    }

    func cancel() {
        condition.lock()
        cancelled = true
        finished.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
