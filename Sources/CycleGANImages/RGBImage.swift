import CImageCodec
import CycleGANCompute

/// An 8-bit RGB image: `pixels` contains `height` rows of `width` interleaved R, G, B bytes (HWC).
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    /// Wraps `pixels`, which must hold exactly `width * height * 3` bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "image size \(width)x\(height) is not positive")
        precondition(pixels.count == width * height * 3,
                     "\(pixels.count) bytes do not hold a \(width)x\(height) RGB image")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Creates an image of one colour.
    public init(width: Int, height: Int, red: UInt8, green: UInt8, blue: UInt8) {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in stride(from: 0, to: pixels.count, by: 3) {
            pixels[index] = red
            pixels[index + 1] = green
            pixels[index + 2] = blue
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// Sample `channel` (0 red, 1 green, 2 blue) of the pixel in column `x`, row `y`.
    public subscript(x: Int, y: Int, channel: Int) -> UInt8 {
        get { pixels[(y * width + x) * 3 + channel] }
        set { pixels[(y * width + x) * 3 + channel] = newValue }
    }

    /// Returns the `width` x `height` region whose top-left pixel is (`left`, `top`); it must lie
    /// inside the image.
    public func cropped(left: Int, top: Int, width: Int, height: Int) -> RGBImage {
        precondition(left >= 0 && top >= 0 && left + width <= self.width
                     && top + height <= self.height,
                     "crop \(width)x\(height) at (\(left), \(top)) exceeds "
                        + "\(self.width)x\(self.height)")
        var result = [UInt8](repeating: 0, count: width * height * 3)
        let rowBytes = width * 3
        for y in 0..<height {
            let source = ((top + y) * self.width + left) * 3
            result.replaceSubrange(y * rowBytes..<(y + 1) * rowBytes,
                                   with: pixels[source..<source + rowBytes])
        }
        return RGBImage(width: width, height: height, pixels: result)
    }

    /// Returns the image mirrored left to right.
    public func mirroredHorizontally() -> RGBImage {
        var result = pixels
        for y in 0..<height {
            for x in 0..<width {
                let source = (y * width + x) * 3
                let target = (y * width + width - 1 - x) * 3
                result[target] = pixels[source]
                result[target + 1] = pixels[source + 1]
                result[target + 2] = pixels[source + 2]
            }
        }
        return RGBImage(width: width, height: height, pixels: result)
    }

    /// Returns the image resized as Pillow's `Image.resize((width, height), Image.BICUBIC)` does
    /// it: cubic kernel with a = -0.5, antialiased when shrinking, horizontal pass then vertical
    /// pass with rounding to 8 bits in between. Returns the same values as Pillow.
    public func resizedBicubic(width: Int, height: Int) -> RGBImage {
        precondition(width > 0 && height > 0, "resize target \(width)x\(height) is not positive")
        if width == self.width && height == self.height {
            return self
        }
        var result = [UInt8](repeating: 0, count: width * height * 3)
        let status = pixels.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { destination in
                icodec_resize_bicubic_rgb8(source.baseAddress, Int32(self.width),
                                           Int32(self.height), destination.baseAddress,
                                           Int32(width), Int32(height))
            }
        }
        // Sizes are checked above, so only a failed allocation remains, which Swift's own
        // allocation of `result` would already have hit.
        precondition(status == ICODEC_OK, "bicubic resize failed with status \(status.rawValue)")
        return RGBImage(width: width, height: height, pixels: result)
    }
}
