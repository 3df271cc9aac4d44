import CycleGANCompute
import Foundation

/// Saving and restoring the networks and the rest of the training state, so a resumed run
/// continues exactly where it stopped.
extension CycleGANModel {
    /// Value of the `format` metadata field of training-state files.
    public static let trainingStateFormat = "cyclegan-training-state"
    /// Value of the `format_version` metadata field written by this version.
    public static let trainingStateFormatVersion = "1"

    /// The networks with their reference roles, in the order they are saved.
    public var networksByRole: [(role: String, network: Network)] {
        [("G_A", generatorA), ("G_B", generatorB), ("D_A", discriminatorA),
         ("D_B", discriminatorB)]
    }

    /// Returns the file name a network is saved to: `<prefix>_net_<role>.safetensors`, as the reference
    /// names `<prefix>_net_<role>.pth`.
    public static func networkFileName(prefix: String, role: String) -> String {
        "\(prefix)_net_\(role).safetensors"
    }

    /// Writes <prefix>_net_G_A.safetensors, _G_B, _D_A, _D_B into `directory`, each atomically,
    /// tensor names = the reference state_dict keys, architecture options and the role in the
    /// metadata (plus `extraMetadata`). Returns the URLs written.
    @discardableResult
    public func saveNetworks(to directory: URL, prefix: String,
                             extraMetadata: [String: String] = [:]) throws -> [URL] {
        try networksByRole.map { role, network in
            let url = directory.appendingPathComponent(
                CycleGANModel.networkFileName(prefix: prefix, role: role))
            try network.save(to: url, role: role, extraMetadata: extraMetadata)
            return url
        }
    }

    /// Loads the four networks saved with `prefix`; throws naming the file and the tensor when a
    /// name or shape does not match, or when a file's `role` metadata names another network.
    public func loadNetworks(from directory: URL, prefix: String) throws {
        for (role, network) in networksByRole {
            let url = directory.appendingPathComponent(
                CycleGANModel.networkFileName(prefix: prefix, role: role))
            let file = try SafetensorsFile.read(from: url)
            if let savedRole = file.metadata["role"], savedRole != role {
                throw ModelError.invalidMetadata(
                    file: url.path, key: "role", detail: "is \(savedRole), but the file is "
                        + "loaded as \(role); the file was renamed or copied over another")
            }
            try network.loadStateDict(file.tensors, file: url.path)
        }
    }

    /// Everything else an exact resume needs: both Adam states (m, v, step count), the two image
    /// pools with their contents, the pool random-generator state, the learning rate.
    ///
    /// Tensors: `optimizer_G.exp_avg`, `optimizer_G.exp_avg_sq` (flat, G_A then G_B),
    /// `optimizer_D.*` likewise, and `fake_A_pool.<i>`, `fake_B_pool.<i>` (`[1, 3, H, W]`).
    /// Metadata contains the step counts, pool counts, generator state and learning rate as text
    /// that round-trips exactly.
    public func trainingState() throws -> SafetensorsFile {
        var state = SafetensorsFile()
        state.metadata = [
            "format": CycleGANModel.trainingStateFormat,
            "format_version": CycleGANModel.trainingStateFormatVersion,
            "netG": options.netG, "ngf": String(options.ngf), "ndf": String(options.ndf),
            "pool_size": String(options.poolSize),
            "learning_rate": learningRate.description,
            "pool_random_state": poolRandom.state.map(String.init).joined(separator: ","),
        ]
        for (name, store) in optimizerStores {
            state.tensors[name + ".exp_avg"] = StoredTensor(
                shape: store.firstMoment.shape, values: try backend.read(store.firstMoment))
            state.tensors[name + ".exp_avg_sq"] = StoredTensor(
                shape: store.secondMoment.shape, values: try backend.read(store.secondMoment))
            state.metadata[name + ".step"] = String(store.stepCount)
        }
        for (name, pool) in pools {
            state.metadata[name + ".count"] = String(pool.count)
            for (index, image) in pool.images.enumerated() {
                state.tensors["\(name).\(index)"] = StoredTensor(
                    shape: image.shape, values: try backend.read(image))
            }
        }
        return state
    }

    /// Restores what `trainingState()` saved. The state must come from a model with the same
    /// networks and pool size; `loadNetworks` restores the weights.
    public func restoreTrainingState(_ state: SafetensorsFile) throws {
        let file = "training state"
        func metadata(_ key: String) throws -> String {
            guard let value = state.metadata[key] else {
                throw ModelError.invalidMetadata(file: file, key: key, detail: "is missing")
            }
            return value
        }
        func integer(_ key: String) throws -> Int {
            guard let value = Int(try metadata(key)), value >= 0 else {
                throw ModelError.invalidMetadata(file: file, key: key,
                                                 detail: "must be an integer >= 0")
            }
            return value
        }

        guard try metadata("format") == CycleGANModel.trainingStateFormat else {
            throw ModelError.invalidMetadata(
                file: file, key: "format", detail: "is not \(CycleGANModel.trainingStateFormat)")
        }
        for (key, expected) in [("netG", options.netG), ("ngf", String(options.ngf)),
                                ("ndf", String(options.ndf)),
                                ("pool_size", String(options.poolSize))]
        where try metadata(key) != expected {
            throw ModelError.invalidMetadata(
                file: file, key: key, detail: "is \(try metadata(key)) but this run uses "
                    + "\(expected); resume with the options the run was started with")
        }
        guard let rate = Float(try metadata("learning_rate")) else {
            throw ModelError.invalidMetadata(file: file, key: "learning_rate",
                                             detail: "is not a number")
        }
        let words = try metadata("pool_random_state").split(separator: ",")
            .compactMap { UInt64($0) }
        guard let random = SeededRandom(state: words) else {
            throw ModelError.invalidMetadata(
                file: file, key: "pool_random_state",
                detail: "must be four comma-separated unsigned integers, not all zero")
        }

        // Read and check every tensor before changing anything.
        var moments: [(store: ParameterStore, first: [Float], second: [Float], step: Int)] = []
        for (name, store) in optimizerStores {
            let first = try tensor(name + ".exp_avg", in: state, shape: store.firstMoment.shape)
            let second = try tensor(name + ".exp_avg_sq", in: state,
                                    shape: store.secondMoment.shape)
            moments.append((store, first.values, second.values, try integer(name + ".step")))
        }
        var poolImages: [(pool: ImagePool, images: [StoredTensor])] = []
        for (name, pool) in pools {
            let count = try integer(name + ".count")
            let images = try (0..<count).map { index in
                try tensor("\(name).\(index)", in: state, shape: nil)
            }
            poolImages.append((pool, images))
        }

        for (store, first, second, step) in moments {
            try backend.write(first, to: store.firstMoment)
            try backend.write(second, to: store.secondMoment)
            store.stepCount = step
        }
        for (pool, images) in poolImages {
            try pool.restore(images: try images.map { image in
                let tensor = try backend.makeTensor(image.shape)
                try backend.write(image.values, to: tensor)
                return tensor
            })
        }
        poolRandom = random
        learningRate = rate
    }

    private var optimizerStores: [(name: String, store: ParameterStore)] {
        [("optimizer_G", generatorStore), ("optimizer_D", discriminatorStore)]
    }

    private var pools: [(name: String, pool: ImagePool)] {
        [("fake_A_pool", fakeAPool), ("fake_B_pool", fakeBPool)]
    }

    private func tensor(_ name: String, in state: SafetensorsFile,
                        shape: TensorShape?) throws -> StoredTensor {
        guard let tensor = state.tensors[name] else {
            throw ModelError.checkpointMismatch(file: "training state", tensor: name,
                                                detail: "it is missing")
        }
        if let shape, tensor.shape != shape {
            throw ModelError.checkpointMismatch(
                file: "training state", tensor: name, detail: "its shape is \(tensor.shape) but "
                    + "this model needs \(shape); resume with the options the run was started "
                    + "with")
        }
        return tensor
    }
}
