import CycleGANCompute
import XCTest

/// An absolute and relative margin for comparing results: an element passes when
/// |actual - expected| <= atol + rtol * |expected|. `reason` states where the error comes from.
struct Tolerance {
    var atol: Double
    var rtol: Double
    var reason: String
}

// MARK: - Comparisons

/// Asserts that every element of `actual` is within `tolerance` of `expected`. On failure it
/// reports the max absolute error and where it is (NCHW coordinates when `shape` is given), then
/// the first 5 mismatches. `indices`, when given, are the positions in a tensor of `shape` that
/// the compared elements come from (for a sample of a larger tensor).
func assertClose(_ actual: [Double], _ expected: [Double], tolerance: Tolerance,
                 _ message: String, shape: TensorShape? = nil, indices: [Int]? = nil,
                 file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(message): got \(actual.count) values, expected \(expected.count)",
                file: file, line: line)
        return
    }
    var maxError = 0.0
    var maxErrorAt = 0
    var mismatches: [Int] = []
    for index in 0..<actual.count {
        let error = abs(actual[index] - expected[index])
        let allowed = tolerance.atol + tolerance.rtol * abs(expected[index])
        // Written so that NaN counts as a mismatch.
        if !(error <= allowed) {
            mismatches.append(index)
        }
        if error > maxError || error.isNaN {
            maxError = error
            maxErrorAt = index
        }
    }
    guard !mismatches.isEmpty else { return }

    func position(_ index: Int) -> String {
        let element = indices?[index] ?? index
        guard let shape else { return "[\(element)]" }
        return coordinates(of: element, in: shape)
    }
    let examples = mismatches.prefix(5).map { index in
        "  at \(position(index)): actual \(actual[index]), expected \(expected[index]), "
            + "error \(abs(actual[index] - expected[index]))"
    }
    XCTFail("\(message): \(mismatches.count) of \(actual.count) elements exceed atol "
        + "\(tolerance.atol) + rtol \(tolerance.rtol) (\(tolerance.reason)). Max absolute error "
        + "\(maxError) at \(position(maxErrorAt)). First mismatches:\n"
        + examples.joined(separator: "\n"), file: file, line: line)
}

func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Tolerance,
                 _ message: String, shape: TensorShape? = nil, indices: [Int]? = nil,
                 file: StaticString = #filePath, line: UInt = #line) {
    assertClose(actual.map(Double.init), expected.map(Double.init), tolerance: tolerance,
                message, shape: shape, indices: indices, file: file, line: line)
}

/// Formats a flat element index of a tensor of `shape` as coordinates, "[n, c, y, x]" for NCHW.
func coordinates(of index: Int, in shape: TensorShape) -> String {
    var remainder = index
    var parts: [Int] = []
    for size in shape.dimensions.reversed() {
        parts.append(size > 0 ? remainder % size : 0)
        remainder = size > 0 ? remainder / size : 0
    }
    return "[" + parts.reversed().map(String.init).joined(separator: ", ") + "]"
}

/// Asserts that `body` throws `ComputeError.shapeMismatch` from `op` with a detail containing
/// `fragment`.
func assertShapeMismatch(op: String, containing fragment: String,
                         file: StaticString = #filePath, line: UInt = #line,
                         _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("\(op) accepted invalid shapes, but an error was expected containing '\(fragment)'",
                file: file, line: line)
    } catch let ComputeError.shapeMismatch(thrownOp, detail) {
        XCTAssertEqual(thrownOp, op, "error came from the wrong op: \(detail)",
                       file: file, line: line)
        XCTAssertTrue(detail.contains(fragment), "message '\(detail)' lacks '\(fragment)'",
                      file: file, line: line)
    } catch {
        XCTFail("\(op) threw \(error), expected ComputeError.shapeMismatch", file: file, line: line)
    }
}

func dot(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

// MARK: - Random inputs

extension SeededRandom {
    /// `count` values drawn uniformly from `range`.
    mutating func uniformValues(_ count: Int, in range: ClosedRange<Double> = -1...1) -> [Float] {
        (0..<count).map { _ in
            Float(range.lowerBound + (range.upperBound - range.lowerBound) * nextUniform())
        }
    }

    /// `count` values of random sign whose magnitude lies in `magnitude`, for inputs that must
    /// stay clear of a kink at zero (ReLU, L1) by more than a finite-difference step.
    mutating func valuesAwayFromZero(_ count: Int,
                                     magnitude: ClosedRange<Double> = 0.1...1) -> [Float] {
        uniformValues(count, in: magnitude).map { next() & 1 == 0 ? $0 : -$0 }
    }

    /// Returns all of 0..<count when count <= limit, otherwise `limit` distinct indices in
    /// ascending order.
    mutating func sampleIndices(count: Int, limit: Int) -> [Int] {
        guard count > limit else { return Array(0..<count) }
        var all = Array(0..<count)
        all.shuffle(using: &self)
        return all.prefix(limit).sorted()
    }
}

// MARK: - Tensors with guard bands

/// A tensor viewed at a nonzero offset into a larger buffer whose other elements hold a sentinel,
/// so a test catches an op that ignores the view's offset or writes past its end.
struct GuardedTensor {
    static let sentinel: Float = -777.25
    static let leadingGuard = 7
    static let trailingGuard = 5

    let whole: Tensor
    let tensor: Tensor

    init(_ backend: ComputeBackend, _ dimensions: [Int], values: [Float]? = nil) throws {
        let shape = TensorShape(dimensions)
        let total = GuardedTensor.leadingGuard + shape.count + GuardedTensor.trailingGuard
        whole = try backend.makeTensor(TensorShape([total]))
        try backend.fill(whole, with: GuardedTensor.sentinel)
        tensor = whole.view(at: GuardedTensor.leadingGuard, shape: shape)
        try backend.write(values ?? [Float](repeating: 0, count: shape.count), to: tensor)
    }

    /// Fails the test when an element outside the view no longer contains the sentinel.
    func assertGuardsIntact(_ backend: ComputeBackend, _ name: String,
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let values = try backend.read(whole)
        let before = values.prefix(GuardedTensor.leadingGuard)
        let after = values.suffix(GuardedTensor.trailingGuard)
        XCTAssertTrue(before.allSatisfy { $0 == GuardedTensor.sentinel },
                      "\(name): elements before the view were overwritten: \(Array(before))",
                      file: file, line: line)
        XCTAssertTrue(after.allSatisfy { $0 == GuardedTensor.sentinel },
                      "\(name): elements after the view were overwritten: \(Array(after))",
                      file: file, line: line)
    }
}

extension ComputeBackend {
    /// Makes a tensor of `dimensions` that contains `values`.
    func tensor(_ dimensions: [Int], _ values: [Float]) throws -> Tensor {
        let tensor = try makeTensor(TensorShape(dimensions))
        try write(values, to: tensor)
        return tensor
    }

    /// Makes a tensor of `dimensions` with values drawn uniformly from `range` by `random`.
    func randomTensor(_ dimensions: [Int], using random: inout SeededRandom,
                      in range: ClosedRange<Double> = -1...1) throws -> Tensor {
        try tensor(dimensions, random.uniformValues(TensorShape(dimensions).count, in: range))
    }
}

// MARK: - Finite differences

/// Compares an analytic gradient with central finite differences.
///
/// The scalar is L(v) = sum(forward(v) * outputWeights), computed in Double from the fp32 op
/// outputs. For each sampled index i the estimate is (L(v + h e_i) - L(v - h e_i)) divided by
/// the perturbation actually stored in fp32, which differs slightly from 2h.
struct GradientCheck {
    var step: Float
    var tolerance: Tolerance
    /// The number of elements checked per tensor. A smaller tensor is checked in full.
    var maxSamples = 60

    func check(_ name: String, values: [Float], shape: TensorShape, analytic: [Float],
               outputWeights: [Float], random: inout SeededRandom,
               file: StaticString = #filePath, line: UInt = #line,
               forward: ([Float]) throws -> [Float]) rethrows {
        XCTAssertEqual(analytic.count, values.count, "\(name): gradient size",
                       file: file, line: line)
        func loss(_ perturbed: [Float]) throws -> Double {
            dot(try forward(perturbed), outputWeights)
        }
        let indices = random.sampleIndices(count: values.count, limit: maxSamples)
        var numeric: [Double] = []
        for index in indices {
            var plus = values
            var minus = values
            plus[index] += step
            minus[index] -= step
            let delta = Double(plus[index]) - Double(minus[index])
            numeric.append((try loss(plus) - (try loss(minus))) / delta)
        }
        let sampled = indices.map { Double(analytic[$0]) }
        assertClose(sampled, numeric, tolerance: tolerance,
                    "\(name) gradient vs central differences (h = \(step))", shape: shape,
                    indices: indices, file: file, line: line)
    }
}
