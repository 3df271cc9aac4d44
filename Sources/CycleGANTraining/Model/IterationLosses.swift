/// Losses of one iteration, named as the reference's loss_names
/// ['D_A', 'G_A', 'cycle_A', 'idt_A', 'D_B', 'G_B', 'cycle_B', 'idt_B'].
///
/// Values are the weighted terms the reference prints: cycle losses include lambda_A or
/// lambda_B, identity losses include lambda_identity and the other domain's lambda, and each
/// discriminator loss is half the sum of its real and fake terms.
public struct IterationLosses: Equatable {
    /// D_A, which judges domain B: 0.5 (GAN(D_A(real_B), real) + GAN(D_A(pooled fake_B), fake)).
    public var dA: Float = 0
    /// GAN(D_A(G_A(real_A)), real).
    public var gA: Float = 0
    /// lambda_A * L1(G_B(G_A(real_A)), real_A).
    public var cycleA: Float = 0
    /// lambda_B * lambda_identity * L1(G_A(real_B), real_B).
    public var idtA: Float = 0
    /// D_B, which judges domain A.
    public var dB: Float = 0
    public var gB: Float = 0
    public var cycleB: Float = 0
    public var idtB: Float = 0

    public init() {}

    public init(dA: Float, gA: Float, cycleA: Float, idtA: Float, dB: Float, gB: Float,
                cycleB: Float, idtB: Float) {
        self.dA = dA
        self.gA = gA
        self.cycleA = cycleA
        self.idtA = idtA
        self.dB = dB
        self.gB = gB
        self.cycleB = cycleB
        self.idtB = idtB
    }

    /// (reference name, value) pairs in the reference's order.
    public var named: [(name: String, value: Float)] {
        [("D_A", dA), ("G_A", gA), ("cycle_A", cycleA), ("idt_A", idtA),
         ("D_B", dB), ("G_B", gB), ("cycle_B", cycleB), ("idt_B", idtB)]
    }

    /// The generator objective the reference backpropagates: every G, cycle and identity term.
    public var generatorTotal: Float {
        gA + gB + cycleA + cycleB + idtA + idtB
    }
}
