@testable import CycleGANCompute
import XCTest

/// Every op, forward and backward, on the OpenCL device against the CPU reference, with the
/// fastest variants and again with the baseline kernels forced. The cases come from
/// `VerificationCases` and the tolerances from `VerifiedOp.tolerance`. The cases straddle
/// work-group sizes (31, 32, 33) and use strides 1 and 2, kernels 1, 3, 4 and 7, batches 1 and 2,
/// channel counts 3, 5 and 7, views at nonzero offsets, in-place use and accumulation.
final class OpenCLOpTests: XCTestCase {
    private func assertBothVariantsMatchCPU(_ ops: Set<VerifiedOp>,
                                            file: StaticString = #filePath,
                                            line: UInt = #line) throws {
        for policy in [OpenCLBackend.KernelVariantPolicy.fastest, .baseline] {
            let backend = try makeOpenCLBackend(.init(kernelVariants: policy))
            assertMatchesCPU(cases(of: ops), on: backend, file: file, line: line)
        }
    }

    func testConvolutionMatchesCPU() throws {
        try assertBothVariantsMatchCPU([.conv2dForward, .conv2dBackwardInput,
                                        .conv2dBackwardWeight])
    }

    func testTransposedConvolutionMatchesCPU() throws {
        try assertBothVariantsMatchCPU([.convTranspose2dForward, .convTranspose2dBackwardInput,
                                        .convTranspose2dBackwardWeight])
    }

    func testReflectionPadMatchesCPU() throws {
        try assertBothVariantsMatchCPU([.reflectionPad2dForward, .reflectionPad2dBackward])
    }

    func testInstanceNormMatchesCPU() throws {
        try assertBothVariantsMatchCPU([.instanceNormForward, .instanceNormBackward])
    }

    func testActivationsMatchCPU() throws {
        try assertBothVariantsMatchCPU([.reluForward, .reluBackward, .leakyReLUForward,
                                        .leakyReLUBackward, .tanhForward, .tanhBackward])
    }

    func testArithmeticMatchesCPU() throws {
        try assertBothVariantsMatchCPU([.add, .accumulate, .scale, .fill, .copy])
    }

    func testLossesMatchCPU() throws {
        try assertBothVariantsMatchCPU([.mseLossForward, .mseLossBackward, .l1LossForward,
                                        .l1LossBackward, .bceWithLogitsLossForward,
                                        .bceWithLogitsLossBackward])
    }

    func testAdamMatchesCPU() throws {
        try assertBothVariantsMatchCPU([.adamUpdate])
    }

    func testEveryOpHasCases() {
        let covered = Set(VerificationCases.all().map(\.op))
        for op in VerifiedOp.allCases {
            XCTAssertTrue(covered.contains(op), "no verification case covers \(op.rawValue)")
        }
    }

    // MARK: - Hand-computed results, independent of the CPU backend

    func testConvolutionSumsKnownProducts() throws {
        let backend = try makeOpenCLBackend()
        // 1x1 input channel, 3x3 image, 2x2 kernel, stride 1, no padding: each output is the
        // sum of a 2x2 window times the weights plus the bias.
        let input = try backend.makeTensor(TensorShape([1, 1, 3, 3]))
        let weight = try backend.makeTensor(TensorShape([1, 1, 2, 2]))
        let bias = try backend.makeTensor(TensorShape([1]))
        let output = try backend.makeTensor(TensorShape([1, 1, 2, 2]))
        try backend.write([1, 2, 3, 4, 5, 6, 7, 8, 9], to: input)
        try backend.write([1, 10, 100, 1000], to: weight)
        try backend.write([0.5], to: bias)

        try backend.conv2dForward(input: input, weight: weight, bias: bias, output: output,
                                  geometry: ConvolutionGeometry(kernel: 2))

        XCTAssertEqual(try backend.read(output), [5421.5, 6532.5, 8754.5, 9865.5])
    }

    func testReflectionPadMirrorsWithoutRepeatingEdge() throws {
        let backend = try makeOpenCLBackend()
        let input = try backend.makeTensor(TensorShape([1, 1, 3, 3]))
        let output = try backend.makeTensor(TensorShape([1, 1, 7, 7]))
        try backend.write([1, 2, 3, 4, 5, 6, 7, 8, 9], to: input)

        try backend.reflectionPad2dForward(input: input, output: output, padding: 2)

        let padded = try backend.read(output)
        // Padded row 0 reads input row 2 and padded row 2 is input row 0; columns mirror the
        // same way, so the edge pixel appears once.
        XCTAssertEqual(Array(padded[0..<7]), [9, 8, 7, 8, 9, 8, 7])
        XCTAssertEqual(Array(padded[14..<21]), [3, 2, 1, 2, 3, 2, 1])
    }

    func testReLUPassesNaN() throws {
        let backend = try makeOpenCLBackend()
        let x = try backend.makeTensor(TensorShape([3]))
        let grad = try backend.makeTensor(TensorShape([3]))
        try backend.write([.nan, -1, 2], to: x)
        try backend.write([5, 5, 5], to: grad)

        try backend.activationForward(.relu, input: x, output: x)
        try backend.activationBackward(.relu, output: x, gradOutput: grad, gradInput: grad)

        let y = try backend.read(x)
        XCTAssertTrue(y[0].isNaN, "ReLU(NaN) should be NaN, as in PyTorch, not \(y[0])")
        XCTAssertEqual(Array(y[1...]), [0, 2])
        XCTAssertEqual(try backend.read(grad), [5, 0, 5])
    }

    func testLossesReduceToKnownValues() throws {
        let backend = try makeOpenCLBackend()
        let input = try backend.makeTensor(TensorShape([4]))
        let target = try backend.makeTensor(TensorShape([4]))
        let loss = try backend.makeTensor(TensorShape([1]))
        let grad = try backend.makeTensor(TensorShape([4]))
        try backend.write([1, -1, 3, 0], to: input)
        try backend.write([0, 0, 1, 0], to: target)

        try backend.mseLoss(input: input, target: 1, loss: loss, gradInput: grad, gradScale: 1)
        XCTAssertEqual(try backend.read(loss), [(0 + 4 + 4 + 1) / 4])
        XCTAssertEqual(try backend.read(grad), [0, -1, 1, -0.5])

        try backend.l1Loss(input: input, target: target, loss: loss, gradInput: grad,
                           gradScale: 2)
        XCTAssertEqual(try backend.read(loss), [(1 + 1 + 2 + 0) / 4])
        XCTAssertEqual(try backend.read(grad), [0.5, -0.5, 0.5, 0])
    }
}
