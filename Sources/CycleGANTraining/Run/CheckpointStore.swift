import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Saves and finds the latest checkpoint of an experiment folder, so that a kill at any instant
/// leaves one complete, loadable checkpoint.
///
/// Layout inside the experiment folder:
/// - `checkpoint_sets/<set>/` contains one checkpoint: `latest_net_{G_A,G_B,D_A,D_B}.safetensors`
///   and `training_state.safetensors` (model state plus `RunState` metadata).
/// - `latest_checkpoint` is a symbolic link to the committed set. A save writes and flushes a
///   new set, then replaces this link with one rename(2): that rename is the commit. Until it
///   happens, the previous set stays untouched and is the checkpoint a resume finds.
/// - `latest_net_G_A.safetensors` (and the other three) and
///   `latest_training_state.safetensors` are links through `latest_checkpoint`, so the
///   reference's file names always show the committed set.
///
/// Sets other than the committed one are leftovers of an interrupted save or of older saves,
/// and are deleted after each commit and by `removeUncommittedSets()`.
public final class CheckpointStore {
    /// The steps of a save, in order. `faultInjection` runs after each one; a test throws from
    /// it to simulate a kill at that point.
    public enum Step: String, CaseIterable {
        case setCreated, networksWritten, stateWritten, setFlushed, linkPrepared, committed,
             commitFlushed, userLinksUpdated, oldSetsRemoved
    }

    public let directory: URL
    public var faultInjection: ((Step) throws -> Void)?

    static let setsFolder = "checkpoint_sets"
    static let pointerName = "latest_checkpoint"
    static let stateFileName = "training_state.safetensors"
    static let networkPrefix = "latest"

    private var setsDirectory: URL { directory.appendingPathComponent(Self.setsFolder) }
    private var pointer: URL { directory.appendingPathComponent(Self.pointerName) }

    public init(directory: URL) {
        self.directory = directory
    }

    /// The committed set's folder, or nil when the experiment has no checkpoint yet.
    public func committedSet() throws -> URL? {
        guard let target = readLink(pointer) else { return nil }
        let url = directory.appendingPathComponent(target)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw CheckpointError.corrupt(
                url: pointer, detail: "it links to \(target), which is not a folder; the "
                    + "experiment folder was changed by hand")
        }
        return url
    }

    /// Reads the committed training state, or nil when there is no checkpoint.
    public func loadState() throws -> (state: SafetensorsFile, run: RunState, set: URL)? {
        guard let set = try committedSet() else { return nil }
        let stateURL = set.appendingPathComponent(Self.stateFileName)
        let state: SafetensorsFile
        do {
            state = try SafetensorsFile.read(from: stateURL)
        } catch {
            throw CheckpointError.corrupt(url: stateURL, detail: "\(error)")
        }
        return (state, try RunState(metadata: state.metadata, source: stateURL), set)
    }

    /// Saves the model's networks and training state with `run` as one new checkpoint and
    /// commits it. Returns the new set's folder.
    @discardableResult
    public func save(model: TrainableModel, run: RunState) throws -> URL {
        let fileManager = FileManager.default
        let name = String(format: "iter_%09d_", run.position.totalIterations)
            + UUID().uuidString.prefix(8).lowercased()
        let set = setsDirectory.appendingPathComponent(name)
        try FileOperationError.wrapping("create the folder", set) {
            try fileManager.createDirectory(at: setsDirectory, withIntermediateDirectories: true)
            try fileManager.createDirectory(at: set, withIntermediateDirectories: false)
        }
        try faultInjection?(.setCreated)

        let networkMetadata = [
            "epoch": String(run.position.epoch),
            "total_iterations": String(run.position.totalIterations),
        ]
        try model.saveNetworks(to: set, prefix: Self.networkPrefix, extraMetadata: networkMetadata)
        try faultInjection?(.networksWritten)

        var state = try model.trainingState()
        state.metadata.merge(run.metadata) { _, runValue in runValue }
        try state.write(to: set.appendingPathComponent(Self.stateFileName))
        try faultInjection?(.stateWritten)

        let files = try FileOperationError.wrapping("list the folder", set) {
            try fileManager.contentsOfDirectory(atPath: set.path)
        }
        for file in files {
            try AtomicFile.syncFile(set.appendingPathComponent(file))
        }
        try AtomicFile.syncDirectory(set)
        try AtomicFile.syncDirectory(setsDirectory)
        try faultInjection?(.setFlushed)

        let temporaryLink = AtomicFile.temporaryURL(beside: pointer)
        try makeLink(at: temporaryLink, to: Self.setsFolder + "/" + name)
        try faultInjection?(.linkPrepared)

        try AtomicFile.rename(temporaryLink, to: pointer)
        try faultInjection?(.committed)

        try AtomicFile.syncDirectory(directory)
        try faultInjection?(.commitFlushed)

        try updateUserLinks()
        try faultInjection?(.userLinksUpdated)

        try removeUncommittedSets()
        try faultInjection?(.oldSetsRemoved)
        return set
    }

    /// Deletes every set except the committed one, and temporary links left by an interrupted
    /// save.
    public func removeUncommittedSets() throws {
        let fileManager = FileManager.default
        let committed = try committedSet()?.lastPathComponent
        if fileManager.fileExists(atPath: setsDirectory.path) {
            let sets = try FileOperationError.wrapping("list the folder", setsDirectory) {
                try fileManager.contentsOfDirectory(atPath: setsDirectory.path)
            }
            for name in sets where name != committed {
                let set = setsDirectory.appendingPathComponent(name)
                try FileOperationError.wrapping("delete", set) {
                    try fileManager.removeItem(at: set)
                }
            }
        }
        let leftoverPrefix = "." + Self.pointerName + ".tmp-"
        let entries = try FileOperationError.wrapping("list the folder", directory) {
            try fileManager.contentsOfDirectory(atPath: directory.path)
        }
        for name in entries where name.hasPrefix(leftoverPrefix) {
            unlink(directory.appendingPathComponent(name).path)
        }
    }

    /// Creates the reference-named links (`latest_net_G_A.safetensors`, ...) through
    /// `latest_checkpoint` where they are missing or point elsewhere.
    public func updateUserLinks() throws {
        var links = networkNames.map { name -> (String, String) in
            let file = "\(Self.networkPrefix)_net_\(name).safetensors"
            return (file, Self.pointerName + "/" + file)
        }
        links.append(("latest_training_state.safetensors",
                      Self.pointerName + "/" + Self.stateFileName))
        for (name, target) in links {
            let url = directory.appendingPathComponent(name)
            if readLink(url) == target { continue }
            let temporary = AtomicFile.temporaryURL(beside: url)
            try makeLink(at: temporary, to: target)
            try AtomicFile.rename(temporary, to: url)
        }
    }

    private func makeLink(at url: URL, to target: String) throws {
        guard symlink(target, url.path) == 0 else {
            throw FileOperationError(operation: "create the link to \(target) at",
                                     path: url.path, code: errno)
        }
    }

    /// The target of a symbolic link, or nil when `url` is not one.
    private func readLink(_ url: URL) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(url.path, &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        buffer[length] = 0
        return String(cString: buffer)
    }
}
