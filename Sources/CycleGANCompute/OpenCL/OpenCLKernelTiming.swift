import COpenCL
import Foundation

/// Per-kernel device time, read from profiling events when `CYCLEGAN_KERNEL_TIMING=1`.
///
/// Launches hand their events over as they are enqueued; `collect()` runs after clFinish, adds
/// each event's start-to-end time to its kernel's total and releases the events.
final class OpenCLKernelTiming {
    static let environmentVariable = "CYCLEGAN_KERNEL_TIMING"

    private struct Total {
        var launches = 0
        var nanoseconds: UInt64 = 0
    }

    private let lock = NSLock()
    private var pending: [(kernel: String, event: cl_event)] = []
    private var totals: [String: Total] = [:]

    /// Whether the environment asks for kernel timings.
    static var isRequested: Bool {
        ProcessInfo.processInfo.environment[environmentVariable] == "1"
    }

    deinit {
        for entry in pending {
            clReleaseEvent(entry.event)
        }
    }

    func record(_ event: cl_event, kernel: String) {
        lock.lock()
        defer { lock.unlock() }
        pending.append((kernel, event))
    }

    /// Adds the times of finished events to the totals. Call only after clFinish.
    func collect() {
        lock.lock()
        defer { lock.unlock() }
        for (kernel, event) in pending {
            var start: cl_ulong = 0
            var end: cl_ulong = 0
            let size = MemoryLayout<cl_ulong>.size
            let startStatus = clGetEventProfilingInfo(
                event, cl_profiling_info(CL_PROFILING_COMMAND_START), size, &start, nil)
            let endStatus = clGetEventProfilingInfo(
                event, cl_profiling_info(CL_PROFILING_COMMAND_END), size, &end, nil)
            if startStatus == CL_SUCCESS, endStatus == CL_SUCCESS, end >= start {
                totals[kernel, default: Total()].launches += 1
                totals[kernel, default: Total()].nanoseconds += end - start
            }
            clReleaseEvent(event)
        }
        pending.removeAll()
    }

    /// A table of launches and device milliseconds per kernel, largest total first, or nil when
    /// nothing ran.
    func report() -> String? {
        lock.lock()
        defer { lock.unlock() }
        guard !totals.isEmpty else { return nil }
        let rows = totals.sorted { $0.value.nanoseconds > $1.value.nanoseconds }
        let allNanoseconds = rows.reduce(UInt64(0)) { $0 + $1.value.nanoseconds }
        var lines = ["kernel timing (\(environmentVariableLine)):",
                     pad("kernel", 36) + pad("launches", 10, right: true)
                        + pad("total ms", 12, right: true) + pad("mean us", 12, right: true)
                        + pad("share", 8, right: true)]
        for (kernel, total) in rows {
            let milliseconds = Double(total.nanoseconds) / 1e6
            let meanMicroseconds = Double(total.nanoseconds) / 1e3 / Double(total.launches)
            let share = allNanoseconds == 0
                ? 0 : 100 * Double(total.nanoseconds) / Double(allNanoseconds)
            lines.append(pad(kernel, 36) + pad("\(total.launches)", 10, right: true)
                         + pad(String(format: "%.3f", milliseconds), 12, right: true)
                         + pad(String(format: "%.1f", meanMicroseconds), 12, right: true)
                         + pad(String(format: "%.1f%%", share), 8, right: true))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private var environmentVariableLine: String { "\(Self.environmentVariable)=1" }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        guard text.count < width else { return text + " " }
        let spaces = String(repeating: " ", count: width - text.count)
        return right ? spaces + text : text + spaces
    }
}
