import CycleGANCompute

/// The reference implementation's transforms (base_dataset.get_transform) on decoded images:
/// a resize step chosen by `preprocess`, an optional random crop, an optional random mirror.
extension DatasetConfiguration {
    /// Returns the size after the resize step for a `width` x `height` image.
    func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        switch preprocess {
        case .resizeAndCrop:
            return (loadSize, loadSize)
        case .scaleWidth, .scaleWidthAndCrop:
            // The reference keeps an image that already has the width and enough height, and
            // otherwise computes int(max(loadSize * h / w, cropSize)) in floating point.
            if width == loadSize && height >= cropSize {
                return (width, height)
            }
            let scaled = Double(loadSize) * Double(height) / Double(width)
            return (loadSize, Int(max(scaled, Double(cropSize))))
        case .crop:
            return (width, height)
        case .none:
            return (roundToMultipleOfFour(width), roundToMultipleOfFour(height))
        }
    }

    /// Returns the size of a preprocessed `width` x `height` image.
    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        preprocess.crops ? (cropSize, cropSize) : resizedSize(width: width, height: height)
    }

    /// Returns why a `width` x `height` image cannot be preprocessed, or nil when it can.
    func unusableProblem(width: Int, height: Int) -> ImageDecodingError.Problem? {
        let resized = resizedSize(width: width, height: height)
        if preprocess.crops, resized.width < cropSize || resized.height < cropSize {
            return .smallerThanCrop(width: width, height: height, cropSize: cropSize)
        }
        let output = outputSize(width: width, height: height)
        if output.width < minimumImageSize || output.height < minimumImageSize {
            return .smallerThanMinimum(width: width, height: height, outputWidth: output.width,
                                       outputHeight: output.height, minimum: minimumImageSize)
        }
        return nil
    }

    /// The failure for an image `unusableProblem` rejects, with the reason in plain words.
    func unusableError(path: String, width: Int, height: Int) -> ImageDecodingError? {
        guard let problem = unusableProblem(width: width, height: height) else { return nil }
        let reason: String
        switch problem {
        case .undecodable:
            reason = "the file could not be decoded"
        case let .smallerThanCrop(width, height, cropSize):
            reason = "the image is \(width)x\(height), smaller than the \(cropSize)x\(cropSize) "
                + "crop"
        case let .smallerThanMinimum(width, height, outputWidth, outputHeight, minimum):
            reason = "the image is \(width)x\(height), \(outputWidth)x\(outputHeight) after "
                + "preprocess \(preprocess.rawValue), below the \(minimum)-pixel minimum side"
        }
        return ImageDecodingError(path: path, reason: reason, problem: problem)
    }

    /// Applies the training transform: resize, random crop, random mirror, drawn from `random`.
    func augment(_ image: RGBImage, random: inout SeededRandom) -> RGBImage {
        let (result, mirrored) = augmentWithoutMirroring(image, random: &random)
        return mirrored ? result.mirroredHorizontally() : result
    }

    /// Applies the training transform except the mirroring, which is returned as a flag so that the
    /// batch can mirror while it converts to floats. Draws the crop's left, then top offset, then
    /// the mirror decision (uniform < 0.5) from `random`.
    func augmentWithoutMirroring(_ image: RGBImage, random: inout SeededRandom)
        -> (image: RGBImage, mirrored: Bool) {
        let size = resizedSize(width: image.width, height: image.height)
        var result = image.resizedBicubic(width: size.width, height: size.height)
        if preprocess.crops {
            let left = random.nextIndex(below: result.width - cropSize + 1)
            let top = random.nextIndex(below: result.height - cropSize + 1)
            result = result.cropped(left: left, top: top, width: cropSize, height: cropSize)
        }
        let mirrored = !noFlip && random.nextUniform() < 0.5
        return (result, mirrored)
    }

    /// Applies the transform for translating images: the same resize step, a centred crop where the
    /// mode crops, and no mirroring, so the output does not depend on a seed.
    ///
    /// NOTE: the reference crops at random in test mode as well. Its test defaults set
    /// loadSize equal to cropSize, and then both choices give the whole resized image.
    public func preprocessForInference(_ image: RGBImage) -> RGBImage {
        let size = resizedSize(width: image.width, height: image.height)
        var result = image.resizedBicubic(width: size.width, height: size.height)
        if preprocess.crops && result.width >= cropSize && result.height >= cropSize {
            result = result.cropped(left: (result.width - cropSize) / 2,
                                    top: (result.height - cropSize) / 2,
                                    width: cropSize, height: cropSize)
        }
        return result
    }
}

/// `value` rounded to a multiple of 4 as Python's round(value / 4) * 4 does (halves to even),
/// and at least 4, where the reference would fail on a 0-pixel side.
func roundToMultipleOfFour(_ value: Int) -> Int {
    max(4, Int((Double(value) / 4).rounded(.toNearestOrEven)) * 4)
}

extension SeededRandom {
    /// Returns a uniform integer in 0..<bound. Rejection sampling on 64-bit draws keeps the result
    /// exactly uniform and fixed for a given generator state, independent of how the standard
    /// library implements Int.random(in:using:).
    mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "nextIndex(below:) needs a positive bound, got \(bound)")
        let range = UInt64(bound)
        let threshold = (0 &- range) % range  // 2^64 mod range: values below are biased
        while true {
            let value = next()
            if value >= threshold {
                return Int(value % range)
            }
        }
    }

    /// Returns a random permutation of 0..<count (Fisher-Yates shuffle).
    mutating func permutation(count: Int) -> [Int] {
        var order = Array(0..<count)
        var index = count - 1
        while index > 0 {
            order.swapAt(index, nextIndex(below: index + 1))
            index -= 1
        }
        return order
    }
}
