import CycleGANCompute
import XCTest

@testable import CycleGANTraining

final class ModelImagePoolTests: XCTestCase {
    private let backend = CPUBackend()
    private let imageShape = TensorShape(n: 1, c: 3, h: 2, w: 2)

    /// A batch whose image `i` is filled with `ids[i]`, so outputs name the image they came from.
    private func batch(_ ids: [Int]) throws -> Tensor {
        let tensor = try backend.makeTensor(TensorShape(n: ids.count, c: 3, h: 2, w: 2))
        try backend.write(ids.flatMap { Array(repeating: Float($0), count: 12) }, to: tensor)
        return tensor
    }

    private func ids(_ tensor: Tensor) throws -> [Int] {
        let values = try backend.read(tensor)
        return stride(from: 0, to: values.count, by: 12).map { start in
            let image = values[start..<(start + 12)]
            XCTAssertTrue(image.allSatisfy { $0 == image.first }, "image copied whole")
            return Int(values[start])
        }
    }

    /// The reference's query, on image ids: store while not full, then with probability 0.5
    /// return a random stored image and store the new one in its place.
    private func referenceQuery(_ batch: [Int], pool: inout [Int], capacity: Int,
                                random: inout SeededRandom) -> [Int] {
        batch.map { image in
            if pool.count < capacity {
                pool.append(image)
                return image
            }
            guard random.nextUniform() > 0.5 else { return image }
            let slot = random.nextIndex(below: capacity)
            let stored = pool[slot]
            pool[slot] = image
            return stored
        }
    }

    func testQueriesFollowReferenceSemantics() throws {
        for batchSize in [1, 3] {
            let pool = ImagePool(capacity: 4)
            var random = SeededRandom(seed: 5)
            var referenceRandom = random
            var referencePool: [Int] = []
            var returnedOld = 0
            var nextID = 1
            for _ in 0..<40 {
                let input = Array(nextID..<(nextID + batchSize))
                nextID += batchSize
                let output = try ids(try pool.query(try batch(input), backend: backend,
                                                    random: &random))
                let expected = referenceQuery(input, pool: &referencePool, capacity: 4,
                                              random: &referenceRandom)
                XCTAssertEqual(output, expected, "batch \(batchSize), input \(input)")
                returnedOld += zip(output, input).filter { $0 != $1 }.count
            }
            XCTAssertEqual(try pool.images.map { try ids($0)[0] }, referencePool)
            XCTAssertEqual(random, referenceRandom, "same number of draws")
            // Once full, about half of the images come from the pool (binomial, 40 * batch - 4
            // draws; the bounds are beyond 4 standard deviations).
            let draws = 40 * batchSize - 4
            XCTAssertGreaterThan(returnedOld, draws / 4, "batch \(batchSize)")
            XCTAssertLessThan(returnedOld, 3 * draws / 4, "batch \(batchSize)")
        }
    }

    func testFillingPoolReturnsInputs() throws {
        let pool = ImagePool(capacity: 50)
        var random = SeededRandom(seed: 1)
        let before = random
        XCTAssertEqual(try ids(try pool.query(try batch([7, 8]), backend: backend,
                                              random: &random)), [7, 8])
        XCTAssertEqual(pool.count, 2)
        XCTAssertEqual(random, before, "no draws while the pool fills")
    }

    func testZeroCapacityReturnsInputTensor() throws {
        let pool = ImagePool(capacity: 0)
        var random = SeededRandom(seed: 1)
        let input = try batch([3])
        let output = try pool.query(input, backend: backend, random: &random)
        XCTAssertTrue(output.buffer === input.buffer)
        XCTAssertEqual(pool.count, 0)
    }

    func testStoredImagesAreCopies() throws {
        let pool = ImagePool(capacity: 2)
        var random = SeededRandom(seed: 1)
        let input = try batch([1])
        _ = try pool.query(input, backend: backend, random: &random)
        try backend.fill(input, with: 9)
        XCTAssertEqual(try ids(pool.images[0]), [1], "later writes to the fake do not reach it")
    }

    func testNextIndexIsUniform() {
        var random = SeededRandom(seed: 8)
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<50_000 {
            counts[random.nextIndex(below: 5)] += 1
        }
        // 10,000 expected per bucket, standard deviation about 89.
        for count in counts {
            XCTAssertEqual(Double(count), 10_000, accuracy: 500, "\(counts)")
        }
    }
}
