import CImageCodec
import CycleGANCompute
import Foundation

/// A PNG that could not be written: the destination and the reason.
public struct ImageWritingError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String

    public var description: String { "cannot write \(path): \(reason)" }
}

extension RGBImage {
    /// Encodes the image as an 8-bit RGB PNG in memory.
    public func pngData() throws -> Data {
        var encoded: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: Int(ICODEC_MESSAGE_CAPACITY))
        let status = pixels.withUnsafeBufferPointer { buffer in
            icodec_encode_png_rgb8(buffer.baseAddress, Int32(width), Int32(height), &encoded,
                                   &size, &message, message.count)
        }
        defer { icodec_buffer_free(encoded) }
        guard status == ICODEC_OK, let encoded else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                              as: UTF8.self)
            throw ImageWritingError(path: "", reason: "libpng failed to encode: \(text)")
        }
        return Data(bytes: encoded, count: size)
    }

    /// Writes the image as an 8-bit RGB PNG. The file appears complete or not at all: the data
    /// goes to a temporary file in the same folder, which is then renamed over `url`.
    public func writePNG(to url: URL) throws {
        let data: Data
        do {
            data = try pngData()
        } catch let error as ImageWritingError {
            throw ImageWritingError(path: url.path, reason: error.reason)
        }
        try writeAtomically(data, to: url)
    }
}

/// Writes `values`, a `[N, 3, H, W]` or `[3, H, W]` tensor in [-1, 1], image `index`, as a PNG.
public func writePNG(tensorValues values: [Float], shape: TensorShape, index: Int = 0,
                     to url: URL) throws {
    try RGBImage(tensorValues: values, shape: shape, index: index).writePNG(to: url)
}

/// Writes `data` to a temporary file next to `url`, then renames it to `url`, so readers never
/// see a partial file. The temporary file is removed when any step fails.
func writeAtomically(_ data: Data, to url: URL) throws {
    let folder = url.deletingLastPathComponent()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory),
          isDirectory.boolValue else {
        throw ImageWritingError(path: url.path, reason: "the folder \(folder.path) does not exist")
    }
    let temporary = folder.appendingPathComponent(
        ".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier)."
            + "\(UUID().uuidString).tmp")
    do {
        try data.write(to: temporary)
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw ImageWritingError(path: url.path, reason: FileErrorReason.text(for: error))
    }
    guard rename(temporary.path, url.path) == 0 else {
        let reason = FileErrorReason.text(errno: errno)
        try? FileManager.default.removeItem(at: temporary)
        throw ImageWritingError(path: url.path,
                                reason: "renaming the temporary file failed: \(reason)")
    }
}
