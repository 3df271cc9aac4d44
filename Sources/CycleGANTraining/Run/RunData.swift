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

        let dataset = try UnalignedDataset(configuration: configuration, progress: nil)
        console.line("data: A \(options.dataFolder(.a) ?? "") (\(dataset.pathsA.count) images), "
            + "B \(options.dataFolder(.b) ?? "") (\(dataset.pathsB.count) images)")
        if !dataset.badFiles.isEmpty {
            console.warning("warning: skipping \(dataset.badFiles.count) files that failed to "
                + "decode (--skip-bad-images):")
            for file in dataset.badFiles {
                console.warning("  \(file)")
            }
        }
        return dataset
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
