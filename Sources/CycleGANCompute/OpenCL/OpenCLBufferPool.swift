import COpenCL
import Foundation

/// Device memory of one `OpenCLBackend`, recycled by byte size.
///
/// A buffer whose last `Tensor` view is released returns here instead of being freed, and the
/// next request of the same byte size reuses it, so a training iteration in steady state
/// allocates nothing. Reuse needs no synchronization because the backend's queue is in order:
/// kernels that write a recycled buffer run after every kernel that used it before.
final class OpenCLBufferPool {
    let device: OpenCLDeviceInfo
    private let context: cl_context
    private let lock = NSLock()
    private var freeBuffers: [Int: [cl_mem]] = [:]
    private var allocatedBytes = 0
    private var allocations = 0

    /// What to tell a user whose model does not fit on the device.
    static let memoryHint = "Lower --batch-size, --crop-size or --ngf to use less device memory."

    init(context: cl_context, device: OpenCLDeviceInfo) {
        clRetainContext(context)
        self.context = context
        self.device = device
    }

    deinit {
        for memory in freeBuffers.values.joined() {
            clReleaseMemObject(memory)
        }
        clReleaseContext(context)
    }

    /// Number of clCreateBuffer calls so far; a steady-state iteration leaves it unchanged.
    var allocationCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return allocations
    }

    /// Bytes of all buffers this pool created and has not freed, in use or idle.
    var totalBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return allocatedBytes
    }

    /// A buffer of at least `floatCount` floats: an idle one of the same byte size, or a new one.
    func buffer(floatCount: Int) throws -> OpenCLBuffer {
        let byteCount = max(floatCount, 1) * MemoryLayout<Float>.size
        lock.lock()
        defer { lock.unlock() }
        if let memory = freeBuffers[byteCount]?.popLast() {
            return OpenCLBuffer(memory: memory, byteCount: byteCount, pool: self)
        }
        let memory = try createBuffer(byteCount: byteCount)
        return OpenCLBuffer(memory: memory, byteCount: byteCount, pool: self)
    }

    /// Frees every idle buffer, so memory held for sizes no longer used goes back to the device.
    func releaseIdleBuffers() {
        lock.lock()
        defer { lock.unlock() }
        releaseIdleBuffersLocked()
    }

    fileprivate func recycle(_ memory: cl_mem, byteCount: Int) {
        lock.lock()
        defer { lock.unlock() }
        freeBuffers[byteCount, default: []].append(memory)
    }

    /// Creates a buffer after checking the request against the device's limits. When the device
    /// is full, idle buffers of other sizes are freed and the request is tried once more.
    private func createBuffer(byteCount: Int) throws -> cl_mem {
        guard byteCount <= device.maxAllocationBytes else {
            throw ComputeError.outOfMemory(
                requestedBytes: byteCount, deviceBytes: device.globalMemoryBytes,
                hint: "One buffer may hold at most \(device.maxAllocationBytes) bytes on "
                    + "\(device.name) (CL_DEVICE_MAX_MEM_ALLOC_SIZE). \(Self.memoryHint)")
        }
        if allocatedBytes + byteCount > device.globalMemoryBytes {
            releaseIdleBuffersLocked()
        }
        guard allocatedBytes + byteCount <= device.globalMemoryBytes else {
            throw ComputeError.outOfMemory(
                requestedBytes: byteCount, deviceBytes: device.globalMemoryBytes,
                hint: "Buffers in use already hold \(allocatedBytes) bytes. \(Self.memoryHint)")
        }

        var memory = try tryCreateBuffer(byteCount: byteCount)
        if memory == nil {
            releaseIdleBuffersLocked()
            memory = try tryCreateBuffer(byteCount: byteCount)
        }
        guard let memory else {
            throw ComputeError.outOfMemory(
                requestedBytes: byteCount, deviceBytes: device.globalMemoryBytes,
                hint: "clCreateBuffer could not allocate it while buffers in use hold "
                    + "\(allocatedBytes) bytes. \(Self.memoryHint)")
        }
        allocatedBytes += byteCount
        allocations += 1
        return memory
    }

    /// Returns nil when the device reports that it is out of memory and throws on other errors.
    private func tryCreateBuffer(byteCount: Int) throws -> cl_mem? {
        var status: cl_int = CL_SUCCESS
        let memory = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), byteCount, nil,
                                    &status)
        if OpenCLStatus.isOutOfMemory(status) {
            return nil
        }
        try OpenCLStatus.check(status, "clCreateBuffer", detail: "\(byteCount) bytes")
        guard let memory else {
            throw ComputeError.openCL(call: "clCreateBuffer", status: status,
                                      statusName: OpenCLStatus.name(of: status),
                                      detail: "returned no buffer for \(byteCount) bytes")
        }
        return memory
    }

    private func releaseIdleBuffersLocked() {
        for (byteCount, memories) in freeBuffers {
            for memory in memories {
                clReleaseMemObject(memory)
                allocatedBytes -= byteCount
            }
        }
        freeBuffers.removeAll()
    }
}

/// A cl_mem owned by an `OpenCLBufferPool`; releasing the last reference returns it to the pool.
final class OpenCLBuffer: DeviceBuffer {
    let memory: cl_mem
    let byteCount: Int
    let pool: OpenCLBufferPool

    var capacity: Int { byteCount / MemoryLayout<Float>.size }

    fileprivate init(memory: cl_mem, byteCount: Int, pool: OpenCLBufferPool) {
        self.memory = memory
        self.byteCount = byteCount
        self.pool = pool
    }

    deinit {
        pool.recycle(memory, byteCount: byteCount)
    }
}
