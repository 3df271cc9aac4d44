import CycleGANCompute
import XCTest

/// Tolerances for the reflection padding and instance normalization tests.
private enum PaddingNormalizationTolerance {
    static let exact = Tolerance(
        atol: 0, rtol: 0,
        reason: "padding copies values and sums at most four small integers")
    static let normalizedPlane = Tolerance(
        atol: 1e-6, rtol: 1e-6,
        reason: "statistics in Double, one fp32 rounding per output")
    static let paddingFiniteDifference = Tolerance(
        atol: 3e-4, rtol: 1e-3,
        reason: "padding is linear, so only fp32 rounding of the outputs divided by 2h remains")
    static let normFiniteDifference = Tolerance(
        atol: 1e-3, rtol: 3e-3,
        reason: "normalization is nonlinear: truncation error of order h^2 * invStd^3 with "
            + "h = 1e-2 plus fp32 rounding of the outputs divided by 2h")
}

final class CPUPaddingNormalizationTests: XCTestCase {
    let backend = CPUBackend()

    // MARK: - Reflection padding

    func testReflectionPadMirrorsRamp() throws {
        let input = try backend.tensor([1, 1, 3, 3], (1...9).map(Float.init))
        let byOne = try backend.makeTensor(TensorShape([1, 1, 5, 5]))
        try backend.reflectionPad2dForward(input: input, output: byOne, padding: 1)
        let expectedByOne: [Float] = [5, 4, 5, 6, 5,
                                      2, 1, 2, 3, 2,
                                      5, 4, 5, 6, 5,
                                      8, 7, 8, 9, 8,
                                      5, 4, 5, 6, 5]
        assertClose(try backend.read(byOne), expectedByOne,
                    tolerance: PaddingNormalizationTolerance.exact, "3x3 ramp padded by 1",
                    shape: byOne.shape)

        let byTwo = try backend.makeTensor(TensorShape([1, 1, 7, 7]))
        try backend.reflectionPad2dForward(input: input, output: byTwo, padding: 2)
        let expectedByTwo: [Float] = [9, 8, 7, 8, 9, 8, 7,
                                      6, 5, 4, 5, 6, 5, 4,
                                      3, 2, 1, 2, 3, 2, 1,
                                      6, 5, 4, 5, 6, 5, 4,
                                      9, 8, 7, 8, 9, 8, 7,
                                      6, 5, 4, 5, 6, 5, 4,
                                      3, 2, 1, 2, 3, 2, 1]
        assertClose(try backend.read(byTwo), expectedByTwo,
                    tolerance: PaddingNormalizationTolerance.exact, "3x3 ramp padded by 2",
                    shape: byTwo.shape)
    }

    func testReflectionPadBackwardCountsMirrors() throws {
        // With a gradient of ones, each input pixel receives the number of output pixels that
        // read it. Padding 3 pixels by 1 reads indices 1, 0, 1, 2, 1, so the middle row and
        // column count 3, and each pixel's count is its row count times its column count.
        let gradOutput = try backend.tensor([1, 1, 5, 5], [Float](repeating: 1, count: 25))
        let gradInput = try backend.makeTensor(TensorShape([1, 1, 3, 3]))
        try backend.fill(gradInput, with: 100)
        try backend.reflectionPad2dBackward(gradOutput: gradOutput, gradInput: gradInput,
                                            padding: 1)
        assertClose(try backend.read(gradInput), [1, 3, 1, 3, 9, 3, 1, 3, 1],
                    tolerance: PaddingNormalizationTolerance.exact,
                    "mirror counts (the old contents must be overwritten)", shape: gradInput.shape)
    }

    func testReflectionPadBackwardMatchesFiniteDifferences() throws {
        let gradientCheck = GradientCheck(step: 1e-2,
                                          tolerance: PaddingNormalizationTolerance
                                              .paddingFiniteDifference)
        let cases: [(shape: [Int], padding: Int)] = [
            ([2, 3, 5, 5], 1), ([1, 3, 5, 4], 3), ([2, 2, 4, 6], 2), ([1, 5, 3, 3], 0),
        ]
        for (caseIndex, item) in cases.enumerated() {
            var random = SeededRandom(seed: 800 + UInt64(caseIndex))
            let (n, c, h, w) = TensorShape(item.shape).nchw
            let p = item.padding
            let outputShape = [n, c, h + 2 * p, w + 2 * p]
            let x = random.uniformValues(TensorShape(item.shape).count)
            let r = random.uniformValues(TensorShape(outputShape).count)

            let gradOutput = try GuardedTensor(backend, outputShape, values: r)
            let gradInput = try GuardedTensor(backend, item.shape)
            try backend.reflectionPad2dBackward(gradOutput: gradOutput.tensor,
                                                gradInput: gradInput.tensor, padding: p)
            try gradInput.assertGuardsIntact(backend, "\(item) gradInput")

            try gradientCheck.check("reflection pad \(item.shape) by \(p)", values: x,
                                    shape: TensorShape(item.shape),
                                    analytic: try backend.read(gradInput.tensor),
                                    outputWeights: r, random: &random) { values in
                let output = try GuardedTensor(backend, outputShape)
                try backend.reflectionPad2dForward(
                    input: GuardedTensor(backend, item.shape, values: values).tensor,
                    output: output.tensor, padding: p)
                try output.assertGuardsIntact(backend, "\(item) output")
                return try backend.read(output.tensor)
            }
        }
    }

    func testReflectionPadRejectsPaddingOfImageSize() throws {
        let input = try backend.makeTensor(TensorShape([1, 1, 3, 4]))
        assertShapeMismatch(op: "reflectionPad2dForward", containing: "0..<min(H, W)") {
            try backend.reflectionPad2dForward(
                input: input, output: backend.makeTensor(TensorShape([1, 1, 9, 10])), padding: 3)
        }
        assertShapeMismatch(op: "reflectionPad2dForward", containing: "gives [1, 1, 5, 6]") {
            try backend.reflectionPad2dForward(
                input: input, output: backend.makeTensor(TensorShape([1, 1, 5, 5])), padding: 1)
        }
    }

    // MARK: - Instance normalization

    func testInstanceNormOfKnownPlanes() throws {
        // Plane 0 is [1, 2, 3, 4]: mean 2.5, biased variance 1.25, and epsilon 0.75 makes
        // invStd = 1 / sqrt(2). Plane 1 is constant: output 0, invStd = 1 / sqrt(0.75).
        let input = try backend.tensor([1, 2, 2, 2], [1, 2, 3, 4, 5, 5, 5, 5])
        let output = try backend.makeTensor(TensorShape([1, 2, 2, 2]))
        let invStd = try backend.makeTensor(TensorShape([2]))
        try backend.instanceNormForward(input: input, output: output, invStd: invStd,
                                        epsilon: 0.75)

        let s = 1 / 2.0.squareRoot()
        assertClose(try backend.read(output).map(Double.init),
                    [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s, 0, 0, 0, 0],
                    tolerance: PaddingNormalizationTolerance.normalizedPlane, "normalized planes",
                    shape: output.shape)
        assertClose(try backend.read(invStd).map(Double.init), [s, 1 / 0.75.squareRoot()],
                    tolerance: PaddingNormalizationTolerance.normalizedPlane, "saved invStd")
    }

    func testInstanceNormBackwardMatchesFiniteDifferences() throws {
        let gradientCheck = GradientCheck(step: 1e-2,
                                          tolerance: PaddingNormalizationTolerance
                                              .normFiniteDifference)
        let shapes: [[Int]] = [[2, 3, 5, 5], [1, 5, 4, 3], [2, 2, 2, 2]]
        for (caseIndex, shape) in shapes.enumerated() {
            var random = SeededRandom(seed: 900 + UInt64(caseIndex))
            let planes = shape[0] * shape[1]
            let x = random.uniformValues(TensorShape(shape).count, in: -2...2)
            let r = random.uniformValues(TensorShape(shape).count)

            func forward(_ values: [Float]) throws -> (output: [Float], invStd: [Float]) {
                let output = try GuardedTensor(backend, shape)
                let invStd = try GuardedTensor(backend, [planes])
                try backend.instanceNormForward(
                    input: GuardedTensor(backend, shape, values: values).tensor,
                    output: output.tensor, invStd: invStd.tensor, epsilon: 1e-5)
                try output.assertGuardsIntact(backend, "\(shape) output")
                try invStd.assertGuardsIntact(backend, "\(shape) invStd")
                return (try backend.read(output.tensor), try backend.read(invStd.tensor))
            }

            let (y, invStd) = try forward(x)
            let gradInput = try GuardedTensor(backend, shape)
            try backend.instanceNormBackward(
                gradOutput: GuardedTensor(backend, shape, values: r).tensor,
                output: GuardedTensor(backend, shape, values: y).tensor,
                invStd: GuardedTensor(backend, [planes], values: invStd).tensor,
                gradInput: gradInput.tensor)
            try gradInput.assertGuardsIntact(backend, "\(shape) gradInput")

            try gradientCheck.check("instance norm \(shape)", values: x, shape: TensorShape(shape),
                                    analytic: try backend.read(gradInput.tensor),
                                    outputWeights: r, random: &random) { try forward($0).output }
        }
    }

    func testInstanceNormRunsInPlace() throws {
        var random = SeededRandom(seed: 950)
        let x = random.uniformValues(2 * 3 * 4 * 4)
        let separate = try backend.makeTensor(TensorShape([2, 3, 4, 4]))
        let invStd = try backend.makeTensor(TensorShape([6]))
        try backend.instanceNormForward(input: backend.tensor([2, 3, 4, 4], x), output: separate,
                                        invStd: invStd, epsilon: 1e-5)
        let inPlace = try backend.tensor([2, 3, 4, 4], x)
        try backend.instanceNormForward(input: inPlace, output: inPlace, invStd: invStd,
                                        epsilon: 1e-5)
        XCTAssertEqual(try backend.read(inPlace), try backend.read(separate),
                       "in-place forward differs from a separate output")
    }

    func testInstanceNormRejectsWrongInvStdSize() throws {
        let input = try backend.makeTensor(TensorShape([2, 3, 4, 4]))
        assertShapeMismatch(op: "instanceNormForward", containing: "6 planes") {
            try backend.instanceNormForward(input: input, output: input,
                                            invStd: backend.makeTensor(TensorShape([3])),
                                            epsilon: 1e-5)
        }
        assertShapeMismatch(op: "instanceNormForward", containing: "fewer than 2 pixels") {
            let single = try backend.makeTensor(TensorShape([1, 2, 1, 1]))
            try backend.instanceNormForward(input: single, output: single,
                                            invStd: backend.makeTensor(TensorShape([2])),
                                            epsilon: 1e-5)
        }
    }
}
