import Foundation

/// Times the convolution ops of a CycleGAN's layers on one backend, for `cyclegan bench`.
///
/// Each case's tensors are allocated once and filled with a constant. The op then runs once to
/// build kernels and fill buffer pools, and `repetitions` more times between two
/// `synchronize()` calls, so the time includes launch overheads but no host transfers.
public enum OpBenchmark {
    /// The convolution cases of a ResNet generator with `channels` = ngf and a PatchGAN
    /// discriminator with ndf = ngf, on `imageSize` x `imageSize` images of batch 1: forward,
    /// input gradient and weight gradient of every distinct layer shape, labelled like
    /// `cyclegan verify` rows.
    public static func cycleGANConvolutionCases(imageSize s: Int,
                                                channels f: Int) -> [VerificationCase] {
        func layer(_ name: String, _ inputChannels: Int, _ size: Int, _ outputChannels: Int,
                   kernel: Int, stride: Int, padding: Int,
                   outputPadding: Int = 0) -> ConvolutionCase {
            ConvolutionCase(batch: 1, inputChannels: inputChannels, height: size, width: size,
                            outputChannels: outputChannels,
                            geometry: ConvolutionGeometry(kernel: kernel, stride: stride,
                                                          padding: padding,
                                                          outputPadding: outputPadding),
                            name: name)
        }
        let convolutions = [
            layer("G c7s1-\(f)", 3, s + 6, f, kernel: 7, stride: 1, padding: 0),
            layer("G d\(2 * f)", f, s, 2 * f, kernel: 3, stride: 2, padding: 1),
            layer("G d\(4 * f)", 2 * f, s / 2, 4 * f, kernel: 3, stride: 2, padding: 1),
            layer("G R\(4 * f)", 4 * f, s / 4 + 2, 4 * f, kernel: 3, stride: 1, padding: 0),
            layer("G c7s1-3", f, s + 6, 3, kernel: 7, stride: 1, padding: 0),
            layer("D C\(f)", 3, s, f, kernel: 4, stride: 2, padding: 1),
            layer("D C\(2 * f)", f, s / 2, 2 * f, kernel: 4, stride: 2, padding: 1),
            layer("D C\(4 * f)", 2 * f, s / 4, 4 * f, kernel: 4, stride: 2, padding: 1),
            layer("D C\(8 * f)", 4 * f, s / 8, 8 * f, kernel: 4, stride: 1, padding: 1),
            layer("D out", 8 * f, s / 8 - 1, 1, kernel: 4, stride: 1, padding: 1),
        ]
        let transposed = [
            layer("G u\(2 * f)", 4 * f, s / 4, 2 * f, kernel: 3, stride: 2, padding: 1,
                  outputPadding: 1),
            layer("G u\(f)", 2 * f, s / 2, f, kernel: 3, stride: 2, padding: 1,
                  outputPadding: 1),
        ]
        let cases = convolutions.flatMap(VerificationCases.convolution)
            + transposed.flatMap(VerificationCases.transposedConvolution)
        return cases.filter { !$0.label.hasSuffix(" accumulate") }
    }

    /// Returns the mean milliseconds of one run of `testCase` on `backend` over `repetitions`
    /// runs, after one untimed run.
    public static func milliseconds(of testCase: VerificationCase, on backend: ComputeBackend,
                                    repetitions: Int) throws -> Double {
        var tensors: [String: Tensor] = [:]
        for spec in testCase.tensors {
            let tensor = try backend.makeTensor(spec.shape)
            try backend.fill(tensor, with: 0.25)
            tensors[spec.name] = tensor
        }
        let views = VerificationTensors(tensors: tensors)
        try testCase.body(backend, views)
        try backend.synchronize()
        let start = Date()
        for _ in 0..<max(repetitions, 1) {
            try testCase.body(backend, views)
        }
        try backend.synchronize()
        return Date().timeIntervalSince(start) * 1000 / Double(max(repetitions, 1))
    }
}
