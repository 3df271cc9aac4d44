import CycleGANCompute

extension RGBImage {
    /// Writes the image as CHW floats in [-1, 1], (v / 255 - 0.5) / 0.5 as the reference's
    /// ToTensor followed by Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)), starting at `offset`;
    /// `mirrored` writes the left-right mirror image instead.
    func writeTensorValues(into values: inout [Float], at offset: Int, mirrored: Bool = false) {
        let planeSize = width * height
        precondition(offset >= 0 && offset + planeSize * 3 <= values.count,
                     "tensor of \(values.count) values has no room for \(width)x\(height) "
                        + "at \(offset)")
        let width = self.width
        normalizedBytes.withUnsafeBufferPointer { table in
            pixels.withUnsafeBufferPointer { source in
                values.withUnsafeMutableBufferPointer { destination in
                    guard let base = destination.baseAddress else { return }
                    let red = base + offset
                    let green = red + planeSize
                    let blue = green + planeSize
                    for y in 0..<height {
                        let row = y * width
                        for x in 0..<width {
                            let pixel = (row + (mirrored ? width - 1 - x : x)) * 3
                            red[row + x] = table[Int(source[pixel])]
                            green[row + x] = table[Int(source[pixel + 1])]
                            blue[row + x] = table[Int(source[pixel + 2])]
                        }
                    }
                }
            }
        }
    }

    /// Returns the image as `[3, height, width]` floats in [-1, 1].
    public func tensorValues() -> [Float] {
        var values = [Float](repeating: 0, count: width * height * 3)
        writeTensorValues(into: &values, at: 0)
        return values
    }

    /// Image `index` of `values`, a `[N, 3, H, W]` or `[3, H, W]` tensor in [-1, 1], as 8-bit
    /// RGB: each value maps to (v + 1) / 2 * 255, rounded and clamped to 0...255 (NaN to 0).
    /// Throws ComputeError.shapeMismatch when the shape does not have three channels, does not
    /// match the number of values, or has no image `index`.
    public init(tensorValues values: [Float], shape: TensorShape, index: Int = 0) throws {
        let dimensions = shape.dimensions
        guard dimensions.count == 3 || dimensions.count == 4,
              dimensions[dimensions.count - 3] == 3,
              dimensions.allSatisfy({ $0 > 0 }) else {
            throw ComputeError.shapeMismatch(
                op: "RGBImage(tensorValues:)",
                detail: "expected shape [N, 3, H, W] or [3, H, W], got \(shape)")
        }

        guard values.count == shape.count else {
            throw ComputeError.shapeMismatch(
                op: "RGBImage(tensorValues:)",
                detail: "shape \(shape) needs \(shape.count) values, got \(values.count)")
        }

        let imageCount = dimensions.count == 4 ? dimensions[0] : 1
        guard index >= 0 && index < imageCount else {
            throw ComputeError.shapeMismatch(
                op: "RGBImage(tensorValues:)",
                detail: "image index \(index) is outside the batch of \(imageCount) in \(shape)")
        }

        let height = dimensions[dimensions.count - 2]
        let width = dimensions[dimensions.count - 1]
        let planeSize = width * height
        let offset = index * planeSize * 3
        var pixels = [UInt8](repeating: 0, count: planeSize * 3)
        for pixel in 0..<planeSize {
            for channel in 0..<3 {
                let value = values[offset + channel * planeSize + pixel]
                pixels[pixel * 3 + channel] = byteValue(value)
            }
        }
        self.init(width: width, height: height, pixels: pixels)
    }
}

/// (v / 255 - 0.5) / 0.5 for every byte v.
private let normalizedBytes: [Float] = (0..<256).map { (Float($0) / 255 - 0.5) / 0.5 }

/// Maps a value in [-1, 1] to 0...255, rounding to nearest and clamping; NaN maps to 0.
func byteValue(_ value: Float) -> UInt8 {
    let scaled = ((value + 1) / 2 * 255).rounded()
    guard !scaled.isNaN else {
        return 0
    }
    return UInt8(min(255, max(0, scaled)))
}
