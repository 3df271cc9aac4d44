import CycleGANImages
import Foundation
import XCTest

/// Awkward real-world files and the grayscale JPEGs of horse2zebra, when the shared data is
/// checked out next to the package. Skipped otherwise.
final class RealImageTests: XCTestCase {
    /// Files that must fail although Pillow opens them, with the reason.
    private static let strictFailures: [String: String] = [
        "from_pngsuite/xcsn0g01.png": "its IDAT CRC is wrong, which libpng checks and Pillow not",
    ]

    /// Allowed difference per byte against Pillow's values, by kind of file.
    private static func tolerance(name: String, mode: String) -> Int? {
        if mode == "I;16" || mode == "I" {
            return nil  // Pillow clips 16-bit gray to 255; only the size is compared.
        }
        if name.hasSuffix("16.png") {
            return 1  // Pillow keeps the high byte of 16-bit colour; we round.
        }
        return name.hasSuffix(".jpg") ? 2 : 0  // JPEG: IDCT rounding may differ.
    }

    func testOddImagesDecodeOrNameTheFile() throws {
        guard let folder = Fixtures.shared("odd-images") else {
            throw XCTSkip("the shared odd-images folder is not present")
        }
        let expectations = try XCTUnwrap(Fixtures.json("odd_images_expected.json")
            as? [String: [String: Any]])
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(atPath: folder.path))
        let names = enumerator.compactMap { $0 as? String }
            .filter(ImageDecoder.hasSupportedExtension).sorted()
        XCTAssertGreaterThanOrEqual(names.count, expectations.count)

        var decodedCount = 0
        var failures: [String] = []
        for name in names {
            let url = folder.appendingPathComponent(name)
            let expected = expectations[name]
            let mustFail = expected?["pillow_error"] != nil || Self.strictFailures[name] != nil
            do {
                let image = try ImageDecoder.decode(contentsOf: url)
                decodedCount += 1
                XCTAssertFalse(mustFail, "\(name) decoded but is expected to fail")
                XCTAssertEqual(image.pixels.count, image.width * image.height * 3, name)
                if let expected {
                    try compare(image, with: expected, name: name)
                }
            } catch let error as ImageDecodingError {
                failures.append("\(name): \(error.reason)")
                XCTAssertTrue(mustFail || expected == nil, "\(name) failed: \(error.reason)")
                XCTAssertEqual(error.path, url.path)
                XCTAssertFalse(error.reason.isEmpty, name)
            }
        }
        print("odd images: \(decodedCount) decoded, \(failures.count) rejected:\n  "
              + failures.joined(separator: "\n  "))
    }

    private func compare(_ image: RGBImage, with expected: [String: Any], name: String) throws {
        XCTAssertEqual(image.width, expected["width"] as? Int, "\(name) width")
        XCTAssertEqual(image.height, expected["height"] as? Int, "\(name) height")
        let mode = expected["mode"] as? String ?? ""
        guard image.width == expected["width"] as? Int,
              let tolerance = Self.tolerance(name: name, mode: mode),
              let samples = expected["samples"] as? [[Int]],
              let means = expected["mean"] as? [Double] else { return }
        var maxError = 0
        for sample in samples {
            for channel in 0..<3 {
                let actual = Int(image[sample[0], sample[1], channel])
                let error = abs(actual - sample[2 + channel])
                maxError = max(maxError, error)
                XCTAssertLessThanOrEqual(error, tolerance, "\(name) pixel (\(sample[0]), "
                                         + "\(sample[1])) channel \(channel): \(actual), "
                                         + "Pillow \(sample[2 + channel])")
            }
        }
        let pixelCount = Double(image.width * image.height)
        for channel in 0..<3 {
            var sum = 0
            for pixel in 0..<(image.width * image.height) {
                sum += Int(image.pixels[pixel * 3 + channel])
            }
            XCTAssertEqual(Double(sum) / pixelCount, means[channel],
                           accuracy: 0.5 + Double(tolerance), "\(name) mean of channel \(channel)")
        }
        print("\(name): max sampled error \(maxError) (tolerance \(tolerance))")
    }

    func testGrayscaleHorse2ZebraJPEGsLoadAsRGB() throws {
        guard let folder = Fixtures.shared("datasets/horse2zebra/trainB") else {
            throw XCTSkip("the shared horse2zebra dataset is not present")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        var grayNames: [String] = []
        for name in names where ImageDecoder.hasSupportedExtension(name) {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(name))
            if jpegComponentCount([UInt8](bytes)) == 1 {
                grayNames.append(name)
            }
        }
        print("grayscale JPEGs in trainB: \(grayNames.joined(separator: ", "))")
        XCTAssertEqual(grayNames.count, 7)
        for name in grayNames {
            let image = try ImageDecoder.decode(contentsOf: folder.appendingPathComponent(name))
            XCTAssertEqual(image.width, 256, name)
            XCTAssertEqual(image.height, 256, name)
            var unequalCount = 0
            for pixel in 0..<(image.width * image.height) {
                let red = image.pixels[pixel * 3]
                if red != image.pixels[pixel * 3 + 1] || red != image.pixels[pixel * 3 + 2] {
                    unequalCount += 1
                }
            }
            XCTAssertEqual(unequalCount, 0, "\(name): channels differ")
        }
    }
}

/// Returns the number of colour components in a JPEG's first frame header (SOF0 to SOF15), or nil.
func jpegComponentCount(_ bytes: [UInt8]) -> Int? {
    var offset = 2
    while offset + 9 < bytes.count, bytes[offset] == 0xFF {
        let marker = bytes[offset + 1]
        let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        let isFrame = (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker)
        if isFrame {
            return Int(bytes[offset + 9])
        }
        offset += 2 + length
    }
    return nil
}
