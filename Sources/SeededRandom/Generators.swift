/// Seeded randomness shared by every target: the generators (xoshiro256** for runs,
/// SplitMix64 to expand seeds) and the one Fisher–Yates shuffle. No global state: a
/// generator is always passed explicitly.

/// SplitMix64 (Steele, Lea & Flood 2014): used to expand one seed into independent
/// generator states and, applied to a counter, as a counter-based stream.
@inlinable @inline(__always)
public func splitMix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// xoshiro256** (Blackman & Vigna 2018): the one seeded generator of a run, passed
/// explicitly wherever randomness is used (init, shuffles, splits). No global state.
public struct Xoshiro256: RandomNumberGenerator, Sendable, Hashable {
    @usableFromInline var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func next() -> UInt64 { x = x &+ 0x9E37_79B9_7F4A_7C15; return splitMix64(x &- 0x9E37_79B9_7F4A_7C15) }
        s0 = next(); s1 = next(); s2 = next(); s3 = next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// The generator's whole state, to save a run in flight and continue it bit for bit.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// A generator continuing from a saved `state` (four words, not all zero).
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        s0 = state[0]; s1 = state[1]; s2 = state[2]; s3 = state[3]
    }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniform Float in [lo, hi) with 24 random bits.
    @inlinable @inline(__always)
    public mutating func nextFloat(in lo: Float, _ hi: Float) -> Float {
        let u = Float(next() >> 40) * 0x1p-24
        return lo + (hi - lo) * u
    }

    /// A derived, independent generator (e.g. one per run or per purpose).
    public mutating func split() -> Xoshiro256 { Xoshiro256(seed: next()) }
}

/// SplitMix64 as a generator: output n is `splitMix64` of the seed advanced n times by
/// the golden-ratio increment. The small generator of the fixed MNIST-5k test split.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        defer { state &+= 0x9E37_79B9_7F4A_7C15 }
        return splitMix64(state)
    }
}
