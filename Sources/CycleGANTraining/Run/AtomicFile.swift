import CycleGANCompute
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file-system call of the run's output code that failed, with the path and the reason in
/// plain words.
public struct FileOperationError: Error, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var reason: String

    /// A failed system call; `code` is its errno.
    public init(operation: String, path: String, code: Int32) {
        self.init(operation: operation, path: path, reason: FileErrorReason.text(errno: code))
    }

    /// A failed Foundation call; the reason comes from the POSIX or Cocoa code inside `error`.
    public init(operation: String, path: String, error: Error) {
        self.init(operation: operation, path: path, reason: FileErrorReason.text(for: error))
    }

    public init(operation: String, path: String, reason: String) {
        self.operation = operation
        self.path = path
        self.reason = reason
    }

    public var description: String {
        "cannot \(operation) \(path): \(reason)"
    }

    /// Runs `body`, turning any error it throws other than `FileOperationError` into one for
    /// `operation` on `url`.
    @discardableResult
    static func wrapping<Result>(_ operation: String, _ url: URL,
                                 _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as FileOperationError {
            throw error
        } catch {
            throw FileOperationError(operation: operation, path: url.path, error: error)
        }
    }
}

/// Whole-file writes that a kill cannot leave half done, and the fsync calls that make a rename
/// durable.
enum AtomicFile {
    /// Writes `data` to a temporary file beside `url`, flushes it to disk, renames it over `url`
    /// and flushes the folder, so `url` contains either the old or the new contents.
    static func write(_ data: Data, to url: URL) throws {
        let temporary = temporaryURL(beside: url)
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileOperationError(operation: "write", path: url.path, code: errno)
        }
        do {
            try data.withUnsafeBytes { bytes in
                var written = 0
                while written < bytes.count {
                    let result = systemWrite(descriptor, bytes.baseAddress.map { $0 + written },
                                             bytes.count - written)
                    if result < 0, errno == EINTR { continue }
                    guard result > 0 else {
                        throw FileOperationError(operation: "write", path: url.path,
                                                 code: errno)
                    }
                    written += result
                }
            }
            guard fsync(descriptor) == 0 else {
                throw FileOperationError(operation: "write", path: url.path, code: errno)
            }
        } catch {
            close(descriptor)
            unlink(temporary.path)
            throw error
        }
        close(descriptor)
        try rename(temporary, to: url)
        try syncDirectory(url.deletingLastPathComponent())
    }

    /// Renames `source` over `destination` in one step (rename(2)).
    static func rename(_ source: URL, to destination: URL) throws {
        guard systemRename(source.path, destination.path) == 0 else {
            throw FileOperationError(operation: "rename \(source.path) to",
                                     path: destination.path, code: errno)
        }
    }

    /// Flushes a file's contents to disk.
    static func syncFile(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FileOperationError(operation: "open", path: url.path, code: errno)
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw FileOperationError(operation: "flush", path: url.path, code: errno)
        }
    }

    /// Flushes a folder's entries, making earlier renames and creations in it durable.
    static func syncDirectory(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FileOperationError(operation: "open the folder", path: url.path, code: errno)
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw FileOperationError(operation: "flush the folder", path: url.path, code: errno)
        }
    }

    /// A name beside `url` that no other writer in this or another process uses.
    static func temporaryURL(beside url: URL) -> URL {
        let suffix = ".tmp-\(getpid())-\(UUID().uuidString.prefix(8))"
        return url.deletingLastPathComponent()
            .appendingPathComponent("." + url.lastPathComponent + suffix)
    }
}

// The enum's own `write` and `rename` hide the C functions inside it.
private let systemWrite: (Int32, UnsafeRawPointer?, Int) -> Int = { write($0, $1, $2) }
private let systemRename: (String, String) -> Int32 = { rename($0, $1) }
