import CycleGANCompute
import Foundation

/// `cyclegan devices`: lists every OpenCL platform and device and the backend that
/// `--backend auto` would choose.
enum DevicesCommand: Command {
    static let name = "devices"
    static let summary = "list OpenCL devices and the backend --backend auto chooses"

    static let usage = """
        usage: cyclegan devices

        Lists every OpenCL platform and device (name, type, global memory, max allocation,
        compute units, OpenCL C version) with the index that --device takes, and the backend
        that --backend auto would choose: the first GPU, else the first OpenCL device of any
        type, else the CPU backend.
        """

    static func run(arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            return 0
        }
        if let first = arguments.first {
            printError("cyclegan devices: unknown argument '\(first)'; it takes no options\n\n"
                + usage)
            return 2
        }

        let devices: [OpenCLDeviceInfo]
        do {
            devices = try OpenCLDeviceInfo.all()
        } catch {
            printError("cyclegan devices: listing OpenCL devices failed: \(error)")
            return 1
        }
        if devices.isEmpty {
            print("No OpenCL devices.")
        }
        for device in devices {
            print("[\(device.index)] \(device.name)")
            printField("platform", device.platformName)
            printField("type", device.type.rawValue)
            printField("global memory", formatBytes(device.globalMemoryBytes))
            printField("max allocation", formatBytes(device.maxAllocationBytes))
            printField("compute units", "\(device.computeUnits)")
            printField("OpenCL C", device.openCLCVersion)
        }

        print("")
        do {
            switch try BackendSelection.plan(kind: .auto, deviceIndex: nil, devices: devices) {
            case .openCL(let device):
                print("--backend auto uses OpenCL device \(device.index): \(device.name) "
                    + "(\(device.type.rawValue))")
            case .cpu(let warning):
                print("--backend auto uses the CPU backend")
                if let warning {
                    print("warning: \(warning)")
                }
            }
        } catch {
            printError("cyclegan devices: \(error)")
            return 1
        }
        return 0
    }

    private static func printField(_ label: String, _ value: String) {
        print("    " + (label + ":").padding(toLength: 16, withPad: " ", startingAt: 0) + value)
    }

    /// Bytes with a binary unit, for example "15.6 GiB (16777216000 bytes)".
    private static func formatBytes(_ bytes: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let scaled = unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
        return unit == 0 ? scaled : "\(scaled) (\(bytes) bytes)"
    }
}

/// Writes `message` and a newline to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
