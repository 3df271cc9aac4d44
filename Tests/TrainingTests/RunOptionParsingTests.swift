@testable import CycleGANTraining
import XCTest

final class RunOptionParsingTests: XCTestCase {
    private var dataroot: URL!

    override func setUpWithError() throws {
        dataroot = FileManager.default.temporaryDirectory
            .appendingPathComponent("run-options-\(UUID().uuidString)")
        for folder in ["trainA", "trainB", "otherA", "otherB"] {
            try FileManager.default.createDirectory(
                at: dataroot.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dataroot)
    }

    /// A valid value different from the default, and an invalid one (nil for flags and
    /// free-form text), for every option.
    private func optionCases() -> [(name: String, valid: String?, invalid: String?)] {
        [
            ("dataroot", dataroot.path, dataroot.appendingPathComponent("missing").path),
            ("dir-a", dataroot.appendingPathComponent("otherA").path, "/nonexistent/folder"),
            ("dir-b", dataroot.appendingPathComponent("otherB").path, "/nonexistent/folder"),
            ("load-size", "300", "0"),
            ("crop-size", "128", "12"),
            ("preprocess", "scale_width_and_crop", "zoom"),
            ("no-flip", nil, nil),
            ("serial-batches", nil, nil),
            ("skip-bad-images", nil, nil),
            ("batch-size", "4", "0"),
            ("name", "horses", "a/b"),
            ("checkpoints-dir", "/tmp/somewhere", ""),
            ("backend", "cpu", "cuda"),
            ("device", "1", "-1"),
            ("seed", "12345", "-3"),
            ("max-iterations", "20", "0"),
            ("continue", nil, nil),
            ("print-freq", "5", "0"),
            ("display-freq", "10", "x"),
            ("save-latest-freq", "1000", "-5"),
            ("save-epoch-freq", "2", "0"),
            ("netG", "resnet_6blocks", "unet_256"),
            ("ngf", "32", "0"),
            ("ndf", "16", "2000"),
            ("n-epochs", "10", "-1"),
            ("n-epochs-decay", "20", "ten"),
            ("epoch-count", "3", "0"),
            ("lr", "0.001", "0"),
            ("beta1", "0.9", "1"),
            ("lr-policy", "cosine", "plateau"),
            ("lr-decay-iters", "30", "0"),
            ("lambda-A", "5.5", "-1"),
            ("lambda-B", "7.5", "nan"),
            ("lambda-identity", "0.25", "-0.5"),
            ("pool-size", "0", "-1"),
            ("gan-mode", "vanilla", "wgangp"),
        ]
    }

    private func parse(_ arguments: [String]) throws -> TrainOptions {
        guard case let .train(options) = try TrainOptions.parseCommandLine(arguments) else {
            throw XCTSkip("parser returned help for \(arguments)")
        }
        return options
    }

    private func spec(_ name: String) throws -> TrainOptionSpec {
        try XCTUnwrap(trainOptionSpecs.first { $0.name == name }, "no option --\(name)")
    }

    func testCasesCoverEveryOption() {
        let tested = Set(optionCases().map { $0.name })
        let declared = Set(trainOptionSpecs.map { $0.name })
        XCTAssertEqual(tested, declared, "options without a parsing case or cases without option")
        XCTAssertEqual(trainOptionSpecs.count, declared.count, "duplicate option names")
    }

    func testEveryOptionParsesInBothForms() throws {
        for (name, valid, _) in optionCases() {
            let spec = try spec(name)
            // Options whose value only makes sense with a partner get it in both forms.
            var partner: [String] = []
            if name == "dir-a" {
                partner = ["--dir-b", dataroot.appendingPathComponent("otherB").path]
            }
            if name == "dir-b" {
                partner = ["--dir-a", dataroot.appendingPathComponent("otherA").path]
            }
            guard let valid else {
                let options = try parse(["--" + name] + partner)
                XCTAssertEqual(spec.describe(options), "true", "flag --\(name)")
                XCTAssertEqual(spec.describe(TrainOptions()), "false", "flag --\(name) default")
                continue
            }
            let separate = try parse(["--" + name, valid] + partner)
            let joined = try parse(["--\(name)=\(valid)"] + partner)
            XCTAssertEqual(spec.describe(separate), valid, "--\(name) \(valid)")
            XCTAssertEqual(spec.describe(joined), valid, "--\(name)=\(valid)")
            XCTAssertNotEqual(spec.describe(TrainOptions()), valid,
                              "test value of --\(name) equals the default and proves nothing")
        }
    }

    func testInvalidValueNamesOptionValueAndRange() throws {
        for (name, _, invalid) in optionCases() {
            guard let invalid else { continue }
            var partner: [String] = []
            if name == "dir-a" { partner = ["--dir-b", dataroot.path] }
            if name == "dir-b" { partner = ["--dir-a", dataroot.path] }
            do {
                _ = try parse(["--\(name)=\(invalid)"] + partner)
                XCTFail("--\(name)=\(invalid) was accepted")
            } catch let error as TrainOptionError {
                let message = error.description
                XCTAssertTrue(message.contains("--\(name)"), "message lacks option: \(message)")
                XCTAssertTrue(message.contains("'\(invalid)'"), "message lacks value: \(message)")
                XCTAssertTrue(message.contains("expected") || message.contains("folder"),
                              "message lacks what is accepted: \(message)")
            }
        }
    }

    func testIntegerErrorStatesRange() {
        XCTAssertThrowsError(try parse(["--ngf", "0"])) { error in
            XCTAssertEqual("\(error)",
                           "invalid value '0' for --ngf: expected an integer from 1 to 1024")
        }
        XCTAssertThrowsError(try parse(["--lr", "2"])) { error in
            XCTAssertEqual("\(error)", "invalid value '2' for --lr: expected a number greater "
                + "than 0.0 and at most 1.0")
        }
    }

    func testUnknownOptionSuggestsClosest() {
        XCTAssertThrowsError(try parse(["--batch_size", "2"])) { error in
            XCTAssertEqual(error as? TrainOptionError,
                           .unknownOption("--batch_size", suggestion: "batch-size"))
        }
        XCTAssertThrowsError(try parse(["--ngff", "2"])) { error in
            XCTAssertTrue("\(error)".contains("did you mean --ngf?"), "\(error)")
        }
        XCTAssertThrowsError(try parse(["--completely-different"])) { error in
            XCTAssertEqual(error as? TrainOptionError,
                           .unknownOption("--completely-different", suggestion: nil))
        }
    }

    func testMalformedCommandLinesAreRejected() {
        XCTAssertThrowsError(try parse(["--ngf"])) { error in
            XCTAssertEqual(error as? TrainOptionError,
                           .missingValue(option: "ngf", valueName: "CHANNELS"))
        }
        XCTAssertThrowsError(try parse(["--ngf", "--ndf", "8"])) { error in
            XCTAssertEqual(error as? TrainOptionError,
                           .missingValue(option: "ngf", valueName: "CHANNELS"))
        }
        XCTAssertThrowsError(try parse(["--no-flip=yes"])) { error in
            XCTAssertEqual(error as? TrainOptionError,
                           .unexpectedValue(option: "no-flip", value: "yes"))
        }
        XCTAssertThrowsError(try parse(["horse2zebra"])) { error in
            XCTAssertEqual(error as? TrainOptionError, .unexpectedArgument("horse2zebra"))
        }
    }

    func testCropLargerThanLoadIsRejected() {
        XCTAssertThrowsError(try parse(["--crop-size", "256", "--load-size", "200"])) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("--crop-size"), message)
            XCTAssertTrue(message.contains("'256'"), message)
            XCTAssertTrue(message.contains("at most --load-size (200)"), message)
        }
        XCTAssertNoThrow(try parse(["--crop-size", "256", "--load-size", "200",
                                    "--preprocess", "crop"]))
    }

    func testVaryingSizesRejectBatches() {
        XCTAssertThrowsError(try parse(["--preprocess", "none", "--batch-size", "2"])) { error in
            XCTAssertTrue("\(error)".contains("invalid value '2' for --batch-size"), "\(error)")
        }
        XCTAssertNoThrow(try parse(["--preprocess", "crop", "--batch-size", "2"]))
    }

    func testCropSizeMustBeMultipleOfFour() {
        XCTAssertThrowsError(try parse(["--crop-size", "30", "--load-size", "36"])) { error in
            XCTAssertTrue("\(error)".contains("a multiple of 4"), "\(error)")
        }
    }

    func testEpochCountPastLastEpochIsRejected() {
        XCTAssertThrowsError(try parse(["--n-epochs", "2", "--n-epochs-decay", "1",
                                        "--epoch-count", "4"])) { error in
            XCTAssertTrue("\(error)".contains("from 1 to 3"), "\(error)")
        }
    }

    func testDataFolderRules() throws {
        XCTAssertThrowsError(try parse(["--dir-a", dataroot.path])) { error in
            XCTAssertTrue("\(error)".contains("--dir-a needs --dir-b"), "\(error)")
        }
        let empty = dataroot.appendingPathComponent("otherA").path
        XCTAssertThrowsError(try parse(["--dataroot", empty])) { error in
            XCTAssertTrue("\(error)".contains("no trainA/ subfolder"), "\(error)")
        }
        let options = try parse(["--dataroot", dataroot.path,
                                 "--dir-b", dataroot.appendingPathComponent("otherB").path])
        XCTAssertEqual(options.dataFolder(.a), dataroot.appendingPathComponent("trainA").path)
        XCTAssertEqual(options.dataFolder(.b), dataroot.appendingPathComponent("otherB").path)
        XCTAssertFalse(options.usesSyntheticData)
        XCTAssertTrue(try parse([]).usesSyntheticData)
    }

    func testHelpListsEveryOptionWithDefault() throws {
        XCTAssertEqual(try TrainOptions.parseCommandLine(["--ngf", "8", "--help"]), .help)
        let help = TrainOptions.helpText()
        for spec in trainOptionSpecs {
            XCTAssertTrue(help.contains("--" + spec.name), "help lacks --\(spec.name)")
        }
        // Wrapping may break a sentence anywhere, so compare with single spaces.
        let flowing = help.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        XCTAssertTrue(flowing.contains("--lr RATE initial Adam learning rate (default: 0.0002)"),
                      help)
        XCTAssertTrue(flowing.contains("(default: resnet_9blocks)"), help)
        XCTAssertTrue(flowing.contains("--no-flip do not flip"), help)
        for line in help.split(separator: "\n") {
            XCTAssertLessThanOrEqual(line.count, 100, "help line too wide: \(line)")
        }
    }

    func testOptionsFileMarksNonDefaults() throws {
        let options = try parse(["--ngf", "8", "--no-flip", "--name", "zebras"])
        let text = options.optionsFileText()
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "----------------- Options ---------------")
        XCTAssertEqual(lines.last, "----------------- End -------------------")
        XCTAssertEqual(lines.count, trainOptionSpecs.count + 2)
        let ngf = try XCTUnwrap(lines.first { $0.hasSuffix("[default: 64]") }, text)
        XCTAssertTrue(ngf.contains("ngf: 8"), ngf)
        let flip = try XCTUnwrap(lines.first { $0.contains("no-flip:") })
        XCTAssertTrue(flip.hasSuffix("\t[default: false]"), flip)
        let lr = try XCTUnwrap(lines.first { $0.contains(" lr: ") })
        XCTAssertEqual(lr, "                       lr: 0.0002", "defaults carry no mark")
        XCTAssertEqual(lines.filter { $0.contains("[default:") }.count, 3, text)
    }

    func testNonDefaultArgumentsRoundTrip() throws {
        let arguments = ["--ngf", "8", "--no-flip", "--lr", "0.001", "--max-iterations", "20"]
        let options = try parse(arguments)
        XCTAssertEqual(try parse(options.nonDefaultArguments()), options)
    }
}
