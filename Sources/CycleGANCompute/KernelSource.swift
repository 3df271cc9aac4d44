import Foundation

/// Finds kernel sources: the folder named by `CYCLEGAN_KERNELS_DIR` when it is set, so kernel
/// edits take effect without a rebuild, otherwise the copies embedded at build time.
public enum KernelSource {
    public static let environmentVariable = "CYCLEGAN_KERNELS_DIR"

    /// The source text of `fileName` (for example "conv2d.cl").
    public static func text(of fileName: String) throws -> String {
        if let folder = ProcessInfo.processInfo.environment[environmentVariable], !folder.isEmpty {
            let url = URL(fileURLWithPath: folder).appendingPathComponent(fileName)
            do {
                return try String(contentsOf: url, encoding: .utf8)
            } catch {
                throw ComputeError.kernelSource(
                    "cannot read kernel file \(url.path) (\(environmentVariable)=\(folder)): "
                        + "\(error.localizedDescription). Unset \(environmentVariable) to use "
                        + "the kernels built into the binary.")
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
