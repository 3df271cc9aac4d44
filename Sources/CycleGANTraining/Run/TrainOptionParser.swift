import Foundation

/// An invalid command line for `cyclegan train`. Each message names the option, the value and
/// what is accepted.
public enum TrainOptionError: Error, Equatable, CustomStringConvertible {
    case unknownOption(String, suggestion: String?)
    case missingValue(option: String, valueName: String)
    case unexpectedValue(option: String, value: String)
    case invalidValue(option: String, value: String, accepted: String)
    case unexpectedArgument(String)
    /// Two or more options that are valid alone but not together.
    case conflict(String)
    case missingFolder(option: String, path: String, detail: String)

    public var description: String {
        switch self {
        case let .unknownOption(option, suggestion):
            let hint = suggestion.map { "; did you mean --\($0)?" } ?? "."
            return "unknown option '\(option)'\(hint) Run 'cyclegan train --help' for the list."
        case let .missingValue(option, valueName):
            return "option --\(option) is missing its value \(valueName)"
        case let .unexpectedValue(option, value):
            return "option --\(option) is a flag and takes no value, but was given '\(value)'"
        case let .invalidValue(option, value, accepted):
            return "invalid value '\(value)' for --\(option): expected \(accepted)"
        case let .unexpectedArgument(argument):
            guard argument.hasPrefix("-") else {
                return "unexpected argument '\(argument)': options start with '--' "
                    + "(for example --dataroot \(argument))"
            }
            let name = String(argument.drop { $0 == "-" })
            let suggestion = name.count >= 3 ? closestOption(to: name) : nil
            let hint = suggestion.map { "; did you mean --\($0)?" }
                ?? ", as in --dataroot PATH. Run 'cyclegan train --help' for the list."
            return "unexpected argument '\(argument)': options start with two dashes\(hint)"
        case let .conflict(message):
            return message
        case let .missingFolder(option, path, detail):
            return "invalid value '\(path)' for --\(option): \(detail)"
        }
    }
}

/// The request of a `cyclegan train` command line: help, or training with these options.
public enum TrainCommandLine: Equatable {
    case help
    case train(TrainOptions)
}

extension TrainOptions {
    /// Parses `cyclegan train` arguments (without the command name), accepting both
    /// `--option value` and `--option=value`, then checks the combination with `validate()`.
    public static func parseCommandLine(_ arguments: [String]) throws -> TrainCommandLine {
        var options = TrainOptions()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" {
                return .help
            }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw TrainOptionError.unexpectedArgument(argument)
            }

            let body = argument.dropFirst(2)
            let name: String
            var inlineValue: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                inlineValue = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
            }
            guard let spec = trainOptionSpecs.first(where: { $0.name == name }) else {
                throw TrainOptionError.unknownOption(argument, suggestion: closestOption(to: name))
            }

            if spec.isFlag {
                if let value = inlineValue {
                    throw TrainOptionError.unexpectedValue(option: name, value: value)
                }
                try spec.apply(&options, "true")
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else if index < arguments.count, !arguments[index].hasPrefix("--") {
                value = arguments[index]
                index += 1
            } else {
                throw TrainOptionError.missingValue(option: name, valueName: spec.valueName ?? "")
            }
            try spec.apply(&options, value)
        }
        try options.validate()
        return .train(options)
    }

    /// Checks rules that involve several options, and that the data folders exist.
    public func validate(fileManager: FileManager = .default) throws {
        let cropped = preprocess == "resize_and_crop" || preprocess == "scale_width_and_crop"
        if cropped, cropSize > loadSize {
            throw TrainOptionError.conflict(
                "invalid value '\(cropSize)' for --crop-size: with --preprocess \(preprocess) "
                    + "the crop must fit in the loaded image, so expected at most --load-size "
                    + "(\(loadSize))")
        }
        if cropSize % 4 != 0 {
            throw TrainOptionError.invalidValue(
                option: "crop-size", value: String(cropSize),
                accepted: "a multiple of 4, because the generator halves the image twice and "
                    + "doubles it back")
        }
        let scalesWidth = preprocess == "scale_width" || preprocess == "scale_width_and_crop"
        if scalesWidth, loadSize < TrainOptionLimits.minimumCropSize {
            throw TrainOptionError.invalidValue(
                option: "load-size", value: String(loadSize),
                accepted: "at least \(TrainOptionLimits.minimumCropSize) with --preprocess "
                    + "\(preprocess), the smallest image the discriminator accepts")
        }
        let sizeVaries = preprocess == "scale_width" || preprocess == "none"
        if sizeVaries, batchSize > 1 {
            throw TrainOptionError.conflict(
                "invalid value '\(batchSize)' for --batch-size: with --preprocess \(preprocess) "
                    + "images keep their aspect ratio and differ in size, so they cannot share a "
                    + "batch; expected 1, or --preprocess resize_and_crop, crop or "
                    + "scale_width_and_crop")
        }
        let lastEpoch = nEpochs + nEpochsDecay
        if lastEpoch < 1 {
            throw TrainOptionError.conflict(
                "invalid values for --n-epochs (\(nEpochs)) and --n-epochs-decay "
                    + "(\(nEpochsDecay)): --n-epochs + --n-epochs-decay must be at least 1")
        }
        if epochCount > lastEpoch {
            throw TrainOptionError.conflict(
                "invalid value '\(epochCount)' for --epoch-count: the run trains epochs "
                    + "--epoch-count through --n-epochs + --n-epochs-decay = \(lastEpoch), so "
                    + "expected an integer from 1 to \(lastEpoch)")
        }
        try validateDataFolders(fileManager: fileManager)
    }

    private func validateDataFolders(fileManager: FileManager) throws {
        if dataroot == nil, (dirA == nil) != (dirB == nil) {
            let givenOption = dirA == nil ? "--dir-b" : "--dir-a"
            let missingOption = dirA == nil ? "--dir-a" : "--dir-b"
            throw TrainOptionError.conflict(
                "option \(givenOption) needs \(missingOption) as well (or --dataroot holding the "
                    + "other domain's train folder)")
        }
        if let dataroot {
            try requireFolder(dataroot, option: "dataroot", fileManager: fileManager)
        }
        for domain in DataDomain.allCases {
            guard let folder = dataFolder(domain) else { continue }
            let option = domain == .a ? "dir-a" : "dir-b"
            if (domain == .a ? dirA : dirB) != nil {
                try requireFolder(folder, option: option, fileManager: fileManager)
            } else {
                try requireFolder(folder, option: "dataroot", fileManager: fileManager,
                                  detail: "the folder has no \(domain.trainFolder)/ subfolder; "
                                    + "give --\(option) to use another folder")
            }
        }
    }

    /// Whether the run uses the built-in synthetic dataset.
    public var usesSyntheticData: Bool {
        dataroot == nil && dirA == nil && dirB == nil
    }

    /// The image folder of one domain: `--dir-a`/`--dir-b` when given, otherwise
    /// `<dataroot>/trainA` or `<dataroot>/trainB`; nil for the synthetic dataset.
    public func dataFolder(_ domain: DataDomain) -> String? {
        if let folder = domain == .a ? dirA : dirB {
            return folder
        }
        return dataroot.map {
            URL(fileURLWithPath: $0).appendingPathComponent(domain.trainFolder).path
        }
    }

    /// The folder of this experiment's outputs: `<checkpointsDir>/<name>`.
    public var experimentDirectory: URL {
        URL(fileURLWithPath: checkpointsDir, isDirectory: true)
            .appendingPathComponent(name, isDirectory: true)
    }
}

/// The two image domains of unpaired translation.
public enum DataDomain: CaseIterable {
    case a, b

    var trainFolder: String { self == .a ? "trainA" : "trainB" }
}

private func requireFolder(_ path: String, option: String, fileManager: FileManager,
                           detail: String? = nil) throws {
    var isDirectory: ObjCBool = false
    if fileManager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        return
    }
    let exists = fileManager.fileExists(atPath: path)
    let reason = detail ?? (exists ? "it is not a folder" : "no such folder")
    throw TrainOptionError.missingFolder(option: option, path: path, detail: reason)
}

/// The known option nearest to a mistyped name, when one is close enough to suggest.
private func closestOption(to name: String) -> String? {
    let lowered = name.lowercased().replacingOccurrences(of: "_", with: "-")
    if let exact = trainOptionSpecs.first(where: { $0.name.lowercased() == lowered }) {
        return exact.name
    }
    let scored = trainOptionSpecs.map { ($0.name, editDistance($0.name.lowercased(), lowered)) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2 else { return nil }
    return best.0
}

private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for (i, characterA) in a.enumerated() {
        var current = [i + 1]
        for (j, characterB) in b.enumerated() {
            let substitution = previous[j] + (characterA == characterB ? 0 : 1)
            current.append(min(previous[j + 1] + 1, current[j] + 1, substitution))
        }
        previous = current
    }
    return previous[b.count]
}
