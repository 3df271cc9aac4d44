import Foundation

/// A seeded generator (xoshiro256**, seeded through SplitMix64) whose whole state is four
/// integers, so training can save and restore it for an exact resume.
public struct SeededRandom: RandomNumberGenerator, Equatable, Sendable {
    public private(set) var state: [UInt64]

    public init(seed: UInt64) {
        var mixer = seed
        state = (0..<4).map { _ in SeededRandom.splitMix64(&mixer) }
    }

    /// Restores a generator from `state`, as saved in a checkpoint. Returns nil unless it contains
    /// four words, not all zero.
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        self.state = state
    }

    /// A generator for one purpose and position (for example: seed, epoch, iteration), so
    /// independent streams stay reproducible however many values the others draw.
    public init(seed: UInt64, stream: [UInt64]) {
        var mixer = seed
        for value in stream {
            mixer = SeededRandom.splitMix64(&mixer) ^ value
        }
        self.init(seed: mixer)
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotateLeft(state[3], 45)
        return result
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A normal sample (Box-Muller), mean `mean` and standard deviation `standardDeviation`.
    public mutating func nextNormal(mean: Double = 0, standardDeviation: Double = 1) -> Double {
        let u1 = 1 - nextUniform()
        let u2 = nextUniform()
        let radius = (-2 * log(u1)).squareRoot()
        return mean + standardDeviation * radius * cos(2 * Double.pi * u2)
    }

    private static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
