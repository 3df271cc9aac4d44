import CycleGANCompute
import Foundation

/// Returns the OpenCL backend on the default device; throws when no OpenCL device is usable.
func makeOpenCLBackend() throws -> ComputeBackend {
    try OpenCLBackend(deviceIndex: nil)
}

/// Returns the CPU backend, plus the OpenCL one when a device is present.
func benchmarkBackends() throws -> [ComputeBackend] {
    var backends: [ComputeBackend] = [CPUBackend()]
    if let openCL = try? makeOpenCLBackend() {
        backends.append(openCL)
    }
    return backends
}
