extension VerificationCases {
    /// Image size and base channel count of the small CycleGAN the layer cases use. The layers
    /// follow the reference ResNet generator (c7s1-ngf, two stride-2 downsamplings, residual
    /// blocks, two stride-2 transposed convolutions, c7s1-3) and the 70x70 PatchGAN
    /// discriminator (4x4 convolutions, stride 2 then 1), at 32x32 with ngf = ndf = 8.
    static let layerSize = 32
    static let layerChannels = 8

    /// Every op of the generator and the discriminator, at the shapes the networks use.
    static func cycleGANLayers() -> [VerificationCase] {
        generatorLayers() + discriminatorLayers()
    }

    private static func generatorLayers() -> [VerificationCase] {
        let s = layerSize
        let f = layerChannels
        var cases: [VerificationCase] = []

        // c7s1-8: reflection pad 3, 7x7 convolution, instance norm, ReLU.
        cases += reflectionPad([1, 3, s, s], padding: 3, name: "G c7s1-\(f)")
        cases += convolution(layer("G c7s1-\(f)", 3, s + 6, f, kernel: 7, stride: 1, padding: 0))
        cases += instanceNorm([1, f, s, s], name: "G c7s1-\(f)")
        cases += activationCases(.relu, forward: .reluForward, backward: .reluBackward,
                                 shape: [1, f, s, s], name: "G c7s1-\(f)")

        // d16, d32: 3x3 stride-2 convolutions, instance norm, ReLU.
        cases += convolution(layer("G d\(2 * f)", f, s, 2 * f, kernel: 3, stride: 2, padding: 1))
        cases += instanceNorm([1, 2 * f, s / 2, s / 2], name: "G d\(2 * f)")
        cases += convolution(layer("G d\(4 * f)", 2 * f, s / 2, 4 * f, kernel: 3, stride: 2,
                                   padding: 1))
        cases += instanceNorm([1, 4 * f, s / 4, s / 4], name: "G d\(4 * f)")

        // R32: reflection pad 1, 3x3 convolution, instance norm, and the residual sum.
        cases += reflectionPad([1, 4 * f, s / 4, s / 4], padding: 1, name: "G R\(4 * f)")
        cases += convolution(layer("G R\(4 * f)", 4 * f, s / 4 + 2, 4 * f, kernel: 3, stride: 1,
                                   padding: 0))
        let residual = [1, 4 * f, s / 4, s / 4]
        cases.append(VerificationCase(.add, "G R\(4 * f) residual x\(TensorShape(residual))",
                                      tensors: [TensorSpec("a", residual),
                                                TensorSpec("b", residual),
                                                TensorSpec("output", residual)]) { b, t in
            try b.add(t("a"), t("b"), output: t("output"))
        })

        // u16, u8: 3x3 stride-2 transposed convolutions with output padding 1.
        cases += transposedConvolution(layer("G u\(2 * f)", 4 * f, s / 4, 2 * f, kernel: 3,
                                             stride: 2, padding: 1, outputPadding: 1))
        cases += transposedConvolution(layer("G u\(f)", 2 * f, s / 2, f, kernel: 3, stride: 2,
                                             padding: 1, outputPadding: 1))

        // c7s1-3: reflection pad 3, 7x7 convolution to RGB, tanh, and the L1 cycle loss.
        cases += reflectionPad([1, f, s, s], padding: 3, name: "G c7s1-3")
        cases += convolution(layer("G c7s1-3", f, s + 6, 3, kernel: 7, stride: 1, padding: 0))
        cases += activationCases(.tanh, forward: .tanhForward, backward: .tanhBackward,
                                 shape: [1, 3, s, s], name: "G c7s1-3")
        cases += loss([1, 3, s, s], target: 1, name: "G cycle").filter {
            $0.op == .l1LossForward || $0.op == .l1LossBackward
        }
        return cases
    }

    private static func discriminatorLayers() -> [VerificationCase] {
        let s = layerSize
        let f = layerChannels
        var cases: [VerificationCase] = []

        // C8 without normalization, then C16 and C32 with instance norm, all stride 2;
        // LeakyReLU 0.2 after each.
        cases += convolution(layer("D C\(f)", 3, s, f, kernel: 4, stride: 2, padding: 1))
        cases += activationCases(.leakyReLU(slope: 0.2), forward: .leakyReLUForward,
                                 backward: .leakyReLUBackward, shape: [1, f, s / 2, s / 2],
                            name: "D C\(f)")
        cases += convolution(layer("D C\(2 * f)", f, s / 2, 2 * f, kernel: 4, stride: 2,
                                   padding: 1))
        cases += instanceNorm([1, 2 * f, s / 4, s / 4], name: "D C\(2 * f)")
        cases += convolution(layer("D C\(4 * f)", 2 * f, s / 4, 4 * f, kernel: 4, stride: 2,
                                   padding: 1))

        // C64 with stride 1, then the 1-channel patch output and the least-squares GAN loss.
        cases += convolution(layer("D C\(8 * f)", 4 * f, s / 8, 8 * f, kernel: 4, stride: 1,
                                   padding: 1))
        let patch = s / 8 - 1
        cases += convolution(layer("D out", 8 * f, patch, 1, kernel: 4, stride: 1, padding: 1))
        cases += loss([1, 1, patch - 1, patch - 1], target: 1, name: "D GAN").filter {
            $0.op == .mseLossForward || $0.op == .mseLossBackward
        }
        return cases
    }

    private static func layer(_ name: String, _ inputChannels: Int, _ size: Int,
                              _ outputChannels: Int, kernel: Int, stride: Int, padding: Int,
                              outputPadding: Int = 0) -> ConvolutionCase {
        ConvolutionCase(batch: 1, inputChannels: inputChannels, height: size, width: size,
                        outputChannels: outputChannels,
                        geometry: ConvolutionGeometry(kernel: kernel, stride: stride,
                                                      padding: padding,
                                                      outputPadding: outputPadding),
                        name: name)
    }
}
