import CycleGANCompute
import Foundation
import XCTest

@testable import CycleGANTraining

/// One iteration against PyTorch: ModelPyTorchFixture.swift contains what tools/pytorch_parity.py
/// computed with torch from the networks and images `testExportParityInputs` writes.
///
/// To regenerate after a change to weight initialisation or to these options:
///     CYCLEGAN_PARITY_EXPORT=/tmp/parity swift test --filter testExportParityInputs
///     python3 tools/pytorch_parity.py losses /tmp/parity
final class ModelPyTorchParityTests: XCTestCase {
    private enum Tolerances {
        /// PyTorch's fp32 kernels sum in another order than the CPU backend's Double sums.
        static let losses = Tolerance(absolute: 1e-6, relative: 5e-5,
                                      reason: "fp32 networks, summation order differs")
        /// Gradients sum over every pixel and pass two generators and a discriminator. Their
        /// errors scale with the size of the key's gradient, so the absolute part is relative to
        /// its norm.
        static func gradients(norm: Double) -> Tolerance {
            Tolerance(absolute: 2e-5 * norm + 1e-7, relative: 1e-3,
                      reason: "fp32 backward passes, summation order differs")
        }
        /// The gradient of a bias followed by instance normalization is zero; PyTorch's fp32
        /// rounding leaves up to about 5e-6 of it (ours stays below 2e-7).
        static let zeroGradients = Tolerance(absolute: 1e-5, relative: 0,
                                             reason: "zero up to fp32 rounding on both sides")
        /// Adam's first step moves each value by lr * g / (|g| + eps), about lr * sign(g).
        static let values = Tolerance(absolute: 2e-6, relative: 1e-5,
                                      reason: "Adam's first step is lr * sign(g) up to eps")
        /// Biases followed by instance normalization have a zero gradient up to rounding, so
        /// the sign of their first Adam step is noise on both sides.
        static func biasBeforeNormalization(learningRate: Float) -> Tolerance {
            Tolerance(absolute: 2.01 * Double(learningRate), relative: 0,
                      reason: "zero gradient up to rounding, Adam step sign is noise")
        }
    }

    private let shape = TensorShape(n: 2, c: 3, h: 32, w: 36)

    private func options() -> TrainOptions {
        var options = tinyOptions(ngf: 4, blocks: 1, seed: 61)
        options.lambdaB = 7
        options.lambdaIdentity = 0.5
        return options
    }

    private func inputs() -> (a: [Float], b: [Float]) {
        (randomImages(shape, seed: 62), randomImages(shape, seed: 63))
    }

    func testExportParityInputs() throws {
        guard let path = ProcessInfo.processInfo.environment["CYCLEGAN_PARITY_EXPORT"] else {
            throw XCTSkip("set CYCLEGAN_PARITY_EXPORT=FOLDER to write the PyTorch parity inputs")
        }
        let folder = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let options = options()
        let model = try CycleGANModel(backend: CPUBackend(), options: options)
        try model.saveNetworks(to: folder, prefix: "parity")
        let (a, b) = inputs()
        let file = SafetensorsFile(
            tensors: ["real_A": StoredTensor(shape: shape, values: a),
                      "real_B": StoredTensor(shape: shape, values: b)],
            metadata: ["ngf": String(options.ngf), "ndf": String(options.ndf),
                       "n_blocks": String(options.residualBlocks ?? 0),
                       "seed": String(options.seed), "lambda_A": "\(options.lambdaA)",
                       "lambda_B": "\(options.lambdaB)",
                       "lambda_identity": "\(options.lambdaIdentity)",
                       "gan_mode": options.ganMode.rawValue, "lr": "\(options.lr)",
                       "beta1": "\(options.beta1)"])
        try file.write(to: folder.appendingPathComponent("parity_inputs.safetensors"))
        print("wrote the parity inputs to \(folder.path)")
    }

    func testIterationMatchesPyTorch() throws {
        let fixture = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(modelPyTorchIterationFixture.utf8)) as? [String: Any])
        let options = options()
        let fixtureOptions = try XCTUnwrap(fixture["options"] as? [String: String])
        XCTAssertEqual(fixtureOptions["seed"], String(options.seed),
                       "the fixture is stale; regenerate it as the class comment says")
        XCTAssertEqual(fixtureOptions["lambda_B"], "\(options.lambdaB)")

        let model = try CycleGANModel(backend: CPUBackend(), options: options)
        let (a, b) = inputs()
        let losses = try model.optimizeParameters(realA: a, shapeA: shape, realB: b,
                                                  shapeB: shape)
        let expectedLosses = try XCTUnwrap(fixture["losses"] as? [String: Double])
        assertClose(losses.named.map { Double($0.value) },
                    losses.named.map { expectedLosses[$0.name] ?? .nan }, Tolerances.losses,
                    "losses \(losses.named.map(\.name))")

        let networks = try XCTUnwrap(fixture["networks"] as? [String: [String: [String: Any]]])
        for (role, network) in model.networksByRole {
            let expected = try XCTUnwrap(networks[role], role)
            let gradients = try model.backend.read(network.gradients)
            let values = try model.backend.read(network.values)
            let noisyBiases = biasesBeforeNormalization(network)
            var maxGradientError = (error: 0.0, key: "")
            var maxValueError = (error: 0.0, key: "")
            for slot in network.parameters {
                let entry = try XCTUnwrap(expected[slot.key], "\(role) \(slot.key)")
                let indices = try XCTUnwrap(entry["indices"] as? [Int])
                let norm = try XCTUnwrap(entry["gradient_norm"] as? Double)
                let start = slot.offset - network.baseOffset
                let label = "\(role) \(slot.key) at \(indices)"
                let isNoise = noisyBiases.contains(slot.key)
                let gradientError = assertClose(
                    indices.map { Double(gradients[start + $0]) },
                    try XCTUnwrap(entry["gradients"] as? [Double]),
                    isNoise ? Tolerances.zeroGradients : Tolerances.gradients(norm: norm),
                    label + " gradient", printsSummary: false)
                if gradientError > maxGradientError.error {
                    maxGradientError = (gradientError, slot.key)
                }
                let valueTolerance = isNoise
                    ? Tolerances.biasBeforeNormalization(learningRate: options.lr)
                    : Tolerances.values
                let valueError = assertClose(
                    indices.map { Double(values[start + $0]) },
                    try XCTUnwrap(entry["values"] as? [Double]), valueTolerance,
                    label + " updated value", printsSummary: false)
                if !isNoise && valueError > maxValueError.error {
                    maxValueError = (valueError, slot.key)
                }
            }
            print("\(role): max gradient error \(maxGradientError.error) in "
                + "\(maxGradientError.key), max updated-value error \(maxValueError.error) in "
                + "\(maxValueError.key) (biases before normalization excluded)")
        }
    }

    /// Keys of biases whose convolution feeds an instance normalization.
    private func biasesBeforeNormalization(_ network: Network) -> Set<String> {
        let biases = network.parameters.filter(\.isBias).map(\.key)
        switch network.architecture {
        case .resnetGenerator:
            return Set(biases.dropLast())
        case .patchGANDiscriminator:
            return Set(biases.dropFirst().dropLast())
        }
    }
}
