import COpenCL
import Foundation

/// One argument of a kernel launch.
enum KernelArgument {
    /// A tensor, passed as two arguments: its buffer and its element offset (an int).
    case tensor(Tensor)
    /// A NULL global pointer and a zero offset, for an absent optional tensor such as a bias.
    case absentTensor
    case int(Int)
    case float(Float)
}

/// Context, in-order queue and compiled programs of one OpenCL device.
///
/// Programs are built on first use with the `-D` options of the launch, and each built program
/// and kernel object is cached by file, options and name.
final class OpenCLRuntime {
    let device: OpenCLDeviceInfo
    let context: cl_context
    let queue: cl_command_queue
    let pool: OpenCLBufferPool
    let timing: OpenCLKernelTiming?
    /// Folder read instead of the embedded kernel sources, or nil for `KernelSource`'s rule.
    private let kernelsDirectory: URL?
    private let lock = NSRecursiveLock()
    private var programs: [String: cl_program] = [:]
    private var kernels: [String: cl_kernel] = [:]

    init(device: OpenCLDeviceInfo, kernelsDirectory: URL?, profiling: Bool) throws {
        if kernelsDirectory == nil {
            try KernelSource.validateOverride()
        }
        self.device = device
        self.kernelsDirectory = kernelsDirectory

        var status: cl_int = CL_SUCCESS
        var deviceID: cl_device_id? = device.deviceID
        guard let context = clCreateContext(nil, 1, &deviceID, nil, nil, &status),
              status == CL_SUCCESS else {
            throw ComputeError.openCL(call: "clCreateContext", status: status,
                                      statusName: OpenCLStatus.name(of: status),
                                      detail: "device \(device.name)")
        }
        self.context = context

        let properties = profiling ? cl_command_queue_properties(CL_QUEUE_PROFILING_ENABLE) : 0
        guard let queue = clCreateCommandQueue(context, device.deviceID, properties, &status),
              status == CL_SUCCESS else {
            clReleaseContext(context)
            throw ComputeError.openCL(call: "clCreateCommandQueue", status: status,
                                      statusName: OpenCLStatus.name(of: status),
                                      detail: "device \(device.name)")
        }
        self.queue = queue
        pool = OpenCLBufferPool(context: context, device: device)
        timing = profiling ? OpenCLKernelTiming() : nil
    }

    deinit {
        clFinish(queue)
        timing?.collect()
        if let report = timing?.report() {
            FileHandle.standardError.write(Data(report.utf8))
        }
        for kernel in kernels.values {
            clReleaseKernel(kernel)
        }
        for program in programs.values {
            clReleaseProgram(program)
        }
        clReleaseCommandQueue(queue)
        clReleaseContext(context)
    }

    // MARK: - Programs and kernels

    /// Returns the kernel `name` of `file` built with `-D KEY=VALUE` for each entry of
    /// `defines`, building the program on first use.
    func kernel(_ name: String, in file: String, defines: [String: Int] = [:]) throws -> cl_kernel {
        let options = defines.keys.sorted().map { "-D \($0)=\(defines[$0] ?? 0)" }
            .joined(separator: " ")
        let key = "\(file)|\(options)|\(name)"
        lock.lock()
        defer { lock.unlock() }
        if let kernel = kernels[key] {
            return kernel
        }
        let program = try program(file: file, options: options)
        var status: cl_int = CL_SUCCESS
        guard let kernel = clCreateKernel(program, name, &status), status == CL_SUCCESS else {
            throw ComputeError.openCL(call: "clCreateKernel", status: status,
                                      statusName: OpenCLStatus.name(of: status),
                                      detail: "kernel \(name) in \(file)")
        }
        kernels[key] = kernel
        return kernel
    }

    private func program(file: String, options: String) throws -> cl_program {
        let key = "\(file)|\(options)"
        if let program = programs[key] {
            return program
        }
        let program = try buildProgram(source: try source(of: file), name: location(of: file),
                                       options: options)
        programs[key] = program
        return program
    }

    private func source(of file: String) throws -> String {
        guard let kernelsDirectory else {
            return try KernelSource.text(of: file)
        }
        let url = kernelsDirectory.appendingPathComponent(file)
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ComputeError.kernelSource(
                "cannot read kernel file \(url.path): \(FileErrorReason.text(for: error))")
        }
    }

    /// Returns where `file` is read from, for build errors.
    private func location(of file: String) -> String {
        guard let kernelsDirectory else { return KernelSource.location(of: file) }
        return kernelsDirectory.appendingPathComponent(file).path
    }

    /// Compiles `source` for the device. A compile error throws `buildFailed` with the log, in
    /// which `name` replaces the temporary file names some compilers report.
    func buildProgram(source: String, name: String, options: String) throws -> cl_program {
        var status: cl_int = CL_SUCCESS
        let created = source.withCString { text -> cl_program? in
            var strings: UnsafePointer<CChar>? = text
            var length = strlen(text)
            return clCreateProgramWithSource(context, 1, &strings, &length, &status)
        }
        guard let program = created, status == CL_SUCCESS else {
            throw ComputeError.openCL(call: "clCreateProgramWithSource", status: status,
                                      statusName: OpenCLStatus.name(of: status), detail: name)
        }
        var deviceID: cl_device_id? = device.deviceID
        status = clBuildProgram(program, 1, &deviceID, options, nil, nil)
        if status == CL_BUILD_PROGRAM_FAILURE {
            let log = Self.namingSource(buildLog(of: program), name: name)
            clReleaseProgram(program)
            throw ComputeError.buildFailed(program: name, options: options, log: log)
        }
        if status != CL_SUCCESS {
            clReleaseProgram(program)
        }
        try OpenCLStatus.check(status, "clBuildProgram", detail: "\(name) with '\(options)'")
        return program
    }

    /// `log` with each temporary source path replaced by `name`. PoCL compiles a copy such as
    /// `~/.cache/pocl/kcache/tempfile_Ab12Cd.cl`, and clang prints `<source>` or
    /// `input.cl`, where the reader needs the real file.
    static func namingSource(_ log: String, name: String) -> String {
        let fileName = name.components(separatedBy: " (").first ?? name
        let patterns = [#"(/[^\s:]*/)?tempfile[^\s:/]*\.cl"#, #"<source>"#]
        var result = log
        for pattern in patterns {
            result = result.replacingOccurrences(of: pattern, with: fileName,
                                                 options: .regularExpression)
        }
        return result
    }

    private func buildLog(of program: cl_program) -> String {
        let parameter = cl_program_build_info(CL_PROGRAM_BUILD_LOG)
        var size = 0
        guard clGetProgramBuildInfo(program, device.deviceID, parameter, 0, nil, &size)
                == CL_SUCCESS else {
            return "(the build log could not be read)"
        }
        var bytes = [CChar](repeating: 0, count: size + 1)
        guard clGetProgramBuildInfo(program, device.deviceID, parameter, size, &bytes, nil)
                == CL_SUCCESS else {
            return "(the build log could not be read)"
        }
        return bytes.withUnsafeBufferPointer { pointer in
            pointer.baseAddress.map { String(cString: $0) } ?? ""
        }
    }

    // MARK: - Launching

    /// Sets the arguments of the kernel `name` of `file` and enqueues it without waiting.
    /// `global` is rounded up to a multiple of `local` in every dimension, so kernels must
    /// bound-check their ids.
    func launch(_ name: String, in file: String, defines: [String: Int] = [:],
                arguments: [KernelArgument], global: [Int], local: [Int]) throws {
        lock.lock()
        defer { lock.unlock() }
        let kernel = try kernel(name, in: file, defines: defines)
        try setArguments(arguments, of: kernel, name: name)

        let rounded = zip(global, local).map { size, group in
            max(group, (size + group - 1) / group * group)
        }
        var event: cl_event?
        let status = rounded.withUnsafeBufferPointer { globalSizes in
            local.withUnsafeBufferPointer { localSizes in
                withUnsafeMutablePointer(to: &event) { eventPointer in
                    clEnqueueNDRangeKernel(queue, kernel, cl_uint(global.count), nil,
                                           globalSizes.baseAddress, localSizes.baseAddress, 0,
                                           nil, timing == nil ? nil : eventPointer)
                }
            }
        }
        if OpenCLStatus.isOutOfMemory(status) {
            throw ComputeError.outOfMemory(
                requestedBytes: pool.totalBytes, deviceBytes: device.globalMemoryBytes,
                hint: "Launching \(name) failed with \(OpenCLStatus.name(of: status)); the "
                    + "requested figure is the total of all live buffers. "
                    + OpenCLBufferPool.memoryHint)
        }
        try OpenCLStatus.check(status, "clEnqueueNDRangeKernel",
                               detail: "kernel \(name), global \(rounded), local \(local)")
        if let event {
            timing?.record(event, kernel: name)
        }
    }

    private func setArguments(_ arguments: [KernelArgument], of kernel: cl_kernel,
                              name: String) throws {
        var index: cl_uint = 0
        func set<Value>(_ value: Value) throws {
            let status = withUnsafeBytes(of: value) { bytes in
                clSetKernelArg(kernel, index, bytes.count, bytes.baseAddress)
            }
            try OpenCLStatus.check(status, "clSetKernelArg",
                                   detail: "argument \(index) of \(name)")
            index += 1
        }
        for argument in arguments {
            switch argument {
            case .tensor(let tensor):
                try set(try memory(of: tensor, kernel: name))
                try set(try int32(tensor.offset, kernel: name))
            case .absentTensor:
                try OpenCLStatus.check(
                    clSetKernelArg(kernel, index, MemoryLayout<cl_mem>.size, nil),
                    "clSetKernelArg", detail: "argument \(index) (NULL) of \(name)")
                index += 1
                try set(cl_int(0))
            case .int(let value):
                try set(try int32(value, kernel: name))
            case .float(let value):
                try set(cl_float(value))
            }
        }
    }

    /// Returns the cl_mem behind `tensor` after checking that this runtime's pool made it.
    func memory(of tensor: Tensor, kernel: String) throws -> cl_mem {
        guard let buffer = tensor.buffer as? OpenCLBuffer, buffer.pool === pool else {
            throw ComputeError.shapeMismatch(
                op: kernel, detail: "\(tensor) was not made by this OpenCL backend's makeTensor; "
                    + "tensors cannot move between backends or devices")
        }
        return buffer.memory
    }

    private func int32(_ value: Int, kernel: String) throws -> cl_int {
        guard let converted = cl_int(exactly: value) else {
            throw ComputeError.shapeMismatch(
                op: kernel, detail: "index value \(value) exceeds the 32-bit range the kernels "
                    + "use; split the tensor into smaller ones")
        }
        return converted
    }

    /// Waits for all enqueued work and collects kernel timings when profiling.
    func finish() throws {
        try OpenCLStatus.check(clFinish(queue), "clFinish")
        timing?.collect()
    }
}
