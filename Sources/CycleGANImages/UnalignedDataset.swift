import CycleGANCompute
import Dispatch
import Foundation

/// Two unpaired image domains, A and B, as the reference's UnalignedDataset: an epoch has
/// max(|A|, |B|) samples; sample i pairs A[i mod |A|] with a random B image (B[i mod |B|] with
/// serialBatches). Batches come from a DataLoader.
///
/// Creating the dataset from folders scans them: every file is decoded once, in parallel, so
/// bad files are found before training starts rather than hours into it.
public final class UnalignedDataset {
    public let configuration: DatasetConfiguration
    /// Domain A's image paths (or names of in-memory images), sorted.
    public let pathsA: [String]
    /// Domain B's image paths (or names of in-memory images), sorted.
    public let pathsB: [String]
    /// Files dropped because they failed to decode or are too small (only with skipBadImages).
    public let badFiles: [ImageDecodingError]
    let sourceA: ImageSource
    let sourceB: ImageSource

    /// Samples in one epoch: max(|A|, |B|).
    public var sampleCount: Int { max(pathsA.count, pathsB.count) }

    /// Batches in one epoch: sampleCount / batchSize rounded up; the last batch may be short.
    public var iterationsPerEpoch: Int {
        (sampleCount + configuration.batchSize - 1) / configuration.batchSize
    }

    /// Lists and scans the two domain folders. `progress` receives (files scanned, total) from
    /// the scanning threads, one call at a time. Throws DatasetError for a missing or empty
    /// folder, an invalid configuration, or files that fail to decode (all listed in one error)
    /// unless configuration.skipBadImages is set, which drops them into `badFiles`.
    public init(configuration: DatasetConfiguration,
                progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws {
        try configuration.validate()
        let folders = try configuration.domainFolders()
        let listedA = try ImageFolder.imagePaths(in: folders.a, domain: "A")
        let listedB = try ImageFolder.imagePaths(in: folders.b, domain: "B")
        guard !listedA.isEmpty else {
            throw DatasetError.emptyFolder(domain: "A", path: folders.a)
        }
        guard !listedB.isEmpty else {
            throw DatasetError.emptyFolder(domain: "B", path: folders.b)
        }

        let failures = UnalignedDataset.scan(listedA + listedB, configuration: configuration,
                                             progress: progress)
        let badPaths = Set(failures.map(\.path))
        if !failures.isEmpty && !configuration.skipBadImages {
            throw DatasetError.badImages(failures, scannedCount: listedA.count + listedB.count)
        }
        let usableA = listedA.filter { !badPaths.contains($0) }
        let usableB = listedB.filter { !badPaths.contains($0) }
        // Each domain's error lists only that domain's files.
        let listedPathsA = Set(listedA)
        guard !usableA.isEmpty else {
            throw DatasetError.noUsableImages(
                domain: "A", path: folders.a,
                badFiles: failures.filter { listedPathsA.contains($0.path) })
        }
        guard !usableB.isEmpty else {
            throw DatasetError.noUsableImages(
                domain: "B", path: folders.b,
                badFiles: failures.filter { !listedPathsA.contains($0.path) })
        }

        self.configuration = configuration
        self.pathsA = usableA
        self.pathsB = usableB
        self.badFiles = failures
        self.sourceA = .files(usableA)
        self.sourceB = .files(usableB)
    }

    /// A dataset of decoded images held in memory, such as a synthetic training set. Their
    /// names ("memory/A/0", ...) stand in for paths.
    public init(imagesA: [RGBImage], imagesB: [RGBImage],
                configuration: DatasetConfiguration) throws {
        try configuration.validate()
        guard !imagesA.isEmpty, !imagesB.isEmpty else {
            throw DatasetError.invalidConfiguration(
                "an in-memory dataset needs at least one image per domain, got \(imagesA.count) "
                    + "A and \(imagesB.count) B")
        }
        for (domain, images) in [("A", imagesA), ("B", imagesB)] {
            for (index, image) in images.enumerated() {
                if let error = configuration.unusableError(
                    path: "image \(index) of domain \(domain)", width: image.width,
                    height: image.height) {
                    throw DatasetError.invalidConfiguration(error.description)
                }
            }
        }
        self.configuration = configuration
        self.pathsA = imagesA.indices.map { "memory/A/\($0)" }
        self.pathsB = imagesB.indices.map { "memory/B/\($0)" }
        self.badFiles = []
        self.sourceA = .memory(imagesA)
        self.sourceB = .memory(imagesB)
    }

    /// Decodes every file once, in parallel, and returns the failures sorted by path. A file
    /// that decodes but is too small for the crop or the minimum size counts as a failure.
    private static func scan(_ paths: [String], configuration: DatasetConfiguration,
                             progress: ((Int, Int) -> Void)?) -> [ImageDecodingError] {
        var results = [ImageDecodingError?](repeating: nil, count: paths.count)
        let lock = NSLock()
        var done = 0
        results.withUnsafeMutableBufferPointer { slots in
            // Each iteration writes only its own slot, so the slots need no lock.
            let slotsBase = slots.baseAddress
            DispatchQueue.concurrentPerform(iterations: paths.count) { index in
                let path = paths[index]
                var failure: ImageDecodingError?
                do {
                    let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path))
                    failure = configuration.unusableError(path: path, width: image.width,
                                                          height: image.height)
                } catch let error as ImageDecodingError {
                    failure = error
                } catch {
                    failure = ImageDecodingError(path: path, reason: "\(error)")
                }
                slotsBase?[index] = failure
                lock.lock()
                done += 1
                progress?(done, paths.count)
                lock.unlock()
            }
        }
        return results.compactMap { $0 }.sorted {
            $0.path.unicodeScalars.lexicographicallyPrecedes($1.path.unicodeScalars)
        }
    }
}

/// Where a domain's images come from.
enum ImageSource {
    case files([String])
    case memory([RGBImage])

    func image(at index: Int) throws -> RGBImage {
        switch self {
        case .files(let paths):
            return try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: paths[index]))
        case .memory(let images):
            return images[index]
        }
    }
}
