import CImageCodec
import CycleGANCompute
import Foundation

/// Reads PNG and JPEG files as upright 8-bit RGB, whatever their bit depth, colour type or
/// EXIF orientation, or throws an ImageDecodingError that names the file and the reason.
///
/// The format is recognised from the file's first bytes, not its extension. Conversion follows
/// Pillow's `convert("RGB")`: gray is copied to three channels, palettes are expanded, alpha
/// and tRNS transparency are dropped without compositing, and CMYK/YCCK JPEGs are read as
/// Adobe-inverted CMYK. Unlike Pillow, 16-bit PNG samples are rounded to 8 bits (Pillow clips
/// 16-bit gray and truncates 16-bit colour) and the EXIF orientation is applied.
///
/// A complete JPEG that libjpeg decodes with recoverable warnings (a bad Huffman code,
/// extraneous bytes) is accepted, as Pillow accepts it. A truncated JPEG, one whose data ends
/// before the end-of-image marker, is an error: libjpeg would fill the missing rows with gray,
/// and training would silently use a half-gray image. Pillow rejects those too.
public enum ImageDecoder {
    /// Images with more pixels are rejected before decoding, as Pillow's decompression-bomb
    /// check does past twice its MAX_IMAGE_PIXELS.
    public static let maxPixelCount = 178_956_970

    /// File name extensions read as images, compared without regard to case.
    public static let supportedExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Returns whether `path` ends in .png, .jpg or .jpeg, in any case.
    public static func hasSupportedExtension(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return supportedExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// Decodes the file at `url`.
    public static func decode(contentsOf url: URL) throws -> RGBImage {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImageDecodingError(path: path, reason: "the file does not exist")
        }
        guard !isDirectory.boolValue else {
            throw ImageDecodingError(path: path, reason: "this is a folder, not an image file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let reason = "the file could not be read: \(FileErrorReason.text(for: error))"
            throw ImageDecodingError(path: path, reason: reason)
        }
        return try decode(data: data, path: path)
    }

    /// Decodes the bytes of an image file; `path` names the file in errors.
    public static func decode(data: Data, path: String) throws -> RGBImage {
        let bytes = [UInt8](data)
        switch FileKind(bytes) {
        case .png:
            return try decodePNG(bytes, path: path)
        case .jpeg:
            return try decodeJPEG(bytes, path: path)
        case .unsupported(let reason):
            throw ImageDecodingError(path: path, reason: reason)
        }
    }

    private static func decodePNG(_ bytes: [UInt8], path: String) throws -> RGBImage {
        var image = icodec_image()
        defer { icodec_image_free(&image) }
        let status = bytes.withUnsafeBufferPointer { buffer in
            icodec_decode_png(buffer.baseAddress, buffer.count, Int64(maxPixelCount), &image)
        }
        guard status == ICODEC_OK, let pixels = image.pixels else {
            throw ImageDecodingError(path: path, reason: reason(status, format: "PNG", &image))
        }
        let decoded = rgbImage(image, pixels: pixels)

        var exif: [UInt8]?
        if let block = image.exif {
            exif = Array(UnsafeBufferPointer(start: block, count: image.exif_size))
        } else if let text = image.exif_profile_text {
            exif = ExifOrientation.imageMagickProfile(String(cString: text))
        }
        let orientation = exif.flatMap(ExifOrientation.orientation(exif:)) ?? 1
        return decoded.applyingExifOrientation(orientation)
    }

    private static func decodeJPEG(_ bytes: [UInt8], path: String) throws -> RGBImage {
        var image = icodec_image()
        defer { icodec_image_free(&image) }
        let status = bytes.withUnsafeBufferPointer { buffer in
            icodec_decode_jpeg(buffer.baseAddress, buffer.count, Int64(maxPixelCount), &image)
        }
        guard status == ICODEC_OK, let pixels = image.pixels else {
            throw ImageDecodingError(path: path, reason: reason(status, format: "JPEG", &image))
        }
        let decoded = rgbImage(image, pixels: pixels)
        let orientation = ExifOrientation.jpegExifBlock(bytes)
            .flatMap(ExifOrientation.orientation(exif:)) ?? 1
        return decoded.applyingExifOrientation(orientation)
    }

    private static func rgbImage(_ image: icodec_image, pixels: UnsafePointer<UInt8>) -> RGBImage {
        let width = Int(image.width)
        let height = Int(image.height)
        let count = width * height * 3
        return RGBImage(width: width, height: height,
                        pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }

    private static func message(_ image: inout icodec_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }

    private static func reason(_ status: icodec_status, format: String,
                               _ image: inout icodec_image) -> String {
        let detail = message(&image)
        switch status {
        case ICODEC_ERROR_TRUNCATED:
            return "the \(format) file is truncated (\(detail)); download or export it again, "
                + "or remove it"
        case ICODEC_ERROR_TOO_LARGE:
            return "\(detail); images this large are rejected to avoid running out of memory"
        case ICODEC_ERROR_OUT_OF_MEMORY:
            return "out of memory while decoding the \(format) image (\(detail))"
        case ICODEC_ERROR_UNSUPPORTED:
            return "unsupported \(format) variant: \(detail)"
        default:
            return "the \(format) data is corrupt (\(detail))"
        }
    }
}

/// The kind of file, recognised from its first bytes.
private enum FileKind {
    case png
    case jpeg
    case unsupported(String)

    private static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    private static let gitLFSPointer = Array("version https://git-lfs.github.com/spec/".utf8)

    init(_ bytes: [UInt8]) {
        if bytes.starts(with: FileKind.pngSignature) {
            self = .png
        } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else {
            self = .unsupported(FileKind.describeUnsupported(bytes))
        }
    }

    private static func describeUnsupported(_ bytes: [UInt8]) -> String {
        if bytes.isEmpty {
            return "the file is empty (0 bytes)"
        }
        if bytes.starts(with: gitLFSPointer) {
            return "the file is a Git LFS pointer, not the image itself; run `git lfs pull` in "
                + "the repository the dataset came from to download the images"
        }
        if bytes.count >= 4 && bytes[1...3].elementsEqual("PNG".utf8) {
            return "the PNG signature is damaged (a transfer in text mode alters it); "
                + "copy the file again in binary mode"
        }
        let start = String(decoding: bytes.prefix(64), as: UTF8.self).lowercased()
        let otherFormats: [(prefix: [UInt8], name: String)] = [
            (Array("GIF8".utf8), "a GIF"), (Array("BM".utf8), "a BMP"),
            ([0x49, 0x49, 0x2A, 0x00], "a TIFF"), ([0x4D, 0x4D, 0x00, 0x2A], "a TIFF"),
        ]
        if let format = otherFormats.first(where: { bytes.starts(with: $0.prefix) }) {
            return "the file is \(format.name) image; only PNG and JPEG are supported, "
                + "convert it to PNG"
        }
        if bytes.count >= 12 && bytes[8..<12].elementsEqual("WEBP".utf8) {
            return "the file is a WebP image; only PNG and JPEG are supported, convert it to PNG"
        }
        if start.contains("<html") || start.contains("<!doctype") {
            return "the file is an HTML page, not an image (probably a failed download)"
        }
        let hex = bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
        return "not a PNG or JPEG file (it starts with bytes \(hex))"
    }
}
