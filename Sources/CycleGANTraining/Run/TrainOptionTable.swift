import Foundation

/// One command-line option of `cyclegan train`: its kebab-case name, help text, how a value is
/// parsed into `TrainOptions` and how the current value is printed.
struct TrainOptionSpec {
    /// Name without the leading dashes, for example "lambda-A".
    let name: String
    /// Placeholder shown in help, or nil for a flag that takes no value.
    let valueName: String?
    let help: String
    /// Applies a value; flags receive "true". Throws `TrainOptionError` naming the option.
    let apply: (inout TrainOptions, String) throws -> Void
    /// The option's value as options.txt and help print it.
    let describe: (TrainOptions) -> String

    var isFlag: Bool { valueName == nil }
}

/// Every option, grouped as `--help` prints them.
let trainOptionGroups: [(title: String, options: [TrainOptionSpec])] = [
    ("Data", dataOptions),
    ("Run and outputs", runOptions),
    ("Networks", networkOptions),
    ("Optimization", optimizationOptions),
]

let trainOptionSpecs: [TrainOptionSpec] = trainOptionGroups.flatMap { $0.options }

private let dataOptions: [TrainOptionSpec] = [
    text("dataroot", "PATH", "dataset folder holding trainA/ and trainB/; without it and without "
            + "--dir-a/--dir-b the run uses a built-in synthetic dataset",
         \.dataroot),
    text("dir-a", "PATH", "folder of domain A images, in place of <dataroot>/trainA", \.dirA),
    text("dir-b", "PATH", "folder of domain B images, in place of <dataroot>/trainB", \.dirB),
    integer("load-size", "PIXELS", "size images are scaled to before cropping", \.loadSize,
            8...8192),
    integer("crop-size", "PIXELS", "side of the square crop fed to the networks; a multiple of 4 "
                + "of at least \(TrainOptionLimits.minimumCropSize)", \.cropSize,
            TrainOptionLimits.minimumCropSize...8192),
    choice("preprocess", "MODE", "image preprocessing", \.preprocess,
           TrainOptionLimits.preprocessModes),
    flag("no-flip", "do not flip images horizontally at random", \.noFlip),
    flag("serial-batches", "take images in folder order instead of shuffling", \.serialBatches),
    flag("skip-bad-images", "skip files that fail to decode (listed at start) instead of "
            + "stopping", \.skipBadImages),
    integer("batch-size", "IMAGES", "images per iteration", \.batchSize, 1...1024),
]

private let runOptions: [TrainOptionSpec] = [
    TrainOptionSpec(
        name: "name", valueName: "NAME",
        help: "experiment name; outputs go to <checkpoints-dir>/<name>",
        apply: { options, value in
            guard !value.isEmpty, !value.contains("/"), value != ".", value != ".." else {
                throw TrainOptionError.invalidValue(
                    option: "name", value: value,
                    accepted: "a non-empty folder name without '/'")
            }
            options.name = value
        },
        describe: { $0.name }),
    text("checkpoints-dir", "PATH", "folder holding one subfolder per experiment",
         \.checkpointsDir),
    choice("backend", "KIND", "compute backend; auto tries an OpenCL GPU, then any OpenCL "
            + "device, then the built-in CPU backend", \.backend),
    TrainOptionSpec(
        name: "device", valueName: "INDEX",
        help: "index of the OpenCL device to use, in the order the backend lists them "
            + "(default: chosen by --backend)",
        apply: { options, value in
            options.device = try parseInteger(value, option: "device", range: 0...1024)
        },
        describe: { $0.device.map(String.init) ?? "none" }),
    TrainOptionSpec(
        name: "seed", valueName: "N",
        help: "seed of weight initialisation, data order, augmentation and the image pools",
        apply: { options, value in
            guard let seed = UInt64(value) else {
                throw TrainOptionError.invalidValue(
                    option: "seed", value: value,
                    accepted: "an integer from 0 to \(UInt64.max)")
            }
            options.seed = seed
        },
        describe: { String($0.seed) }),
    TrainOptionSpec(
        name: "max-iterations", valueName: "N",
        help: "save and stop when the iteration counter, counted from the start of training, "
            + "reaches N; a resumed run stops at the same N (default: train every epoch)",
        apply: { options, value in
            options.maxIterations = try parseInteger(
                value, option: "max-iterations", range: 1...Int(Int32.max))
        },
        describe: { $0.maxIterations.map(String.init) ?? "none" }),
    flag("continue", "resume from the checkpoint in <checkpoints-dir>/<name>", \.continueTrain),
    integer("print-freq", "ITERATIONS", "iterations between loss log lines", \.printFreq,
            1...Int(Int32.max)),
    integer("display-freq", "ITERATIONS", "iterations between sample sheets in web/",
            \.displayFreq, 1...Int(Int32.max)),
    integer("save-latest-freq", "ITERATIONS", "iterations between saves of the latest "
                + "checkpoint; it is also saved at the end of every epoch", \.saveLatestFreq,
            1...Int(Int32.max)),
    integer("save-epoch-freq", "EPOCHS", "epochs between <epoch>_net_* snapshots",
            \.saveEpochFreq, 1...Int(Int32.max)),
]

private let networkOptions: [TrainOptionSpec] = [
    TrainOptionSpec(
        name: "netG", valueName: "ARCH",
        help: "generator architecture, resnet_<N>blocks with N from 1 to "
            + "\(TrainOptionLimits.maximumResidualBlocks) (the reference uses 9 for 256-pixel "
            + "crops and 6 for 128)",
        apply: { options, value in
            var candidate = options
            candidate.netG = value
            guard let blocks = candidate.residualBlocks,
                  (1...TrainOptionLimits.maximumResidualBlocks).contains(blocks),
                  value == "resnet_\(blocks)blocks" else {
                throw TrainOptionError.invalidValue(
                    option: "netG", value: value,
                    accepted: "resnet_<N>blocks with N from 1 to "
                        + "\(TrainOptionLimits.maximumResidualBlocks), e.g. resnet_9blocks")
            }
            options.netG = value
        },
        describe: { $0.netG }),
    integer("ngf", "CHANNELS", "generator filters in the first convolution", \.ngf, 1...1024),
    integer("ndf", "CHANNELS", "discriminator filters in the first convolution", \.ndf,
            1...1024),
]

private let optimizationOptions: [TrainOptionSpec] = [
    integer("n-epochs", "EPOCHS", "epochs at the initial learning rate", \.nEpochs,
            0...1_000_000),
    integer("n-epochs-decay", "EPOCHS", "epochs over which the learning rate decays to zero "
                + "(linear policy)", \.nEpochsDecay, 0...1_000_000),
    integer("epoch-count", "EPOCH", "number of the first epoch; the run trains epochs "
                + "epoch-count through n-epochs + n-epochs-decay", \.epochCount,
            1...1_000_000),
    real("lr", "RATE", "initial Adam learning rate", \.lr, above: 0, atMost: 1),
    real("beta1", "BETA", "Adam first-moment decay", \.beta1, atLeast: 0, below: 1),
    choice("lr-policy", "POLICY", "learning-rate schedule, applied once per epoch", \.lrPolicy),
    integer("lr-decay-iters", "EPOCHS", "epochs between learning-rate multiplications by 0.1 "
                + "(step policy)", \.lrDecayIters, 1...1_000_000),
    real("lambda-A", "WEIGHT", "weight of the cycle loss A -> B -> A", \.lambdaA,
         atLeast: 0, atMost: 10_000),
    real("lambda-B", "WEIGHT", "weight of the cycle loss B -> A -> B", \.lambdaB,
         atLeast: 0, atMost: 10_000),
    real("lambda-identity", "WEIGHT", "weight of the identity loss, relative to lambda-A and "
            + "lambda-B; 0 disables it", \.lambdaIdentity, atLeast: 0, atMost: 10_000),
    integer("pool-size", "IMAGES", "generated images kept per discriminator history pool; 0 "
                + "disables the pools", \.poolSize, 0...100_000),
    choice("gan-mode", "MODE", "adversarial loss: lsgan (least squares) or vanilla (cross "
            + "entropy)", \.ganMode),
]

/// Limits shared by the option table and the cross-option checks.
enum TrainOptionLimits {
    /// The PatchGAN discriminator halves the crop three times and then applies two 4x4
    /// convolutions that each remove one pixel, so it needs crop / 8 >= 3.
    static let minimumCropSize = 24
    static let maximumResidualBlocks = 64
    static let preprocessModes = [
        "resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "none",
    ]
}

// MARK: - Builders

private func text(_ name: String, _ valueName: String, _ help: String,
                  _ keyPath: WritableKeyPath<TrainOptions, String?>) -> TrainOptionSpec {
    TrainOptionSpec(
        name: name, valueName: valueName, help: help,
        apply: { options, value in
            guard !value.isEmpty else {
                throw TrainOptionError.invalidValue(option: name, value: value,
                                                    accepted: "a non-empty path")
            }
            options[keyPath: keyPath] = value
        },
        describe: { $0[keyPath: keyPath] ?? "none" })
}

private func text(_ name: String, _ valueName: String, _ help: String,
                  _ keyPath: WritableKeyPath<TrainOptions, String>) -> TrainOptionSpec {
    TrainOptionSpec(
        name: name, valueName: valueName, help: help,
        apply: { options, value in
            guard !value.isEmpty else {
                throw TrainOptionError.invalidValue(option: name, value: value,
                                                    accepted: "a non-empty path")
            }
            options[keyPath: keyPath] = value
        },
        describe: { $0[keyPath: keyPath] })
}

private func flag(_ name: String, _ help: String,
                  _ keyPath: WritableKeyPath<TrainOptions, Bool>) -> TrainOptionSpec {
    TrainOptionSpec(name: name, valueName: nil, help: help,
                    apply: { options, _ in options[keyPath: keyPath] = true },
                    describe: { String($0[keyPath: keyPath]) })
}

private func integer(_ name: String, _ valueName: String, _ help: String,
                     _ keyPath: WritableKeyPath<TrainOptions, Int>,
                     _ range: ClosedRange<Int>) -> TrainOptionSpec {
    TrainOptionSpec(
        name: name, valueName: valueName, help: help,
        apply: { options, value in
            options[keyPath: keyPath] = try parseInteger(value, option: name, range: range)
        },
        describe: { String($0[keyPath: keyPath]) })
}

private func real(_ name: String, _ valueName: String, _ help: String,
                  _ keyPath: WritableKeyPath<TrainOptions, Float>,
                  above lowerExclusive: Float? = nil, atLeast lowerInclusive: Float? = nil,
                  below upperExclusive: Float? = nil, atMost upperInclusive: Float? = nil)
    -> TrainOptionSpec {
    let accepted = rangeText(above: lowerExclusive, atLeast: lowerInclusive,
                             below: upperExclusive, atMost: upperInclusive)
    return TrainOptionSpec(
        name: name, valueName: valueName, help: help,
        apply: { options, value in
            guard let number = Float(value), number.isFinite,
                  lowerExclusive.map({ number > $0 }) ?? true,
                  lowerInclusive.map({ number >= $0 }) ?? true,
                  upperExclusive.map({ number < $0 }) ?? true,
                  upperInclusive.map({ number <= $0 }) ?? true else {
                throw TrainOptionError.invalidValue(option: name, value: value,
                                                    accepted: accepted)
            }
            options[keyPath: keyPath] = number
        },
        describe: { String($0[keyPath: keyPath]) })
}

/// Returns the accepted range in words, such as "a number from 0.0 up to but not including 1.0".
func rangeText(above lowerExclusive: Float?, atLeast lowerInclusive: Float?,
               below upperExclusive: Float?, atMost upperInclusive: Float?) -> String {
    switch (lowerExclusive ?? lowerInclusive, upperExclusive ?? upperInclusive) {
    case let (lower?, upper?) where lowerExclusive != nil:
        let end = upperExclusive != nil ? "less than \(upper)" : "at most \(upper)"
        return "a number greater than \(lower) and " + end
    case let (lower?, upper?):
        let end = upperExclusive != nil ? "up to but not including \(upper)" : "to \(upper)"
        return "a number from \(lower) " + end
    case let (lower?, nil):
        return lowerExclusive != nil
            ? "a number greater than \(lower)" : "a number of at least \(lower)"
    case let (nil, upper?):
        return upperExclusive != nil
            ? "a number less than \(upper)" : "a number of at most \(upper)"
    case (nil, nil):
        return "a finite number"
    }
}

private func choice<Value: RawRepresentable & CaseIterable>(
    _ name: String, _ valueName: String, _ help: String,
    _ keyPath: WritableKeyPath<TrainOptions, Value>
) -> TrainOptionSpec where Value.RawValue == String {
    let names = Value.allCases.map { $0.rawValue }
    return TrainOptionSpec(
        name: name, valueName: valueName, help: help + " (" + names.joined(separator: ", ") + ")",
        apply: { options, value in
            guard let parsed = Value(rawValue: value) else {
                throw TrainOptionError.invalidValue(
                    option: name, value: value,
                    accepted: "one of " + names.joined(separator: ", "))
            }
            options[keyPath: keyPath] = parsed
        },
        describe: { $0[keyPath: keyPath].rawValue })
}

private func choice(_ name: String, _ valueName: String, _ help: String,
                    _ keyPath: WritableKeyPath<TrainOptions, String>,
                    _ names: [String]) -> TrainOptionSpec {
    TrainOptionSpec(
        name: name, valueName: valueName, help: help + " (" + names.joined(separator: ", ") + ")",
        apply: { options, value in
            guard names.contains(value) else {
                throw TrainOptionError.invalidValue(
                    option: name, value: value,
                    accepted: "one of " + names.joined(separator: ", "))
            }
            options[keyPath: keyPath] = value
        },
        describe: { $0[keyPath: keyPath] })
}

func parseInteger(_ value: String, option: String, range: ClosedRange<Int>) throws -> Int {
    guard let number = Int(value), range.contains(number) else {
        throw TrainOptionError.invalidValue(
            option: option, value: value,
            accepted: "an integer from \(range.lowerBound) to \(range.upperBound)")
    }
    return number
}
