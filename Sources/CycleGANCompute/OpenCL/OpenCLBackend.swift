import COpenCL
import Foundation

/// Every compute op on one OpenCL device, through the hand-written kernels in `Kernels/`.
///
/// The backend owns a context and an in-order queue; ops enqueue kernels and return without
/// waiting, and only `read(_:)` and `synchronize()` wait. Programs are compiled on first use and
/// cached. Device memory comes from a pool keyed by byte size, so repeating an iteration of the
/// same shapes allocates nothing after the first (see `deviceAllocationCount`).
///
/// Environment: `CYCLEGAN_KERNELS_DIR` reads kernels from a folder instead of the copies built
/// into the binary, `CYCLEGAN_KERNEL_VARIANT=baseline` forces the simple kernel of every op, and
/// `CYCLEGAN_KERNEL_TIMING=1` prints device time per kernel when the backend is released.
public final class OpenCLBackend: ComputeBackend {
    /// The rule for choosing between an op's baseline kernel and its faster variants.
    public enum KernelVariantPolicy: String, Sendable {
        /// Each op's dispatch picks the fastest variant whose assumptions hold.
        case fastest
        /// Every op runs its baseline kernel, the reference the variants are tested against.
        case baseline

        public static let environmentVariable = "CYCLEGAN_KERNEL_VARIANT"

        /// Whether `CYCLEGAN_KERNEL_VARIANT` is set to a non-empty value.
        public static var isSetInEnvironment: Bool {
            !(ProcessInfo.processInfo.environment[environmentVariable] ?? "").isEmpty
        }

        /// Reads the policy from `CYCLEGAN_KERNEL_VARIANT`: `fastest` when it is unset or
        /// empty. Throws for any other value than `fastest` or `baseline`.
        public static func fromEnvironment() throws -> KernelVariantPolicy {
            let value = ProcessInfo.processInfo.environment[environmentVariable] ?? ""
            if value.isEmpty {
                return .fastest
            }
            guard let policy = KernelVariantPolicy(rawValue: value) else {
                throw ComputeError.kernelSource(
                    "\(environmentVariable)=\(value) is invalid; use 'baseline' or 'fastest', or "
                        + "unset it")
            }
            return policy
        }
    }

    /// Settings of a backend; the defaults come from the environment.
    public struct Options {
        /// Index into `OpenCLDeviceInfo.all()`, or nil for the first GPU, else the first device.
        public var deviceIndex: Int?
        /// The variant policy, or nil to read `CYCLEGAN_KERNEL_VARIANT`.
        public var kernelVariants: KernelVariantPolicy?
        /// A folder of .cl files to build instead of the ones `KernelSource` finds.
        public var kernelsDirectory: URL?
        /// Whether to profile kernels; nil reads `CYCLEGAN_KERNEL_TIMING`.
        public var kernelTiming: Bool?
        /// Whether the fastest policy may take the `_tiled` convolution kernels. False keeps the
        /// convolutions on their other variants (`_cout4`, `_cin4`, `_serial`), so tests and
        /// `cyclegan verify` still reach those on devices where the tiled kernels would win.
        public var tiledConvolution: Bool

        public init(deviceIndex: Int? = nil, kernelVariants: KernelVariantPolicy? = nil,
                    kernelsDirectory: URL? = nil, kernelTiming: Bool? = nil,
                    tiledConvolution: Bool = true) {
            self.deviceIndex = deviceIndex
            self.kernelVariants = kernelVariants
            self.kernelsDirectory = kernelsDirectory
            self.kernelTiming = kernelTiming
            self.tiledConvolution = tiledConvolution
        }
    }

    /// The ops whose dispatch may choose a faster kernel than the baseline on some shape or
    /// device: the `_vec4` add and accumulate, the convolutions that compute four channels per
    /// work-item, the serial weight gradients on CPU devices, and the tiled convolutions.
    public static let opsWithVariants: Set<VerifiedOp> = [
        .add, .accumulate, .conv2dForward, .conv2dBackwardInput, .conv2dBackwardWeight,
        .convTranspose2dForward, .convTranspose2dBackwardInput, .convTranspose2dBackwardWeight,
    ]

    /// The device the backend runs on.
    public let device: OpenCLDeviceInfo
    public let kernelVariants: KernelVariantPolicy
    /// Whether `Options.tiledConvolution` allowed the `_tiled` convolution kernels.
    public let allowsTiledConvolution: Bool
    let runtime: OpenCLRuntime
    /// Local size of every launch, a power of two. Reduction kernels are built with
    /// GROUP_SIZE set to it.
    let groupSize: Int

    /// Opens the device `options.deviceIndex` selects. Throws `noDevice` when no OpenCL device
    /// exists or the index is out of range.
    public init(options: Options = Options()) throws {
        let devices = try OpenCLDeviceInfo.all()
        device = try Self.chooseDevice(from: devices, index: options.deviceIndex)
        kernelVariants = try options.kernelVariants ?? KernelVariantPolicy.fromEnvironment()
        allowsTiledConvolution = options.tiledConvolution
        runtime = try OpenCLRuntime(device: device, kernelsDirectory: options.kernelsDirectory,
                                    profiling: options.kernelTiming
                                        ?? OpenCLKernelTiming.isRequested)
        // NOTE: a kernel may allow fewer work-items per group than the device does
        // (CL_KERNEL_WORK_GROUP_SIZE); the launch then fails with CL_INVALID_WORK_GROUP_SIZE.
        // These kernels use few registers, but only PoCL (which allows 4096) has run them.
        var size = 256
        while size > device.maxWorkGroupSize && size > 1 {
            size /= 2
        }
        groupSize = size
    }

    /// Opens device `deviceIndex` of `OpenCLDeviceInfo.all()`, or the preferred device for nil.
    public convenience init(deviceIndex: Int?) throws {
        try self.init(options: Options(deviceIndex: deviceIndex))
    }

    /// Returns the device at `index`, or for nil the first GPU, else the first device of any
    /// type. Throws `noDevice` when the index is out of range or the list is empty.
    static func chooseDevice(from devices: [OpenCLDeviceInfo],
                             index: Int?) throws -> OpenCLDeviceInfo {
        if let index {
            guard devices.indices.contains(index) else {
                throw ComputeError.noDevice(
                    devices.isEmpty
                        ? "OpenCL device \(index) does not exist: no OpenCL device was found"
                        : "OpenCL device \(index) does not exist; valid indices: 0 to "
                            + "\(devices.count - 1) (run 'cyclegan devices' to list them)")
            }
            return devices[index]
        }
        guard let preferred = OpenCLDeviceInfo.preferred(among: devices) else {
            throw ComputeError.noDevice(
                "no OpenCL device was found: no platform is installed or none lists a device. "
                    + "Install an OpenCL driver: an ICD such as pocl-opencl-icd for CPUs, or the "
                    + "GPU vendor's driver")
        }
        return preferred
    }

    public var deviceDescription: String {
        "OpenCL \(device.name) (\(device.type.rawValue), \(device.platformName), "
            + "\(device.computeUnits) compute units, \(device.globalMemoryBytes >> 20) MiB)"
    }

    /// Number of device buffers created so far. Steady-state iterations leave it unchanged,
    /// because released buffers return to the pool and are reused.
    public var deviceAllocationCount: Int { runtime.pool.allocationCount }

    /// Bytes of device memory the pool holds, in use or idle.
    public var deviceAllocatedBytes: Int { runtime.pool.totalBytes }

    /// Waits for pending work and returns the per-kernel timing table collected so far, or nil
    /// when timing is off or nothing ran.
    public func kernelTimingReport() throws -> String? {
        try runtime.finish()
        return runtime.timing?.report()
    }

    // MARK: - Memory

    public func makeTensor(_ shape: TensorShape) throws -> Tensor {
        if let negative = shape.dimensions.first(where: { $0 < 0 }) {
            throw ComputeError.shapeMismatch(op: "makeTensor", detail: "shape \(shape) has the "
                + "negative dimension \(negative); every dimension must be >= 0")
        }
        if shape.count > Int(Int32.max) {
            throw ComputeError.outOfMemory(
                requestedBytes: shape.count * MemoryLayout<Float>.size,
                deviceBytes: device.globalMemoryBytes,
                hint: "Tensor \(shape) has more than 2^31 - 1 elements, the most the kernels can "
                    + "index. \(OpenCLBufferPool.memoryHint)")
        }
        return Tensor(buffer: try runtime.pool.buffer(floatCount: shape.count), shape: shape)
    }

    /// Copies `values` into the tensor with a blocking write, so `values` may change afterwards.
    public func write(_ values: [Float], to tensor: Tensor) throws {
        if values.count != tensor.count {
            throw ComputeError.shapeMismatch(op: "write", detail: "\(values.count) values "
                + "cannot fill \(tensor), which has \(tensor.count) elements")
        }
        guard !values.isEmpty else { return }
        let memory = try runtime.memory(of: tensor, kernel: "write")
        let status = values.withUnsafeBytes { bytes in
            clEnqueueWriteBuffer(runtime.queue, memory, cl_bool(CL_TRUE),
                                 tensor.offset * MemoryLayout<Float>.size, bytes.count,
                                 bytes.baseAddress, 0, nil, nil)
        }
        try OpenCLStatus.check(status, "clEnqueueWriteBuffer", detail: "\(tensor)")
    }

    public func read(_ tensor: Tensor) throws -> [Float] {
        guard tensor.count > 0 else { return [] }
        let memory = try runtime.memory(of: tensor, kernel: "read")
        var values = [Float](repeating: 0, count: tensor.count)
        let status = values.withUnsafeMutableBytes { bytes in
            clEnqueueReadBuffer(runtime.queue, memory, cl_bool(CL_TRUE),
                                tensor.offset * MemoryLayout<Float>.size, bytes.count,
                                bytes.baseAddress, 0, nil, nil)
        }
        try OpenCLStatus.check(status, "clEnqueueReadBuffer", detail: "\(tensor)")
        runtime.timing?.collect()
        return values
    }

    public func synchronize() throws {
        try runtime.finish()
    }

    // MARK: - Launch helpers for the op files

    /// Enqueues a kernel of `file` with one work-item per element of `count` (rounded up to the
    /// group size); does nothing when `count` is 0.
    func launch(_ kernel: String, in file: String, arguments: [KernelArgument],
                count: Int) throws {
        guard count > 0 else { return }
        try runtime.launch(kernel, in: file, defines: ["GROUP_SIZE": groupSize],
                           arguments: arguments, global: [count], local: [groupSize])
    }

    /// Enqueues a kernel of `file` with `groups` work-groups of `groupSize` work-items; does
    /// nothing when `groups` is 0.
    func launch(_ kernel: String, in file: String, arguments: [KernelArgument],
                groups: Int) throws {
        guard groups > 0 else { return }
        try runtime.launch(kernel, in: file, defines: ["GROUP_SIZE": groupSize],
                           arguments: arguments, global: [groups * groupSize],
                           local: [groupSize])
    }
}

extension OpenCLDeviceInfo {
    /// Returns the device that `--backend auto` and an `OpenCLBackend` without an index choose.
    /// That is the first GPU, else the first device of any type, or nil for an empty list.
    public static func preferred(among devices: [OpenCLDeviceInfo]) -> OpenCLDeviceInfo? {
        devices.first { $0.type == .gpu } ?? devices.first
    }
}
