import CycleGANCompute
import CycleGANImages
import Foundation
import XCTest

/// Files that are not decodable images raise an ImageDecodingError that names the file and
/// the reason, and never crash the process.
final class DecoderFailureTests: XCTestCase {
    private func fixtureBytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.url(name)))
    }

    /// Writes `bytes` to `name` in a temporary folder and returns the decoding error.
    private func failure(_ name: String, _ bytes: [UInt8]) throws -> ImageDecodingError? {
        let url = try Fixtures.temporaryFolder(for: self).appendingPathComponent(name)
        try Data(bytes).write(to: url)
        let error = decodingError(name) { _ = try ImageDecoder.decode(contentsOf: url) }
        XCTAssertEqual(error?.path, url.path, "\(name): the error must name the file")
        XCTAssertTrue(error?.description.contains(url.path) ?? false, name)
        return error
    }

    private func assertReason(_ error: ImageDecodingError?, contains words: [String],
                              file: StaticString = #filePath, line: UInt = #line) {
        guard let error else { return }
        for word in words {
            XCTAssertTrue(error.reason.contains(word), "reason '\(error.reason)' lacks '\(word)'",
                          file: file, line: line)
        }
    }

    func testEmptyFileIsReported() throws {
        assertReason(try failure("empty.jpg", []), contains: ["empty"])
    }

    func testGitLFSPointerAsksForLFSPull() throws {
        let pointer = "version https://git-lfs.github.com/spec/v1\n"
            + "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
            + "size 12345\n"
        assertReason(try failure("horse.jpg", Array(pointer.utf8)),
                     contains: ["Git LFS pointer", "git lfs pull"])
    }

    func testTextFileIsNotAnImage() throws {
        assertReason(try failure("notes.png", Array("hello, world\n".utf8)),
                     contains: ["not a PNG or JPEG"])
    }

    func testHTMLPageIsNamedAsSuch() throws {
        let page = "<!DOCTYPE html><html><body>Rate limit exceeded</body></html>"
        assertReason(try failure("download.jpg", Array(page.utf8)), contains: ["HTML page"])
    }

    func testOtherFormatsAreNamed() throws {
        assertReason(try failure("anim.png", Array("GIF89a".utf8) + [1, 0, 1, 0]),
                     contains: ["GIF"])
        assertReason(try failure("scan.jpg", [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0]),
                     contains: ["TIFF"])
    }

    func testTruncatedPNGIsReported() throws {
        let bytes = try fixtureBytes("png/rgb_8bit.png")
        assertReason(try failure("cut.png", Array(bytes.prefix(bytes.count / 2))),
                     contains: ["truncated"])
        try checkEveryCut(of: "png/rgb_8bit.png")
        try checkEveryCut(of: "png/interlaced_rgba_16bit.png")
    }

    func testPNGWithBadCRCIsCorrupt() throws {
        var bytes = try fixtureBytes("png/rgb_8bit.png")
        let idat = try XCTUnwrap(findChunk("IDAT", in: bytes))
        bytes[idat.crcOffset] ^= 0xFF
        assertReason(try failure("bad_crc.png", bytes), contains: ["corrupt", "CRC"])
    }

    func testDamagedPNGSignatureIsExplained() throws {
        var bytes = try fixtureBytes("png/rgb_8bit.png")
        bytes[0] = 0x09
        assertReason(try failure("text_mode.png", bytes), contains: ["signature"])
    }

    /// Cuts a fixture at every length from 8 bytes to one byte short, and expects each
    /// cut to be reported as truncated.
    private func checkEveryCut(of name: String) throws {
        let bytes = try fixtureBytes(name)
        var decoded: [Int] = []
        var otherReasons: [String] = []
        for length in 8..<bytes.count {
            do {
                _ = try ImageDecoder.decode(data: Data(bytes.prefix(length)), path: name)
                decoded.append(length)
            } catch let error as ImageDecodingError {
                if !error.reason.contains("truncated") && otherReasons.count < 3 {
                    otherReasons.append("\(length) bytes: \(error.reason)")
                }
            }
        }
        XCTAssertEqual(decoded, [], "\(name): these cut lengths decoded without an error")
        XCTAssertEqual(otherReasons, [], "\(name): cuts not reported as truncated")
    }

    func testTruncatedBaselineJPEGIsReported() throws {
        try checkEveryCut(of: "jpeg/baseline_420.jpg")
    }

    func testTruncatedProgressiveJPEGFailsCleanly() throws {
        try checkEveryCut(of: "jpeg/progressive_420.jpg")
        try checkEveryCut(of: "jpeg/gray_progressive.jpg")
    }

    func testJPEGHeaderOnlyIsReported() throws {
        let bytes = try fixtureBytes("jpeg/baseline_444.jpg")
        let error = try failure("header.jpg", Array(bytes.prefix(8)))
        XCTAssertFalse(error?.reason.isEmpty ?? true)
    }

    func testCorruptJPEGNeverCrashes() throws {
        // Scrambled entropy-coded data either decodes with warnings (as Pillow accepts) or
        // raises an error naming the file; both are fine, a crash is not.
        let original = try fixtureBytes("jpeg/baseline_420.jpg")
        let folder = try Fixtures.temporaryFolder(for: self)
        var random = SeededRandom(seed: 11)
        for trial in 0..<50 {
            var bytes = original
            for _ in 0..<8 {
                let index = Int.random(in: 200..<bytes.count, using: &random)
                bytes[index] = UInt8.random(in: 0...255, using: &random)
            }
            let url = folder.appendingPathComponent("scrambled_\(trial).jpg")
            try Data(bytes).write(to: url)
            do {
                let image = try ImageDecoder.decode(contentsOf: url)
                XCTAssertEqual(image.pixels.count, image.width * image.height * 3)
            } catch let error as ImageDecodingError {
                XCTAssertEqual(error.path, url.path)
            }
        }
    }

    func testMissingFileAndFolderAreReported() throws {
        let folder = try Fixtures.temporaryFolder(for: self)
        let missing = decodingError("missing") {
            _ = try ImageDecoder.decode(contentsOf: folder.appendingPathComponent("none.png"))
        }
        assertReason(missing, contains: ["does not exist"])
        let directory = decodingError("folder") {
            _ = try ImageDecoder.decode(contentsOf: folder)
        }
        assertReason(directory, contains: ["folder"])
    }

    func testAwkwardNamesAndUpperCaseExtensionsDecode() throws {
        let folder = try Fixtures.temporaryFolder(for: self)
        let sources = ["png/rgb_8bit.png", "jpeg/baseline_420.jpg"]
        let names = ["with space.png", "colon:in:name.jpg", "ünïcødé 写真.JPG", "UPPER.PNG",
                     "mixed.JpEg", "no_extension_png"]
        for (index, name) in names.enumerated() {
            let source = Fixtures.url(sources[index % sources.count])
            let url = folder.appendingPathComponent(name)
            try FileManager.default.copyItem(at: source, to: url)
            let image = try ImageDecoder.decode(contentsOf: url)
            XCTAssertEqual(image.width, 16, name)
            XCTAssertEqual(image.height, 12, name)
        }
        XCTAssertTrue(ImageDecoder.hasSupportedExtension("a/b/ünïcødé 写真.JPG"))
        XCTAssertTrue(ImageDecoder.hasSupportedExtension("mixed.JpEg"))
        XCTAssertFalse(ImageDecoder.hasSupportedExtension("no_extension_png"))
        XCTAssertFalse(ImageDecoder.hasSupportedExtension(".png"))
        XCTAssertFalse(ImageDecoder.hasSupportedExtension("photo.gif"))
    }

    func testHugeDeclaredSizeIsRejectedBeforeAllocating() throws {
        var bytes = try fixtureBytes("png/rgb_8bit.png")
        // IHDR width and height at offsets 16 and 20; the CRC must stay valid, so rewrite it.
        let size: [UInt8] = [0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF]
        bytes.replaceSubrange(16..<24, with: size)
        let crc = crc32(Array(bytes[12..<29]))
        bytes.replaceSubrange(29..<33, with: [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF),
                                              UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)])
        assertReason(try failure("huge.png", bytes), contains: ["65535x65535", "more than"])
    }
}

/// Returns the offsets of the data and the CRC of the first PNG chunk of type `type`.
func findChunk(_ type: String, in bytes: [UInt8]) -> (dataOffset: Int, crcOffset: Int)? {
    var offset = 8
    while offset + 8 <= bytes.count {
        let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        let name = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
        if name == type {
            return (offset + 8, offset + 8 + length)
        }
        offset += 12 + length
    }
    return nil
}

/// CRC-32 as PNG chunks use it (ISO 3309, polynomial 0xEDB88320).
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
        }
    }
    return ~crc
}
