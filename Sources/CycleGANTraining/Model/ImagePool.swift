import CycleGANCompute

/// A history of generated images, so the discriminators also see older fakes.
///
/// Semantics of the reference's ImagePool (util/image_pool.py), image by image through a batch:
/// while fewer than `capacity` images are stored, the new image is stored and returned. Once
/// full, with probability 0.5 a stored image chosen uniformly is returned and replaced by the
/// new one; otherwise the new image is returned. A capacity of 0 returns the input unchanged.
/// Stored images live on the device; each slot keeps its tensor, so a steady-state query only
/// copies.
public final class ImagePool {
    public let capacity: Int
    /// Stored images, each `[1, C, H, W]`, in slot order.
    private(set) var images: [Tensor] = []

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// Number of stored images.
    public var count: Int { images.count }

    /// Returns the batch the discriminator receives in place of `fakes` (NCHW), drawing from
    /// `random` as the reference draws from Python's `random`: one uniform number per image once
    /// the pool is full, and one index when that number exceeds 0.5.
    func query(_ fakes: Tensor, backend: ComputeBackend,
               random: inout SeededRandom) throws -> Tensor {
        guard capacity > 0 else { return fakes }
        let batch = fakes.shape.dimensions[0]

        // Plan on the host first: what each image does and the shape it returns, so the output
        // can be allocated before any copy.
        enum Step {
            /// Store the new image in a free slot and return it.
            case store
            /// Return the new image and store nothing.
            case pass
            /// Return the image in `slot`, then store the new image there.
            case swap(slot: Int)
        }
        var plan: [Step] = []
        var slotShapes = images.map(\.shape)
        var outputShapes: [TensorShape] = []
        for index in 0..<batch {
            let shape = fakes.item(index).shape
            if slotShapes.count < capacity {
                plan.append(.store)
                slotShapes.append(shape)
                outputShapes.append(shape)
            } else if random.nextUniform() > 0.5 {
                let slot = random.nextIndex(below: capacity)
                plan.append(.swap(slot: slot))
                outputShapes.append(slotShapes[slot])
                slotShapes[slot] = shape
            } else {
                plan.append(.pass)
                outputShapes.append(shape)
            }
        }
        guard let first = outputShapes.first, outputShapes.allSatisfy({ $0 == first }) else {
            throw ModelError.invalidInput(
                layer: "image pool", detail: "the images returned for one batch would have the "
                    + "shapes \(outputShapes); train with one image size or batch size 1")
        }

        // Then copy in the planned order, so an image stored earlier in the batch can be
        // returned later in the same batch, as the reference allows.
        var outputDimensions = first.dimensions
        outputDimensions[0] = batch
        let output = try backend.makeTensor(TensorShape(outputDimensions))
        for (index, step) in plan.enumerated() {
            let image = fakes.item(index)
            switch step {
            case .store:
                let stored = try backend.makeTensor(image.shape)
                try backend.copy(image, to: stored)
                images.append(stored)
                try backend.copy(image, to: output.item(index))
            case .pass:
                try backend.copy(image, to: output.item(index))
            case let .swap(slot):
                try backend.copy(images[slot], to: output.item(index))
                if images[slot].shape != image.shape {
                    images[slot] = try backend.makeTensor(image.shape)
                }
                try backend.copy(image, to: images[slot])
            }
        }
        return output
    }

    /// Replaces the stored images, as a checkpoint restores them.
    func restore(images: [Tensor]) throws {
        guard images.count <= capacity else {
            throw ModelError.invalidInput(
                layer: "image pool", detail: "\(images.count) saved images exceed the pool size "
                    + "\(capacity); resume with the pool_size the run was started with")
        }
        self.images = images
    }
}

extension SeededRandom {
    /// A uniform integer in 0..<bound (bound >= 1), by Lemire's multiply-and-reject method, so
    /// the sequence depends on this generator alone and not on the standard library version.
    mutating func nextIndex(below bound: Int) -> Int {
        let range = UInt64(bound)
        let threshold = (0 &- range) % range
        while true {
            let (high, low) = next().multipliedFullWidth(by: range)
            if low >= threshold {
                return Int(high)
            }
        }
    }
}
