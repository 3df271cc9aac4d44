import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain-word reasons for failed file-system calls, shared by every command that reads or
/// writes files, so no message shows Foundation's "The operation could not be completed." or a
/// raw `Error Domain=... UserInfo=...` dump.
public enum FileErrorReason {
    /// The reason for an errno value, such as "permission denied" for EACCES.
    public static func text(errno code: Int32) -> String {
        switch code {
        case EACCES, EPERM:
            return "permission denied"
        case EROFS:
            return "the file system is read-only"
        case ENOTDIR:
            return "a file with that name exists, or a part of the path is a file, not a folder"
        case EEXIST:
            return "a file with that name exists"
        case EISDIR:
            return "it is a folder, not a file"
        case ENOENT:
            return "no such file or folder"
        case ENOSPC:
            return "no space left on the device"
        case EDQUOT:
            return "the disk quota is exhausted"
        case ENAMETOOLONG:
            return "the name is too long"
        case ELOOP:
            return "too many levels of symbolic links"
        default:
            return String(cString: strerror(code)).lowercased() + " (errno \(code))"
        }
    }

    /// The reason for any error a file-system call threw: its POSIX code when Foundation
    /// wraps one, else the Cocoa error code in words, else the error's own description.
    public static func text(for error: Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain {
            return text(errno: Int32(nsError.code))
        }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain {
            return text(errno: Int32(underlying.code))
        }
        if nsError.domain == NSCocoaErrorDomain, let reason = cocoaReason(nsError.code) {
            return reason
        }
        return "\(error)"
    }

    private static func cocoaReason(_ code: Int) -> String? {
        switch CocoaError.Code(rawValue: code) {
        case .fileReadNoPermission, .fileWriteNoPermission:
            return "permission denied"
        case .fileWriteVolumeReadOnly:
            return "the file system is read-only"
        case .fileWriteFileExists:
            return "a file with that name exists"
        case .fileNoSuchFile, .fileReadNoSuchFile:
            return "no such file or folder"
        case .fileWriteOutOfSpace:
            return "no space left on the device"
        case .fileWriteInvalidFileName, .fileReadInvalidFileName:
            return "the name is invalid"
        case .fileReadCorruptFile:
            return "the file is damaged"
        case .fileReadInapplicableStringEncoding:
            return "the file is not valid UTF-8 text"
        default:
            return nil
        }
    }
}
