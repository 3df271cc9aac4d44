/// An absolute and relative error bound with the reason it is that large: an element passes
/// when |actual - expected| <= atol + rtol * |expected|.
public struct ComparisonTolerance: Equatable, Sendable {
    public var atol: Double
    public var rtol: Double
    /// The source of the error, printed with every failure.
    public var reason: String

    public init(atol: Double, rtol: Double, reason: String) {
        self.atol = atol
        self.rtol = rtol
        self.reason = reason
    }

    /// Returns whether `actual` is within the bound of `expected`. A NaN never is.
    public func accepts(_ actual: Double, _ expected: Double) -> Bool {
        abs(actual - expected) <= atol + rtol * abs(expected)
    }
}

/// The element-by-element comparison of a result with its reference.
public struct TensorComparison: Sendable {
    /// One element outside the tolerance.
    public struct Mismatch: Sendable {
        public let index: Int
        public let actual: Float
        public let expected: Float
    }

    public let count: Int
    public let tolerance: ComparisonTolerance
    public let mismatchCount: Int
    /// Largest |actual - expected|, and the index where it occurs (infinity for a NaN).
    public let maxAbsoluteError: Double
    public let maxAbsoluteErrorIndex: Int
    /// Largest |actual - expected| / |expected| over the elements with |expected| > atol, where
    /// the relative bound is the one that matters; 0 when there are none.
    public let maxRelativeError: Double
    /// The first few mismatches in index order.
    public let firstMismatches: [Mismatch]

    public var passed: Bool { mismatchCount == 0 }

    /// Compares `actual` with `expected`; arrays of different lengths fail at the first missing
    /// index.
    public init(actual: [Float], expected: [Float], tolerance: ComparisonTolerance,
                mismatchLimit: Int = 5) {
        self.tolerance = tolerance
        count = max(actual.count, expected.count)
        var mismatches: [Mismatch] = []
        var mismatchTotal = abs(actual.count - expected.count)
        var maxAbsolute = mismatchTotal > 0 ? Double.infinity : 0
        var maxAbsoluteIndex = min(actual.count, expected.count)
        var maxRelative = 0.0
        for index in 0..<min(actual.count, expected.count) {
            let a = Double(actual[index])
            let e = Double(expected[index])
            let error = a.isNaN || e.isNaN ? Double.infinity : abs(a - e)
            if error > maxAbsolute || (error == .infinity && maxAbsolute != .infinity) {
                maxAbsolute = error
                maxAbsoluteIndex = index
            }
            if abs(e) > tolerance.atol {
                maxRelative = max(maxRelative, error / abs(e))
            }
            if !tolerance.accepts(a, e) {
                mismatchTotal += 1
                if mismatches.count < mismatchLimit {
                    mismatches.append(Mismatch(index: index, actual: actual[index],
                                               expected: expected[index]))
                }
            }
        }
        mismatchCount = mismatchTotal
        maxAbsoluteError = maxAbsolute
        maxAbsoluteErrorIndex = maxAbsoluteIndex
        maxRelativeError = maxRelative
        firstMismatches = mismatches
    }

    /// Formats a failure over several lines: how many elements missed which bound, the max
    /// error and its position, and the first mismatches, with coordinates in `shape` when
    /// given.
    public func failureReport(name: String, shape: TensorShape? = nil) -> String {
        func position(_ index: Int) -> String {
            shape.map { Self.coordinates(of: index, in: $0) } ?? "[\(index)]"
        }
        var lines = ["\(name): \(mismatchCount) of \(count) elements exceed atol \(tolerance.atol) "
            + "+ rtol \(tolerance.rtol) * |expected| (\(tolerance.reason)); max absolute error "
            + "\(maxAbsoluteError) at \(position(maxAbsoluteErrorIndex)), max relative error "
            + "\(maxRelativeError)"]
        for mismatch in firstMismatches {
            lines.append("  at \(position(mismatch.index)): actual \(mismatch.actual), expected "
                + "\(mismatch.expected)")
        }
        return lines.joined(separator: "\n")
    }

    /// "[n, c, y, x]" for a flat index into a tensor of `shape`; indices past the end (guard
    /// elements around a view) count on in the outermost dimension.
    public static func coordinates(of index: Int, in shape: TensorShape) -> String {
        var remainder = index
        var parts: [Int] = []
        for (position, size) in shape.dimensions.enumerated().reversed() {
            if position == 0 || size == 0 {
                parts.append(remainder)
                remainder = 0
            } else {
                parts.append(remainder % size)
                remainder /= size
            }
        }
        return "[" + parts.reversed().map(String.init).joined(separator: ", ") + "]"
    }
}
