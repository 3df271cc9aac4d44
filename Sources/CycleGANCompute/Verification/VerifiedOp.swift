/// The op directions that `cyclegan verify` and the backend tests check, named like the kernels
/// that implement them, with the one tolerance table they share.
public enum VerifiedOp: String, CaseIterable, Sendable {
    case conv2dForward = "conv2d_forward"
    case conv2dBackwardInput = "conv2d_backward_input"
    case conv2dBackwardWeight = "conv2d_backward_weight"
    case convTranspose2dForward = "conv_transpose2d_forward"
    case convTranspose2dBackwardInput = "conv_transpose2d_backward_input"
    case convTranspose2dBackwardWeight = "conv_transpose2d_backward_weight"
    case reflectionPad2dForward = "reflection_pad2d_forward"
    case reflectionPad2dBackward = "reflection_pad2d_backward"
    case instanceNormForward = "instance_norm_forward"
    case instanceNormBackward = "instance_norm_backward"
    case reluForward = "relu_forward"
    case reluBackward = "relu_backward"
    case leakyReLUForward = "leaky_relu_forward"
    case leakyReLUBackward = "leaky_relu_backward"
    case tanhForward = "tanh_forward"
    case tanhBackward = "tanh_backward"
    case add = "add"
    case accumulate = "accumulate"
    case scale = "scale"
    case fill = "fill"
    case copy = "copy"
    case mseLossForward = "mse_loss_forward"
    case mseLossBackward = "mse_loss_backward"
    case l1LossForward = "l1_loss_forward"
    case l1LossBackward = "l1_loss_backward"
    case bceWithLogitsLossForward = "bce_with_logits_loss_forward"
    case bceWithLogitsLossBackward = "bce_with_logits_loss_backward"
    case adamUpdate = "adam_update"

    /// How far an fp32 device result may sit from the reference (`CPUBackend`, which sums in
    /// Double). The inputs the verification cases draw are unit-scale (weights scaled by
    /// 1/sqrt(fan-in)), and the bounds assume that scale.
    public var tolerance: ComparisonTolerance {
        switch self {
        case .conv2dForward, .conv2dBackwardInput, .convTranspose2dForward,
             .convTranspose2dBackwardInput:
            return ComparisonTolerance(
                atol: 2e-5, rtol: 1e-4,
                reason: "fp32 sums of up to C*KH*KW products (about 1,600 in these cases) in "
                    + "another order than the reference's Double sums")
        case .conv2dBackwardWeight, .convTranspose2dBackwardWeight:
            return ComparisonTolerance(
                atol: 2e-4, rtol: 1e-4,
                reason: "fp32 sums of N*H*W unit-scale products (up to about 2,200) per weight; "
                    + "results reach about 50, so the absolute rounding error does too")
        case .reflectionPad2dForward, .reluForward, .reluBackward, .leakyReLUForward,
             .leakyReLUBackward, .add, .scale, .fill, .copy:
            return ComparisonTolerance(
                atol: 0, rtol: 0,
                reason: "copies or a single correctly rounded fp32 operation per element")
        case .reflectionPad2dBackward:
            return ComparisonTolerance(
                atol: 2e-6, rtol: 1e-6,
                reason: "fp32 sums of up to 9 values in another order than the reference")
        case .instanceNormForward:
            return ComparisonTolerance(
                atol: 5e-6, rtol: 1e-4,
                reason: "fp32 mean and variance over up to 4,096 pixels against Double sums")
        case .instanceNormBackward:
            return ComparisonTolerance(
                atol: 5e-6, rtol: 1e-4,
                reason: "fp32 plane sums of dy and dy*y against Double sums, scaled by invStd")
        case .tanhForward, .tanhBackward:
            return ComparisonTolerance(
                atol: 5e-6, rtol: 1e-6,
                reason: "OpenCL's tanh may be off by 5 ulp, and 1 - y^2 in the backward pass "
                    + "scales an error in y by 2|y dy| (up to about 8 for these inputs)")
        case .accumulate:
            return ComparisonTolerance(
                atol: 1e-6, rtol: 1e-6,
                reason: "the compiler may fuse y + alpha*x into one fma, which rounds once "
                    + "instead of twice")
        case .mseLossForward, .l1LossForward, .bceWithLogitsLossForward:
            return ComparisonTolerance(
                atol: 1e-6, rtol: 1e-5,
                reason: "one fp32 work-group sum of up to about 7,000 terms against a Double sum")
        case .mseLossBackward, .l1LossBackward, .bceWithLogitsLossBackward:
            return ComparisonTolerance(
                atol: 1e-8, rtol: 2e-5,
                reason: "gradients are gradScale/count (at least 5e-5 here) times an O(1) factor; "
                    + "fp32 exp may be off by 3 ulp, and sigmoid(x) - t cancels where sigmoid(x) "
                    + "is near t")
        case .adamUpdate:
            return ComparisonTolerance(
                atol: 1e-7, rtol: 2e-6,
                reason: "fp32 sqrt and division may be off by up to 3 ulp in OpenCL, and fused "
                    + "multiply-adds round the moments differently")
        }
    }
}
