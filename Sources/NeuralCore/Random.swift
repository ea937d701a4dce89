/// SplitMix64 (Steele, Lea & Flood 2014): used to expand one seed into independent
/// generator states and, applied to a counter, as a counter-based stream.
@inline(__always)
public func splitMix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// A 32-bit integer hash with low bias (C. Wellons, "hash prospector": 16/15/16 shifts).
@inline(__always)
func lowBias32(_ v: UInt32) -> UInt32 {
    var x = v
    x ^= x >> 16
    x = x &* 0x7FEB_352D
    x ^= x >> 15
    x = x &* 0x846C_A68B
    x ^= x >> 16
    return x
}

/// xoshiro256** (Blackman & Vigna 2018): the one seeded generator of a run, passed
/// explicitly wherever randomness is used (init, shuffles, splits). No global state.
public struct Xoshiro256: RandomNumberGenerator, Sendable, Hashable {
    private var s0, s1, s2, s3: UInt64

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

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniform Float in [lo, hi) with 24 random bits.
    @inline(__always)
    public mutating func nextFloat(in lo: Float, _ hi: Float) -> Float {
        let u = Float(next() >> 40) * 0x1p-24
        return lo + (hi - lo) * u
    }

    /// A derived, independent generator (e.g. one per run or per purpose).
    public mutating func split() -> Xoshiro256 { Xoshiro256(seed: next()) }
}

/// Counter-based uniform stream for the noise layers: the values of the n-th fill are a
/// pure function of (key, n, index), so filling a buffer is a tight loop with no state
/// dependency between elements, and the stream is reproducible from the key alone.
public struct UniformStream: Sendable, Hashable {
    public let key: UInt64
    public private(set) var counter: UInt64 = 0

    public init(key: UInt64) { self.key = key }

    /// The stream continuing after `counter` calls (to resume a saved run).
    public init(key: UInt64, counter: UInt64) {
        self.key = key
        self.counter = counter
    }

    /// Fills `out[0..<count]` with uniforms in the open interval (0, 1): 24-bit values
    /// centred in their bins. Each call draws two 32-bit keys from SplitMix64(key, call);
    /// element i is a two-round 32-bit integer hash (Wellons' low-bias mixer, a bijection)
    /// of i under those keys, so elements of one call are distinct, calls are independent,
    /// and the loop has no cross-element state: it vectorises (AVX2 has 32-bit multiplies,
    /// not 64-bit ones).
    public mutating func fill(_ out: UnsafeMutablePointer<Float>, count: Int) {
        let keys = splitMix64(key ^ counter &* 0xD1B5_4A32_D192_ED03)
        let k1 = UInt32(truncatingIfNeeded: keys), k2 = UInt32(truncatingIfNeeded: keys >> 32)
        for i in 0..<count {
            var x = UInt32(truncatingIfNeeded: i) ^ k1
            x = lowBias32(x) ^ k2
            x = lowBias32(x)
            out[i] = (Float(x >> 8) + 0.5) * 0x1p-24
        }
        counter &+= 1
    }
}
