import Foundation

extension TrainOptions {
    /// The text of `cyclegan train --help`: every option with its meaning, unit and default.
    public static func helpText(width: Int = 100) -> String {
        let defaults = TrainOptions()
        var lines = [
            "usage: cyclegan train [options]",
            "",
            "Trains a CycleGAN (two ResNet generators, two PatchGAN discriminators) on unpaired",
            "images of domains A and B. Options accept '--option value' and '--option=value'.",
            "Without --dataroot or --dir-a/--dir-b the run uses a small built-in synthetic",
            "dataset. Iterations count optimizer steps of one batch each.",
        ]
        let column = 30
        for group in trainOptionGroups {
            lines.append("")
            lines.append(group.title + ":")
            for spec in group.options {
                var label = "  --" + spec.name
                if let valueName = spec.valueName {
                    label += " " + valueName
                }
                var help = spec.help
                if !spec.isFlag, !help.contains("(default:") {
                    help += " (default: \(spec.describe(defaults)))"
                }
                let wrapped = wrap(help, width: width - column)
                let first = label.count < column
                    ? label.padding(toLength: column, withPad: " ", startingAt: 0) + wrapped[0]
                    : label + "\n" + String(repeating: " ", count: column) + wrapped[0]
                lines.append(first)
                for continuation in wrapped.dropFirst() {
                    lines.append(String(repeating: " ", count: column) + continuation)
                }
            }
        }
        lines.append("")
        lines.append("  -h, --help                  show this text")
        lines.append("")
        lines += TrainExitStatus.helpLines
        return lines.joined(separator: "\n") + "\n"
    }

    /// The contents of options.txt: every option, sorted by name, one per line, with
    /// "[default: x]" after each value that differs from its default.
    public func optionsFileText() -> String {
        let defaults = TrainOptions()
        var lines = ["----------------- Options ---------------"]
        for spec in trainOptionSpecs.sorted(by: { $0.name.lowercased() < $1.name.lowercased() }) {
            let value = spec.describe(self)
            let defaultValue = spec.describe(defaults)
            let name = String(repeating: " ", count: max(0, 25 - spec.name.count)) + spec.name
            var line = name + ": " + value
            if value != defaultValue {
                line = line.padding(toLength: max(line.count, 58), withPad: " ", startingAt: 0)
                line += "\t[default: \(defaultValue)]"
            }
            lines.append(line)
        }
        lines.append("----------------- End -------------------")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Options whose values are set differently from the defaults, as `--name value` pairs in
    /// table order; flags appear without a value.
    public func nonDefaultArguments() -> [String] {
        let defaults = TrainOptions()
        var arguments: [String] = []
        for spec in trainOptionSpecs where spec.describe(self) != spec.describe(defaults) {
            arguments.append("--" + spec.name)
            if !spec.isFlag {
                arguments.append(spec.describe(self))
            }
        }
        return arguments
    }
}

/// Splits `text` into lines of at most `width` characters at spaces.
private func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ") {
        if !current.isEmpty, current.count + 1 + word.count > width {
            lines.append(current)
            current = ""
        }
        current += (current.isEmpty ? "" : " ") + word
    }
    lines.append(current)
    return lines
}
