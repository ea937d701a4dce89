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
/// for i from n-1 down to 1, swap element i with a uniform j in 0...i): the train/validation
/// split, the MNIST-5k test split and the random pruning order. Training's batch order
/// keeps a shuffle of its own (`Trainer.swift`): it draws `next() % (i + 1)`, and every run
/// record depends on that order bit for bit.
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
