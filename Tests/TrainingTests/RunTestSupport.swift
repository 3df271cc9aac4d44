import CycleGANCompute
@testable import CycleGANTraining
import Foundation
import XCTest

/// A stand-in model for run-loop tests: cheap, deterministic and stateful like the real one.
/// Each iteration mixes the batch, the learning rate and a saved random generator into its
/// weights, so any change in data order, learning rate, restored state or iteration count
/// changes the final weights. Its whole state travels in safetensors metadata.
final class ScriptedModel: TrainableModel {
    var learningRate: Float = 0
    private(set) var weights: [String: [Float]]
    private var random: SeededRandom
    private(set) var steps = 0
    private var lastA: (values: [Float], shape: TensorShape)?
    private var lastB: (values: [Float], shape: TensorShape)?
    /// Steps (1-based, counted over this object's life plus restored steps) whose losses are
    /// replaced by NaN, to test the non-finite stop.
    var nanAtStep: Int?
    /// Learning rate seen by each step, for schedule checks.
    private(set) var learningRates: [Float] = []

    init(seed: UInt64) {
        var generator = SeededRandom(seed: seed, stream: [7])
        var weights: [String: [Float]] = [:]
        for name in networkNames {
            weights[name] = (0..<6).map { _ in
                Float(generator.nextNormal(standardDeviation: 0.02))
            }
        }
        self.weights = weights
        random = generator
    }

    func optimizeParameters(realA: [Float], shapeA: TensorShape,
                            realB: [Float], shapeB: TensorShape) throws -> IterationLosses {
        steps += 1
        learningRates.append(learningRate)
        lastA = (realA, shapeA)
        lastB = (realB, shapeB)
        let meanA = realA.reduce(0, +) / Float(max(1, realA.count))
        let meanB = realB.reduce(0, +) / Float(max(1, realB.count))
        for (index, name) in networkNames.enumerated() {
            guard var values = weights[name] else { continue }
            for i in values.indices {
                let sample = realA[(i * 31 + index) % realA.count] - realB[(i * 17) % realB.count]
                let noise = Float(random.nextUniform() - 0.5) * 1e-3
                values[i] = values[i] * (1 - learningRate) + learningRate * sample + noise
            }
            weights[name] = values
        }
        var losses = IterationLosses()
        losses.dA = abs(meanA) + (weights["D_A"]?[0] ?? 0)
        losses.gA = abs(meanB) + (weights["G_A"]?[0] ?? 0)
        losses.cycleA = Float(steps) * 0.01
        if nanAtStep == steps {
            losses.gB = .nan
        }
        return losses
    }

    func visuals() throws -> [(label: String, values: [Float], shape: TensorShape)] {
        guard let lastA, let lastB else {
            throw ComputeError.shapeMismatch(op: "visuals", detail: "no iteration ran yet")
        }
        let (_, _, heightA, widthA) = lastA.shape.nchw
        let (_, _, heightB, widthB) = lastB.shape.nchw
        let imageA = Array(lastA.values.prefix(3 * heightA * widthA))
        let imageB = Array(lastB.values.prefix(3 * heightB * widthB))
        let shapeA = TensorShape(n: 1, c: 3, h: heightA, w: widthA)
        let shapeB = TensorShape(n: 1, c: 3, h: heightB, w: widthB)
        return [("real_A", imageA, shapeA), ("fake_B", imageA.map { -$0 }, shapeA),
                ("rec_A", imageA, shapeA), ("idt_B", imageB, shapeB),
                ("real_B", imageB, shapeB), ("fake_A", imageB.map { -$0 }, shapeB),
                ("rec_B", imageB, shapeB), ("idt_A", imageA, shapeA)]
    }

    @discardableResult
    func saveNetworks(to directory: URL, prefix: String,
                      extraMetadata: [String: String]) throws -> [URL] {
        try networkNames.map { name in
            let url = directory.appendingPathComponent("\(prefix)_net_\(name).safetensors")
            var metadata = extraMetadata
            metadata["weights"] = encode(weights[name] ?? [])
            try SafetensorsFile(tensors: [:], metadata: metadata).write(to: url)
            return url
        }
    }

    func loadNetworks(from directory: URL, prefix: String) throws {
        for name in networkNames {
            let url = directory.appendingPathComponent("\(prefix)_net_\(name).safetensors")
            let file = try SafetensorsFile.read(from: url)
            weights[name] = try decode(file.metadata["weights"], source: url)
        }
    }

    func trainingState() throws -> SafetensorsFile {
        SafetensorsFile(tensors: [:], metadata: [
            "scripted.random": random.state.map { String($0) }.joined(separator: ","),
            "scripted.steps": String(steps),
            "scripted.lr": String(learningRate.bitPattern),
        ])
    }

    func restoreTrainingState(_ state: SafetensorsFile) throws {
        let words = (state.metadata["scripted.random"] ?? "").split(separator: ",")
            .compactMap { UInt64($0) }
        guard let restored = SeededRandom(state: words),
              let steps = Int(state.metadata["scripted.steps"] ?? ""),
              let lr = UInt32(state.metadata["scripted.lr"] ?? "") else {
            throw ComputeError.shapeMismatch(op: "restore", detail: "bad scripted state")
        }
        random = restored
        self.steps = steps
        learningRate = Float(bitPattern: lr)
    }

    private func encode(_ values: [Float]) -> String {
        values.map { String($0.bitPattern, radix: 16) }.joined(separator: ",")
    }

    private func decode(_ text: String?, source: URL) throws -> [Float] {
        guard let text else {
            throw ComputeError.shapeMismatch(op: "load", detail: "\(source.path) has no weights")
        }
        return text.split(separator: ",").compactMap { UInt32($0, radix: 16) }
            .map { Float(bitPattern: $0) }
    }
}

/// Collects everything a run prints.
final class CapturingConsole: RunConsole {
    let isTerminal: Bool
    private let lock = NSLock()
    private var storedLines: [String] = []
    private var storedWarnings: [String] = []
    private(set) var progressCount = 0

    init(isTerminal: Bool = false) {
        self.isTerminal = isTerminal
    }

    var lines: [String] { lock.lock(); defer { lock.unlock() }; return storedLines }
    var warnings: [String] { lock.lock(); defer { lock.unlock() }; return storedWarnings }
    var text: String { lines.joined(separator: "\n") }

    func line(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        storedLines.append(text)
    }

    func warning(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        storedWarnings.append(text)
    }

    func progress(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        progressCount += 1
    }
}

/// A fresh folder under the system temporary folder, deleted when the test ends.
func makeTemporaryDirectory(_ testCase: XCTestCase, label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("cyclegan-\(label)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    testCase.addTeardownBlock {
        try? FileManager.default.removeItem(at: url)
    }
    return url
}

/// Tiny options on the synthetic dataset: 24-pixel crops, one residual block, 4 filters.
func tinyOptions(checkpointsDir: URL, name: String = "tiny") -> TrainOptions {
    var options = TrainOptions()
    options.checkpointsDir = checkpointsDir.path
    options.name = name
    options.backend = .cpu
    options.loadSize = 28
    options.cropSize = 24
    options.netG = "resnet_1blocks"
    options.ngf = 4
    options.ndf = 4
    options.nEpochs = 1
    options.nEpochsDecay = 1
    options.printFreq = 2
    options.displayFreq = 5
    options.saveLatestFreq = 7
    options.saveEpochFreq = 1
    options.poolSize = 4
    return options
}
