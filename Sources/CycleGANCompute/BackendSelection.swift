/// The compute backends a command line can ask for.
public enum BackendKind: String, CaseIterable, Sendable {
    /// An OpenCL GPU, else any OpenCL device, else the CPU backend with a warning.
    case auto
    /// An OpenCL device; fails when there is none.
    case opencl
    /// The host reference backend.
    case cpu
}

/// The one rule that `cyclegan train`, `cyclegan devices` and `cyclegan verify` use to pick a
/// backend.
public enum BackendSelection {
    /// The backend a kind and device index resolve to, before anything is created.
    public enum Plan {
        case openCL(OpenCLDeviceInfo)
        /// The CPU backend. `warning` explains why no OpenCL device is used, and is nil when
        /// the CPU backend was requested.
        case cpu(warning: String?)
    }

    /// A created backend and the lines to print about the choice.
    public struct Selection {
        public let backend: ComputeBackend
        public let notes: [String]
    }

    /// Resolves `kind` and `deviceIndex` against `devices` (by default every installed device).
    /// Throws `noDevice` when an OpenCL device was asked for and does not exist.
    public static func plan(kind: BackendKind, deviceIndex: Int?,
                            devices: [OpenCLDeviceInfo]? = nil) throws -> Plan {
        if kind == .cpu {
            return .cpu(warning: nil)
        }
        let available: [OpenCLDeviceInfo]
        do {
            available = try devices ?? OpenCLDeviceInfo.all()
        } catch {
            if kind == .opencl || deviceIndex != nil {
                throw error
            }
            return .cpu(warning: "listing OpenCL devices failed (\(error)); using the CPU "
                + "backend, which is far slower")
        }
        if kind == .auto && deviceIndex == nil && available.isEmpty {
            return .cpu(warning: noDeviceReason() + "; using the CPU backend, which is far "
                + "slower")
        }
        do {
            return .openCL(try OpenCLBackend.chooseDevice(from: available, index: deviceIndex))
        } catch ComputeError.noDevice(let message) where available.isEmpty {
            throw ComputeError.noDevice(message + ", or run with --backend auto or cpu")
        }
    }

    /// Creates the backend `kind` and `deviceIndex` select. With `auto`, an OpenCL device that
    /// fails to open falls back to the CPU backend with a note that names the error.
    public static func make(kind: BackendKind, deviceIndex: Int?) throws -> Selection {
        var notes: [String] = []
        if kind == .cpu, let deviceIndex {
            notes.append("warning: --device \(deviceIndex) is ignored with --backend cpu")
        }
        switch try plan(kind: kind, deviceIndex: deviceIndex) {
        case .cpu(let warning):
            if let warning {
                notes.append("warning: " + warning)
            }
            let backend = CPUBackend()
            notes.append("backend: \(backend.deviceDescription)")
            return Selection(backend: backend, notes: notes)
        case .openCL(let device):
            do {
                let backend = try OpenCLBackend(deviceIndex: device.index)
                notes.append("backend: OpenCL device \(device.index): "
                    + backend.deviceDescription)
                return Selection(backend: backend, notes: notes)
            } catch {
                guard kind == .auto && deviceIndex == nil else { throw error }
                let backend = CPUBackend()
                notes.append("warning: OpenCL device \(device.index) (\(device.name)) could not "
                    + "be opened: \(error); using the CPU backend, which is far slower")
                notes.append("backend: \(backend.deviceDescription)")
                return Selection(backend: backend, notes: notes)
            }
        }
    }

    /// Why no OpenCL device exists: no platform at all, or platforms without devices.
    static func noDeviceReason() -> String {
        let platforms = (try? OpenCLDeviceInfo.platformNames()) ?? []
        if platforms.isEmpty {
            return "no OpenCL platform was found (the ICD loader found no .icd file, by default "
                + "in /etc/OpenCL/vendors); install one, such as pocl-opencl-icd for CPUs or the "
                + "GPU vendor's OpenCL driver"
        }
        return "the OpenCL platforms \(platforms.joined(separator: ", ")) list no devices"
    }
}
