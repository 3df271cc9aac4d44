import CycleGANCompute

/// Activations one layer keeps from one forward call for the backward pass of that call.
///
/// A network can run several times before its backward passes (G_A runs on real A, on fake A
/// and on real B in one iteration), so saved activations belong to the call, never the layer.
enum SavedActivations {
    /// Nothing but the input shape (reflection padding).
    case inputShape(TensorShape)
    /// The input, for weight gradients and the input-gradient shape (convolutions).
    case input(Tensor)
    /// The output, from which the derivative follows (activations).
    case output(Tensor)
    /// The normalized output and the per-plane 1 / std (instance normalization).
    case normalized(output: Tensor, invStd: Tensor)
    /// The records of a nested sequence of layers (residual block).
    case nested(ForwardRecord)
}

/// The saved activations of one forward call of a layer sequence, in layer order.
///
/// `backward` pops entries as it goes, so buffers return to the backend's pool while the
/// backward pass runs. A record therefore serves exactly one backward pass.
final class ForwardRecord {
    fileprivate var entries: [SavedActivations] = []
}

/// One layer of a network. Forward computes the output and what its backward pass needs.
/// Backward returns the input gradient and accumulates parameter gradients into the store.
protocol Layer {
    /// Name used in error messages, the state_dict prefix where the layer has parameters.
    var name: String { get }
    var hasParameters: Bool { get }
    func forward(_ input: Tensor, store: ParameterStore) throws
        -> (output: Tensor, saved: SavedActivations)
    /// Returns the gradient with respect to the input when `needsInputGradient` is set, and nil
    /// otherwise. Parameter gradients are added to the store's gradients (never overwritten)
    /// when `accumulatesParameterGradients` is set, so every call of a network sums.
    func backward(_ gradOutput: Tensor, saved: SavedActivations, store: ParameterStore,
                  needsInputGradient: Bool, accumulatesParameterGradients: Bool) throws
        -> Tensor?
}

/// A layer sequence, PyTorch's nn.Sequential: layer `i` is `model.i` in state_dict keys.
struct Sequential {
    let layers: [Layer]

    var hasParameters: Bool { layers.contains { $0.hasParameters } }

    /// Runs every layer. Without `recording` each layer's saved activations are dropped as soon
    /// as the next layer has run, and the returned record is empty.
    func forward(_ input: Tensor, store: ParameterStore, recording: Bool = true) throws
        -> (output: Tensor, record: ForwardRecord) {
        let record = ForwardRecord()
        var current = input
        for layer in layers {
            let (output, saved) = try layer.forward(current, store: store)
            if recording {
                record.entries.append(saved)
            }
            current = output
        }
        return (current, record)
    }

    /// Runs the backward pass of the call `record` was made by. Layers before the first one
    /// with parameters skip their input gradient unless the caller needs it.
    func backward(_ gradOutput: Tensor, record: ForwardRecord, store: ParameterStore,
                  needsInputGradient: Bool, accumulatesParameterGradients: Bool) throws
        -> Tensor? {
        guard record.entries.count == layers.count else {
            throw ModelError.invalidInput(
                layer: layers.first?.name ?? "empty network",
                detail: "the forward record holds \(record.entries.count) of \(layers.count) "
                    + "layers; each forward call supports exactly one backward pass")
        }
        let firstWithParameters = layers.firstIndex { $0.hasParameters } ?? layers.count
        var gradient: Tensor? = gradOutput
        for index in layers.indices.reversed() {
            guard let currentGradient = gradient, let saved = record.entries.popLast() else {
                break
            }
            let inputGradientUsed = needsInputGradient
                || (accumulatesParameterGradients && index > firstWithParameters)
            gradient = try layers[index].backward(
                currentGradient, saved: saved, store: store,
                needsInputGradient: inputGradientUsed,
                accumulatesParameterGradients: accumulatesParameterGradients)
        }
        record.entries.removeAll()
        return needsInputGradient ? gradient : nil
    }
}

/// Message for a saved-activations entry of the wrong kind, which means a record was passed to
/// another network than the one whose forward call made it.
let recordMismatch = "the forward record was made by another layer; pass each network the "
    + "record its own forward call returned"

/// Throws unless `tensor` is NCHW with `channels` channels.
func requireChannels(_ tensor: Tensor, _ channels: Int, layer: String) throws {
    guard tensor.shape.rank == 4, tensor.shape.dimensions[1] == channels else {
        throw ModelError.invalidInput(
            layer: layer, detail: "expected an NCHW tensor with \(channels) channels, got "
                + "\(tensor.shape)")
    }
}

/// A residual block: output = input + body(input), with no activation after the sum.
struct ResidualBlock: Layer {
    let name: String
    let body: Sequential

    var hasParameters: Bool { body.hasParameters }

    func forward(_ input: Tensor, store: ParameterStore) throws
        -> (output: Tensor, saved: SavedActivations) {
        let (bodyOutput, record) = try body.forward(input, store: store)
        guard bodyOutput.shape == input.shape else {
            throw ModelError.invalidInput(
                layer: name, detail: "the block maps \(input.shape) to \(bodyOutput.shape), so "
                    + "the residual sum is undefined")
        }
        let output = try store.backend.makeTensor(input.shape)
        try store.backend.add(input, bodyOutput, output: output)
        return (output, .nested(record))
    }

    func backward(_ gradOutput: Tensor, saved: SavedActivations, store: ParameterStore,
                  needsInputGradient: Bool, accumulatesParameterGradients: Bool) throws
        -> Tensor? {
        guard case let .nested(record) = saved else {
            throw ModelError.invalidInput(layer: name, detail: recordMismatch)
        }
        let bodyGradient = try body.backward(
            gradOutput, record: record, store: store, needsInputGradient: needsInputGradient,
            accumulatesParameterGradients: accumulatesParameterGradients)
        guard let inputGradient = bodyGradient else { return nil }
        try store.backend.accumulate(gradOutput, scaledBy: 1, into: inputGradient)
        return inputGradient
    }
}

/// PyTorch ReflectionPad2d.
struct ReflectionPadLayer: Layer {
    let name: String
    let padding: Int

    var hasParameters: Bool { false }

    func forward(_ input: Tensor, store: ParameterStore) throws
        -> (output: Tensor, saved: SavedActivations) {
        let (n, c, h, w) = input.shape.nchw
        guard input.shape.rank == 4, padding < h, padding < w else {
            throw ModelError.invalidInput(
                layer: name, detail: "reflection padding of \(padding) needs an NCHW input "
                    + "larger than \(padding) pixels on each side, got \(input.shape); use "
                    + "larger images")
        }
        let output = try store.backend.makeTensor(
            TensorShape(n: n, c: c, h: h + 2 * padding, w: w + 2 * padding))
        try store.backend.reflectionPad2dForward(input: input, output: output, padding: padding)
        return (output, .inputShape(input.shape))
    }

    func backward(_ gradOutput: Tensor, saved: SavedActivations, store: ParameterStore,
                  needsInputGradient: Bool, accumulatesParameterGradients: Bool) throws
        -> Tensor? {
        guard needsInputGradient else { return nil }
        guard case let .inputShape(shape) = saved else {
            throw ModelError.invalidInput(layer: name, detail: recordMismatch)
        }
        let gradInput = try store.backend.makeTensor(shape)
        try store.backend.reflectionPad2dBackward(gradOutput: gradOutput, gradInput: gradInput,
                                                  padding: padding)
        return gradInput
    }
}

/// PyTorch InstanceNorm2d with its defaults: no affine parameters, no running statistics.
struct InstanceNormLayer: Layer {
    let name: String
    let epsilon: Float = 1e-5

    var hasParameters: Bool { false }

    func forward(_ input: Tensor, store: ParameterStore) throws
        -> (output: Tensor, saved: SavedActivations) {
        let (n, c, _, _) = input.shape.nchw
        let output = try store.backend.makeTensor(input.shape)
        let invStd = try store.backend.makeTensor(TensorShape([n * c]))
        try store.backend.instanceNormForward(input: input, output: output, invStd: invStd,
                                              epsilon: epsilon)
        return (output, .normalized(output: output, invStd: invStd))
    }

    func backward(_ gradOutput: Tensor, saved: SavedActivations, store: ParameterStore,
                  needsInputGradient: Bool, accumulatesParameterGradients: Bool) throws
        -> Tensor? {
        guard needsInputGradient else { return nil }
        guard case let .normalized(output, invStd) = saved else {
            throw ModelError.invalidInput(layer: name, detail: recordMismatch)
        }
        let gradInput = try store.backend.makeTensor(output.shape)
        try store.backend.instanceNormBackward(gradOutput: gradOutput, output: output,
                                               invStd: invStd, gradInput: gradInput)
        return gradInput
    }
}

/// ReLU, LeakyReLU or Tanh.
struct ActivationLayer: Layer {
    let name: String
    let activation: Activation

    var hasParameters: Bool { false }

    func forward(_ input: Tensor, store: ParameterStore) throws
        -> (output: Tensor, saved: SavedActivations) {
        let output = try store.backend.makeTensor(input.shape)
        try store.backend.activationForward(activation, input: input, output: output)
        return (output, .output(output))
    }

    func backward(_ gradOutput: Tensor, saved: SavedActivations, store: ParameterStore,
                  needsInputGradient: Bool, accumulatesParameterGradients: Bool) throws
        -> Tensor? {
        guard needsInputGradient else { return nil }
        guard case let .output(output) = saved else {
            throw ModelError.invalidInput(layer: name, detail: recordMismatch)
        }
        let gradInput = try store.backend.makeTensor(output.shape)
        try store.backend.activationBackward(activation, output: output, gradOutput: gradOutput,
                                             gradInput: gradInput)
        return gradInput
    }
}
