import NeuralCore
import SeededRandom

/// A seeded random pruning order (`PruningMethod.random`): the floor every criterion must
/// beat. The n structures of the whole network (groups in order, structures in order within
/// each) get a uniformly random permutation of 0..<n as scores, pruned lowest first, so
/// level λ prunes a uniformly random ⌊λ·n⌉-subset and the levels are nested.
///
/// The permutation is `fisherYatesShuffle` driven by `Xoshiro256(seed: seed ^ streamTag)`:
/// the sweep's seed (the seed of the model it prunes), kept apart from that seed's other
/// streams by a fixed tag. An index in 0...i is ⌊(i + 1)·r / 2⁶⁴⌋ of a 64-bit draw r
/// (Lemire's multiply-high; a draw is redrawn in the rare case, below n/2⁶⁴, where that
/// would be biased), so the order depends only on the seed and n, on every platform.
public enum RandomPruningOrder {
    /// "random" in ASCII: separates this stream from the run's other uses of its seed.
    public static let streamTag: UInt64 = 0x72_61_6E_64_6F_6D

    /// The order as scores over `count` structures: element k is the step (0 first) at which
    /// structure k is pruned; a permutation of 0..<count.
    public static func ranks(count: Int, seed: UInt64) -> [Int] {
        precondition(count >= 0, "RandomPruningOrder: count \(count) < 0")
        var rng = Xoshiro256(seed: seed ^ streamTag)
        let order = randomPermutation(count: count, using: &rng)
        var rank = [Int](repeating: 0, count: count)
        for (step, structure) in order.enumerated() { rank[structure] = step }
        return rank
    }

    /// `ranks` over all structures of groups of the given sizes, split per group, as scores.
    public static func scores(groupSizes: [Int], seed: UInt64) -> [[Double]] {
        let flat = ranks(count: groupSizes.reduce(0, +), seed: seed)
        var result: [[Double]] = []
        var i = 0
        for size in groupSizes {
            result.append(flat[i..<(i + size)].map(Double.init))
            i += size
        }
        return result
    }

    /// `scores` for the structures of `network`.
    public static func scores(_ network: Network, seed: UInt64) -> [[Double]] {
        scores(groupSizes: network.groups.map(\.noise.units), seed: seed)
    }
}
