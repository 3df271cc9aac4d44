import Foundation

/// Geometry of a 2-D convolution or transposed convolution, as PyTorch's Conv2d and
/// ConvTranspose2d define it. Stride, padding and output padding apply to both spatial axes.
public struct ConvolutionGeometry: Equatable, Sendable {
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var stride: Int
    /// Zero padding on each side of the input (convolution) or removed from each side of the
    /// output (transposed convolution).
    public var padding: Int
    /// Extra rows and columns added to one side of a transposed convolution's output.
    public var outputPadding: Int

    public init(kernel: Int, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0) {
        self.init(kernelHeight: kernel, kernelWidth: kernel, stride: stride, padding: padding,
                  outputPadding: outputPadding)
    }

    public init(kernelHeight: Int, kernelWidth: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0) {
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    /// Output height and width of a convolution over an `inputHeight` x `inputWidth` input.
    public func convolutionOutputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padding - kernelHeight) / stride + 1,
         (width + 2 * padding - kernelWidth) / stride + 1)
    }

    /// Output height and width of a transposed convolution.
    public func transposedOutputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height - 1) * stride - 2 * padding + kernelHeight + outputPadding,
         (width - 1) * stride - 2 * padding + kernelWidth + outputPadding)
    }
}

/// Element-wise activations. Backward passes take the forward output, which determines the
/// derivative for all three (LeakyReLU slopes must be >= 0 for that to hold).
public enum Activation: Equatable, Sendable {
    case relu
    case leakyReLU(slope: Float)
    case tanh
}

/// One Adam step with PyTorch's semantics (torch.optim.Adam, no weight decay, no amsgrad):
/// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
/// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
public struct AdamStep: Equatable, Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// 1-based step count t used for bias correction.
    public var step: Int

    public init(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, step: Int) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.step = step
    }

    /// lr / (1 - beta1^t), computed in Double.
    public var stepSize: Float {
        Float(Double(learningRate) / (1 - Foundation.pow(Double(beta1), Double(step))))
    }

    /// sqrt(1 - beta2^t), computed in Double.
    public var secondMomentCorrection: Float {
        Float((1 - Foundation.pow(Double(beta2), Double(step))).squareRoot())
    }
}

/// The compute operations of one CycleGAN training step, fp32 and NCHW, on one device.
///
/// Ops enqueue work and return without waiting; `read(_:)` and `synchronize()` wait. Outputs are
/// written into tensors the caller allocated with `makeTensor(_:)`. Unless an op says it
/// accumulates, it overwrites its output. Every op throws `ComputeError.shapeMismatch` when
/// the tensors passed do not fit together.
public protocol ComputeBackend: AnyObject {
    /// A one-line description of the device, for logs.
    var deviceDescription: String { get }

    // MARK: - Memory

    /// A tensor with undefined contents, backed by a pooled buffer that returns to the pool when
    /// the last view of it is released.
    func makeTensor(_ shape: TensorShape) throws -> Tensor
    /// Copies host values into the tensor; `values.count` must equal `tensor.count`.
    func write(_ values: [Float], to tensor: Tensor) throws
    /// Waits for pending work and returns the tensor's values.
    func read(_ tensor: Tensor) throws -> [Float]
    /// Waits until all enqueued work has finished.
    func synchronize() throws

    // MARK: - Convolution

    /// output[n, o, y, x] = bias[o] + sum over i, ky, kx of
    /// input[n, i, y*s - p + ky, x*s - p + kx] * weight[o, i, ky, kx] (zero outside the input).
    func conv2dForward(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor,
                       geometry: ConvolutionGeometry) throws
    /// Gradient of the convolution with respect to its input; overwrites `gradInput`.
    func conv2dBackwardInput(gradOutput: Tensor, weight: Tensor, gradInput: Tensor,
                             geometry: ConvolutionGeometry) throws
    /// Gradients with respect to weight and bias, summed over the batch. With `accumulate` the
    /// results are added to `gradWeight` and `gradBias`, so several calls of one layer sum.
    func conv2dBackwardWeight(input: Tensor, gradOutput: Tensor, gradWeight: Tensor,
                              gradBias: Tensor?, geometry: ConvolutionGeometry,
                              accumulate: Bool) throws

    /// Transposed convolution (PyTorch ConvTranspose2d, weight `[in, out, kh, kw]`): the
    /// input-gradient of conv2d, computed by gathering, never by inserting zeros.
    func convTranspose2dForward(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor,
                                geometry: ConvolutionGeometry) throws
    func convTranspose2dBackwardInput(gradOutput: Tensor, weight: Tensor, gradInput: Tensor,
                                      geometry: ConvolutionGeometry) throws
    func convTranspose2dBackwardWeight(input: Tensor, gradOutput: Tensor, gradWeight: Tensor,
                                       gradBias: Tensor?, geometry: ConvolutionGeometry,
                                       accumulate: Bool) throws

    // MARK: - Padding and normalization

    /// Reflection padding by `padding` on all four sides (PyTorch ReflectionPad2d).
    func reflectionPad2dForward(input: Tensor, output: Tensor, padding: Int) throws
    /// Overwrites `gradInput` with the sum of every output gradient mapped to each input pixel.
    func reflectionPad2dBackward(gradOutput: Tensor, gradInput: Tensor, padding: Int) throws

    /// Instance normalization without affine parameters: per (n, c) plane,
    /// output = (x - mean) * invStd with invStd = 1 / sqrt(biased variance + epsilon).
    /// `invStd` has N*C elements and is saved for the backward pass.
    func instanceNormForward(input: Tensor, output: Tensor, invStd: Tensor,
                             epsilon: Float) throws
    /// dx = invStd * (dy - mean(dy) - y * mean(dy * y)) per plane, from the forward output y.
    func instanceNormBackward(gradOutput: Tensor, output: Tensor, invStd: Tensor,
                              gradInput: Tensor) throws

    // MARK: - Element-wise

    func activationForward(_ activation: Activation, input: Tensor, output: Tensor) throws
    /// Overwrites `gradInput` with the gradient, computed from the forward `output`.
    func activationBackward(_ activation: Activation, output: Tensor, gradOutput: Tensor,
                            gradInput: Tensor) throws
    /// output = a + b.
    func add(_ a: Tensor, _ b: Tensor, output: Tensor) throws
    /// y += alpha * x.
    func accumulate(_ x: Tensor, scaledBy alpha: Float, into y: Tensor) throws
    /// output = alpha * x.
    func scale(_ x: Tensor, by alpha: Float, output: Tensor) throws
    func fill(_ tensor: Tensor, with value: Float) throws
    func copy(_ source: Tensor, to destination: Tensor) throws

    // MARK: - Losses, reduced on the device

    /// loss[0] = mean((x - target)^2). When `gradInput` is given it is overwritten with
    /// `gradScale` * d loss / d x = gradScale * 2 (x - target) / count.
    func mseLoss(input: Tensor, target: Float, loss: Tensor, gradInput: Tensor?,
                 gradScale: Float) throws
    /// loss[0] = mean(|x - y|). `gradInput` receives gradScale * sign(x - y) / count (0 where
    /// x == y, as PyTorch).
    func l1Loss(input: Tensor, target: Tensor, loss: Tensor, gradInput: Tensor?,
                gradScale: Float) throws
    /// loss[0] = mean of binary cross-entropy of sigmoid(x) against a constant target, computed
    /// stably from logits (PyTorch BCEWithLogitsLoss). `gradInput` receives
    /// gradScale * (sigmoid(x) - target) / count.
    func bceWithLogitsLoss(input: Tensor, target: Float, loss: Tensor, gradInput: Tensor?,
                           gradScale: Float) throws

    // MARK: - Optimizer

    /// Updates `parameters`, `firstMoment` and `secondMoment` in place from `gradients`; all four
    /// have the same count, so one call updates every parameter of a flat buffer.
    func adamUpdate(parameters: Tensor, gradients: Tensor, firstMoment: Tensor,
                    secondMoment: Tensor, step: AdamStep) throws
}
