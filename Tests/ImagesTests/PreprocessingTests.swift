import CycleGANCompute
@testable import CycleGANImages
import XCTest

/// Bicubic resize, crop and mirror against Pillow, and the reference's size rules per mode.
final class PreprocessingTests: XCTestCase {
    /// Builds the source pattern of tools/pil_resize_reference.py.
    private func pattern(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height, red: 0, green: 0, blue: 0)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    let value = 29 * x + 47 * y + 71 * c + 5 * ((x * y * (c + 3)) % 31)
                    image[x, y, c] = UInt8(value % 256)
                }
            }
        }
        return image
    }

    func testBicubicResizeCropAndFlipMatchPillow() throws {
        // Tolerance 0: the resampler uses Pillow's integer arithmetic, so any difference is a bug.
        let cases = try XCTUnwrap(Fixtures.json("resize_expected.json") as? [[String: Any]])
        XCTAssertEqual(cases.count, 9)
        for entry in cases {
            let name = try XCTUnwrap(entry["name"] as? String)
            let source = try XCTUnwrap(entry["source"] as? [Int])
            let size = try XCTUnwrap(entry["size"] as? [Int])
            let expected = try XCTUnwrap(ExpectedImage(entry), name)
            var image = pattern(width: source[0], height: source[1])
                .resizedBicubic(width: size[0], height: size[1])
            if let crop = entry["crop"] as? [Int] {
                image = image.cropped(left: crop[0], top: crop[1], width: crop[2], height: crop[2])
            }
            if entry["flip"] as? Bool == true {
                image = image.mirroredHorizontally()
            }
            let error = assertImage(image, equals: expected, tolerance: 0, name)
            print("resize '\(name)' \(source) -> \(size): max error \(error)")
        }
    }

    func testResizedSizesFollowReferenceRules() {
        var configuration = DatasetConfiguration(loadSize: 286, cropSize: 256)
        let cases: [(Preprocess, (Int, Int), resized: (Int, Int), output: (Int, Int))] = [
            (.resizeAndCrop, (500, 375), (286, 286), (256, 256)),
            (.crop, (500, 375), (500, 375), (256, 256)),
            // int(max(286 * 375 / 500, 256)) = 256; int(max(286 * 600 / 400, 256)) = 429.
            (.scaleWidth, (500, 375), (286, 256), (286, 256)),
            (.scaleWidth, (400, 600), (286, 429), (286, 429)),
            (.scaleWidth, (286, 300), (286, 300), (286, 300)),
            (.scaleWidthAndCrop, (400, 600), (286, 429), (256, 256)),
            // round(375 / 4) = round(93.75) = 94 -> 376; round(250 / 4) = round(62.5) = 62
            // (halves to even, as Python) -> 248.
            (.none, (375, 250), (376, 248), (376, 248)),
            (.none, (2, 1), (4, 4), (4, 4)),
        ]
        for (mode, source, resized, output) in cases {
            configuration.preprocess = mode
            let actual = configuration.resizedSize(width: source.0, height: source.1)
            XCTAssertEqual([actual.width, actual.height], [resized.0, resized.1],
                           "\(mode.rawValue) resize of \(source)")
            let final = configuration.outputSize(width: source.0, height: source.1)
            XCTAssertEqual([final.width, final.height], [output.0, output.1],
                           "\(mode.rawValue) output of \(source)")
        }
    }

    func testAugmentCropsAndFlipsFromTheStream() {
        let configuration = DatasetConfiguration(loadSize: 40, cropSize: 32)
        let image = pattern(width: 64, height: 48)
        var flips = 0
        var lefts: Set<Int> = []
        for position in 0..<200 {
            var random = SeededRandom(seed: 7, stream: [2, 1, UInt64(position)])
            let result = configuration.augment(image, random: &random)
            XCTAssertEqual(result.width, 32)
            XCTAssertEqual(result.height, 32)

            // Replaying the stream gives the crop and flip that were applied.
            var replay = SeededRandom(seed: 7, stream: [2, 1, UInt64(position)])
            let left = replay.nextIndex(below: 9)
            let top = replay.nextIndex(below: 9)
            let flip = replay.nextUniform() < 0.5
            var expected = image.resizedBicubic(width: 40, height: 40)
                .cropped(left: left, top: top, width: 32, height: 32)
            if flip {
                expected = expected.mirroredHorizontally()
                flips += 1
            }
            XCTAssertEqual(result, expected, "position \(position)")
            lefts.insert(left)
        }
        XCTAssertEqual(lefts, Set(0...8), "every crop offset occurs")
        XCTAssertTrue((70...130).contains(flips), "\(flips) of 200 mirrored")
    }

    func testNoFlipNeverMirrors() {
        let configuration = DatasetConfiguration(loadSize: 16, cropSize: 16, noFlip: true)
        let image = pattern(width: 16, height: 16)
        for position in 0..<50 {
            var random = SeededRandom(seed: 1, stream: [UInt64(position)])
            XCTAssertEqual(configuration.augment(image, random: &random), image)
        }
    }

    func testInferenceCropIsCentred() {
        let configuration = DatasetConfiguration(loadSize: 40, cropSize: 32)
        let image = pattern(width: 40, height: 40)
        XCTAssertEqual(configuration.preprocessForInference(image),
                       image.cropped(left: 4, top: 4, width: 32, height: 32))
    }

    func testNextIndexIsUniformAndInRange() {
        var random = SeededRandom(seed: 3)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 {
            counts[random.nextIndex(below: 7)] += 1
        }
        for count in counts {
            XCTAssertEqual(Double(count), 10_000, accuracy: 400, "counts \(counts)")
        }
        var permutationRandom = SeededRandom(seed: 3)
        let order = permutationRandom.permutation(count: 100)
        XCTAssertEqual(order.sorted(), Array(0..<100))
        XCTAssertNotEqual(order, Array(0..<100))
    }
}
