/// The resize and crop steps applied before training, as the reference's `--preprocess`.
public enum Preprocess: String, CaseIterable, Sendable {
    /// Resize to loadSize x loadSize (bicubic), then a random cropSize x cropSize crop.
    case resizeAndCrop = "resize_and_crop"
    /// A random cropSize x cropSize crop of the image as it is.
    case crop
    /// Resize to loadSize wide keeping the aspect ratio, at least cropSize high.
    case scaleWidth = "scale_width"
    /// scaleWidth, then a random cropSize x cropSize crop.
    case scaleWidthAndCrop = "scale_width_and_crop"
    /// No resize except rounding width and height to multiples of 4 (bicubic).
    case none

    /// Whether a random cropSize x cropSize crop follows the resize step.
    var crops: Bool {
        self == .resizeAndCrop || self == .crop || self == .scaleWidthAndCrop
    }

    /// Whether output sizes follow each image's size, so images cannot share a batch.
    var outputSizeVaries: Bool {
        self == .scaleWidth || self == .none
    }
}

/// Locations of the two image domains and the settings that turn them into training batches.
/// Field names and defaults follow the reference implementation's options (`--load_size 286`,
/// `--crop_size 256`, `--preprocess resize_and_crop`, `--batch_size 1`).
public struct DatasetConfiguration: Equatable, Sendable {
    /// A folder holding `<phase>A` and `<phase>B` (trainA/trainB, testA/testB).
    public var dataroot: String?
    /// Domain A's folder; with dirB, replaces dataroot.
    public var dirA: String?
    /// Domain B's folder; with dirA, replaces dataroot.
    public var dirB: String?
    /// "train" or "test": selects the subfolders of dataroot.
    public var phase: String
    /// Side of the square (resize_and_crop) or width (scale_width) images are resized to.
    public var loadSize: Int
    /// Side of the square random crop.
    public var cropSize: Int
    public var preprocess: Preprocess
    /// Disables the random left-right mirroring.
    public var noFlip: Bool
    /// Takes samples in order with B index = index mod |B|, instead of shuffling.
    public var serialBatches: Bool
    public var batchSize: Int
    /// Seed of every random choice: epoch order, crops, flips and B pairings.
    public var seed: UInt64
    /// Drops images that fail to decode (and reports them) instead of stopping.
    public var skipBadImages: Bool
    /// Shortest side a preprocessed image may have, such as the smallest input the networks
    /// accept; smaller images count as bad images. 1 accepts every size.
    public var minimumImageSize: Int

    public init(dataroot: String? = nil, dirA: String? = nil, dirB: String? = nil,
                phase: String = "train", loadSize: Int = 286, cropSize: Int = 256,
                preprocess: Preprocess = .resizeAndCrop, noFlip: Bool = false,
                serialBatches: Bool = false, batchSize: Int = 1, seed: UInt64 = 0,
                skipBadImages: Bool = false, minimumImageSize: Int = 1) {
        self.dataroot = dataroot
        self.dirA = dirA
        self.dirB = dirB
        self.phase = phase
        self.loadSize = loadSize
        self.cropSize = cropSize
        self.preprocess = preprocess
        self.noFlip = noFlip
        self.serialBatches = serialBatches
        self.batchSize = batchSize
        self.seed = seed
        self.skipBadImages = skipBadImages
        self.minimumImageSize = minimumImageSize
    }

    /// Throws DatasetError.invalidConfiguration for sizes, batch sizes or preprocess modes that
    /// cannot work together.
    public func validate() throws {
        guard loadSize > 0 else {
            throw DatasetError.invalidConfiguration("loadSize must be positive, got \(loadSize)")
        }
        guard cropSize > 0 else {
            throw DatasetError.invalidConfiguration("cropSize must be positive, got \(cropSize)")
        }
        guard batchSize > 0 else {
            throw DatasetError.invalidConfiguration(
                "batchSize must be at least 1, got \(batchSize)")
        }
        if preprocess == .resizeAndCrop || preprocess == .scaleWidthAndCrop, cropSize > loadSize {
            throw DatasetError.invalidConfiguration(
                "cropSize \(cropSize) is larger than loadSize \(loadSize), so the crop cannot fit "
                    + "in the resized image; set loadSize to at least \(cropSize)")
        }
        if preprocess.outputSizeVaries && batchSize > 1 {
            throw DatasetError.invalidConfiguration(
                "preprocess \(preprocess.rawValue) keeps each image's aspect ratio, so images "
                    + "differ in size and cannot share a batch; use batchSize 1, or preprocess "
                    + "resize_and_crop, crop or scale_width_and_crop")
        }
    }

    /// Returns the folders of domains A and B: dirA and dirB when given, else
    /// dataroot/<phase>A and dataroot/<phase>B.
    public func domainFolders() throws -> (a: String, b: String) {
        switch (dirA, dirB) {
        case let (a?, b?):
            return (a, b)
        case (nil, nil):
            guard let dataroot else {
                throw DatasetError.invalidConfiguration(
                    "no dataset given. " + DatasetError.expectedLayout)
            }
            let root = dataroot.hasSuffix("/") ? String(dataroot.dropLast()) : dataroot
            return ("\(root)/\(phase)A", "\(root)/\(phase)B")
        default:
            throw DatasetError.invalidConfiguration(
                "dirA and dirB must be given together (got only "
                    + (dirA == nil ? "dirB" : "dirA") + ")")
        }
    }
}

/// A dataset that cannot be used, with the folder or files involved and what to do.
public enum DatasetError: Error, CustomStringConvertible {
    case invalidConfiguration(String)
    /// A domain's folder does not exist or is not a folder.
    case missingFolder(domain: String, path: String)
    /// A domain's folder contains no .png, .jpg or .jpeg files.
    case emptyFolder(domain: String, path: String)
    /// Files failed to decode or were too small during the scan (without skipBadImages).
    case badImages([ImageDecodingError], scannedCount: Int)
    /// skipBadImages dropped every file of a domain.
    case noUsableImages(domain: String, path: String, badFiles: [ImageDecodingError])

    /// The two accepted layouts, for error messages.
    static let expectedLayout = "Expected either dataroot set to a folder containing trainA/ "
        + "and trainB/ (testA/ and testB/ for phase test), or dirA and dirB set to two folders "
        + "of .png, .jpg or .jpeg images, one per domain."

    public var description: String {
        switch self {
        case .invalidConfiguration(let message):
            return "invalid dataset configuration: \(message)"
        case let .missingFolder(domain, path):
            return "the folder of domain \(domain) was not found: \(path). "
                + DatasetError.expectedLayout
        case let .emptyFolder(domain, path):
            return "the folder of domain \(domain) contains no .png, .jpg or .jpeg images: "
                + "\(path). " + DatasetError.expectedLayout
        case let .badImages(files, scannedCount):
            return "\(files.count) of \(scannedCount) images cannot be used; fix or remove them, "
                + "or set skipBadImages to train without them:\n"
                + files.map { "  \($0.path): \($0.reason)" }.joined(separator: "\n")
        case let .noUsableImages(domain, path, files):
            return "none of the \(files.count) images of domain \(domain) in \(path) can be "
                + "used:\n" + files.map { "  \($0.path): \($0.reason)" }.joined(separator: "\n")
        }
    }
}
