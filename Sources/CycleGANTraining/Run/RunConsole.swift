import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a run prints. On a terminal the run shows a progress bar per epoch; elsewhere it
/// prints one plain line per print interval.
public protocol RunConsole: AnyObject {
    /// Whether a progress bar should be drawn.
    var isTerminal: Bool { get }
    /// Prints one line to standard output, ending any progress bar first.
    func line(_ text: String)
    /// Prints a warning or error to standard error.
    func warning(_ text: String)
    /// Redraws the progress bar (terminals only).
    func progress(_ text: String)
}

/// The console of the `cyclegan` binary: standard output and standard error.
public final class StandardConsole: RunConsole {
    public let isTerminal: Bool
    private var barVisible = false
    private let lock = NSLock()

    public init(isTerminal: Bool = isatty(STDOUT_FILENO) == 1) {
        self.isTerminal = isTerminal
    }

    public func line(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        clearBar()
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    public func warning(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        clearBar()
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    public func progress(_ text: String) {
        guard isTerminal else { return }
        lock.lock()
        defer { lock.unlock() }
        // Carriage return, the bar, then erase to the end of the line.
        FileHandle.standardOutput.write(Data(("\r" + text + "\u{1B}[K").utf8))
        barVisible = true
    }

    private func clearBar() {
        guard barVisible else { return }
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
        barVisible = false
    }
}

/// Formats the progress bar of one epoch: bar, iterations, rate, estimated time left and the
/// current losses.
struct ProgressLine {
    var epoch: Int
    var lastEpoch: Int
    var iteration: Int
    var iterationsPerEpoch: Int
    var iterationsPerSecond: Double
    var losses: [(name: String, value: Float)]
    var terminalWidth: Int

    var text: String {
        let fraction = iterationsPerEpoch > 0
            ? Double(iteration) / Double(iterationsPerEpoch) : 0
        let barWidth = 20
        let filled = min(barWidth, Int((fraction * Double(barWidth)).rounded(.down)))
        let bar = String(repeating: "#", count: filled)
            + String(repeating: "-", count: barWidth - filled)
        let remaining = iterationsPerSecond > 0
            ? Double(iterationsPerEpoch - iteration) / iterationsPerSecond : 0
        var text = "epoch \(epoch)/\(lastEpoch) [\(bar)] \(iteration)/\(iterationsPerEpoch) "
            + String(format: "%.2f it/s", iterationsPerSecond) + " ETA " + duration(remaining)
        for (name, value) in losses {
            text += " \(name) " + String(format: "%.3f", Double(value))
        }
        return text.count > terminalWidth ? String(text.prefix(terminalWidth)) : text
    }
}

/// `h:mm:ss` or `m:ss`.
func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let total = Int(seconds.rounded())
    let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
    return hours > 0
        ? String(format: "%d:%02d:%02d", hours, minutes, secs)
        : String(format: "%d:%02d", minutes, secs)
}

/// Columns of the terminal on standard output, or 100 when unknown.
func terminalColumns() -> Int {
    var size = winsize()
    if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
        return Int(size.ws_col)
    }
    return 100
}
