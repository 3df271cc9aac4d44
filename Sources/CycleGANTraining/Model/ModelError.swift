import CycleGANCompute

/// Errors raised while building, running, saving or loading the CycleGAN networks. Each message
/// names the failing value and what to do about it.
public enum ModelError: Error, CustomStringConvertible {
    /// An option has a value the model cannot build.
    case invalidOption(name: String, value: String, accepted: String)
    /// An input tensor does not fit the network.
    case invalidInput(layer: String, detail: String)
    /// A checkpoint file does not match the network it is loaded into.
    case checkpointMismatch(file: String, tensor: String, detail: String)
    /// A checkpoint's metadata is missing a field or contains an invalid value.
    case invalidMetadata(file: String, key: String, detail: String)

    public var description: String {
        switch self {
        case let .invalidOption(name, value, accepted):
            return "invalid value '\(value)' for option \(name); accepted: \(accepted)"
        case let .invalidInput(layer, detail):
            return "[\(layer)] invalid input: \(detail)"
        case let .checkpointMismatch(file, tensor, detail):
            return "\(file): tensor '\(tensor)' does not match the network: \(detail)"
        case let .invalidMetadata(file, key, detail):
            return "\(file): metadata '\(key)' \(detail)"
        }
    }
}
