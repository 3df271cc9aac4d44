import CycleGANCompute
@testable import CycleGANImages
import Foundation
import XCTest

/// Dataset layout, scanning, epoch semantics and the background loader.
final class DatasetTests: XCTestCase {
    /// Makes a distinct image for each index: gradients offset by the index.
    static func image(_ index: Int, width: Int = 20, height: Int = 16) -> RGBImage {
        var image = RGBImage(width: width, height: height, red: 0, green: 0, blue: 0)
        for y in 0..<height {
            for x in 0..<width {
                image[x, y, 0] = UInt8((x * 12 + index * 40) % 256)
                image[x, y, 1] = UInt8((y * 15 + index * 20) % 256)
                image[x, y, 2] = UInt8((index * 50) % 256)
            }
        }
        return image
    }

    /// Writes `count` PNGs named 000.png, 001.png, ... into `folder`.
    @discardableResult
    static func writeImages(_ count: Int, into folder: URL, width: Int = 20,
                            height: Int = 16) throws -> [String] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return try (0..<count).map { index in
            let url = folder.appendingPathComponent(String(format: "%03d.png", index))
            try image(index, width: width, height: height).writePNG(to: url)
            return url.path
        }
    }

    private func makeDataroot(countA: Int, countB: Int) throws -> URL {
        let root = try Fixtures.temporaryFolder(for: self)
        try Self.writeImages(countA, into: root.appendingPathComponent("trainA"))
        try Self.writeImages(countB, into: root.appendingPathComponent("trainB"))
        return root
    }

    private func configuration(_ root: URL, batchSize: Int = 1, seed: UInt64 = 1)
        -> DatasetConfiguration {
        DatasetConfiguration(dataroot: root.path, loadSize: 20, cropSize: 16,
                             batchSize: batchSize, seed: seed)
    }

    private func allBatches(_ loader: DataLoader) throws -> [TrainingBatch] {
        var batches: [TrainingBatch] = []
        while let batch = try loader.next() {
            batches.append(batch)
        }
        return batches
    }

    // MARK: - Layout and scanning

    func testMissingFolderErrorShowsLayouts() throws {
        let root = try Fixtures.temporaryFolder(for: self)
        XCTAssertThrowsError(try UnalignedDataset(configuration: configuration(root))) { error in
            guard case let DatasetError.missingFolder(domain, path) = error else {
                return XCTFail("expected missingFolder, got \(error)")
            }
            XCTAssertEqual(domain, "A")
            XCTAssertEqual(path, root.path + "/trainA")
            let message = "\(error)"
            for word in ["trainA", "trainB", "testA", "dirA", "dirB", root.path] {
                XCTAssertTrue(message.contains(word), "'\(message)' lacks \(word)")
            }
        }
    }

    func testEmptyFolderIsNamed() throws {
        let root = try Fixtures.temporaryFolder(for: self)
        try Self.writeImages(2, into: root.appendingPathComponent("trainA"))
        let folderB = root.appendingPathComponent("trainB")
        try FileManager.default.createDirectory(at: folderB, withIntermediateDirectories: true)
        try Data("not an image".utf8).write(to: folderB.appendingPathComponent("readme.txt"))
        XCTAssertThrowsError(try UnalignedDataset(configuration: configuration(root))) { error in
            guard case let DatasetError.emptyFolder(domain, path) = error else {
                return XCTFail("expected emptyFolder, got \(error)")
            }
            XCTAssertEqual(domain, "B")
            XCTAssertEqual(path, folderB.path)
        }
    }

    func testDirAAndDirBReplaceDataroot() throws {
        let root = try Fixtures.temporaryFolder(for: self)
        try Self.writeImages(3, into: root.appendingPathComponent("monet_jpg"))
        try Self.writeImages(2, into: root.appendingPathComponent("photo_jpg"))
        let configuration = DatasetConfiguration(
            dirA: root.appendingPathComponent("monet_jpg").path,
            dirB: root.appendingPathComponent("photo_jpg").path, loadSize: 20, cropSize: 16)
        let dataset = try UnalignedDataset(configuration: configuration)
        XCTAssertEqual(dataset.pathsA.count, 3)
        XCTAssertEqual(dataset.pathsB.count, 2)
        XCTAssertTrue(dataset.pathsA[0].hasSuffix("monet_jpg/000.png"))

        var onlyA = configuration
        onlyA.dirB = nil
        XCTAssertThrowsError(try UnalignedDataset(configuration: onlyA)) { error in
            XCTAssertTrue("\(error)".contains("dirA and dirB must be given together"), "\(error)")
        }
        XCTAssertThrowsError(try UnalignedDataset(configuration: DatasetConfiguration())) {
            XCTAssertTrue("\($0)".contains("dataroot"), "\($0)")
        }
    }

    func testTestPhaseReadsTestFolders() throws {
        let root = try Fixtures.temporaryFolder(for: self)
        try Self.writeImages(2, into: root.appendingPathComponent("testA"))
        try Self.writeImages(3, into: root.appendingPathComponent("testB"))
        var configuration = configuration(root)
        configuration.phase = "test"
        let dataset = try UnalignedDataset(configuration: configuration)
        let expected = (0..<3).map { root.path + String(format: "/testB/%03d.png", $0) }
        XCTAssertEqual(dataset.pathsB, expected)
    }

    func testListingIsSortedRecursiveAndSkipsHiddenFiles() throws {
        let folder = try Fixtures.temporaryFolder(for: self)
        let source = Fixtures.url("png/rgb_8bit.png")
        let names = ["b.png", "a.PNG", "sub/c.jpg", "Z.jpeg", ".hidden.png", "._resource.jpg",
                     ".cache/d.png", "notes.txt", "é.png", "colon:name.jpg", "with space.png"]
        for name in names {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source, to: url)
        }
        let paths = try ImageFolder.imagePaths(in: folder.path)
        let relative = paths.map { String($0.dropFirst(folder.path.count + 1)) }
        // Code point order, as Python's sorted(): upper case before lower case, é last.
        XCTAssertEqual(relative, ["Z.jpeg", "a.PNG", "b.png", "colon:name.jpg", "sub/c.jpg",
                                  "with space.png", "é.png"])
    }

    func testFolderReachedThroughSymbolicLinkIsListed() throws {
        let root = try Fixtures.temporaryFolder(for: self)
        let real = root.appendingPathComponent("real")
        try Self.writeImages(2, into: real.appendingPathComponent("trainA"))
        try Self.writeImages(1, into: real.appendingPathComponent("trainB"))
        let linked = root.appendingPathComponent("linked")
        try FileManager.default.createDirectory(at: linked, withIntermediateDirectories: true)
        for domain in ["trainA", "trainB"] {
            try FileManager.default.createSymbolicLink(
                at: linked.appendingPathComponent(domain),
                withDestinationURL: real.appendingPathComponent(domain))
        }
        // A link back to an enclosing folder must not make the listing recurse forever.
        try FileManager.default.createSymbolicLink(
            at: real.appendingPathComponent("trainA/loop"), withDestinationURL: real)

        let folder = linked.path + "/trainA"
        let expected = ["000.png", "001.png"].map { folder + "/" + $0 }
        XCTAssertEqual(try ImageFolder.imagePaths(in: folder), expected)
        XCTAssertEqual(try ImageFolder.imagePaths(in: folder + "/"), expected)
        let dataset = try UnalignedDataset(configuration: configuration(linked))
        XCTAssertEqual(dataset.pathsA, expected)
        XCTAssertEqual(dataset.pathsB, [linked.path + "/trainB/000.png"])
    }

    func testNoUsableImagesListsOnlyThatDomainsFiles() throws {
        let root = try makeDataroot(countA: 0, countB: 0)
        let names = ["x.png", "y.png", "z.png"]
        for domain in ["trainA", "trainB"] {
            for name in names {
                try Data("garbage".utf8).write(to: root.appendingPathComponent(domain + "/" + name))
            }
        }
        var configuration = configuration(root)
        configuration.skipBadImages = true
        XCTAssertThrowsError(try UnalignedDataset(configuration: configuration)) { error in
            guard case let DatasetError.noUsableImages(domain, _, files) = error else {
                return XCTFail("expected noUsableImages, got \(error)")
            }
            XCTAssertEqual(domain, "A")
            XCTAssertEqual(files.map(\.path), names.map { root.path + "/trainA/" + $0 })
            XCTAssertTrue("\(error)".contains("none of the 3 images"), "\(error)")
            XCTAssertFalse("\(error)".contains("trainB"), "\(error)")
        }
    }

    func testScanListsEveryBadFile() throws {
        let root = try makeDataroot(countA: 3, countB: 2)
        let badA1 = root.appendingPathComponent("trainA/empty.jpg")
        let badA2 = root.appendingPathComponent("trainA/pointer.png")
        let badB = root.appendingPathComponent("trainB/truncated.png")
        try Data().write(to: badA1)
        try Data("version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 9\n".utf8)
            .write(to: badA2)
        try Data(Data(contentsOf: Fixtures.url("png/rgb_8bit.png")).prefix(100)).write(to: badB)

        var calls: [(Int, Int)] = []
        let lock = NSLock()
        let progress = { (done: Int, total: Int) in
            lock.lock()
            calls.append((done, total))
            lock.unlock()
        }
        XCTAssertThrowsError(try UnalignedDataset(configuration: configuration(root),
                                                  progress: progress)) { error in
            guard case let DatasetError.badImages(files, scanned) = error else {
                return XCTFail("expected badImages, got \(error)")
            }
            XCTAssertEqual(scanned, 8)
            XCTAssertEqual(files.map(\.path), [badA1.path, badA2.path, badB.path])
            let message = "\(error)"
            for word in [badA1.path, badA2.path, badB.path, "empty", "git lfs pull", "truncated",
                         "skipBadImages"] {
                XCTAssertTrue(message.contains(word), "message lacks \(word):\n\(message)")
            }
        }
        XCTAssertEqual(calls.map(\.0).sorted(), Array(1...8))
        XCTAssertTrue(calls.allSatisfy { $0.1 == 8 })
    }

    func testSkipBadImagesExcludesThem() throws {
        let root = try makeDataroot(countA: 3, countB: 2)
        let bad = root.appendingPathComponent("trainA/bad.png")
        try Data("garbage".utf8).write(to: bad)
        var configuration = configuration(root, batchSize: 2)
        configuration.skipBadImages = true
        let dataset = try UnalignedDataset(configuration: configuration)
        XCTAssertEqual(dataset.badFiles.map(\.path), [bad.path])
        XCTAssertEqual(dataset.pathsA.count, 3)
        XCTAssertFalse(dataset.pathsA.contains(bad.path))
        for epoch in 1...3 {
            let batches = try allBatches(DataLoader(dataset: dataset, epoch: epoch))
            XCTAssertFalse(batches.flatMap(\.a.paths).contains(bad.path))
        }
    }

    func testSkipBadImagesStillNeedsOneGoodImage() throws {
        let root = try makeDataroot(countA: 0, countB: 2)
        try Data().write(to: root.appendingPathComponent("trainA/empty.png"))
        var configuration = configuration(root)
        configuration.skipBadImages = true
        XCTAssertThrowsError(try UnalignedDataset(configuration: configuration)) { error in
            guard case DatasetError.noUsableImages(let domain, _, let files) = error else {
                return XCTFail("expected noUsableImages, got \(error)")
            }
            XCTAssertEqual(domain, "A")
            XCTAssertEqual(files.count, 1)
        }
    }

    func testCropModeRejectsImagesSmallerThanTheCrop() throws {
        let root = try makeDataroot(countA: 2, countB: 2)
        try Self.writeImages(1, into: root.appendingPathComponent("trainA/small"), width: 12,
                             height: 30)
        var configuration = configuration(root)
        configuration.preprocess = .crop
        XCTAssertThrowsError(try UnalignedDataset(configuration: configuration)) { error in
            guard case let DatasetError.badImages(files, _) = error else {
                return XCTFail("expected badImages, got \(error)")
            }
            XCTAssertEqual(files.count, 1)
            let reason = files.first?.reason ?? ""
            XCTAssertTrue(reason.contains("12x30, smaller than the 16x16 crop"), reason)
        }
    }

    func testInvalidSizesAreRejected() throws {
        let root = try makeDataroot(countA: 1, countB: 1)
        var configuration = configuration(root, batchSize: 2)
        configuration.preprocess = .scaleWidth
        XCTAssertThrowsError(try UnalignedDataset(configuration: configuration)) {
            XCTAssertTrue("\($0)".contains("use batchSize 1"), "\($0)")
        }
        configuration.preprocess = .none
        XCTAssertThrowsError(try UnalignedDataset(configuration: configuration))
        configuration = self.configuration(root)
        configuration.cropSize = 30
        XCTAssertThrowsError(try UnalignedDataset(configuration: configuration)) {
            XCTAssertTrue("\($0)".contains("loadSize to at least 30"), "\($0)")
        }
        configuration.cropSize = 0
        XCTAssertThrowsError(try UnalignedDataset(configuration: configuration))
    }
}
