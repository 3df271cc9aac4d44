/// The cases `cyclegan verify` runs and the OpenCL tests reuse: every op forward and backward
/// over shapes that straddle work-group sizes, views at offsets, accumulation, in-place use, and
/// the layer shapes of the CycleGAN networks at a small size.
public enum VerificationCases {
    /// Returns every case, grouped by op family.
    public static func all() -> [VerificationCase] {
        convolutionGrid.flatMap(convolution)
            + transposedConvolutionGrid.flatMap(transposedConvolution)
            + padding() + normalization() + activations() + arithmetic() + losses() + adam()
            + cycleGANLayers()
    }

    // MARK: - Padding and normalization

    static func padding() -> [VerificationCase] {
        let shapes: [(dimensions: [Int], padding: Int, offset: Int)] = [
            ([2, 3, 31, 31], 3, 2), ([1, 5, 32, 33], 1, 0), ([2, 4, 4, 4], 3, 0),
            ([1, 3, 33, 32], 2, 0),
        ]
        return shapes.flatMap { shape in reflectionPad(shape.dimensions, padding: shape.padding,
                                                       offset: shape.offset) }
    }

    static func reflectionPad(_ input: [Int], padding p: Int, offset: Int = 0,
                              name: String = "") -> [VerificationCase] {
        let padded = [input[0], input[1], input[2] + 2 * p, input[3] + 2 * p]
        let label = caseLabel(name, "x\(TensorShape(input)) pad \(p)", offset: offset)
        return [
            VerificationCase(.reflectionPad2dForward, label,
                             tensors: [TensorSpec("input", input, offset: offset),
                                       TensorSpec("output", padded, offset: offset)]) { b, t in
                try b.reflectionPad2dForward(input: t("input"), output: t("output"), padding: p)
            },
            VerificationCase(.reflectionPad2dBackward, label,
                             tensors: [TensorSpec("gradOutput", padded, offset: offset),
                                       TensorSpec("gradInput", input, offset: offset)]) { b, t in
                try b.reflectionPad2dBackward(gradOutput: t("gradOutput"),
                                              gradInput: t("gradInput"), padding: p)
            },
        ]
    }

    static func normalization() -> [VerificationCase] {
        let shapes: [(dimensions: [Int], offset: Int)] = [
            ([2, 3, 31, 31], 3), ([1, 5, 33, 32], 0), ([2, 7, 2, 3], 0), ([1, 3, 64, 64], 0),
            ([1, 2, 1, 300], 0),
        ]
        return shapes.flatMap { instanceNorm($0.dimensions, offset: $0.offset) }
    }

    /// Returns a forward and a backward case. The backward case runs the forward pass first,
    /// so it checks the pair together.
    static func instanceNorm(_ shape: [Int], offset: Int = 0,
                             name: String = "") -> [VerificationCase] {
        let planes = [shape[0] * shape[1]]
        let label = caseLabel(name, "x\(TensorShape(shape))", offset: offset)
        let forwardTensors = [TensorSpec("input", shape, offset: offset,
                                         values: .normal(standardDeviation: 2)),
                              TensorSpec("output", shape, offset: offset),
                              TensorSpec("invStd", planes, offset: offset)]
        return [
            VerificationCase(.instanceNormForward, label, tensors: forwardTensors) { b, t in
                try b.instanceNormForward(input: t("input"), output: t("output"),
                                          invStd: t("invStd"), epsilon: 1e-5)
            },
            VerificationCase(.instanceNormBackward, label,
                             tensors: forwardTensors
                                 + [TensorSpec("gradOutput", shape, offset: offset),
                                    TensorSpec("gradInput", shape, offset: offset)]) { b, t in
                try b.instanceNormForward(input: t("input"), output: t("output"),
                                          invStd: t("invStd"), epsilon: 1e-5)
                try b.instanceNormBackward(gradOutput: t("gradOutput"), output: t("output"),
                                           invStd: t("invStd"), gradInput: t("gradInput"))
            },
        ]
    }

    // MARK: - Element-wise

    /// Element counts around the work-group size, a count that is a multiple of 4 at an aligned
    /// and an unaligned offset (the `_vec4` kernels and their fallback), and a larger count.
    static let elementCounts: [(count: Int, offset: Int)] = [
        (31, 0), (32, 0), (33, 3), (256, 4), (256, 1), (4099, 0),
    ]

    static func activations() -> [VerificationCase] {
        let kinds: [(Activation, VerifiedOp, VerifiedOp)] = [
            (.relu, .reluForward, .reluBackward),
            (.leakyReLU(slope: 0.2), .leakyReLUForward, .leakyReLUBackward),
            (.tanh, .tanhForward, .tanhBackward),
        ]
        var cases: [VerificationCase] = []
        for (activation, forward, backward) in kinds {
            for (count, offset) in elementCounts {
                cases += activationCases(activation, forward: forward, backward: backward,
                                         shape: [count], offset: offset)
            }
            cases.append(VerificationCase(forward, "[33] in place",
                                          tensors: [TensorSpec("x", [33])]) { b, t in
                try b.activationForward(activation, input: t("x"), output: t("x"))
            })
        }
        return cases
    }

    static func activationCases(_ activation: Activation, forward: VerifiedOp, backward: VerifiedOp,
                           shape: [Int], offset: Int = 0,
                           name: String = "") -> [VerificationCase] {
        let label = caseLabel(name, "\(TensorShape(shape))", offset: offset)
        let forwardTensors = [TensorSpec("input", shape, offset: offset,
                                         values: .normal(standardDeviation: 2)),
                              TensorSpec("output", shape, offset: offset)]
        return [
            VerificationCase(forward, label, tensors: forwardTensors) { b, t in
                try b.activationForward(activation, input: t("input"), output: t("output"))
            },
            VerificationCase(backward, label,
                             tensors: forwardTensors
                                 + [TensorSpec("gradOutput", shape, offset: offset),
                                    TensorSpec("gradInput", shape, offset: offset)]) { b, t in
                try b.activationForward(activation, input: t("input"), output: t("output"))
                try b.activationBackward(activation, output: t("output"),
                                         gradOutput: t("gradOutput"), gradInput: t("gradInput"))
            },
        ]
    }

    static func arithmetic() -> [VerificationCase] {
        var cases: [VerificationCase] = []
        for (count, offset) in elementCounts {
            let label = caseLabel("", "[\(count)]", offset: offset)
            let a = TensorSpec("a", [count], offset: offset)
            let b = TensorSpec("b", [count], offset: offset)
            let out = TensorSpec("output", [count], offset: offset)
            cases += [
                VerificationCase(.add, label, tensors: [a, b, out]) { backend, t in
                    try backend.add(t("a"), t("b"), output: t("output"))
                },
                VerificationCase(.accumulate, label, tensors: [a, b]) { backend, t in
                    try backend.accumulate(t("a"), scaledBy: -0.37, into: t("b"))
                },
                VerificationCase(.scale, label, tensors: [a, out]) { backend, t in
                    try backend.scale(t("a"), by: 1.7, output: t("output"))
                },
                VerificationCase(.fill, label, tensors: [out]) { backend, t in
                    try backend.fill(t("output"), with: -2.5)
                },
                VerificationCase(.copy, label, tensors: [a, out]) { backend, t in
                    try backend.copy(t("a"), to: t("output"))
                },
            ]
        }
        cases += [
            VerificationCase(.add, "[32] in place", tensors: [TensorSpec("a", [32]),
                                                             TensorSpec("b", [32])]) { b, t in
                try b.add(t("a"), t("b"), output: t("a"))
            },
            VerificationCase(.scale, "[33] in place", tensors: [TensorSpec("a", [33])]) { b, t in
                try b.scale(t("a"), by: 0.5, output: t("a"))
            },
        ]
        return cases
    }

    // MARK: - Losses and optimizer

    static func losses() -> [VerificationCase] {
        let shapes: [(dimensions: [Int], target: Float, offset: Int)] = [
            ([1, 1, 30, 30], 1, 0), ([2, 3, 33, 33], 0, 3), ([1], 0.9, 0), ([1, 1, 2, 2], 1, 0),
        ]
        var cases: [VerificationCase] = []
        for (shape, target, offset) in shapes {
            cases += loss(shape, target: target, offset: offset)
        }
        cases.append(VerificationCase(.l1LossBackward, "[33] against itself",
                                      tensors: [TensorSpec("input", [33]),
                                                TensorSpec("loss", [1]),
                                                TensorSpec("gradInput", [33])]) { b, t in
            try b.l1Loss(input: t("input"), target: t("input"), loss: t("loss"),
                         gradInput: t("gradInput"), gradScale: 1)
        })
        return cases
    }

    /// Forward cases compute only the loss; backward cases compute the loss and the gradient.
    static func loss(_ shape: [Int], target: Float, offset: Int = 0,
                     name: String = "") -> [VerificationCase] {
        let label = caseLabel(name, "\(TensorShape(shape)) target \(target)", offset: offset)
        let input = TensorSpec("input", shape, offset: offset,
                               values: .normal(standardDeviation: 2))
        let reference = TensorSpec("target", shape, offset: offset)
        let loss = TensorSpec("loss", [1], offset: offset)
        let grad = TensorSpec("gradInput", shape, offset: offset)
        return [
            VerificationCase(.mseLossForward, label, tensors: [input, loss]) { b, t in
                try b.mseLoss(input: t("input"), target: target, loss: t("loss"), gradInput: nil,
                              gradScale: 1)
            },
            VerificationCase(.mseLossBackward, label, tensors: [input, loss, grad]) { b, t in
                try b.mseLoss(input: t("input"), target: target, loss: t("loss"),
                              gradInput: t("gradInput"), gradScale: 0.5)
            },
            VerificationCase(.l1LossForward, label, tensors: [input, reference, loss]) { b, t in
                try b.l1Loss(input: t("input"), target: t("target"), loss: t("loss"),
                             gradInput: nil, gradScale: 1)
            },
            VerificationCase(.l1LossBackward, label,
                             tensors: [input, reference, loss, grad]) { b, t in
                try b.l1Loss(input: t("input"), target: t("target"), loss: t("loss"),
                             gradInput: t("gradInput"), gradScale: 10)
            },
            VerificationCase(.bceWithLogitsLossForward, label, tensors: [input, loss]) { b, t in
                try b.bceWithLogitsLoss(input: t("input"), target: target, loss: t("loss"),
                                        gradInput: nil, gradScale: 1)
            },
            VerificationCase(.bceWithLogitsLossBackward, label,
                             tensors: [input, loss, grad]) { b, t in
                try b.bceWithLogitsLoss(input: t("input"), target: target, loss: t("loss"),
                                        gradInput: t("gradInput"), gradScale: 0.5)
            },
        ]
    }

    static func adam() -> [VerificationCase] {
        [(33, 1, 0), (1031, 7, 3)].map { count, step, offset in
            let adamStep = AdamStep(learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8,
                                    step: step)
            return VerificationCase(
                .adamUpdate, caseLabel("", "[\(count)] step \(step)", offset: offset),
                tensors: [TensorSpec("parameters", [count], offset: offset),
                          TensorSpec("gradients", [count], offset: offset,
                                     values: .normal(standardDeviation: 0.1)),
                          TensorSpec("firstMoment", [count], offset: offset,
                                     values: .normal(standardDeviation: 0.01)),
                          TensorSpec("secondMoment", [count], offset: offset,
                                     values: .uniform(0...0.01))]
            ) { b, t in
                try b.adamUpdate(parameters: t("parameters"), gradients: t("gradients"),
                                 firstMoment: t("firstMoment"), secondMoment: t("secondMoment"),
                                 step: adamStep)
            }
        }
    }

    static func caseLabel(_ name: String, _ shapes: String, offset: Int) -> String {
        [name.isEmpty ? nil : name, shapes, offset == 0 ? nil : "@\(offset)"]
            .compactMap { $0 }.joined(separator: " ")
    }
}
