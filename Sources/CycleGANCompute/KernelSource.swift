import Foundation

/// Finds kernel sources: the folder named by `CYCLEGAN_KERNELS_DIR` when it is set, so kernel
/// edits take effect without a rebuild, otherwise the copies embedded at build time.
public enum KernelSource {
    public static let environmentVariable = "CYCLEGAN_KERNELS_DIR"

    /// The folder `CYCLEGAN_KERNELS_DIR` names, or nil when it is unset or empty.
    public static var overrideFolder: URL? {
        guard let folder = ProcessInfo.processInfo.environment[environmentVariable],
              !folder.isEmpty else { return nil }
        return URL(fileURLWithPath: folder, isDirectory: true)
    }

    /// Throws `ComputeError.invalidEnvironment` when `CYCLEGAN_KERNELS_DIR` is set but is not a
    /// readable folder, so the problem shows once, before any kernel is built.
    public static func validateOverride() throws {
        guard let folder = overrideFolder else { return }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: folder.path,
                                                    isDirectory: &isDirectory)
        let problem: String?
        if !exists {
            problem = "no such folder"
        } else if !isDirectory.boolValue {
            problem = "it is a file, not a folder"
        } else if !FileManager.default.isReadableFile(atPath: folder.path) {
            problem = "permission denied"
        } else {
            problem = nil
        }
        if let problem {
            throw ComputeError.invalidEnvironment(
                variable: environmentVariable, value: folder.path,
                detail: problem + "; set it to a folder of .cl kernel files, or unset it to use "
                    + "the kernels built into the binary")
        }
    }

    /// Returns where `fileName` is read from, for messages: its full path and the variable
    /// when `CYCLEGAN_KERNELS_DIR` is set, else that it is built into the binary.
    public static func location(of fileName: String) -> String {
        guard let folder = overrideFolder else {
            return "\(fileName) (built into the binary)"
        }
        return "\(folder.appendingPathComponent(fileName).path) (from \(environmentVariable))"
    }

    /// The source text of `fileName` (for example "conv2d.cl").
    public static func text(of fileName: String) throws -> String {
        if let folder = overrideFolder {
            let url = folder.appendingPathComponent(fileName)
            do {
                return try String(contentsOf: url, encoding: .utf8)
            } catch {
                throw ComputeError.kernelSource(
                    "cannot read kernel file \(url.path) (\(environmentVariable)=\(folder.path)): "
                        + "\(FileErrorReason.text(for: error)). Unset \(environmentVariable) to "
                        + "use the kernels built into the binary.")
            }
        }
        guard let text = EmbeddedKernels.sources[fileName] else {
            throw ComputeError.kernelSource(
                "no kernel file named \(fileName) is built into this binary; the embedded files "
                    + "are: \(EmbeddedKernels.sources.keys.sorted().joined(separator: ", "))")
        }
        return text
    }
}
