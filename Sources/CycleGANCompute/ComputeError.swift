/// Errors raised by the compute backends. Each message names the failing call or value and, where
/// one exists, the fix.
public enum ComputeError: Error, CustomStringConvertible {
    /// An OpenCL call returned a status other than CL_SUCCESS.
    case openCL(call: String, status: Int32, statusName: String, detail: String)
    /// A kernel source did not compile; `log` is the compiler's build log.
    case buildFailed(program: String, options: String, log: String)
    /// A device allocation failed or would exceed the device's limits.
    case outOfMemory(requestedBytes: Int, deviceBytes: Int, hint: String)
    /// Shapes passed to an op do not fit together.
    case shapeMismatch(op: String, detail: String)
    /// No OpenCL platform or device is usable.
    case noDevice(String)
    /// A kernel file could not be found or read.
    case kernelSource(String)
    /// An environment variable the backends read has an invalid value; a usage error, like an
    /// invalid option.
    case invalidEnvironment(variable: String, value: String, detail: String)

    public var description: String {
        switch self {
        case let .openCL(call, status, name, detail):
            let suffix = detail.isEmpty ? "" : ": \(detail)"
            return "\(call) failed with \(name) (\(status))\(suffix)"
        case let .buildFailed(program, options, log):
            return "OpenCL program \(program) failed to build with options '\(options)'. "
                + "Build log:\n\(log)"
        case let .outOfMemory(requested, device, hint):
            return "out of device memory: requested \(requested) bytes, the device has \(device) "
                + "bytes in all. \(hint)"
        case let .shapeMismatch(op, detail):
            return "[\(op)] invalid shapes: \(detail)"
        case let .noDevice(message):
            return message
        case let .kernelSource(message):
            return message
        case let .invalidEnvironment(variable, value, detail):
            return "\(variable)=\(value) is invalid: \(detail)"
        }
    }
}
