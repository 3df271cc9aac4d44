import CycleGANImages
import XCTest

/// Every committed PNG and JPEG fixture decodes to the pixels recorded by
/// tools/make_image_fixtures.py.
final class DecoderFixtureTests: XCTestCase {
    /// Allowed difference per byte, by fixture kind.
    private static let tolerances: [(kind: String, tolerance: Int, reason: String)] = [
        ("png/", 0, "PNG is lossless and the expected values come from the generating arrays"),
        ("jpeg/", 2, "Pillow's bundled libjpeg-turbo and the system one may round the IDCT and "
            + "upsampling differently"),
    ]

    private func expectations() throws -> [String: Any] {
        try XCTUnwrap(Fixtures.json("expected_pixels.json") as? [String: Any])
    }

    private func checkFixtures(prefix: String) throws {
        let all = try expectations().filter { $0.key.hasPrefix(prefix) }
        XCTAssertGreaterThan(all.count, 10, "too few \(prefix) fixtures found")
        let tolerance = try XCTUnwrap(Self.tolerances.first { $0.kind == prefix }).tolerance
        var worst = (error: 0, name: "")
        for (name, entry) in all.sorted(by: { $0.key < $1.key }) {
            let expected = try XCTUnwrap(ExpectedImage(entry), "\(name): malformed expectation")
            do {
                let image = try ImageDecoder.decode(contentsOf: Fixtures.url(name))
                let error = assertImage(image, equals: expected, tolerance: tolerance, name)
                if error > worst.error {
                    worst = (error, name)
                }
            } catch {
                XCTFail("\(name): \(error)")
            }
        }
        print("\(all.count) \(prefix) fixtures: max error \(worst.error) \(worst.name)")
    }

    func testPNGFixturesMatchGeneratedPixels() throws {
        try checkFixtures(prefix: "png/")
    }

    func testJPEGFixturesMatchPillow() throws {
        try checkFixtures(prefix: "jpeg/")
    }

    func testAllEightOrientationsRotatePixels() throws {
        let uprightURL = Fixtures.url("jpeg/exif_orientation_1.jpg")
        let upright = try ImageDecoder.decode(contentsOf: uprightURL)
        XCTAssertEqual(upright.width, 16)
        XCTAssertEqual(upright.height, 12)
        // Orientations 5 to 8 swap the axes. The bright 4x4 block starts at the top-left of
        // the stored image, and each orientation moves it to a known corner.
        let corners: [Int: (x: Int, y: Int)] = [
            1: (0, 0), 2: (15, 0), 3: (15, 11), 4: (0, 11),
            5: (0, 0), 6: (11, 0), 7: (11, 15), 8: (0, 15),
        ]
        for orientation in 1...8 {
            let name = "jpeg/exif_orientation_\(orientation).jpg"
            let image = try ImageDecoder.decode(contentsOf: Fixtures.url(name))
            let swapped = orientation >= 5
            XCTAssertEqual(image.width, swapped ? 12 : 16, name)
            XCTAssertEqual(image.height, swapped ? 16 : 12, name)
            let corner = try XCTUnwrap(corners[orientation])
            XCTAssertGreaterThan(image[corner.x, corner.y, 2], 200,
                                 "\(name): the bright block is not at \(corner)")
        }
    }

    func testGrayJPEGHasEqualChannels() throws {
        let image = try ImageDecoder.decode(contentsOf: Fixtures.url("jpeg/gray.jpg"))
        for pixel in 0..<(image.width * image.height) {
            XCTAssertEqual(image.pixels[pixel * 3], image.pixels[pixel * 3 + 1])
            XCTAssertEqual(image.pixels[pixel * 3], image.pixels[pixel * 3 + 2])
        }
    }
}
