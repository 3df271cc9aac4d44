import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lock file that keeps two runs from writing the same experiment folder. The file contains
/// the owner's process id. It is created with O_EXCL, so only one process can create it. A lock
/// whose process is no longer alive is stale and is replaced.
///
/// NOTE: a stale lock whose process id was reused by an unrelated live process reads as held.
/// The message then names the file to delete.
public final class RunLock {
    public let url: URL
    public private(set) var isHeld = false

    /// The reason a lock could not be taken.
    public enum Failure: Error, CustomStringConvertible {
        case heldByRunningProcess(pid: Int32, url: URL)
        case unusable(url: URL, detail: String)

        public var description: String {
            switch self {
            case let .heldByRunningProcess(pid, url):
                return "another training run (process \(pid)) is using this experiment folder; "
                    + "wait for it to finish, stop it, or choose another --name. If no such run "
                    + "exists, delete \(url.path)"
            case let .unusable(url, detail):
                return "cannot take the lock \(url.path): \(detail)"
            }
        }
    }

    /// Takes the lock at `url`, replacing a stale one. Throws `Failure.heldByRunningProcess`
    /// when a live process owns it.
    public init(url: URL) throws {
        self.url = url
        for _ in 0..<3 {
            if try create() {
                isHeld = true
                return
            }
            guard let owner = readOwner() else {
                // The owner may be between creating the file and writing its id.
                usleep(50_000)
                if let owner = readOwner(), processIsAlive(owner) {
                    throw Failure.heldByRunningProcess(pid: owner, url: url)
                }
                unlink(url.path)
                continue
            }
            if processIsAlive(owner) {
                throw Failure.heldByRunningProcess(pid: owner, url: url)
            }
            unlink(url.path)
        }
        throw Failure.unusable(url: url, detail: "it was replaced by other processes while "
            + "this run tried to take it")
    }

    deinit {
        release()
    }

    /// Deletes the lock file if this object holds it. Safe to call more than once.
    public func release() {
        guard isHeld else { return }
        isHeld = false
        if readOwner() == getpid() {
            unlink(url.path)
        }
    }

    /// Deletes the lock file at `url` when it names this process, for exits that skip
    /// `release()`, such as a second Ctrl-C.
    public static func releaseIfOwned(url: URL) {
        guard let text = try? String(contentsOf: url, encoding: .utf8),
              Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) == getpid() else {
            return
        }
        unlink(url.path)
    }

    /// Creates the file with O_EXCL and writes this process's id; false when it already exists.
    private func create() throws -> Bool {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0 {
            if errno == EEXIST { return false }
            let code = errno
            throw Failure.unusable(url: url, detail: String(cString: strerror(code)))
        }
        defer { close(descriptor) }
        let text = "\(getpid())\n"
        let written = text.withCString { write(descriptor, $0, strlen($0)) }
        guard written == text.utf8.count else {
            let code = errno
            unlink(url.path)
            throw Failure.unusable(url: url, detail: String(cString: strerror(code)))
        }
        return true
    }

    private func readOwner() -> Int32? {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Whether a process with id `pid` exists (kill with signal 0; EPERM means it exists but
/// belongs to another user).
func processIsAlive(_ pid: Int32) -> Bool {
    guard pid > 0 else { return false }
    if kill(pid, 0) == 0 { return true }
    return errno == EPERM
}
