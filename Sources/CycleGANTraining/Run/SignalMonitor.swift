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
/// The default handlers are set to SIG_IGN and Dispatch sources deliver the signals on a
/// private queue, outside signal-handler context. One monitor is active at a time.
public final class SignalMonitor {
    public let stopRequest: StopRequest
    private let onFirstSignal: (String) -> Void
    private let onRepeatedSignal: (String) -> Void
    private var count = 0
    private var isActive = true

    /// Installs the handlers, replacing those of an earlier monitor. `onFirstSignal` receives
    /// the signal name, for a message. `onRepeatedSignal` runs on every later signal and should
    /// not return in production.
    public init(stopRequest: StopRequest,
                onFirstSignal: @escaping (String) -> Void,
                onRepeatedSignal: @escaping (String) -> Void = { _ in _exit(130) }) {
        self.stopRequest = stopRequest
        self.onFirstSignal = onFirstSignal
        self.onRepeatedSignal = onRepeatedSignal
        SignalRouter.shared.activate(self)
    }

    /// Stops handling signals. A signal that arrives afterwards ends the process with status
    /// 128 + the signal number, as the default action would.
    public func cancel() {
        SignalRouter.shared.deactivate(self)
    }

    /// Number of signals received so far.
    public var signalsReceived: Int {
        SignalRouter.shared.queue.sync { count }
    }

    /// Runs on the router's queue.
    fileprivate func handle(_ name: String) {
        count += 1
        if count == 1 {
            stopRequest.request(reason: name)
            onFirstSignal(name)
        } else {
            onRepeatedSignal(name)
        }
    }
}

/// The process's only Dispatch signal sources, created once and never cancelled. With the
/// libdispatch of Swift 6.3 on Linux, a source created after another for the same signal was
/// cancelled never fired in our tests, so monitors share these sources and the router forwards
/// each signal to the active monitor. A monitor that is released without `cancel()` drops out
/// too, because the router holds it weakly.
private final class SignalRouter {
    static let shared = SignalRouter()

    let queue = DispatchQueue(label: "cyclegan.signals")
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []
    private weak var active: SignalMonitor?

    func activate(_ monitor: SignalMonitor) {
        lock.lock()
        defer { lock.unlock() }
        active = monitor
        guard sources.isEmpty else { return }

        // A signal sent before a source is registered is lost to SIG_IGN, so wait for both
        // registrations before the first monitor returns.
        let registered = DispatchGroup()
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in
                self?.forward(number, name: name)
            }
            registered.enter()
            source.setRegistrationHandler {
                registered.leave()
            }
            source.resume()
            sources.append(source)
        }
        _ = registered.wait(timeout: .now() + 5)
    }

    func deactivate(_ monitor: SignalMonitor) {
        lock.lock()
        defer { lock.unlock() }
        if active === monitor {
            active = nil
        }
    }

    private func forward(_ number: Int32, name: String) {
        lock.lock()
        let monitor = active
        lock.unlock()
        guard let monitor else {
            _exit(128 + number)
        }
        monitor.handle(name)
    }
}
