import CycleGANCompute
import Foundation

/// A batch of preprocessed images of one domain.
public struct ImageBatch {
    /// NCHW values in [-1, 1].
    public var values: [Float]
    /// [N, 3, H, W].
    public var shape: TensorShape
    /// The file (or in-memory name) of each image, in batch order.
    public var paths: [String]

    public init(values: [Float], shape: TensorShape, paths: [String]) {
        self.values = values
        self.shape = shape
        self.paths = paths
    }

    /// Image `index` as 8-bit RGB.
    public func image(at index: Int) throws -> RGBImage {
        try RGBImage(tensorValues: values, shape: shape, index: index)
    }

    /// Packs equally sized images into one batch, mirroring those flagged in `mirrored`.
    init(images: [RGBImage], mirrored: [Bool]? = nil, paths: [String]) throws {
        guard let first = images.first else {
            throw DatasetError.invalidConfiguration("a batch needs at least one image")
        }
        let imageSize = first.width * first.height * 3
        var values = [Float](repeating: 0, count: imageSize * images.count)
        for (index, image) in images.enumerated() {
            guard image.width == first.width && image.height == first.height else {
                throw DatasetError.invalidConfiguration(
                    "images of one batch differ in size: \(paths[0]) is "
                        + "\(first.width)x\(first.height), \(paths[index]) is "
                        + "\(image.width)x\(image.height); use batchSize 1 or a preprocess "
                        + "mode that crops")
            }
            image.writeTensorValues(into: &values, at: index * imageSize,
                                    mirrored: mirrored?[index] ?? false)
        }
        self.init(values: values,
                  shape: TensorShape(n: images.count, c: 3, h: first.height, w: first.width),
                  paths: paths)
    }
}

/// One training step's data: a batch of each domain and where it sits in the epoch.
public struct TrainingBatch {
    public var a: ImageBatch
    public var b: ImageBatch
    public var epoch: Int
    /// 0-based index of this batch within its epoch.
    public var iteration: Int
    /// Seconds DataLoader.next() waited for the batch to be ready.
    public var dataWaitSeconds: Double
}

/// Loads images for translation: each file decoded and preprocessed with
/// DatasetConfiguration.preprocessForInference (resize step, centred crop where the mode crops,
/// no mirroring). Images of different output sizes cannot share a batch: load them one by one.
public func loadImageBatch(paths: [String], configuration: DatasetConfiguration) throws
    -> ImageBatch {
    let images = try paths.map { path in
        configuration.preprocessForInference(
            try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path)))
    }
    return try ImageBatch(images: images, paths: paths)
}

extension UnalignedDataset {
    /// Purposes of the random streams; each sample draws from its own stream per purpose.
    enum RandomPurpose: UInt64 {
        case epochOrder = 1
        case augmentA = 2
        case augmentB = 3
        case pairB = 4
    }

    /// Returns the order of dataset indices in `epoch`: shuffled from (seed, epoch), or in
    /// order with serialBatches.
    func sampleOrder(epoch: Int) -> [Int] {
        guard !configuration.serialBatches else { return Array(0..<sampleCount) }
        var random = SeededRandom(seed: configuration.seed,
                                  stream: [RandomPurpose.epochOrder.rawValue,
                                           UInt64(truncatingIfNeeded: epoch)])
        return random.permutation(count: sampleCount)
    }

    private func stream(_ purpose: RandomPurpose, epoch: Int, position: Int) -> SeededRandom {
        SeededRandom(seed: configuration.seed,
                     stream: [purpose.rawValue, UInt64(truncatingIfNeeded: epoch),
                              UInt64(truncatingIfNeeded: position)])
    }

    /// Batch `iteration` of `epoch` for both domains, given the epoch's `order`. Every random
    /// choice comes from streams keyed by (seed, purpose, epoch, position in the epoch), so the
    /// batch is the same whichever thread builds it and whenever.
    func makeBatch(epoch: Int, iteration: Int, order: [Int]) throws
        -> (a: ImageBatch, b: ImageBatch) {
        let start = iteration * configuration.batchSize
        let positions = start..<min(order.count, start + configuration.batchSize)
        var imagesA: [RGBImage] = []
        var imagesB: [RGBImage] = []
        var mirroredA: [Bool] = []
        var mirroredB: [Bool] = []
        var namesA: [String] = []
        var namesB: [String] = []
        for position in positions {
            let index = order[position]
            let indexA = index % pathsA.count
            var pairing = stream(.pairB, epoch: epoch, position: position)
            let indexB = configuration.serialBatches
                ? index % pathsB.count : pairing.nextIndex(below: pathsB.count)

            var randomA = stream(.augmentA, epoch: epoch, position: position)
            var randomB = stream(.augmentB, epoch: epoch, position: position)
            let a = configuration.augmentWithoutMirroring(try sourceA.image(at: indexA),
                                                          random: &randomA)
            let b = configuration.augmentWithoutMirroring(try sourceB.image(at: indexB),
                                                          random: &randomB)
            imagesA.append(a.image)
            imagesB.append(b.image)
            mirroredA.append(a.mirrored)
            mirroredB.append(b.mirrored)
            namesA.append(pathsA[indexA])
            namesB.append(pathsB[indexB])
        }
        return (try ImageBatch(images: imagesA, mirrored: mirroredA, paths: namesA),
                try ImageBatch(images: imagesB, mirrored: mirroredB, paths: namesB))
    }
}
