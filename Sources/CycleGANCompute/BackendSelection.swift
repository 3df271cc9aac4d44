import Foundation

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

    /// Throws `ComputeError.invalidEnvironment` when `CYCLEGAN_KERNEL_VARIANT` or
    /// `CYCLEGAN_KERNELS_DIR` has an invalid value. Called before a backend is chosen, so a
    /// typo is a usage error instead of a silent fall back to the CPU backend.
    public static func validateEnvironment() throws {
        let variable = OpenCLBackend.KernelVariantPolicy.environmentVariable
        let value = ProcessInfo.processInfo.environment[variable] ?? ""
        if !value.isEmpty, OpenCLBackend.KernelVariantPolicy(rawValue: value) == nil {
            throw ComputeError.invalidEnvironment(
                variable: variable, value: value,
                detail: "expected 'baseline' or 'fastest', or unset it")
        }
        try KernelSource.validateOverride()
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
                + "backend, which is usually slower")
        }
        if available.isEmpty {
            if kind == .auto && deviceIndex == nil {
                return .cpu(warning: noDeviceReason() + "; using the CPU backend, which is "
                    + "usually slower")
            }
            let fix = deviceIndex != nil
                ? "drop --device (or use --backend cpu)" : "use --backend auto or cpu"
            throw ComputeError.noDevice("no OpenCL device was found: \(noDeviceReason()). To "
                + "train without OpenCL, \(fix)")
        }
        return .openCL(try OpenCLBackend.chooseDevice(from: available, index: deviceIndex))
    }

    /// Creates the backend `kind` and `deviceIndex` select. With `auto`, an OpenCL device that
    /// fails to open falls back to the CPU backend with a note that names the error.
    public static func make(kind: BackendKind, deviceIndex: Int?) throws -> Selection {
        var notes: [String] = []
        if kind != .cpu {
            try validateEnvironment()
        }
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
                    + "be opened: \(error); using the CPU backend, which is usually slower")
                notes.append("backend: \(backend.deviceDescription)")
                return Selection(backend: backend, notes: notes)
            }
        }
    }

    /// The folder the ICD loader searches for .icd files: `OCL_ICD_VENDORS` when set (the
    /// ocl-icd loader's variable, which may also name one .icd file), else the default.
    static var vendorsFolderDescription: String {
        if let vendors = ProcessInfo.processInfo.environment["OCL_ICD_VENDORS"],
           !vendors.isEmpty {
            return "\(vendors), set by OCL_ICD_VENDORS"
        }
        return "/etc/OpenCL/vendors"
    }

    /// Why no OpenCL device exists: no platform at all, or platforms without devices.
    static func noDeviceReason() -> String {
        let platforms = (try? OpenCLDeviceInfo.platformNames()) ?? []
        if platforms.isEmpty {
            return "no OpenCL platform was found (the ICD loader found no .icd file in "
                + "\(vendorsFolderDescription)); install one, such as pocl-opencl-icd for CPUs "
                + "or the GPU vendor's OpenCL driver"
        }
        return "the OpenCL platforms \(platforms.joined(separator: ", ")) list no devices"
    }
}
