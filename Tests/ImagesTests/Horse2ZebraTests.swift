import CycleGANImages
import Foundation
import XCTest

/// The full horse2zebra dataset, when the shared data is checked out next to the package:
/// every file scans without error, and the loader's throughput is measured. Set
/// CYCLEGAN_SKIP_SLOW_TESTS=1 to skip these (they decode about 2,700 JPEGs, several seconds).
final class Horse2ZebraTests: XCTestCase {
    private static let lock = NSLock()
    private static var trainDataset: UnalignedDataset?

    private func root() throws -> URL {
        if ProcessInfo.processInfo.environment["CYCLEGAN_SKIP_SLOW_TESTS"] == "1" {
            throw XCTSkip("CYCLEGAN_SKIP_SLOW_TESTS=1")
        }
        guard let root = Fixtures.shared("datasets/horse2zebra") else {
            throw XCTSkip("the shared horse2zebra dataset is not present")
        }
        return root
    }

    /// Scans one phase and returns the dataset and the seconds the scan took.
    private func scan(phase: String, loadSize: Int = 286, cropSize: Int = 256)
        throws -> (UnalignedDataset, Double) {
        let configuration = DatasetConfiguration(dataroot: try root().path, phase: phase,
                                                 loadSize: loadSize, cropSize: cropSize)
        var lastProgress = (0, 0)
        let start = Date()
        let dataset = try UnalignedDataset(configuration: configuration) { done, total in
            lastProgress = (done, total)
        }
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(lastProgress.0, lastProgress.1)
        XCTAssertEqual(lastProgress.1, dataset.pathsA.count + dataset.pathsB.count)
        return (dataset, seconds)
    }

    func testFullScanFindsNoBadFiles() throws {
        let (train, trainSeconds) = try scan(phase: "train")
        let (test, testSeconds) = try scan(phase: "test")
        XCTAssertEqual(train.pathsA.count, 1067)
        XCTAssertEqual(train.pathsB.count, 1334)
        XCTAssertEqual(test.pathsA.count, 120)
        XCTAssertEqual(test.pathsB.count, 140)
        XCTAssertEqual(train.badFiles.count + test.badFiles.count, 0)
        XCTAssertEqual(train.iterationsPerEpoch, 1334)
        let files = train.pathsA.count + train.pathsB.count + test.pathsA.count + test.pathsB.count
        print(String(format: "horse2zebra scan: %d files in %.2f s (train %.2f s, test %.2f s), "
                     + "%.0f files/s on %d processors", files, trainSeconds + testSeconds,
                     trainSeconds, testSeconds, Double(files) / (trainSeconds + testSeconds),
                     ProcessInfo.processInfo.activeProcessorCount))
    }

    /// Decodes and augments batches for `seconds` and returns images per second (A and B
    /// count separately) and the mean wait per batch.
    private func measureThroughput(loadSize: Int, cropSize: Int, batches: Int) throws
        -> (imagesPerSecond: Double, meanWait: Double) {
        let configuration = DatasetConfiguration(dataroot: try root().path, loadSize: loadSize,
                                                 cropSize: cropSize, seed: 3)
        let dataset = try UnalignedDataset(configuration: configuration)
        let loader = DataLoader(dataset: dataset, epoch: 1)
        let start = Date()
        var images = 0
        var waited = 0.0
        for _ in 0..<batches {
            let batch = try XCTUnwrap(try loader.next())
            images += batch.a.shape.dimensions[0] + batch.b.shape.dimensions[0]
            waited += batch.dataWaitSeconds
        }
        loader.cancel()
        let seconds = Date().timeIntervalSince(start)
        return (Double(images) / seconds, waited / Double(batches))
    }

    func testLoaderThroughput() throws {
        for (load, crop) in [(72, 64), (286, 256)] {
            let result = try measureThroughput(loadSize: load, cropSize: crop, batches: 200)
            print(String(format: "horse2zebra loader, resize %d crop %d: %.0f images/s, mean wait "
                         + "%.1f ms per batch of 1+1 (consumer does no work)", load, crop,
                         result.imagesPerSecond, result.meanWait * 1000))
            XCTAssertGreaterThan(result.imagesPerSecond, 20)
        }
    }
}
