import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thread-safe request to stop training after the current iteration, set by a signal or a
/// test and read by the run loop once per iteration.
public final class StopRequest {
    private let lock = NSLock()
    private var reason: String?

    public init() {}

    /// Records the first reason given; later requests keep it.
    public func request(reason: String) {
        lock.lock()
        defer { lock.unlock() }
        if self.reason == nil {
            self.reason = reason
        }
    }

    /// The reason of the first request, such as "SIGINT", or nil while none was made.
    public var requestedReason: String? {
        lock.lock()
        defer { lock.unlock() }
        return reason
    }
}

/// Turns SIGINT and SIGTERM into a `StopRequest`, so the run finishes its iteration and saves.
/// A second signal calls `onRepeatedSignal`, which by default exits at once with status 130.
///
/// The process-wide default handlers are set to SIG_IGN while the monitor is installed, and
/// Dispatch sources deliver the signals on a private queue, outside signal-handler context.
public final class SignalMonitor {
    public let stopRequest: StopRequest
    private let queue = DispatchQueue(label: "cyclegan.signals")
    private var sources: [DispatchSourceSignal] = []
    private var count = 0
    private let onFirstSignal: (String) -> Void
    private let onRepeatedSignal: (String) -> Void

    /// Installs the handlers. `onFirstSignal` receives the signal name, for a message;
    /// `onRepeatedSignal` runs on every later signal and should not return in production.
    public init(stopRequest: StopRequest,
                onFirstSignal: @escaping (String) -> Void,
                onRepeatedSignal: @escaping (String) -> Void = { _ in _exit(130) }) {
        self.stopRequest = stopRequest
        self.onFirstSignal = onFirstSignal
        self.onRepeatedSignal = onRepeatedSignal
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in
                self?.handle(name)
            }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        cancel()
    }

    /// Removes the handlers and restores the default action of both signals.
    public func cancel() {
        guard !sources.isEmpty else { return }
        for source in sources {
            source.cancel()
        }
        sources.removeAll()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// Number of signals received so far.
    public var signalsReceived: Int {
        queue.sync { count }
    }

    private func handle(_ name: String) {
        count += 1
        if count == 1 {
            stopRequest.request(reason: name)
            onFirstSignal(name)
        } else {
            onRepeatedSignal(name)
        }
    }
}
