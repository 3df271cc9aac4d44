import CycleGANCompute
import Foundation
import XCTest

/// Tolerances for the loss and optimizer tests.
private enum LossAdamTolerance {
    static let lossValue = Tolerance(
        atol: 1e-6, rtol: 1e-6,
        reason: "sums in Double, rounded once to fp32")
    static let lossFiniteDifference = Tolerance(
        atol: 2e-5, rtol: 1e-2,
        reason: "the loss is one fp32 value of order 1, so its rounding (6e-8) divided by "
            + "2h = 0.02 gives ~3e-6, while per-element gradients are about 1/150")
    static let adam = Tolerance(
        atol: 2e-7, rtol: 2e-6,
        reason: "fp32 arithmetic, a few roundings per step, against a Double reference")
}

final class CPULossAdamTests: XCTestCase {
    let backend = CPUBackend()

    // MARK: - Loss values

    func testMSELossValueAndGradient() throws {
        // Differences from the target 2 are [-1, 0, 1, 2]: mean square 1.5, and the gradient
        // 0.5 * 2 * (x - 2) / 4.
        let loss = try backend.makeTensor(TensorShape([1]))
        let gradInput = try backend.makeTensor(TensorShape([4]))
        try backend.mseLoss(input: backend.tensor([4], [1, 2, 3, 4]), target: 2, loss: loss,
                            gradInput: gradInput, gradScale: 0.5)
        assertClose(try backend.read(loss), [1.5], tolerance: LossAdamTolerance.lossValue, "MSE")
        assertClose(try backend.read(gradInput), [-0.25, 0, 0.25, 0.5],
                    tolerance: LossAdamTolerance.lossValue, "MSE gradient")
    }

    func testL1LossValueAndGradient() throws {
        // |x - y| = [1, 0, 2, 1] has mean 1, and the gradient is sign(x - y) / 4, 0 where x == y.
        let loss = try backend.makeTensor(TensorShape([1]))
        let gradInput = try backend.makeTensor(TensorShape([4]))
        try backend.l1Loss(input: backend.tensor([4], [1, 2, 3, 4]),
                           target: backend.tensor([4], [2, 2, 1, 5]), loss: loss,
                           gradInput: gradInput, gradScale: 1)
        assertClose(try backend.read(loss), [1], tolerance: LossAdamTolerance.lossValue, "L1")
        assertClose(try backend.read(gradInput), [-0.25, 0, 0.25, -0.25],
                    tolerance: LossAdamTolerance.lossValue, "L1 gradient")
    }

    func testBCEWithLogitsValueAndGradient() throws {
        // sigmoid of [0, ln 3, -ln 3, 100] is [1/2, 3/4, 1/4, ~1], so against target 1 the
        // losses are [ln 2, ln 4/3, ln 4, ~0] and the gradients (sigmoid - 1) / 4.
        let logits: [Float] = [0, Float(log(3.0)), -Float(log(3.0)), 100]
        let loss = try backend.makeTensor(TensorShape([1]))
        let gradInput = try backend.makeTensor(TensorShape([4]))
        try backend.bceWithLogitsLoss(input: backend.tensor([4], logits), target: 1, loss: loss,
                                      gradInput: gradInput, gradScale: 1)
        let expected = (log(2.0) + log(4.0 / 3.0) + log(4.0)) / 4
        assertClose(try backend.read(loss).map(Double.init), [expected],
                    tolerance: LossAdamTolerance.lossValue, "BCE against 1")
        assertClose(try backend.read(gradInput), [-0.125, -0.0625, -0.1875, 0],
                    tolerance: LossAdamTolerance.lossValue, "BCE gradient against 1")

        // Large logits against target 0 must stay finite: losses [100, ~0].
        try backend.bceWithLogitsLoss(input: backend.tensor([2], [100, -100]), target: 0,
                                      loss: loss, gradInput: nil, gradScale: 1)
        assertClose(try backend.read(loss), [50], tolerance: LossAdamTolerance.lossValue,
                    "BCE of saturated logits")
    }

    func testLossGradientsMatchFiniteDifferences() throws {
        let gradientCheck = GradientCheck(step: 1e-2,
                                          tolerance: LossAdamTolerance.lossFiniteDifference,
                                          maxSamples: 150)
        let shape = [2, 3, 5, 5]
        var random = SeededRandom(seed: 1100)
        let x = random.uniformValues(150, in: -2...2)
        // L1 targets sit at least 0.1 from x so no difference crosses the kink at 0.
        let y = zip(x, random.valuesAwayFromZero(150, magnitude: 0.1...1)).map { $0 + $1 }
        let target = try backend.tensor(shape, y)

        typealias LossCall = (Tensor, Tensor, Tensor?) throws -> Void
        let losses: [(name: String, call: LossCall)] = [
            ("MSE against 0.3", { input, loss, grad in
                try self.backend.mseLoss(input: input, target: 0.3, loss: loss, gradInput: grad,
                                         gradScale: 1) }),
            ("L1", { input, loss, grad in
                try self.backend.l1Loss(input: input, target: target, loss: loss, gradInput: grad,
                                        gradScale: 1) }),
            ("BCE against 1", { input, loss, grad in
                try self.backend.bceWithLogitsLoss(input: input, target: 1, loss: loss,
                                                   gradInput: grad, gradScale: 1) }),
            ("BCE against 0", { input, loss, grad in
                try self.backend.bceWithLogitsLoss(input: input, target: 0, loss: loss,
                                                   gradInput: grad, gradScale: 1) }),
        ]
        for (name, call) in losses {
            let gradInput = try GuardedTensor(backend, shape)
            let loss = try GuardedTensor(backend, [1])
            try call(backend.tensor(shape, x), loss.tensor, gradInput.tensor)
            try gradInput.assertGuardsIntact(backend, "\(name) gradInput")
            try loss.assertGuardsIntact(backend, "\(name) loss")

            try gradientCheck.check(name, values: x, shape: TensorShape(shape),
                                    analytic: try backend.read(gradInput.tensor),
                                    outputWeights: [1], random: &random) { values in
                let value = try backend.makeTensor(TensorShape([1]))
                try call(backend.tensor(shape, values), value, nil)
                return try backend.read(value)
            }
        }
    }

    func testGradScaleMultipliesLossGradients() throws {
        var random = SeededRandom(seed: 1200)
        let input = try backend.tensor([10], random.uniformValues(10))
        let loss = try backend.makeTensor(TensorShape([1]))
        let unit = try backend.makeTensor(TensorShape([10]))
        let scaled = try backend.makeTensor(TensorShape([10]))
        try backend.bceWithLogitsLoss(input: input, target: 1, loss: loss, gradInput: unit,
                                      gradScale: 1)
        try backend.bceWithLogitsLoss(input: input, target: 1, loss: loss, gradInput: scaled,
                                      gradScale: 0.5)
        assertClose(try backend.read(scaled), try backend.read(unit).map { $0 * 0.5 },
                    tolerance: LossAdamTolerance.lossValue, "gradScale 0.5")
        assertShapeMismatch(op: "mseLoss", containing: "exactly one element") {
            try backend.mseLoss(input: input, target: 1, loss: unit, gradInput: nil, gradScale: 1)
        }
    }

    // MARK: - Adam

    func testAdamStepsMatchFormulaInDouble() throws {
        var random = SeededRandom(seed: 1300)
        let count = 50
        var p = random.uniformValues(count).map(Double.init)
        var m = [Double](repeating: 0, count: count)
        var v = [Double](repeating: 0, count: count)
        // The last two gradients are tiny, so epsilon dominates their denominator.
        let gradientSteps = (0..<3).map { _ in random.uniformValues(count - 2) + [1e-9, -1e-9] }
        let (lr, beta1, beta2, epsilon) = (0.01, 0.5, 0.999, 1e-8)

        let parameters = try GuardedTensor(backend, [count], values: p.map(Float.init))
        let firstMoment = try GuardedTensor(backend, [count])
        let secondMoment = try GuardedTensor(backend, [count])
        for (index, gradients) in gradientSteps.enumerated() {
            let step = index + 1
            try backend.adamUpdate(parameters: parameters.tensor,
                                   gradients: backend.tensor([count], gradients),
                                   firstMoment: firstMoment.tensor,
                                   secondMoment: secondMoment.tensor,
                                   step: AdamStep(learningRate: Float(lr), beta1: Float(beta1),
                                                  beta2: Float(beta2), epsilon: Float(epsilon),
                                                  step: step))
            for i in 0..<count {
                let g = Double(gradients[i])
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                let correctedRoot = v[i].squareRoot() / (1 - pow(beta2, Double(step))).squareRoot()
                p[i] -= lr / (1 - pow(beta1, Double(step))) * m[i] / (correctedRoot + epsilon)
            }
            assertClose(try backend.read(parameters.tensor).map(Double.init), p,
                        tolerance: LossAdamTolerance.adam, "parameters after step \(step)")
            assertClose(try backend.read(firstMoment.tensor).map(Double.init), m,
                        tolerance: LossAdamTolerance.adam, "first moment after step \(step)")
            assertClose(try backend.read(secondMoment.tensor).map(Double.init), v,
                        tolerance: LossAdamTolerance.adam, "second moment after step \(step)")
        }
        for (name, guarded) in [("parameters", parameters), ("firstMoment", firstMoment),
                                ("secondMoment", secondMoment)] {
            try guarded.assertGuardsIntact(backend, name)
        }
    }

    func testAdamRejectsStepZero() throws {
        let values = try backend.makeTensor(TensorShape([3]))
        assertShapeMismatch(op: "adamUpdate", containing: "counts from 1") {
            try backend.adamUpdate(parameters: values, gradients: values, firstMoment: values,
                                   secondMoment: values,
                                   step: AdamStep(learningRate: 1e-3, beta1: 0.5, beta2: 0.999,
                                                  epsilon: 1e-8, step: 0))
        }
    }
}
