import CycleGANCompute
import XCTest

@testable import CycleGANTraining

/// Expected rates were printed by torch 2.13 (LambdaLR with the reference's lambda_rule, StepLR,
/// CosineAnnealingLR on an Adam optimizer with lr 2e-4), recording the rate each epoch trained
/// with and stepping the scheduler at the end of the epoch.
final class ModelScheduleTests: XCTestCase {
    /// Relative tolerance: PyTorch computes in Double, the schedule returns Float (2^-23 is about
    /// 1.2e-7), so a few ulps of Float.
    private let relativeTolerance: Float = 5e-7
    /// Absolute tolerance for rates that are exactly 0 in PyTorch (cosine at T_max).
    private let absoluteTolerance: Float = 1e-12

    private func schedule(_ policy: TrainOptions.LearningRatePolicy, epochCount: Int = 1,
                          nEpochs: Int = 100, nEpochsDecay: Int = 100) -> LearningRateSchedule {
        var options = TrainOptions()
        options.lrPolicy = policy
        options.epochCount = epochCount
        options.nEpochs = nEpochs
        options.nEpochsDecay = nEpochsDecay
        return LearningRateSchedule(options: options)
    }

    private func check(_ schedule: LearningRateSchedule, _ expected: [Int: Double],
                       file: StaticString = #filePath, line: UInt = #line) {
        for (epoch, rate) in expected.sorted(by: { $0.key < $1.key }) {
            let actual = schedule.learningRate(epoch: epoch)
            let error = abs(Double(actual) - rate)
            XCTAssertLessThanOrEqual(
                error, Double(absoluteTolerance) + Double(relativeTolerance) * abs(rate),
                "\(schedule.policy) epoch \(epoch): \(actual) vs PyTorch \(rate)",
                file: file, line: line)
        }
    }

    func testLinearKeepsRateThenDecays() {
        check(schedule(.linear), [1: 0.0002, 100: 0.0002, 101: 0.00019801980198019803,
                                  102: 0.00019603960396039606, 150: 0.00010099009900990099,
                                  200: 1.980198019801982e-06])
        check(schedule(.linear, nEpochs: 3, nEpochsDecay: 4),
              [1: 0.0002, 3: 0.0002, 4: 0.00016, 5: 0.00012, 6: 8e-05, 7: 4e-05])
    }

    func testLinearResumedRunContinuesTheSameCurve() {
        check(schedule(.linear, epochCount: 51), [51: 0.0002, 100: 0.0002,
                                                  101: 0.00019801980198019803,
                                                  200: 1.980198019801982e-06])
    }

    func testStepDecaysEveryLrDecayIters() {
        check(schedule(.step), [1: 0.0002, 50: 0.0002, 51: 2e-05, 52: 2e-05, 101: 2e-06,
                                151: 2e-07, 200: 2e-07])
        // StepLR counts from the first epoch of the run, not from epoch 1.
        check(schedule(.step, epochCount: 11), [11: 0.0002, 60: 0.0002, 61: 2e-05])
    }

    func testCosineFollowsHalfPeriodOverNEpochs() {
        check(schedule(.cosine, nEpochs: 10, nEpochsDecay: 5),
              [1: 0.0002, 2: 0.00019510565162951537, 6: 9.999999999999999e-05,
               10: 4.894348370484646e-06, 11: 0, 12: 4.8943483704846475e-06,
               15: 6.909830056250557e-05])
        check(schedule(.cosine), [2: 0.00019995065603657316, 51: 0.0001, 101: 0,
                                  150: 9.685892409218718e-05])
    }
}
