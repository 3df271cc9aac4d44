@testable import CycleGANCompute
import XCTest

/// The device buffer pool: released buffers are reused by size, so a repeated iteration
/// allocates nothing after the first.
final class OpenCLPoolTests: XCTestCase {
    func testReleasedBufferIsReusedBySize() throws {
        let backend = try makeOpenCLBackend()
        var first: Tensor? = try backend.makeTensor(TensorShape([2, 3, 33, 33]))
        XCTAssertNotNil(first)
        let afterFirst = backend.deviceAllocationCount

        first = nil
        let same = try backend.makeTensor(TensorShape([6, 1089]))
        XCTAssertEqual(backend.deviceAllocationCount, afterFirst,
                       "a tensor of a released buffer's byte size must reuse that buffer")

        let other = try backend.makeTensor(TensorShape([6, 1090]))
        XCTAssertEqual(backend.deviceAllocationCount, afterFirst + 1,
                       "a tensor of a new byte size must allocate")
        _ = (same, other)
    }

    func testBufferStaysOutOfPoolWhileAViewLives() throws {
        let backend = try makeOpenCLBackend()
        var whole: Tensor? = try backend.makeTensor(TensorShape([64]))
        let view = whole?.view(at: 8, shape: TensorShape([8]))
        let count = backend.deviceAllocationCount

        whole = nil
        _ = try backend.makeTensor(TensorShape([64]))
        XCTAssertEqual(backend.deviceAllocationCount, count + 1,
                       "a buffer with a live view must not be handed out again")
        XCTAssertNotNil(view)
    }

    func testRepeatedIterationAllocatesNothingAfterWarmUp() throws {
        let backend = try makeOpenCLBackend()
        let geometry = ConvolutionGeometry(kernel: 3, stride: 2, padding: 1)
        let input = try backend.makeTensor(TensorShape([2, 3, 33, 33]))
        let weight = try backend.makeTensor(TensorShape([5, 3, 3, 3]))
        let gradWeight = try backend.makeTensor(TensorShape([5, 3, 3, 3]))
        try backend.write((0..<input.count).map { Float($0 % 7) - 3 }, to: input)
        try backend.write((0..<weight.count).map { Float($0 % 5) * 0.1 }, to: weight)

        var counts: [Int] = []
        for _ in 0..<4 {
            try runLayerIteration(backend, input: input, weight: weight, gradWeight: gradWeight,
                                  geometry: geometry)
            try backend.synchronize()
            counts.append(backend.deviceAllocationCount)
        }
        XCTAssertEqual(counts, Array(repeating: counts[0], count: counts.count),
                       "device allocation count after each iteration: \(counts); iterations "
                           + "after the first must reuse pooled buffers")
    }

    /// Runs a conv, instance norm, ReLU, loss and their backward passes, allocating every
    /// temporary anew as a training step does.
    private func runLayerIteration(_ backend: OpenCLBackend, input: Tensor, weight: Tensor,
                                   gradWeight: Tensor, geometry: ConvolutionGeometry) throws {
        let shape = TensorShape([2, 5, 17, 17])
        let convolved = try backend.makeTensor(shape)
        let normalized = try backend.makeTensor(shape)
        let invStd = try backend.makeTensor(TensorShape([10]))
        let activated = try backend.makeTensor(shape)
        let loss = try backend.makeTensor(TensorShape([1]))
        let gradActivated = try backend.makeTensor(shape)
        let gradNormalized = try backend.makeTensor(shape)
        let gradConvolved = try backend.makeTensor(shape)
        let gradInput = try backend.makeTensor(input.shape)

        try backend.conv2dForward(input: input, weight: weight, bias: nil, output: convolved,
                                  geometry: geometry)
        try backend.instanceNormForward(input: convolved, output: normalized, invStd: invStd,
                                        epsilon: 1e-5)
        try backend.activationForward(.relu, input: normalized, output: activated)
        try backend.mseLoss(input: activated, target: 1, loss: loss, gradInput: gradActivated,
                            gradScale: 1)
        try backend.activationBackward(.relu, output: activated, gradOutput: gradActivated,
                                       gradInput: gradNormalized)
        try backend.instanceNormBackward(gradOutput: gradNormalized, output: normalized,
                                         invStd: invStd, gradInput: gradConvolved)
        try backend.conv2dBackwardInput(gradOutput: gradConvolved, weight: weight,
                                        gradInput: gradInput, geometry: geometry)
        try backend.conv2dBackwardWeight(input: input, gradOutput: gradConvolved,
                                         gradWeight: gradWeight, gradBias: nil,
                                         geometry: geometry, accumulate: false)
        _ = try backend.read(loss)
    }
}
