/// A uniformly distributed integer in `0..<bound`, drawn from `rng`.
///
/// Lemire's multiply-and-reject method on 64-bit draws, written out here (rather than
/// `Int.random(in:using:)`) so that the sequence for a given generator state does not
/// depend on the standard library version.
@inlinable
public func uniformIndex(below bound: Int, using rng: inout some RandomNumberGenerator) -> Int {
    precondition(bound > 0, "uniformIndex: bound \(bound) must be positive")
    let range = UInt64(bound)
    var product = rng.next().multipliedFullWidth(by: range)
    if product.low < range {
        let threshold = (0 &- range) % range      // 2^64 mod range
        while product.low < threshold {
            product = rng.next().multipliedFullWidth(by: range)
        }
    }
    return Int(product.high)
}

/// Shuffles `values` in place with the Fisher–Yates algorithm (Durstenfeld's version:
/// for i from n-1 down to 1, swap element i with a uniform j in 0...i).
///
/// Deterministic for a given generator state across Swift versions, unlike
/// `shuffle(using:)`, whose algorithm the standard library does not promise.
public func fisherYatesShuffle<T>(_ values: inout [T], using rng: inout some RandomNumberGenerator) {
    var i = values.count - 1
    while i > 0 {
        let j = uniformIndex(below: i + 1, using: &rng)
        if i != j { values.swapAt(i, j) }
        i -= 1
    }
}

/// A uniformly random permutation of `0..<count` (Fisher–Yates on the identity).
public func randomPermutation(count: Int, using rng: inout some RandomNumberGenerator) -> [Int] {
    var indices = Array(0..<count)
    fisherYatesShuffle(&indices, using: &rng)
    return indices
}

/// Index sets of a seeded train/validation split of `count` items (SPEC §4).
///
/// Draws one permutation of `0..<count` (`randomPermutation`); its first
/// `round(count·validationFraction)` entries are the validation indices, the rest the
/// training indices. Both lists are returned sorted, so each split keeps the file
/// order of its items (training shuffles per epoch on its own).
public func trainValidationIndices(count: Int, validationFraction: Double = 0.2,
                                   using rng: inout some RandomNumberGenerator) -> (train: [Int], validation: [Int]) {
    precondition(validationFraction >= 0 && validationFraction < 1,
                 "trainValidationIndices: validationFraction \(validationFraction) must be in [0, 1)")
    let permutation = randomPermutation(count: count, using: &rng)
    let validationCount = Int((Double(count) * validationFraction).rounded())
    return (Array(permutation[validationCount...]).sorted(), Array(permutation[..<validationCount]).sorted())
}

/// Splits `set` into train and validation parts, 80/20 by default (SPEC §4).
///
/// The validation part holds `round(count·validationFraction)` images chosen by a
/// Fisher–Yates permutation from `rng` (see `trainValidationIndices`); both parts keep
/// the original order of their images. Same generator state, same split.
public func trainValidationSplit(_ set: ImageSet, validationFraction: Double = 0.2,
                                 using rng: inout some RandomNumberGenerator) -> (train: ImageSet, validation: ImageSet) {
    let (train, validation) = trainValidationIndices(count: set.count, validationFraction: validationFraction, using: &rng)
    return (set.subset(train), set.subset(validation))
}

/// SplitMix64 (Steele, Lea & Flood 2014): the small generator used for the fixed
/// MNIST-5k test split. Internal: callers pass their own generators everywhere else.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
