/// The random distribution of a verification tensor's initial values.
public enum ValueDistribution: Sendable {
    case normal(standardDeviation: Double)
    case uniform(ClosedRange<Double>)
}

/// A tensor a verification case allocates and fills before running its ops.
public struct TensorSpec {
    public let name: String
    public let shape: TensorShape
    /// Elements before the view in its buffer. A nonzero offset checks that kernels honour view
    /// offsets; the elements around the view must come back unchanged.
    public let offset: Int
    public let values: ValueDistribution

    /// Elements after the view in its buffer, which must also come back unchanged.
    public static let trailingGuard = 5

    public init(_ name: String, _ dimensions: [Int], offset: Int = 0,
                values: ValueDistribution = .normal(standardDeviation: 1)) {
        self.name = name
        self.shape = TensorShape(dimensions)
        self.offset = offset
        self.values = values
    }
}

/// The tensors of one case on one backend, looked up by spec name.
public struct VerificationTensors {
    let tensors: [String: Tensor]

    /// Returns the view of the spec named `name`.
    public func callAsFunction(_ name: String) throws -> Tensor {
        guard let tensor = tensors[name] else {
            throw ComputeError.shapeMismatch(
                op: "verification", detail: "no tensor named '\(name)'; the case declares "
                    + tensors.keys.sorted().joined(separator: ", "))
        }
        return tensor
    }
}

/// One op on one set of shapes: the tensors it needs and the calls that run it. Every tensor is
/// compared after the calls, so outputs are checked and inputs must come back unchanged.
public struct VerificationCase {
    public let op: VerifiedOp
    /// Shapes and settings, for the report row.
    public let label: String
    public let tensors: [TensorSpec]
    public let tolerance: ComparisonTolerance
    let body: (ComputeBackend, VerificationTensors) throws -> Void

    public init(_ op: VerifiedOp, _ label: String, tensors: [TensorSpec],
                tolerance: ComparisonTolerance? = nil,
                body: @escaping (ComputeBackend, VerificationTensors) throws -> Void) {
        self.op = op
        self.label = label
        self.tensors = tensors
        self.tolerance = tolerance ?? op.tolerance
        self.body = body
    }
}

/// The outcome of one case: the largest errors over all its tensors and every failure.
public struct VerificationResult {
    public let op: VerifiedOp
    public let label: String
    public let maxAbsoluteError: Double
    public let maxRelativeError: Double
    /// Failure reports (mismatches with positions, writes outside a view, thrown errors); empty
    /// when the case passed.
    public let failures: [String]

    public var passed: Bool { failures.isEmpty }
}

/// Runs verification cases on a candidate backend and a reference backend with the same random
/// inputs and compares every tensor.
public final class BackendVerifier {
    public let reference: ComputeBackend
    public let candidate: ComputeBackend
    public let seed: UInt64

    public init(reference: ComputeBackend, candidate: ComputeBackend, seed: UInt64 = 20_170_330) {
        self.reference = reference
        self.candidate = candidate
        self.seed = seed
    }

    /// Runs `testCase` on both backends. `index` selects the random stream, so a case's inputs do
    /// not depend on which other cases ran.
    public func verify(_ testCase: VerificationCase, index: Int = 0) -> VerificationResult {
        var random = SeededRandom(seed: seed, stream: [UInt64(index)])
        let initial = testCase.tensors.map { spec in
            Self.values(count: spec.offset + spec.shape.count + TensorSpec.trailingGuard,
                        distribution: spec.values, random: &random)
        }
        let expected: [[Float]]
        let actual: [[Float]]
        do {
            expected = try execute(testCase, on: reference, initial: initial)
        } catch {
            return result(testCase, failures: ["the reference backend failed: \(error)"])
        }
        do {
            actual = try execute(testCase, on: candidate, initial: initial)
        } catch {
            return result(testCase, failures: ["the candidate backend failed: \(error)"])
        }

        var failures: [String] = []
        var maxAbsolute = 0.0
        var maxRelative = 0.0
        for (position, spec) in testCase.tensors.enumerated() {
            let view = spec.offset..<(spec.offset + spec.shape.count)
            let comparison = TensorComparison(actual: Array(actual[position][view]),
                                              expected: Array(expected[position][view]),
                                              tolerance: testCase.tolerance)
            maxAbsolute = max(maxAbsolute, comparison.maxAbsoluteError)
            maxRelative = max(maxRelative, comparison.maxRelativeError)
            if !comparison.passed {
                failures.append(comparison.failureReport(name: spec.name, shape: spec.shape))
            }
            let outside = actual[position].indices.filter { index in
                !view.contains(index) && actual[position][index] != initial[position][index]
            }
            if let first = outside.first {
                failures.append("\(spec.name): \(outside.count) elements outside the view "
                    + "\(spec.shape) at offset \(spec.offset) changed, first at buffer index "
                    + "\(first)")
            }
        }
        return VerificationResult(op: testCase.op, label: testCase.label,
                                  maxAbsoluteError: maxAbsolute, maxRelativeError: maxRelative,
                                  failures: failures)
    }

    /// Allocates and fills the case's buffers on `backend`, runs the case and reads every buffer
    /// back whole, guards included.
    private func execute(_ testCase: VerificationCase, on backend: ComputeBackend,
                         initial: [[Float]]) throws -> [[Float]] {
        var buffers: [Tensor] = []
        var views: [String: Tensor] = [:]
        for (spec, values) in zip(testCase.tensors, initial) {
            let whole = try backend.makeTensor(TensorShape([values.count]))
            try backend.write(values, to: whole)
            buffers.append(whole)
            views[spec.name] = whole.view(at: spec.offset, shape: spec.shape)
        }
        try testCase.body(backend, VerificationTensors(tensors: views))
        return try buffers.map { try backend.read($0) }
    }

    private func result(_ testCase: VerificationCase, failures: [String]) -> VerificationResult {
        VerificationResult(op: testCase.op, label: testCase.label, maxAbsoluteError: .infinity,
                           maxRelativeError: .infinity, failures: failures)
    }

    private static func values(count: Int, distribution: ValueDistribution,
                               random: inout SeededRandom) -> [Float] {
        (0..<count).map { _ in
            switch distribution {
            case .normal(let deviation):
                return Float(random.nextNormal(standardDeviation: deviation))
            case .uniform(let range):
                return Float(range.lowerBound
                    + (range.upperBound - range.lowerBound) * random.nextUniform())
            }
        }
    }
}
