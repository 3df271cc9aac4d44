import CycleGANCompute
@testable import CycleGANImages
import Foundation
import XCTest

/// Epoch semantics, reproducibility and resumption of the background loader.
final class DataLoaderTests: XCTestCase {
    private func dataset(countA: Int, countB: Int, batchSize: Int = 1, seed: UInt64 = 1,
                         serial: Bool = false) throws -> UnalignedDataset {
        let root = try Fixtures.temporaryFolder(for: self)
        try DatasetTests.writeImages(countA, into: root.appendingPathComponent("trainA"))
        try DatasetTests.writeImages(countB, into: root.appendingPathComponent("trainB"))
        let configuration = DatasetConfiguration(dataroot: root.path, loadSize: 20, cropSize: 16,
                                                 serialBatches: serial, batchSize: batchSize,
                                                 seed: seed)
        return try UnalignedDataset(configuration: configuration)
    }

    private func allBatches(_ loader: DataLoader) throws -> [TrainingBatch] {
        var batches: [TrainingBatch] = []
        while let batch = try loader.next() {
            batches.append(batch)
        }
        return batches
    }

    private func assertSame(_ first: TrainingBatch, _ second: TrainingBatch, _ message: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(first.iteration, second.iteration, message, file: file, line: line)
        XCTAssertEqual(first.a.paths, second.a.paths, message, file: file, line: line)
        XCTAssertEqual(first.b.paths, second.b.paths, message, file: file, line: line)
        XCTAssertEqual(first.a.values, second.a.values, message, file: file, line: line)
        XCTAssertEqual(first.b.values, second.b.values, message, file: file, line: line)
    }

    func testEpochVisitsEveryImageOfTheLargerDomain() throws {
        let dataset = try dataset(countA: 5, countB: 3, batchSize: 2)
        XCTAssertEqual(dataset.sampleCount, 5)
        XCTAssertEqual(dataset.iterationsPerEpoch, 3)
        let batches = try allBatches(DataLoader(dataset: dataset, epoch: 1))
        XCTAssertEqual(batches.map(\.iteration), [0, 1, 2])
        XCTAssertEqual(batches.map { $0.a.shape }, [TensorShape([2, 3, 16, 16]),
                                                   TensorShape([2, 3, 16, 16]),
                                                   TensorShape([1, 3, 16, 16])])
        XCTAssertEqual(batches.flatMap(\.a.paths).sorted(), dataset.pathsA)
        XCTAssertTrue(Set(batches.flatMap(\.b.paths)).isSubset(of: dataset.pathsB))
        XCTAssertNotEqual(batches.flatMap(\.a.paths), dataset.pathsA, "epoch 1 is shuffled")
        for batch in batches {
            XCTAssertEqual(batch.epoch, 1)
            XCTAssertGreaterThanOrEqual(batch.dataWaitSeconds, 0)
            XCTAssertEqual(batch.a.values.count, batch.a.shape.count)
            XCTAssertTrue(batch.a.values.allSatisfy { $0 >= -1 })
            XCTAssertTrue(batch.a.values.allSatisfy { $0 <= 1 })
        }
    }

    func testSmallerDomainARepeatsByModulo() throws {
        let dataset = try dataset(countA: 2, countB: 5, serial: true)
        let batches = try allBatches(DataLoader(dataset: dataset, epoch: 1))
        let names = { (paths: [String]) in paths.map { ($0 as NSString).lastPathComponent } }
        XCTAssertEqual(names(batches.flatMap(\.a.paths)),
                       ["000.png", "001.png", "000.png", "001.png", "000.png"])
        XCTAssertEqual(names(batches.flatMap(\.b.paths)),
                       ["000.png", "001.png", "002.png", "003.png", "004.png"])
    }

    func testRandomPairingVariesB() throws {
        let dataset = try dataset(countA: 40, countB: 6)
        let pairs = try allBatches(DataLoader(dataset: dataset, epoch: 1)).flatMap(\.b.paths)
        XCTAssertEqual(pairs.count, 40)
        XCTAssertEqual(Set(pairs).count, 6, "every B image is drawn at least once in 40 samples")
    }

    func testSameSeedGivesSameBatches() throws {
        let first = try dataset(countA: 6, countB: 4, batchSize: 2, seed: 42)
        let second = try dataset(countA: 6, countB: 4, batchSize: 2, seed: 42)
        let batchesOne = try allBatches(DataLoader(dataset: first, epoch: 3, prefetch: 1))
        let batchesTwo = try allBatches(DataLoader(dataset: second, epoch: 3, prefetch: 4))
        XCTAssertEqual(batchesOne.count, 3)
        for (one, two) in zip(batchesOne, batchesTwo) {
            let relative = { (batch: ImageBatch) in
                batch.paths.map { ($0 as NSString).lastPathComponent }
            }
            XCTAssertEqual(relative(one.a), relative(two.a))
            XCTAssertEqual(relative(one.b), relative(two.b))
            XCTAssertEqual(one.a.values, two.a.values)
            XCTAssertEqual(one.b.values, two.b.values)
        }
    }

    func testOtherSeedOrEpochChangesBatches() throws {
        let dataset = try dataset(countA: 8, countB: 8)
        let epochOne = try allBatches(DataLoader(dataset: dataset, epoch: 1))
        let epochTwo = try allBatches(DataLoader(dataset: dataset, epoch: 2))
        XCTAssertNotEqual(epochOne.flatMap(\.a.paths), epochTwo.flatMap(\.a.paths))
        XCTAssertNotEqual(epochOne.flatMap(\.a.values), epochTwo.flatMap(\.a.values))
    }

    func testResumeMidEpochGivesTheSameBatches() throws {
        let dataset = try dataset(countA: 7, countB: 5, batchSize: 2)
        let full = try allBatches(DataLoader(dataset: dataset, epoch: 4))
        XCTAssertEqual(full.count, 4)
        for start in 1..<4 {
            let loader = DataLoader(dataset: dataset, epoch: 4, startIteration: start)
            let resumed = try allBatches(loader)
            XCTAssertEqual(resumed.count, 4 - start)
            for (offset, batch) in resumed.enumerated() {
                assertSame(batch, full[start + offset], "resumed at \(start), batch \(offset)")
            }
        }
        XCTAssertNil(try DataLoader(dataset: dataset, epoch: 4, startIteration: 9).next())
    }

    func testBatchHoldsNormalisedCHWValues() throws {
        let root = try Fixtures.temporaryFolder(for: self)
        try DatasetTests.writeImages(1, into: root.appendingPathComponent("trainA"))
        try DatasetTests.writeImages(1, into: root.appendingPathComponent("trainB"))
        let configuration = DatasetConfiguration(dataroot: root.path, preprocess: .none,
                                                 noFlip: true)
        let dataset = try UnalignedDataset(configuration: configuration)
        let batch = try XCTUnwrap(try DataLoader(dataset: dataset, epoch: 1).next())
        // 20x16 is already a multiple of 4, so preprocess none leaves the image unchanged.
        XCTAssertEqual(batch.a.shape, TensorShape([1, 3, 16, 20]))
        XCTAssertEqual(batch.a.values, DatasetTests.image(0).tensorValues())
        XCTAssertEqual(try batch.a.image(at: 0), DatasetTests.image(0))
    }

    func testCancelStopsTheLoader() throws {
        let dataset = try dataset(countA: 20, countB: 2)
        let loader = DataLoader(dataset: dataset, epoch: 1, prefetch: 2)
        XCTAssertNotNil(try loader.next())
        loader.cancel()
        XCTAssertNil(try loader.next())
        XCTAssertNil(try loader.next())
    }

    func testFileBrokenAfterScanThrowsAndLoaderContinues() throws {
        let dataset = try dataset(countA: 3, countB: 1, serial: true)
        try Data("broken".utf8).write(to: URL(fileURLWithPath: dataset.pathsA[1]))
        let loader = DataLoader(dataset: dataset, epoch: 1)
        XCTAssertEqual(try loader.next()?.iteration, 0)
        XCTAssertThrowsError(try loader.next()) { error in
            XCTAssertEqual((error as? ImageDecodingError)?.path, dataset.pathsA[1])
        }
        XCTAssertEqual(try loader.next()?.iteration, 2)
        XCTAssertNil(try loader.next())
    }

    func testInMemoryDatasetServesTheSameLoader() throws {
        let imagesA = (0..<3).map { DatasetTests.image($0, width: 24, height: 24) }
        let imagesB = (0..<2).map { DatasetTests.image($0 + 10, width: 24, height: 24) }
        let configuration = DatasetConfiguration(loadSize: 20, cropSize: 16, batchSize: 2, seed: 5)
        let dataset = try UnalignedDataset(imagesA: imagesA, imagesB: imagesB,
                                           configuration: configuration)
        XCTAssertEqual(dataset.pathsA, ["memory/A/0", "memory/A/1", "memory/A/2"])
        let batches = try allBatches(DataLoader(dataset: dataset, epoch: 1))
        XCTAssertEqual(batches.map(\.a.shape.dimensions), [[2, 3, 16, 16], [1, 3, 16, 16]])
        XCTAssertEqual(batches.flatMap(\.a.paths).sorted(), dataset.pathsA)
        XCTAssertThrowsError(try UnalignedDataset(imagesA: [], imagesB: imagesB,
                                                  configuration: configuration))
    }

    func testLoadImageBatchForTranslation() throws {
        let folder = try Fixtures.temporaryFolder(for: self)
        let paths = try DatasetTests.writeImages(2, into: folder, width: 30, height: 24)
        let configuration = DatasetConfiguration(loadSize: 16, cropSize: 16)
        let batch = try loadImageBatch(paths: paths, configuration: configuration)
        XCTAssertEqual(batch.shape, TensorShape([2, 3, 16, 16]))
        XCTAssertEqual(batch.paths, paths)
        let expected = DatasetTests.image(1, width: 30, height: 24)
            .resizedBicubic(width: 16, height: 16)
        XCTAssertEqual(try batch.image(at: 1), expected)

        let odd = try DatasetTests.writeImages(1, into: folder.appendingPathComponent("odd"),
                                               width: 12, height: 12)
        let none = DatasetConfiguration(preprocess: .none)
        XCTAssertThrowsError(try loadImageBatch(paths: [paths[0], odd[0]], configuration: none)) {
            XCTAssertTrue("\($0)".contains("differ in size"), "\($0)")
        }
    }
}
