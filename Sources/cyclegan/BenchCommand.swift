import CycleGANCompute
import CycleGANTraining
import Foundation

/// `cyclegan bench`: times training iterations on the CPU backend and on the OpenCL device, side
/// by side in one run, and optionally each convolution op at the model's layer shapes.
enum BenchCommand: Command {
    static let name = "bench"
    static let summary = "time training iterations and convolution kernels per backend"

    static let usage = """
        usage: cyclegan bench [--device N] [--ngf N] [--blocks N] [--size N] [--iterations N]
                              [--repeats N] [--ops] [--baseline]

        Builds one CycleGAN per backend (CPU; OpenCL with the fastest kernels; with --baseline
        also OpenCL with the baseline kernels) and runs two untimed iterations on each. Then it
        times --iterations iterations per backend, --repeats times in turn, and prints min,
        median and max milliseconds per iteration and each median as a ratio to the CPU
        backend's.

        options:
          --device N       index of the OpenCL device (default: the first GPU, else the first)
          --ngf N          generator and discriminator base channels (default 16)
          --blocks N       residual blocks of the generator (default 3)
          --size N         image height and width, a multiple of 4 >= 24 (default 64)
          --iterations N   timed iterations per repeat (default 3)
          --repeats N      rounds over the backends (default 3)
          --ops            also time every convolution op at the model's layer shapes
          --baseline       add the OpenCL backend with the baseline kernels (slow: its weight
                           gradients run one work-group per weight)
        """

    private struct Settings {
        var deviceIndex: Int?
        var ngf = 16
        var blocks = 3
        var size = 64
        var iterations = 3
        var repeats = 3
        var ops = false
        var baseline = false
    }

    static func run(arguments: [String]) -> Int32 {
        var settings = Settings()
        var remaining = arguments[...]
        func number(_ option: String, minimum: Int) -> Int? {
            guard let value = remaining.popFirst(), let number = Int(value), number >= minimum
            else {
                printError("cyclegan bench: \(option) needs an integer >= \(minimum)")
                return nil
            }
            return number
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "--help", "-h":
                print(usage)
                return 0
            case "--device":
                guard let value = number(argument, minimum: 0) else { return 2 }
                settings.deviceIndex = value
            case "--ngf":
                guard let value = number(argument, minimum: 1) else { return 2 }
                settings.ngf = value
            case "--blocks":
                guard let value = number(argument, minimum: 1) else { return 2 }
                settings.blocks = value
            case "--size":
                guard let value = number(argument, minimum: 24), value % 4 == 0 else {
                    printError("cyclegan bench: --size needs a multiple of 4 >= 24")
                    return 2
                }
                settings.size = value
            case "--iterations":
                guard let value = number(argument, minimum: 1) else { return 2 }
                settings.iterations = value
            case "--repeats":
                guard let value = number(argument, minimum: 1) else { return 2 }
                settings.repeats = value
            case "--ops":
                settings.ops = true
            case "--baseline":
                settings.baseline = true
            default:
                printError("cyclegan bench: unknown argument '\(argument)'\n\n" + usage)
                return 2
            }
        }
        do {
            try bench(settings)
            return 0
        } catch {
            printError("cyclegan bench: \(error)")
            return 1
        }
    }

    private static func bench(_ settings: Settings) throws {
        var backends: [(name: String, backend: ComputeBackend)] = [
            ("cpu", CPUBackend()),
            ("opencl fastest", try OpenCLBackend(options: .init(deviceIndex: settings.deviceIndex,
                                                                kernelVariants: .fastest))),
        ]
        if settings.baseline {
            backends.append(("opencl baseline", try OpenCLBackend(options: .init(
                deviceIndex: settings.deviceIndex, kernelVariants: .baseline))))
        }
        for (name, backend) in backends {
            print("\(name): \(backend.deviceDescription)")
        }
        if settings.ops {
            try benchOps(backends, settings: settings)
        }
        try benchIterations(backends, settings: settings)
    }

    private static func benchIterations(_ backends: [(name: String, backend: ComputeBackend)],
                                        settings: Settings) throws {
        var options = TrainOptions()
        options.netG = "resnet_\(settings.blocks)blocks"
        options.ngf = settings.ngf
        options.ndf = settings.ngf
        options.seed = 1
        let shape = TensorShape(n: 1, c: 3, h: settings.size, w: settings.size)
        var random = SeededRandom(seed: 1)
        let imageA = (0..<shape.count).map { _ in Float(random.nextUniform() * 2 - 1) }
        let imageB = (0..<shape.count).map { _ in Float(random.nextUniform() * 2 - 1) }

        let models = try backends.map { try CycleGANModel(backend: $0.backend, options: options) }
        for model in models {
            for _ in 0..<2 {
                _ = try model.optimizeParameters(realA: imageA, shapeA: shape, realB: imageB,
                                                 shapeB: shape)
            }
        }
        var samples = [[Double]](repeating: [], count: models.count)
        for _ in 0..<settings.repeats {
            for (index, model) in models.enumerated() {
                let start = Date()
                for _ in 0..<settings.iterations {
                    _ = try model.optimizeParameters(realA: imageA, shapeA: shape,
                                                     realB: imageB, shapeB: shape)
                }
                samples[index].append(Date().timeIntervalSince(start) * 1000
                                      / Double(settings.iterations))
            }
        }

        print("\niteration: ngf \(settings.ngf), resnet_\(settings.blocks)blocks, "
            + "\(settings.size)x\(settings.size), batch 1; ms per iteration over "
            + "\(settings.repeats) repeats of \(settings.iterations)")
        print(pad("backend", 18) + pad("min", 10, right: true) + pad("median", 10, right: true)
            + pad("max", 10, right: true) + pad("cpu/this", 10, right: true))
        let cpuMedian = median(samples[0])
        for (index, entry) in backends.enumerated() {
            let sorted = samples[index].sorted()
            print(pad(entry.name, 18) + pad(format(sorted.first), 10, right: true)
                + pad(format(median(sorted)), 10, right: true)
                + pad(format(sorted.last), 10, right: true)
                + pad(String(format: "%.2f", cpuMedian / median(sorted)), 10, right: true))
        }
    }

    private static func benchOps(_ backends: [(name: String, backend: ComputeBackend)],
                                 settings: Settings) throws {
        print("\nconvolution ops: ms per run (mean of 5 after one untimed run)")
        print(pad("op", 34) + pad("layer", 44) + backends.map { pad($0.name, 16, right: true) }
            .joined() + (backends.count > 2 ? pad("base/fast", 11, right: true) : ""))
        let cases = OpBenchmark.cycleGANConvolutionCases(imageSize: settings.size,
                                                         channels: settings.ngf)
        for testCase in cases {
            let times = try backends.map {
                try OpBenchmark.milliseconds(of: testCase, on: $0.backend, repetitions: 5)
            }
            let speedUp = times.count > 2
                ? pad(String(format: "%.2f", times[2] / times[1]), 11, right: true) : ""
            print(pad(testCase.op.rawValue, 34) + pad(testCase.label, 44)
                + times.map { pad(String(format: "%.3f", $0), 16, right: true) }.joined()
                + speedUp)
        }
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2]
            : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    private static func format(_ value: Double?) -> String {
        value.map { String(format: "%.1f", $0) } ?? "-"
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        guard text.count < width else { return text + " " }
        let spaces = String(repeating: " ", count: width - text.count)
        return right ? spaces + text : text + spaces
    }
}
