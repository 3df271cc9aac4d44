import Foundation

/// The reference's learning-rate schedulers (networks.get_scheduler), as a function of the
/// epoch.
///
/// The reference builds a PyTorch scheduler whose counter starts at 0 when training starts at
/// epoch `epochCount`, and steps it once at the end of every epoch. Epoch `e` therefore trains
/// with the scheduler at counter `k = e - epochCount`:
/// - linear (LambdaLR): `lr * (1 - max(0, k + epochCount - nEpochs) / (nEpochsDecay + 1))`,
///   which is `lr * (1 - max(0, e - nEpochs) / (nEpochsDecay + 1))`: constant through epoch
///   `nEpochs`, then falling by `lr / (nEpochsDecay + 1)` per epoch to
///   `lr / (nEpochsDecay + 1)` in the last epoch.
/// - step (StepLR, step_size lrDecayIters, gamma 0.1): `lr * 0.1^floor(k / lrDecayIters)`.
/// - cosine (CosineAnnealingLR, T_max nEpochs, eta_min 0): `lr * (1 + cos(pi k / nEpochs)) / 2`,
///   PyTorch's closed form, which its recursive update follows up to rounding.
public struct LearningRateSchedule: Equatable {
    public var policy: TrainOptions.LearningRatePolicy
    public var initialLearningRate: Float
    public var epochCount: Int
    public var nEpochs: Int
    public var nEpochsDecay: Int
    public var lrDecayIters: Int

    public init(options: TrainOptions) {
        policy = options.lrPolicy
        initialLearningRate = options.lr
        epochCount = options.epochCount
        nEpochs = options.nEpochs
        nEpochsDecay = options.nEpochsDecay
        lrDecayIters = options.lrDecayIters
    }

    /// The learning rate epoch `epoch` trains with (1-based, counted as options.epochCount, so
    /// a run resumed with epochCount 7 starts at epoch 7). Epochs before `epochCount` get the
    /// rate of `epochCount`.
    public func learningRate(epoch: Int) -> Float {
        let counter = max(0, epoch - epochCount)
        let base = Double(initialLearningRate)
        switch policy {
        case .linear:
            let decayed = Double(max(0, counter + epochCount - nEpochs))
            return Float(base * (1 - decayed / Double(nEpochsDecay + 1)))
        case .step:
            let decays = counter / max(1, lrDecayIters)
            return Float(base * pow(0.1, Double(decays)))
        case .cosine:
            let phase = Double.pi * Double(counter) / Double(max(1, nEpochs))
            return Float(base * (1 + cos(phase)) / 2)
        }
    }
}
