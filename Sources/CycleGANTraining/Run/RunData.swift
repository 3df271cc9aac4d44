import CycleGANCompute
import CycleGANImages
import Foundation

/// The training dataset of a run: the image folders the options name, or the built-in
/// synthetic images.
enum RunData {
    static func configuration(for options: TrainOptions) throws -> DatasetConfiguration {
        guard let preprocess = Preprocess(rawValue: options.preprocess) else {
            throw TrainOptionError.invalidValue(
                option: "preprocess", value: options.preprocess,
                accepted: "one of " + TrainOptionLimits.preprocessModes.joined(separator: ", "))
        }
        var configuration = DatasetConfiguration()
        configuration.dataroot = options.dataroot
        configuration.dirA = options.dataFolder(.a)
        configuration.dirB = options.dataFolder(.b)
        configuration.phase = "train"
        configuration.loadSize = options.loadSize
        configuration.cropSize = options.cropSize
        configuration.preprocess = preprocess
        configuration.noFlip = options.noFlip
        configuration.serialBatches = options.serialBatches
        configuration.batchSize = options.batchSize
        configuration.seed = options.seed
        configuration.skipBadImages = options.skipBadImages
        configuration.minimumImageSize = TrainOptionLimits.minimumCropSize
        return configuration
    }

    /// Builds the dataset and prints what it found.
    static func makeDataset(options: TrainOptions, console: RunConsole) throws -> UnalignedDataset {
        let configuration = try configuration(for: options)
        guard !options.usesSyntheticData else {
            let size = SyntheticImages.imageSize(for: options)
            console.line("data: built-in synthetic dataset, \(SyntheticImages.countPerDomain) "
                + "images per domain of \(size)x\(size) pixels (A: blobs, B: striped blobs)")
            return try UnalignedDataset(
                imagesA: SyntheticImages.images(domain: .a, size: size),
                imagesB: SyntheticImages.images(domain: .b, size: size),
                configuration: configuration)
        }

        let dataset: UnalignedDataset
        do {
            dataset = try UnalignedDataset(configuration: configuration, progress: nil)
        } catch let error as DatasetError {
            throw TrainDataError(error)
        }
        console.line("data: A \(options.dataFolder(.a) ?? "") (\(dataset.pathsA.count) images), "
            + "B \(options.dataFolder(.b) ?? "") (\(dataset.pathsB.count) images)")
        if !dataset.badFiles.isEmpty {
            let count = dataset.badFiles.count
            console.warning("warning: skipping \(count) \(count == 1 ? "file" : "files") that "
                + "cannot be used (--skip-bad-images):")
            for file in dataset.badFiles {
                console.warning("  \(file)")
            }
        }
        return dataset
    }
}

/// A dataset that cannot be used, worded with the option names of `cyclegan train`.
public struct TrainDataError: Error, CustomStringConvertible {
    public let description: String
    /// Whether options are at fault (a missing or empty folder, images that only a different
    /// --preprocess would accept) rather than the image files themselves. Both are input
    /// problems and exit with `TrainExitStatus.inputError`.
    public let isUsageError: Bool

    init(_ error: DatasetError) {
        let layout = "Expected --dataroot set to a folder containing trainA/ and trainB/, or "
            + "--dir-a and --dir-b set to two folders of .png, .jpg or .jpeg images."
        switch error {
        case .invalidConfiguration:
            description = "\(error)"
            isUsageError = true
        case let .missingFolder(domain, path):
            description = "the folder of domain \(domain) was not found: \(path). " + layout
            isUsageError = true
        case let .emptyFolder(domain, path):
            description = "the folder of domain \(domain) contains no .png, .jpg or .jpeg "
                + "images: \(path). " + layout
            isUsageError = true
        case let .badImages(files, scannedCount):
            let sizeProblems = files.filter { $0.problem != .undecodable }
            let noun = scannedCount == 1 ? "image" : "images"
            description = "\(files.count) of \(scannedCount) \(noun) cannot be used; fix or "
                + "remove them, or pass --skip-bad-images to train without them:\n"
                + Self.list(files) + Self.sizeHints(files)
            isUsageError = sizeProblems.count == files.count
        case let .noUsableImages(domain, path, files):
            description = "none of the \(files.count) images of domain \(domain) in \(path) "
                + "can be used:\n" + Self.list(files) + Self.sizeHints(files)
            isUsageError = false
        }
    }

    private static func list(_ files: [ImageDecodingError]) -> String {
        files.map { "  \($0.path): \($0.reason)" }.joined(separator: "\n")
    }

    /// The fix for images that decoded but are too small, when there are any.
    private static func sizeHints(_ files: [ImageDecodingError]) -> String {
        var hints: [String] = []
        if files.contains(where: {
            if case .smallerThanCrop = $0.problem { return true }
            return false
        }) {
            hints.append("For images smaller than the crop, use --preprocess resize_and_crop (or "
                + "scale_width_and_crop), or a larger image.")
        }
        if files.contains(where: {
            if case .smallerThanMinimum = $0.problem { return true }
            return false
        }) {
            hints.append("The networks need images of at least \(TrainOptionLimits.minimumCropSize)"
                + " pixels a side; use --preprocess resize_and_crop, or larger images.")
        }
        return hints.isEmpty ? "" : "\n" + hints.joined(separator: "\n")
    }
}

/// The built-in dataset used when no image folders are given, so a first run needs no
/// download. Domain A shows soft coloured blobs on a plain background. Domain B shows other
/// blobs of the same kind crossed by dark diagonal stripes, so the translation A -> B learns to
/// add stripes. Images depend only on their domain and index, never on `--seed`.
public enum SyntheticImages {
    /// Images per domain.
    public static let countPerDomain = 16

    /// `count` images of `domain`, each `size` x `size` pixels.
    public static func images(domain: DataDomain, count: Int = countPerDomain,
                              size: Int) -> [RGBImage] {
        (0..<count).map { image(domain: domain, index: $0, size: size) }
    }

    /// Side of the generated images for `options`: large enough that preprocessing only ever
    /// scales down, capped at 512 pixels.
    public static func imageSize(for options: TrainOptions) -> Int {
        min(512, max(64, options.loadSize, options.cropSize))
    }

    static func image(domain: DataDomain, index: Int, size: Int) -> RGBImage {
        var random = SeededRandom(seed: 0x5EED_0C1C, stream: [domain == .a ? 1 : 2,
                                                             UInt64(index)])
        let background = randomColor(&random, brightness: 0.35...0.75)
        let blobs = (0..<3).map { _ in
            Blob(x: random.nextUniform() * Double(size), y: random.nextUniform() * Double(size),
                 radius: Double(size) * (0.12 + 0.14 * random.nextUniform()),
                 color: randomColor(&random, brightness: 0.1...1))
        }
        let angle = random.nextUniform() * Double.pi
        let period = Double(size) * (0.12 + 0.08 * random.nextUniform())

        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for y in 0..<size {
            for x in 0..<size {
                var color = blobColor(x: Double(x), y: Double(y), background: background,
                                      blobs: blobs)
                if domain == .b {
                    let phase = (Double(x) * cos(angle) + Double(y) * sin(angle)) / period
                    // A smooth square wave: about half of each period is darkened to 25 %.
                    let stripe = 0.5 + 0.5 * tanh(6 * sin(2 * Double.pi * phase))
                    let factor = 1 - 0.75 * stripe
                    color = color.map { $0 * factor }
                }
                let offset = (y * size + x) * 3
                for channel in 0..<3 {
                    pixels[offset + channel] = UInt8(max(0, min(255, (color[channel] * 255)
                        .rounded())))
                }
            }
        }
        return RGBImage(width: size, height: size, pixels: pixels)
    }

    private struct Blob {
        var x: Double
        var y: Double
        var radius: Double
        var color: [Double]
    }

    /// Mixes the background and the blobs with Gaussian weights that fall off with distance.
    private static func blobColor(x: Double, y: Double, background: [Double],
                                  blobs: [Blob]) -> [Double] {
        var total = background
        var weightSum = 1.0
        for blob in blobs {
            let squaredDistance = (x - blob.x) * (x - blob.x) + (y - blob.y) * (y - blob.y)
            let weight = 4 * exp(-squaredDistance / (2 * blob.radius * blob.radius))
            for channel in 0..<3 {
                total[channel] += weight * blob.color[channel]
            }
            weightSum += weight
        }
        return total.map { $0 / weightSum }
    }

    private static func randomColor(_ random: inout SeededRandom,
                                    brightness: ClosedRange<Double>) -> [Double] {
        let span = brightness.upperBound - brightness.lowerBound
        return (0..<3).map { _ in brightness.lowerBound + span * random.nextUniform() }
    }
}
