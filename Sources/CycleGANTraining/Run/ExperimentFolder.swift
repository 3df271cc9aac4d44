import CycleGANCompute
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks on the experiment folder made before any training starts, so a folder that cannot
/// be created or written fails at once with a plain reason instead of hours into a run.
enum ExperimentFolder {
    /// Creates `directory` (and its parents) when missing, then checks that it and the output
    /// files and folders already in it can be written. Throws
    /// `TrainingRunError.experimentFolder` when it cannot be created and
    /// `TrainingRunError.unwritablePath` naming the first path that cannot be written.
    static func prepare(_ directory: URL) throws {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw TrainingRunError.experimentFolder(
                    directory: directory, action: "create",
                    reason: "a file with that name exists")
            }
        } else {
            do {
                try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw TrainingRunError.experimentFolder(
                    directory: directory, action: "create",
                    reason: creationReason(directory, error))
            }
        }

        let folders = [directory] + ["checkpoint_sets", "web", "web/images"].map {
            directory.appendingPathComponent($0)
        }
        for folder in folders where isFolder(folder) {
            if let reason = unwritableFolderReason(folder) {
                throw TrainingRunError.unwritablePath(directory: directory, path: folder.path,
                                                      reason: reason)
            }
        }
        for name in ["loss_log.txt", "loss_log.csv", "options.txt"] {
            let file = directory.appendingPathComponent(name)
            guard fileManager.fileExists(atPath: file.path) else { continue }
            let descriptor = open(file.path, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw TrainingRunError.unwritablePath(
                    directory: directory, path: file.path,
                    reason: FileErrorReason.text(errno: errno))
            }
            close(descriptor)
        }
    }

    private static func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            && isDirectory.boolValue
    }

    /// Returns why files cannot be created in `folder`, or nil when they can. It creates and
    /// deletes a probe file, because permission bits do not show a read-only mount.
    private static func unwritableFolderReason(_ folder: URL) -> String? {
        let probe = AtomicFile.temporaryURL(beside: folder.appendingPathComponent("write-check"))
        let descriptor = open(probe.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            return FileErrorReason.text(errno: errno)
        }
        close(descriptor)
        unlink(probe.path)
        return nil
    }

    /// Returns why `createDirectory` failed, naming the first part of the path that is a file.
    private static func creationReason(_ directory: URL, _ error: Error) -> String {
        var ancestor = directory
        while ancestor.path != "/" {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDirectory) {
                if !isDirectory.boolValue {
                    return "\(ancestor.path) is a file, not a folder"
                }
                break
            }
            ancestor = ancestor.deletingLastPathComponent()
        }
        return FileErrorReason.text(for: error)
    }

    /// Epochs that have a complete `<epoch>_net_*.safetensors` snapshot in `directory`, sorted.
    static func snapshotEpochs(in directory: URL) -> [Int] {
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path))
            ?? [])
        let epochs = names.compactMap { name -> Int? in
            guard name.hasSuffix("_net_G_A.safetensors") else { return nil }
            return Int(name.dropLast("_net_G_A.safetensors".count))
        }
        return epochs.filter { epoch in
            networkNames.allSatisfy { names.contains("\(epoch)_net_\($0).safetensors") }
        }.sorted()
    }
}
