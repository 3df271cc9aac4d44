import Dispatch
import Foundation

/// Host memory for `CPUBackend`: `capacity` floats allocated once and zeroed, freed when the last
/// tensor view of it is released.
public final class CPUBuffer: DeviceBuffer {
    public let capacity: Int
    let storage: UnsafeMutableBufferPointer<Float>

    init(capacity: Int) {
        self.capacity = capacity
        storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: capacity)
        storage.initialize(repeating: 0)
    }

    deinit {
        storage.deallocate()
    }
}

/// The reference implementation of every compute op, in plain Swift on the host.
///
/// It is the oracle the OpenCL backend is tested against and the fallback when no OpenCL device
/// exists. Sums accumulate in Double where that is cheap (convolutions, normalization, losses).
/// Work is split across cores by output channel or image plane only, and every output element
/// is summed in a fixed order by one thread, so results are bitwise identical from run to run.
/// Ops run synchronously: when a call returns its output is written.
public final class CPUBackend: ComputeBackend {
    /// The number of cores work is split across.
    public let threadCount: Int

    public init() {
        threadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    public var deviceDescription: String {
        "CPU reference backend (host memory, \(threadCount) cores)"
    }

    // MARK: - Memory

    public func makeTensor(_ shape: TensorShape) throws -> Tensor {
        if let negative = shape.dimensions.first(where: { $0 < 0 }) {
            throw ComputeError.shapeMismatch(op: "makeTensor", detail: "shape \(shape) has the "
                + "negative dimension \(negative), but every dimension must be >= 0")
        }
        return Tensor(buffer: CPUBuffer(capacity: shape.count), shape: shape)
    }

    public func write(_ values: [Float], to tensor: Tensor) throws {
        if values.count != tensor.count {
            throw ComputeError.shapeMismatch(op: "write", detail: "\(values.count) values "
                + "cannot fill \(tensor), which has \(tensor.count) elements")
        }
        let destination = try elements(of: tensor, op: "write")
        values.withUnsafeBufferPointer { source in
            for index in 0..<source.count {
                destination[index] = source[index]
            }
        }
    }

    public func read(_ tensor: Tensor) throws -> [Float] {
        Array(try elements(of: tensor, op: "read"))
    }

    /// Returns at once: every op has finished when it returns.
    public func synchronize() throws {}

    // MARK: - Helpers shared by the op files

    /// Returns the tensor's elements, starting at its offset into its buffer.
    func elements(of tensor: Tensor, op: String) throws -> UnsafeMutableBufferPointer<Float> {
        guard let buffer = tensor.buffer as? CPUBuffer else {
            throw ComputeError.shapeMismatch(op: op, detail: "\(tensor) is stored in "
                + "\(type(of: tensor.buffer)), not in host memory. Pass tensors made by this "
                + "CPUBackend.")
        }
        guard let base = buffer.storage.baseAddress else {
            return UnsafeMutableBufferPointer(start: nil, count: 0)
        }
        return UnsafeMutableBufferPointer(start: base + tensor.offset, count: tensor.count)
    }

    /// Runs `body(0)` ... `body(count - 1)`, across cores when there is more than one task.
    /// Each task must write only its own outputs.
    func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 || threadCount == 1 {
            for index in 0..<count {
                body(index)
            }
        } else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }

    /// Runs `body` over consecutive ranges that together cover 0..<count, across cores when the
    /// count is large enough to pay for the threads. For element-wise work only.
    func parallelRanges(_ count: Int, _ body: (Range<Int>) -> Void) {
        let chunkSize = 1 << 16
        let chunks = (count + chunkSize - 1) / chunkSize
        parallelFor(chunks) { chunk in
            body((chunk * chunkSize)..<min(count, (chunk + 1) * chunkSize))
        }
    }
}
