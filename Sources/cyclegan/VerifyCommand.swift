import CycleGANCompute
import Foundation

/// `cyclegan verify`: runs every op forward and backward on an OpenCL device and on the CPU
/// reference with the same random inputs and prints one row per op and shape.
enum VerifyCommand: Command {
    static let name = "verify"
    static let summary = "check every OpenCL kernel against the CPU reference"

    static let usage = """
        usage: cyclegan verify [--device N] [--filter TEXT]

        Runs every op forward and backward on an OpenCL device and on the CPU reference with
        the same random inputs, over shapes that straddle work-group sizes and the CycleGAN
        layer shapes, and prints op, kernel choice, shapes, max absolute error, max relative
        error and PASS or FAIL per row. Exits with 1 when any row fails, and with 2 for an invalid
        argument or environment variable.

        options:
          --device N      index of the OpenCL device, as 'cyclegan devices' lists them
                          (default: the first GPU, else the first device)
          --filter TEXT   run only the ops whose name contains TEXT, such as conv2d or loss

        environment:
          CYCLEGAN_KERNELS_DIR      build the .cl files of this folder instead of the
                                    embedded ones
          CYCLEGAN_KERNEL_VARIANT   'baseline' or 'fastest' checks only that choice of
                                    kernels; unset, the ops with faster variants run
                                    once more with their baseline kernels, and the
                                    convolutions once more without the tiled kernels
                                    ('untiled' rows)
        """

    static func run(arguments: [String]) -> Int32 {
        var deviceIndex: Int?
        var filter: String?
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--help", "-h":
                print(usage)
                return 0
            case "--device":
                guard let value = remaining.popFirst() else {
                    printError("cyclegan verify: --device is missing its value, a device index "
                        + "as 'cyclegan devices' lists them")
                    return 2
                }
                guard let index = Int(value), index >= 0 else {
                    printError("cyclegan verify: invalid value '\(value)' for --device: expected "
                        + "a device index of 0 or more, as 'cyclegan devices' lists them")
                    return 2
                }
                deviceIndex = index
            case "--filter":
                guard let value = remaining.popFirst(), !value.isEmpty else {
                    printError("cyclegan verify: --filter needs a part of an op name, such as "
                        + "conv2d")
                    return 2
                }
                filter = value
            default:
                printError("cyclegan verify: unknown argument '\(argument)'\n\n" + usage)
                return 2
            }
        }

        let cases = VerificationCases.all().filter { testCase in
            filter.map { testCase.op.rawValue.contains($0) } ?? true
        }
        if cases.isEmpty {
            printError("cyclegan verify: no op name contains '\(filter ?? "")'; op names are "
                + VerifiedOp.allCases.map(\.rawValue).joined(separator: ", "))
            return 2
        }

        do {
            try BackendSelection.validateEnvironment()
        } catch {
            printError("cyclegan verify: \(error)")
            return 2
        }

        // Without CYCLEGAN_KERNEL_VARIANT, the ops that have faster variants run a second time
        // with the baseline kernels, so every kernel the device can run is checked.
        var runs: [(backend: OpenCLBackend, cases: [VerificationCase])] = []
        do {
            let backend = try OpenCLBackend(deviceIndex: deviceIndex)
            runs.append((backend, cases))
            if !OpenCLBackend.KernelVariantPolicy.isSetInEnvironment {
                let baseline = try OpenCLBackend(options: .init(deviceIndex: deviceIndex,
                                                                kernelVariants: .baseline))
                let variantCases = cases.filter { OpenCLBackend.opsWithVariants.contains($0.op) }
                if !variantCases.isEmpty {
                    runs.append((baseline, variantCases))
                }
                // The tiled convolutions take precedence where the device runs them, so the
                // convolutions run once more without them to check the other variants.
                let untiled = try OpenCLBackend(options: .init(deviceIndex: deviceIndex,
                                                               tiledConvolution: false))
                let convolutionCases = variantCases.filter { $0.op.rawValue.contains("conv") }
                if backend.usesTiledConvolutionKernels && !convolutionCases.isEmpty {
                    runs.append((untiled, convolutionCases))
                }
            }
        } catch {
            printError("cyclegan verify: \(error)")
            return 1
        }
        return verify(runs)
    }

    private static func verify(_ runs: [(backend: OpenCLBackend, cases: [VerificationCase])])
        -> Int32 {
        let reference = CPUBackend()
        if let device = runs.first?.backend.deviceDescription {
            print("verify: \(device) against \(reference.deviceDescription)")
        }
        print(row("op", "kernels", "shape", "max abs", "max rel", "result"))

        let start = Date()
        var total = 0
        var failed = 0
        for (backend, cases) in runs {
            let verifier = BackendVerifier(reference: reference, candidate: backend)
            for (index, testCase) in cases.enumerated() {
                let result = verifier.verify(testCase, index: index)
                total += 1
                let kernels = backend.kernelVariants == .fastest && !backend.allowsTiledConvolution
                    ? "untiled" : backend.kernelVariants.rawValue
                print(row(result.op.rawValue, kernels, result.label,
                          format(result.maxAbsoluteError), format(result.maxRelativeError),
                          result.passed ? "PASS" : "FAIL"))
                if !result.passed {
                    failed += 1
                    for failure in result.failures {
                        print(failure.split(separator: "\n").map { "    " + $0 }
                            .joined(separator: "\n"))
                    }
                }
            }
        }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(start))
        print("\(total - failed) of \(total) passed, \(failed) failed (\(seconds) s)")
        return failed == 0 ? 0 : 1
    }

    private static func row(_ op: String, _ kernels: String, _ shape: String,
                            _ absolute: String, _ relative: String, _ result: String) -> String {
        pad(op, 33) + pad(kernels, 9) + pad(shape, 56) + pad(absolute, 10) + pad(relative, 10)
            + result
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count < width ? text.padding(toLength: width, withPad: " ", startingAt: 0)
            : text + " "
    }

    private static func format(_ value: Double) -> String {
        value.isFinite ? String(format: "%.2e", value) : "-"
    }
}
