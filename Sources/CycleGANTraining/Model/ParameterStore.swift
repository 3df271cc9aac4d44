import CycleGANCompute

/// One named parameter tensor of a network: its state_dict key, its shape, and where its values
/// start in the flat tensors of its `ParameterStore`.
public struct ParameterSlot: Equatable {
    /// The key PyTorch's `state_dict()` gives this tensor, for example `model.1.weight`.
    public let key: String
    public let shape: TensorShape
    /// Element offset into the store's flat tensors.
    public let offset: Int
    /// Whether the tensor is a bias, which initialises to zero rather than N(0, 0.02).
    public let isBias: Bool
}

/// Hands out consecutive offsets to parameters while a network's layers are built, so every
/// parameter of the network sits in one contiguous range of a store.
struct ParameterAllocator {
    private(set) var offset: Int
    private(set) var slots: [ParameterSlot] = []

    init(startingAt offset: Int) {
        self.offset = offset
    }

    mutating func reserve(_ key: String, shape: TensorShape, isBias: Bool) -> ParameterSlot {
        let slot = ParameterSlot(key: key, shape: shape, offset: offset, isBias: isBias)
        slots.append(slot)
        offset += shape.count
        return slot
    }
}

/// The parameters of the networks one optimizer updates, with their gradients and Adam moments,
/// as four flat device tensors of equal length.
///
/// Each layer reads and writes views at its slots' offsets, so a single `adamUpdate` call
/// updates every parameter of the store, for example G_A and G_B together.
public final class ParameterStore {
    public let backend: ComputeBackend
    /// Number of scalar parameters.
    public let count: Int
    public let values: Tensor
    public let gradients: Tensor
    /// Adam's exp_avg.
    public let firstMoment: Tensor
    /// Adam's exp_avg_sq.
    public let secondMoment: Tensor
    /// Number of Adam steps taken so far; the next step uses `stepCount + 1` for bias
    /// correction, as PyTorch's per-parameter `step` state.
    public internal(set) var stepCount = 0

    /// Allocates the four tensors; gradients and moments start at zero, values are undefined
    /// until the networks initialise or load them.
    public init(backend: ComputeBackend, count: Int) throws {
        self.backend = backend
        self.count = count
        let shape = TensorShape([count])
        values = try backend.makeTensor(shape)
        gradients = try backend.makeTensor(shape)
        firstMoment = try backend.makeTensor(shape)
        secondMoment = try backend.makeTensor(shape)
        try backend.fill(values, with: 0)
        try backend.fill(gradients, with: 0)
        try backend.fill(firstMoment, with: 0)
        try backend.fill(secondMoment, with: 0)
    }

    /// Returns a view of one parameter's values.
    func value(_ slot: ParameterSlot) -> Tensor {
        values.view(at: slot.offset, shape: slot.shape)
    }

    /// Returns a view of one parameter's gradient.
    func gradient(_ slot: ParameterSlot) -> Tensor {
        gradients.view(at: slot.offset, shape: slot.shape)
    }

    public func zeroGradients() throws {
        try backend.fill(gradients, with: 0)
    }

    /// Takes one Adam step over every parameter of the store with the gradients accumulated
    /// since the last `zeroGradients()`.
    public func adamStep(learningRate: Float, beta1: Float, beta2: Float,
                         epsilon: Float) throws {
        let step = AdamStep(learningRate: learningRate, beta1: beta1, beta2: beta2,
                            epsilon: epsilon, step: stepCount + 1)
        try backend.adamUpdate(parameters: values, gradients: gradients,
                               firstMoment: firstMoment, secondMoment: secondMoment, step: step)
        stepCount += 1
    }
}
