import Foundation

/// The EXIF orientation (TIFF tag 0x0112 in IFD0) of JPEG and PNG files, and the transform
/// that makes an image upright. Values follow the EXIF 2.3 specification: 1 upright,
/// 2 mirrored, 3 rotated 180 degrees, 4 flipped vertically, 5 transposed, 6 needs 90 degrees
/// clockwise, 7 transversed, 8 needs 90 degrees counter-clockwise.
enum ExifOrientation {
    private static let exifHeader: [UInt8] = Array("Exif".utf8) + [0, 0]

    /// Returns the orientation in a TIFF-structured EXIF block (byte order mark, 42, IFD0 offset),
    /// or nil when the block is malformed or has no valid orientation. A leading "Exif\0\0" is
    /// skipped.
    static func orientation(exif: [UInt8]) -> Int? {
        var tiff = ArraySlice(exif)
        if tiff.starts(with: exifHeader) {
            tiff = tiff.dropFirst(exifHeader.count)
        }
        let bytes = Array(tiff)
        guard bytes.count >= 8 else { return nil }
        let bigEndian: Bool
        switch (bytes[0], bytes[1]) {
        case (0x49, 0x49): bigEndian = false
        case (0x4D, 0x4D): bigEndian = true
        default: return nil
        }

        func read16(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 2 <= bytes.count else { return nil }
            let (first, second) = (Int(bytes[offset]), Int(bytes[offset + 1]))
            return bigEndian ? first << 8 | second : second << 8 | first
        }
        func read32(_ offset: Int) -> Int? {
            guard let high = read16(bigEndian ? offset : offset + 2),
                  let low = read16(bigEndian ? offset + 2 : offset) else { return nil }
            return high << 16 | low
        }

        guard read16(2) == 42, let ifdOffset = read32(4), let entryCount = read16(ifdOffset) else {
            return nil
        }
        for entry in 0..<entryCount {
            let entryOffset = ifdOffset + 2 + entry * 12
            guard let tag = read16(entryOffset), let type = read16(entryOffset + 2) else {
                return nil
            }
            guard tag == 0x0112 else { continue }
            // SHORT (3) is standard; a few writers store LONG (4). The value sits left-justified
            // in the 4-byte value field.
            let value = type == 4 ? read32(entryOffset + 8) : read16(entryOffset + 8)
            guard let orientation = value, (1...8).contains(orientation) else { return nil }
            return orientation
        }
        return nil
    }

    /// Returns the payload of the first APP1 "Exif\0\0" segment before the first scan of a JPEG.
    static func jpegExifBlock(_ data: [UInt8]) -> [UInt8]? {
        guard data.count >= 4, data[0] == 0xFF, data[1] == 0xD8 else { return nil }
        var position = 2
        while position + 4 <= data.count {
            guard data[position] == 0xFF else { return nil }
            let marker = data[position + 1]
            if marker == 0xFF {
                position += 1  // fill byte
                continue
            }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) {
                position += 2  // markers without a length
                continue
            }
            if marker == 0xDA || marker == 0xD9 {
                return nil  // start of scan or end of image: no EXIF in the header
            }
            let length = Int(data[position + 2]) << 8 | Int(data[position + 3])
            let payloadStart = position + 4
            let payloadEnd = position + 2 + length
            guard length >= 2, payloadEnd <= data.count else { return nil }
            if marker == 0xE1 && data[payloadStart..<payloadEnd].starts(with: exifHeader) {
                return Array(data[(payloadStart + exifHeader.count)..<payloadEnd])
            }
            position = payloadEnd
        }
        return nil
    }

    /// Returns the EXIF bytes in ImageMagick's "Raw profile type exif" text: a blank line, the
    /// profile name, the byte count in decimal, then the bytes as hexadecimal digits across lines.
    static func imageMagickProfile(_ text: String) -> [UInt8]? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.count >= 3,
              let count = Int(lines[1].trimmingCharacters(in: .whitespaces)) else { return nil }
        let digits = lines.dropFirst(2).joined().filter { !$0.isWhitespace }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        var index = digits.startIndex
        while bytes.count < count, index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2, limitedBy: digits.endIndex)
                ?? digits.endIndex
            guard let byte = UInt8(digits[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes.count == count ? bytes : nil
    }
}

extension RGBImage {
    /// Returns the upright image for an image stored with EXIF `orientation` (1...8; others
    /// unchanged).
    func applyingExifOrientation(_ orientation: Int) -> RGBImage {
        guard (2...8).contains(orientation) else { return self }
        let swapsAxes = orientation >= 5
        let outputWidth = swapsAxes ? height : width
        let outputHeight = swapsAxes ? width : height
        var result = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<outputHeight {
            for x in 0..<outputWidth {
                let (sourceX, sourceY) = sourcePixel(x: x, y: y, orientation: orientation)
                let source = (sourceY * width + sourceX) * 3
                let target = (y * outputWidth + x) * 3
                result[target] = pixels[source]
                result[target + 1] = pixels[source + 1]
                result[target + 2] = pixels[source + 2]
            }
        }
        return RGBImage(width: outputWidth, height: outputHeight, pixels: result)
    }

    /// Returns the stored pixel shown at (x, y) of the upright image.
    private func sourcePixel(x: Int, y: Int, orientation: Int) -> (Int, Int) {
        switch orientation {
        case 2: return (width - 1 - x, y)
        case 3: return (width - 1 - x, height - 1 - y)
        case 4: return (x, height - 1 - y)
        case 5: return (y, x)
        case 6: return (y, height - 1 - x)
        case 7: return (width - 1 - y, height - 1 - x)
        case 8: return (width - 1 - y, x)
        default: return (x, y)
        }
    }
}
