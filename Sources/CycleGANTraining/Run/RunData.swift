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
