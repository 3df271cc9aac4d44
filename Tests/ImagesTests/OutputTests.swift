import CycleGANCompute
@testable import CycleGANImages
import Foundation
import XCTest

/// PNG output from tensors, atomic writes and labelled sample sheets.
final class OutputTests: XCTestCase {
    private func gradient(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height, red: 0, green: 0, blue: 0)
        for y in 0..<height {
            for x in 0..<width {
                image[x, y, 0] = UInt8((x * 255) / max(1, width - 1))
                image[x, y, 1] = UInt8((y * 255) / max(1, height - 1))
                image[x, y, 2] = UInt8((x * 7 + y * 13) % 256)
            }
        }
        return image
    }

    func testPNGRoundTripIsLossless() throws {
        let folder = try Fixtures.temporaryFolder(for: self)
        let image = gradient(width: 37, height: 23)
        let url = folder.appendingPathComponent("round trip.png")
        try image.writePNG(to: url)
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: url), image)
    }

    func testAtomicWriteLeavesNoTemporaryFiles() throws {
        let folder = try Fixtures.temporaryFolder(for: self)
        let url = folder.appendingPathComponent("sample.png")
        try gradient(width: 8, height: 8).writePNG(to: url)
        try gradient(width: 4, height: 6).writePNG(to: url)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path),
                       ["sample.png"])
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: url).width, 4, "overwritten")
    }

    func testWritingIntoMissingFolderNamesIt() throws {
        let folder = try Fixtures.temporaryFolder(for: self)
        let url = folder.appendingPathComponent("missing/sample.png")
        XCTAssertThrowsError(try gradient(width: 4, height: 4).writePNG(to: url)) { error in
            let writingError = error as? ImageWritingError
            XCTAssertEqual(writingError?.path, url.path)
            XCTAssertTrue(writingError?.reason.contains("does not exist") ?? false, "\(error)")
        }
    }

    func testTensorValuesRoundTripEveryByte() throws {
        var image = RGBImage(width: 256, height: 1, red: 0, green: 0, blue: 0)
        for x in 0..<256 {
            image[x, 0, 0] = UInt8(x)
            image[x, 0, 1] = UInt8(255 - x)
            image[x, 0, 2] = UInt8((x * 3) % 256)
        }
        let values = image.tensorValues()
        XCTAssertEqual(values.count, 768)
        XCTAssertEqual(values[0], -1)
        XCTAssertEqual(values[255], 1)
        XCTAssertEqual(values[256], 1, "channel 1 starts at plane offset 256 (CHW)")
        let back = try RGBImage(tensorValues: values, shape: TensorShape([3, 1, 256]))
        XCTAssertEqual(back, image)
    }

    func testTensorToBytesRoundsAndClamps() throws {
        let cases: [(value: Float, byte: UInt8)] = [
            (-1, 0), (1, 255), (0, 128), (-0.5, 64), (2, 255), (-3, 0), (.nan, 0),
            (.infinity, 255), (-.infinity, 0), (0.999, 255), (-0.999, 0),
        ]
        let values = cases.map(\.value)
        let shape = TensorShape([1, 3, 1, cases.count])
        let image = try RGBImage(tensorValues: values + values + values, shape: shape)
        for (index, testCase) in cases.enumerated() {
            XCTAssertEqual(image[index, 0, 1], testCase.byte, "value \(testCase.value)")
        }
    }

    func testTensorShapeErrorsAreThrown() {
        XCTAssertThrowsError(try RGBImage(tensorValues: [0, 0], shape: TensorShape([1, 3, 1, 1])))
        XCTAssertThrowsError(try RGBImage(tensorValues: [0, 0, 0, 0],
                                          shape: TensorShape([1, 4, 1, 1])))
        XCTAssertThrowsError(try RGBImage(tensorValues: [0, 0, 0], shape: TensorShape([1, 3, 1, 1]),
                                          index: 1))
    }

    func testBatchImageSelectsByIndex() throws {
        let first = gradient(width: 5, height: 4)
        let second = gradient(width: 5, height: 4).mirroredHorizontally()
        let values = first.tensorValues() + second.tensorValues()
        let shape = TensorShape([2, 3, 4, 5])
        XCTAssertEqual(try RGBImage(tensorValues: values, shape: shape, index: 1), second)
        let folder = try Fixtures.temporaryFolder(for: self)
        let url = folder.appendingPathComponent("second.png")
        try writePNG(tensorValues: values, shape: shape, index: 1, to: url)
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: url), second)
    }

    func testEveryGlyphIsFiveBySeven() {
        let characters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "abcdefghijklmnopqrstuvwxyz"
            + "0123456789 _-+=.,:/()#%?"
        var patterns: Set<[[Bool]]> = []
        for character in characters {
            let glyph = BitmapFont.glyph(character)
            XCTAssertEqual(glyph.count, 7, "\(character)")
            XCTAssertTrue(glyph.allSatisfy { $0.count == 5 }, "\(character)")
            patterns.insert(glyph)
        }
        XCTAssertEqual(patterns.count, characters.count, "two characters share a glyph")
        XCTAssertEqual(BitmapFont.glyph("€"), BitmapFont.glyph("\u{1}"), "missing glyph box")
        XCTAssertFalse(patterns.contains(BitmapFont.glyph("€")))
    }

    func testSampleSheetPlacesLabelsAndImages() throws {
        let a = gradient(width: 20, height: 16)
        let b = gradient(width: 20, height: 16).mirroredHorizontally()
        var sheet = SampleSheet(rows: [
            [("real_A", a), ("fake_B", b)],
            [("real_B", b)],
        ])
        sheet.fontScale = 1
        let rendered = sheet.render()
        let padding = 4
        let labelHeight = 7 + padding
        XCTAssertEqual(rendered.width, padding + 20 + padding + 20 + padding)
        XCTAssertEqual(rendered.height, padding + (labelHeight + 16) * 2 + padding * 2)

        // The images sit below their labels, pixel for pixel.
        let top = padding + labelHeight
        XCTAssertEqual(rendered.cropped(left: padding, top: top, width: 20, height: 16), a)
        XCTAssertEqual(rendered.cropped(left: padding * 2 + 20, top: top, width: 20, height: 16), b)
        let secondTop = top + 16 + padding + labelHeight
        XCTAssertEqual(rendered.cropped(left: padding, top: secondTop, width: 20, height: 16), b)

        // The label band contains the glyphs of "real_A": "r" has ink at column 0 of rows 2-6.
        let band = rendered.cropped(left: padding, top: padding, width: 20, height: 7)
        for row in 0..<7 {
            let expected: UInt8 = row >= 2 ? 255 : 24
            XCTAssertEqual(band[0, row, 0], expected, "row \(row) of 'r'")
        }
        // Three characters fit in 20 pixels (3 * 6 - 1 = 17); the fourth is cut off.
        for x in 17..<20 {
            for y in 0..<7 {
                XCTAssertEqual(band[x, y, 0], 24, "no ink past the third character")
            }
        }
    }

    func testSampleSheetWritesPNG() throws {
        let folder = try Fixtures.temporaryFolder(for: self)
        let image = gradient(width: 128, height: 128)
        let sheet = SampleSheet(rows: [
            ["real_A", "fake_B", "rec_A", "idt_B"].map { (label: $0, image: image) },
            ["real_B", "fake_A", "rec_B", "idt_A"].map { (label: $0, image: image) },
        ])
        let url = folder.appendingPathComponent("epoch001_sample.png")
        try sheet.writePNG(to: url)
        let decoded = try ImageDecoder.decode(contentsOf: url)
        XCTAssertEqual(decoded, sheet.render())
        XCTAssertEqual(decoded.width, 4 + (128 + 4) * 4)
        XCTAssertEqual(decoded.height, 4 + (14 + 4 + 128 + 4) * 2, "font scale 2 for 128 px")
    }
}
