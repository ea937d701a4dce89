import SeededRandom

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
