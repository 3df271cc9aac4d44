import CycleGANCompute
import Foundation

/// Returns the OpenCL backend when this build contains one, otherwise nil.
func makeOpenCLBackendIfBuilt() throws -> ComputeBackend? {
    // TODO: return `try OpenCLBackend(deviceIndex: nil)` once OpenCLBackend is merged.
    nil
}

/// Returns the CPU backend, plus the OpenCL one when it is built and a device is present.
func benchmarkBackends() throws -> [ComputeBackend] {
    var backends: [ComputeBackend] = [CPUBackend()]
    if let openCL = try? makeOpenCLBackendIfBuilt() {
        backends.append(openCL)
    }
    return backends
}
