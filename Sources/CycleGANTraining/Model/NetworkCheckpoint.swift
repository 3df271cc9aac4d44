import CycleGANCompute
import Foundation

/// Network files: safetensors with the reference's state_dict keys as tensor names and the
/// architecture in the metadata, so a file loads without the training options.
extension Network {
    /// Value of the `format` metadata field of network files.
    public static let fileFormat = "cyclegan-network"
    /// Value of the `format_version` metadata field written by this version.
    public static let fileFormatVersion = "1"

    /// Metadata describing the architecture, with the reference's option names.
    public var architectureMetadata: [String: String] {
        var metadata = ["format": Network.fileFormat, "format_version": Network.fileFormatVersion,
                        "input_nc": "3", "output_nc": "3", "norm": "instance"]
        switch architecture {
        case let .resnetGenerator(ngf, blocks):
            metadata["netG"] = "resnet_\(blocks)blocks"
            metadata["ngf"] = String(ngf)
            metadata["n_blocks"] = String(blocks)
        case let .patchGANDiscriminator(ndf, layers):
            metadata["netD"] = layers == 3 ? "basic" : "n_layers"
            metadata["ndf"] = String(ndf)
            metadata["n_layers_D"] = String(layers)
        }
        return metadata
    }

    /// Reads every parameter back with one transfer, under its state_dict key.
    public func stateDict() throws -> [String: StoredTensor] {
        let host = try store.backend.read(values)
        var tensors: [String: StoredTensor] = [:]
        for slot in parameters {
            let start = slot.offset - baseOffset
            tensors[slot.key] = StoredTensor(
                shape: slot.shape, values: Array(host[start..<(start + slot.shape.count)]))
        }
        return tensors
    }

    /// Writes the network to `url` atomically. `role` (for example G_A) and `extraMetadata`
    /// join the architecture metadata; the architecture fields win on a clash.
    public func save(to url: URL, role: String, extraMetadata: [String: String] = [:]) throws {
        var metadata = extraMetadata
        metadata["role"] = role
        metadata.merge(architectureMetadata) { _, architectureValue in architectureValue }
        try SafetensorsFile(tensors: try stateDict(), metadata: metadata).write(to: url)
    }

    /// Replaces the values with `tensors`, which must hold exactly this network's keys and
    /// shapes, as PyTorch's strict load_state_dict. `file` names the source in errors.
    public func loadStateDict(_ tensors: [String: StoredTensor], file: String) throws {
        var host = [Float](repeating: 0, count: parameterCount)
        for slot in parameters {
            guard let tensor = tensors[slot.key] else {
                throw ModelError.checkpointMismatch(
                    file: file, tensor: slot.key, detail: "it is missing, so the file holds "
                        + "another architecture than \(architecture); its tensors are "
                        + summarizeKeys(tensors.keys))
            }
            guard tensor.shape == slot.shape, tensor.values.count == slot.shape.count else {
                throw ModelError.checkpointMismatch(
                    file: file, tensor: slot.key, detail: "its shape is \(tensor.shape) but "
                        + "\(architecture) expects \(slot.shape)")
            }
            let start = slot.offset - baseOffset
            host.replaceSubrange(start..<(start + slot.shape.count), with: tensor.values)
        }
        let expected = Set(parameters.map(\.key))
        if let unexpected = tensors.keys.sorted().first(where: { !expected.contains($0) }) {
            throw ModelError.checkpointMismatch(
                file: file, tensor: unexpected, detail: "\(architecture) has no such parameter, "
                    + "so the file holds another architecture")
        }
        try store.backend.write(host, to: values)
    }

    /// Loads weights saved for this architecture from `url`.
    public func load(from url: URL) throws {
        try loadStateDict(try SafetensorsFile.read(from: url).tensors, file: url.path)
    }

    /// Builds a network from a file alone: the architecture comes from its metadata, or from the
    /// tensor names and shapes when the metadata lacks it (a file converted from PyTorch).
    public static func load(from url: URL, backend: ComputeBackend) throws -> Network {
        let file = try SafetensorsFile.read(from: url)
        let network = try Network(architecture: try architecture(of: file, path: url.path),
                                  backend: backend)
        try network.loadStateDict(file.tensors, file: url.path)
        return network
    }

    /// Returns the architecture a network file describes; `path` names the file in errors.
    public static func architecture(of file: SafetensorsFile, path: String) throws
        -> NetworkArchitecture {
        func integer(_ key: String) throws -> Int {
            guard let text = file.metadata[key], let value = Int(text), value >= 1 else {
                throw ModelError.invalidMetadata(file: path, key: key,
                                                 detail: "must be an integer >= 1")
            }
            return value
        }

        if let format = file.metadata["format"], format != fileFormat {
            throw ModelError.invalidMetadata(
                file: path, key: "format", detail: "is '\(format)', not '\(fileFormat)'; the "
                    + "file is not a network file")
        }
        if let netG = file.metadata["netG"] {
            return try NetworkArchitecture.generator(netG: netG, ngf: try integer("ngf"))
        }
        if file.metadata["netD"] != nil {
            return .patchGANDiscriminator(ndf: try integer("ndf"),
                                          layers: try integer("n_layers_D"))
        }
        return try inferArchitecture(from: file.tensors, path: path)
    }

    /// Recognizes the two architectures from their state_dict keys: a generator has residual
    /// blocks (`model.<i>.conv_block.1.weight`), a discriminator has none.
    private static func inferArchitecture(from tensors: [String: StoredTensor], path: String)
        throws -> NetworkArchitecture {
        let blocks = tensors.keys.filter { $0.hasSuffix(".conv_block.1.weight") }.count
        if blocks > 0, let stem = tensors["model.1.weight"], stem.shape.rank == 4 {
            return .resnetGenerator(ngf: stem.shape.dimensions[0], residualBlocks: blocks)
        }
        let convolutions = tensors.keys.filter { $0.hasSuffix(".weight") }.count
        if blocks == 0, let first = tensors["model.0.weight"], first.shape.rank == 4,
           convolutions >= 3 {
            return .patchGANDiscriminator(ndf: first.shape.dimensions[0],
                                          layers: convolutions - 2)
        }
        throw ModelError.invalidMetadata(
            file: path, key: "netG",
            detail: "is missing and the tensor names match neither a ResNet generator nor a "
                + "PatchGAN discriminator; they are " + summarizeKeys(tensors.keys))
    }
}

/// Lists the first few names of a key set, for error messages.
private func summarizeKeys<Keys: Collection>(_ keys: Keys) -> String where Keys.Element == String {
    let sorted = keys.sorted()
    let shown = sorted.prefix(6).joined(separator: ", ")
    return sorted.count > 6 ? "\(shown) and \(sorted.count - 6) more" : (shown.isEmpty
        ? "none" : shown)
}
