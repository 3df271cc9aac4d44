@testable import CycleGANTraining
import CycleGANImages
import XCTest

final class RunSyntheticImagesTests: XCTestCase {
    /// Mean absolute difference between neighbouring pixels, a measure of edges and stripes.
    private func edgeEnergy(_ image: RGBImage) -> Double {
        var total = 0.0
        var count = 0
        for y in 0..<image.height - 1 {
            for x in 0..<image.width - 1 {
                for channel in 0..<3 {
                    let here = Double(image.pixels[(y * image.width + x) * 3 + channel])
                    let right = Double(image.pixels[(y * image.width + x + 1) * 3 + channel])
                    let below = Double(image.pixels[((y + 1) * image.width + x) * 3 + channel])
                    total += abs(here - right) + abs(here - below)
                    count += 2
                }
            }
        }
        return total / Double(count)
    }

    func testImagesAreDeterministic() {
        let first = SyntheticImages.images(domain: .a, size: 32)
        let second = SyntheticImages.images(domain: .a, size: 32)
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.count, SyntheticImages.countPerDomain)
        XCTAssertEqual(first[0].width, 32)
        XCTAssertEqual(first[0].height, 32)
        XCTAssertEqual(first[0].pixels.count, 32 * 32 * 3)
        XCTAssertNotEqual(first[0], first[1], "images of one domain differ from each other")
    }

    func testDomainBHasStripes() {
        let imagesA = SyntheticImages.images(domain: .a, size: 64)
        let imagesB = SyntheticImages.images(domain: .b, size: 64)
        let energyA = imagesA.map(edgeEnergy).reduce(0, +) / Double(imagesA.count)
        let energyB = imagesB.map(edgeEnergy).reduce(0, +) / Double(imagesB.count)
        print("mean edge energy: A \(energyA), B \(energyB)")
        XCTAssertGreaterThan(energyB, 3 * energyA, "stripes should add edges to domain B")
    }

    func testImageSizeCoversCropAndLoad() {
        var options = TrainOptions()
        XCTAssertEqual(SyntheticImages.imageSize(for: options), 286)
        options.loadSize = 28
        options.cropSize = 24
        XCTAssertEqual(SyntheticImages.imageSize(for: options), 64)
        options.loadSize = 1024
        XCTAssertEqual(SyntheticImages.imageSize(for: options), 512)
    }

    func testSmallTilesAreEnlargedWithoutBlur() {
        let image = RGBImage(width: 2, height: 1, pixels: [10, 20, 30, 40, 50, 60])
        let enlarged = SampleSheets.enlarged(image, toWidth: 5)
        XCTAssertEqual(enlarged.width, 6)
        XCTAssertEqual(enlarged.height, 3)
        XCTAssertEqual(Array(enlarged.pixels.prefix(18)),
                       [10, 20, 30, 10, 20, 30, 10, 20, 30, 40, 50, 60, 40, 50, 60, 40, 50, 60])
        XCTAssertEqual(Array(enlarged.pixels.suffix(3)), [40, 50, 60])
        XCTAssertEqual(SampleSheets.enlarged(image, toWidth: 2), image, "wide enough already")
    }
}
