import CycleGANCompute

/// One network (a generator or a discriminator) whose parameters live in a contiguous range of a
/// `ParameterStore`, possibly shared with other networks of the same optimizer.
public final class Network {
    public let architecture: NetworkArchitecture
    /// The store holding this network's values, gradients and Adam moments.
    public let store: ParameterStore
    /// Element offset of the first parameter in the store.
    public let baseOffset: Int
    /// Number of scalar parameters.
    public let parameterCount: Int
    /// Every parameter in state_dict order.
    public let parameters: [ParameterSlot]
    private let layers: Sequential

    /// Builds the layers with parameters at `baseOffset` onward in `store`; the values stay as
    /// the store has them until `initializeWeights` or a load fills them.
    public init(architecture: NetworkArchitecture, store: ParameterStore, baseOffset: Int) throws {
        var allocator = ParameterAllocator(startingAt: baseOffset)
        layers = architecture.makeLayers(allocator: &allocator)
        guard allocator.offset <= store.count else {
            throw ModelError.invalidInput(
                layer: architecture.description,
                detail: "its \(allocator.offset - baseOffset) parameters at offset \(baseOffset) "
                    + "do not fit the store of \(store.count) values")
        }
        self.architecture = architecture
        self.store = store
        self.baseOffset = baseOffset
        self.parameterCount = allocator.offset - baseOffset
        self.parameters = allocator.slots
    }

    /// Builds a network with a store of its own, for inference.
    public convenience init(architecture: NetworkArchitecture, backend: ComputeBackend) throws {
        let store = try ParameterStore(backend: backend, count: architecture.parameterCount)
        try self.init(architecture: architecture, store: store, baseOffset: 0)
    }

    /// The network's values as one flat tensor.
    var values: Tensor {
        store.values.view(at: baseOffset, shape: TensorShape([parameterCount]))
    }

    /// The network's gradients as one flat tensor.
    var gradients: Tensor {
        store.gradients.view(at: baseOffset, shape: TensorShape([parameterCount]))
    }

    /// Sets weights from N(0, 0.02) and biases to 0, as the reference's init_weights with
    /// init_type normal and init_gain 0.02. Values are drawn on the host, in state_dict order,
    /// from `random`, then uploaded.
    public func initializeWeights(random: inout SeededRandom, standardDeviation: Double = 0.02)
        throws {
        var host = [Float](repeating: 0, count: parameterCount)
        for slot in parameters where !slot.isBias {
            let start = slot.offset - baseOffset
            for index in start..<(start + slot.shape.count) {
                host[index] = Float(random.nextNormal(standardDeviation: standardDeviation))
            }
        }
        try store.backend.write(host, to: values)
    }

    // MARK: - Forward and backward

    /// Runs the network on an NCHW batch and returns the output with what a later `backward`
    /// of this call needs.
    func forward(_ input: Tensor) throws -> (output: Tensor, record: ForwardRecord) {
        try requireChannels(input, NetworkArchitecture.imageChannels,
                            layer: architecture.description)
        return try layers.forward(input, store: store)
    }

    /// Backpropagates `gradOutput` through the call that made `record`.
    ///
    /// Parameter gradients are added to the store's gradients when `accumulatesParameterGradients`
    /// is set. Without it they are skipped, as for the discriminators during the generator step,
    /// where the reference sets requires_grad False on them. Returns the input gradient when
    /// `needsInputGradient` is set.
    func backward(_ gradOutput: Tensor, record: ForwardRecord, needsInputGradient: Bool,
                  accumulatesParameterGradients: Bool) throws -> Tensor? {
        try layers.backward(gradOutput, record: record, store: store,
                            needsInputGradient: needsInputGradient,
                            accumulatesParameterGradients: accumulatesParameterGradients)
    }

    /// Runs the network for inference, keeping no activations for a backward pass.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try requireChannels(input, NetworkArchitecture.imageChannels,
                            layer: architecture.description)
        return try layers.forward(input, store: store, recording: false).output
    }

    /// Runs the network on host values, NCHW `[N, 3, H, W]` in [-1, 1] for a generator, and
    /// returns the output values with their shape.
    public func apply(to values: [Float], shape: TensorShape) throws
        -> (values: [Float], shape: TensorShape) {
        let input = try store.backend.makeTensor(shape)
        try store.backend.write(values, to: input)
        let output = try self(input)
        return (try store.backend.read(output), output.shape)
    }
}
