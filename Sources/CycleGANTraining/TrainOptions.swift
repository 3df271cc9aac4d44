import CycleGANCompute

/// Every option of `cyclegan train`, named as the reference implementation's options in camel
/// case, with the reference's defaults.
public struct TrainOptions: Equatable {
    public enum Backend: String, CaseIterable { case auto, opencl, cpu }
    public enum LearningRatePolicy: String, CaseIterable { case linear, step, cosine }
    public enum GANMode: String, CaseIterable { case lsgan, vanilla }

    // Data
    public var dataroot: String?
    public var dirA: String?
    public var dirB: String?
    public var loadSize = 286
    public var cropSize = 256
    public var preprocess = "resize_and_crop"
    public var noFlip = false
    public var serialBatches = false
    public var skipBadImages = false
    public var batchSize = 1

    // Run and outputs
    public var name = "experiment_name"
    public var checkpointsDir = "./checkpoints"
    public var backend = Backend.auto
    public var device: Int?
    public var seed: UInt64 = 0
    public var maxIterations: Int?
    public var continueTrain = false
    public var printFreq = 100
    public var displayFreq = 400
    public var saveLatestFreq = 5000
    public var saveEpochFreq = 5

    // Networks
    public var netG = "resnet_9blocks"
    public var ngf = 64
    public var ndf = 64

    // Optimization
    public var nEpochs = 100
    public var nEpochsDecay = 100
    public var epochCount = 1
    public var lr: Float = 0.0002
    public var beta1: Float = 0.5
    public var lrPolicy = LearningRatePolicy.linear
    public var lrDecayIters = 50
    public var ganMode = GANMode.lsgan
    public var lambdaA: Float = 10
    public var lambdaB: Float = 10
    public var lambdaIdentity: Float = 0.5
    public var poolSize = 50

    public init() {}

    /// Number of residual blocks named by `netG` (`resnet_<N>blocks`), or nil when it does not
    /// have that form.
    public var residualBlocks: Int? {
        guard netG.hasPrefix("resnet_"), netG.hasSuffix("blocks") else { return nil }
        return Int(netG.dropFirst("resnet_".count).dropLast("blocks".count))
    }
}
