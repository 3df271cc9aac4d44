import CycleGANCompute
import Foundation
import XCTest

/// Tolerances for the activation, arithmetic and memory tests.
private enum ElementwiseTolerance {
    static let handComputed = Tolerance(
        atol: 1e-6, rtol: 1e-6,
        reason: "one fp32 operation per element against a Double reference")
    static let finiteDifference = Tolerance(
        atol: 1e-3, rtol: 5e-3,
        reason: "inputs stay 0.1 away from the ReLU kink, so only tanh has truncation error "
            + "(h^2 |tanh'''| / 6 < 2e-5), and fp32 rounding of outputs divided by 2h adds ~1e-4")
}

final class CPUElementwiseTests: XCTestCase {
    let backend = CPUBackend()
    let activations: [Activation] = [.relu, .leakyReLU(slope: 0.2), .tanh]

    // MARK: - Activations

    func testActivationForwardValues() throws {
        let x: [Float] = [-2, -0.5, 0, 0.5, 2]
        let expected: [String: [Double]] = [
            "relu": [0, 0, 0, 0.5, 2],
            "leaky": [-0.4, -0.1, 0, 0.5, 2],
            "tanh": x.map { Foundation.tanh(Double($0)) },
        ]
        for (activation, key) in zip(activations, ["relu", "leaky", "tanh"]) {
            let output = try backend.makeTensor(TensorShape([5]))
            try backend.activationForward(activation, input: backend.tensor([5], x),
                                          output: output)
            assertClose(try backend.read(output).map(Double.init), expected[key] ?? [],
                        tolerance: ElementwiseTolerance.handComputed, "\(activation) forward")
        }
    }

    func testActivationBackwardValues() throws {
        // The gradient is 3 everywhere, and the derivative comes from the forward output.
        let x: [Float] = [-2, -0.5, 0, 0.5, 2]
        let tanhDerivative = x.map { 3 * (1 - pow(Foundation.tanh(Double($0)), 2)) }
        let expected: [[Double]] = [[0, 0, 0, 3, 3], [0.6, 0.6, 0.6, 3, 3], tanhDerivative]
        for (activation, want) in zip(activations, expected) {
            let output = try backend.makeTensor(TensorShape([5]))
            try backend.activationForward(activation, input: backend.tensor([5], x),
                                          output: output)
            let gradInput = try backend.makeTensor(TensorShape([5]))
            try backend.activationBackward(activation, output: output,
                                           gradOutput: backend.tensor([5], [3, 3, 3, 3, 3]),
                                           gradInput: gradInput)
            assertClose(try backend.read(gradInput).map(Double.init), want,
                        tolerance: ElementwiseTolerance.handComputed, "\(activation) backward")
        }
    }

    func testActivationBackwardMatchesFiniteDifferences() throws {
        let gradientCheck = GradientCheck(step: 1e-2,
                                          tolerance: ElementwiseTolerance.finiteDifference)
        let shape = [2, 3, 5, 5]
        for (caseIndex, activation) in activations.enumerated() {
            var random = SeededRandom(seed: 1000 + UInt64(caseIndex))
            let x = random.valuesAwayFromZero(150, magnitude: 0.1...2)
            let r = random.uniformValues(150)

            func forward(_ values: [Float]) throws -> [Float] {
                let output = try GuardedTensor(backend, shape)
                try backend.activationForward(activation,
                                              input: GuardedTensor(backend, shape,
                                                                   values: values).tensor,
                                              output: output.tensor)
                try output.assertGuardsIntact(backend, "\(activation) output")
                return try backend.read(output.tensor)
            }

            let gradInput = try GuardedTensor(backend, shape)
            try backend.activationBackward(
                activation, output: GuardedTensor(backend, shape, values: forward(x)).tensor,
                gradOutput: GuardedTensor(backend, shape, values: r).tensor,
                gradInput: gradInput.tensor)
            try gradInput.assertGuardsIntact(backend, "\(activation) gradInput")
            try gradientCheck.check("\(activation)", values: x, shape: TensorShape(shape),
                                    analytic: try backend.read(gradInput.tensor),
                                    outputWeights: r, random: &random, forward: forward)
        }
    }

    func testActivationsPropagateNaN() throws {
        for activation in activations {
            let output = try backend.makeTensor(TensorShape([2]))
            try backend.activationForward(activation, input: backend.tensor([2], [.nan, 1]),
                                          output: output)
            let values = try backend.read(output)
            XCTAssertTrue(values[0].isNaN, "\(activation) of NaN gave \(values[0])")
        }
    }

    func testNegativeLeakySlopeIsRejected() throws {
        let x = try backend.makeTensor(TensorShape([4]))
        assertShapeMismatch(op: "activationForward", containing: "slope -0.5") {
            try backend.activationForward(.leakyReLU(slope: -0.5), input: x, output: x)
        }
    }

    // MARK: - Arithmetic

    func testArithmeticOnOffsetViews() throws {
        let a = try GuardedTensor(backend, [2, 3], values: [1, 2, 3, 4, 5, 6])
        let b = try GuardedTensor(backend, [6], values: [10, 20, 30, 40, 50, 60])
        let output = try GuardedTensor(backend, [2, 3])

        try backend.add(a.tensor, b.tensor, output: output.tensor)
        assertClose(try backend.read(output.tensor), [11, 22, 33, 44, 55, 66],
                    tolerance: ElementwiseTolerance.handComputed, "add")
        try backend.accumulate(a.tensor, scaledBy: -2, into: output.tensor)
        assertClose(try backend.read(output.tensor), [9, 18, 27, 36, 45, 54],
                    tolerance: ElementwiseTolerance.handComputed, "accumulate")
        try backend.scale(b.tensor, by: 0.5, output: output.tensor)
        assertClose(try backend.read(output.tensor), [5, 10, 15, 20, 25, 30],
                    tolerance: ElementwiseTolerance.handComputed, "scale")
        try backend.copy(a.tensor, to: output.tensor)
        assertClose(try backend.read(output.tensor), [1, 2, 3, 4, 5, 6],
                    tolerance: ElementwiseTolerance.handComputed, "copy")
        try backend.fill(output.tensor, with: 7)
        assertClose(try backend.read(output.tensor), [Float](repeating: 7, count: 6),
                    tolerance: ElementwiseTolerance.handComputed, "fill")
        try backend.add(a.tensor, a.tensor, output: a.tensor)
        assertClose(try backend.read(a.tensor), [2, 4, 6, 8, 10, 12],
                    tolerance: ElementwiseTolerance.handComputed, "add in place")

        for (name, guarded) in [("a", a), ("b", b), ("output", output)] {
            try guarded.assertGuardsIntact(backend, name)
        }
    }

    func testLargeTensorsSplitAcrossCoresStayExact() throws {
        // More elements than one parallel chunk, with a final partial chunk.
        let count = 3 * 65_536 + 11
        let x = try backend.tensor([count], (0..<count).map { Float($0 % 1000) })
        let y = try backend.makeTensor(TensorShape([count]))
        try backend.scale(x, by: 2, output: y)
        let values = try backend.read(y)
        let wrong = (0..<count).filter { values[$0] != Float(2 * ($0 % 1000)) }
        XCTAssertTrue(wrong.isEmpty, "\(wrong.count) wrong elements, first at \(wrong.prefix(5))")
    }

    func testCountMismatchesAreRejected() throws {
        let a = try backend.makeTensor(TensorShape([2, 3]))
        let b = try backend.makeTensor(TensorShape([5]))
        assertShapeMismatch(op: "add", containing: "b [5] has 5 elements but a [2, 3] has 6") {
            try backend.add(a, b, output: a)
        }
        assertShapeMismatch(op: "copy", containing: "overlaps") {
            let whole = try backend.makeTensor(TensorShape([10]))
            try backend.copy(whole.view(at: 0, shape: TensorShape([6])),
                             to: whole.view(at: 3, shape: TensorShape([6])))
        }
    }

    // MARK: - Memory

    func testWriteAndReadUseTheViewOffset() throws {
        let whole = try backend.makeTensor(TensorShape([10]))
        XCTAssertEqual(try backend.read(whole), [Float](repeating: 0, count: 10),
                       "new buffers start zeroed")
        let view = whole.view(at: 4, shape: TensorShape([3]))
        try backend.write([1, 2, 3], to: view)
        XCTAssertEqual(try backend.read(view), [1, 2, 3])
        XCTAssertEqual(try backend.read(whole), [0, 0, 0, 0, 1, 2, 3, 0, 0, 0])
        assertShapeMismatch(op: "write", containing: "2 values cannot fill") {
            try backend.write([1, 2], to: view)
        }
        assertShapeMismatch(op: "makeTensor", containing: "negative dimension -3") {
            _ = try backend.makeTensor(TensorShape([2, -3]))
        }
    }

    func testForeignBufferIsRejected() throws {
        final class ForeignBuffer: DeviceBuffer {
            let capacity = 4
        }
        let foreign = Tensor(buffer: ForeignBuffer(), shape: TensorShape([4]))
        assertShapeMismatch(op: "read", containing: "not in host memory") {
            _ = try backend.read(foreign)
        }
    }
}
