import NoiseStatistics

/// What a criterion sees of one structure: its posterior and the L2 norm of its incoming
/// weights (a dense row, or a conv output channel's whole kernel; biases excluded).
public struct StructureStatistics: Sendable, Hashable {
    public var posterior: NoisePosterior
    public var incomingNorm: Double

    public init(posterior: NoisePosterior, incomingNorm: Double) {
        self.posterior = posterior
        self.incomingNorm = incomingNorm
    }
}

/// Which end of a criterion's scores is pruned first.
public enum PruningOrder: String, Sendable, Codable {
    /// Low scores are pruned first (L2, E[θ], SNR).
    case lowestFirst
    /// High scores are pruned first (BMRS ΔF); a negative ΔF is never pruned.
    case highestFirst
}

/// A structured-pruning criterion (SPEC §2): a score per structure and a default,
/// thresholded rule. One type per criterion; all share this protocol.
public protocol PruningCriterion: Sendable {
    /// Short identifier, e.g. `snr`, `bmrs-u-8`.
    var name: String { get }
    var order: PruningOrder { get }
    func score(_ structure: StructureStatistics) -> Double
    /// The default rule: true when the structure is pruned.
    func prunes(score: Double) -> Bool
}

extension PruningCriterion {
    public func prunes(_ structure: StructureStatistics) -> Bool { prunes(score: score(structure)) }
}

/// L2 norm of the incoming weights; prune if ≤ threshold (default 0.5).
public struct L2Criterion: PruningCriterion {
    public var threshold: Double
    public init(threshold: Double = 0.5) { self.threshold = threshold }
    public var name: String { "l2" }
    public var order: PruningOrder { .lowestFirst }
    public func score(_ s: StructureStatistics) -> Double { s.incomingNorm }
    public func prunes(score: Double) -> Bool { score <= threshold }
}

/// E[θ]; prune if ≤ threshold (default 0.1: the released code fixes none, SPEC §2).
public struct ExpectedThetaCriterion: PruningCriterion {
    public var threshold: Double
    public init(threshold: Double = 0.1) { self.threshold = threshold }
    public var name: String { "etheta" }
    public var order: PruningOrder { .lowestFirst }
    public func score(_ s: StructureStatistics) -> Double { s.posterior.expectedTheta }
    public func prunes(score: Double) -> Bool { score <= threshold }
}

/// Signal-to-noise ratio E[θ]/√Var[θ]; prune if ≤ threshold (default 1).
public struct SNRCriterion: PruningCriterion {
    public var threshold: Double
    public init(threshold: Double = 1) { self.threshold = threshold }
    public var name: String { "snr" }
    public var order: PruningOrder { .lowestFirst }
    public func score(_ s: StructureStatistics) -> Double { s.posterior.snr }
    public func prunes(score: Double) -> Bool { score <= threshold }
}

/// BMRS_N: ΔF for a near-Dirac reduced prior at θ = e^a; prune if ΔF ≥ 0 (thresholdless).
/// `constant: .released` reproduces the authors' code (no 2π, larger ΔF by ½·log 2π).
public struct BMRSNCriterion: PruningCriterion {
    public var constant: BMRSNConstant
    public init(constant: BMRSNConstant = .seed) { self.constant = constant }
    public var name: String { constant == .released ? "bmrs-n-released" : "bmrs-n" }
    public var order: PruningOrder { .highestFirst }
    public func score(_ s: StructureStatistics) -> Double { s.posterior.deltaFBMRSN(constant: constant) }
    public func prunes(score: Double) -> Bool { score >= 0 }
}

/// BMRS_U-p: ΔF for a reduced log-uniform prior on [2^-23, 2^-p]; prune if ΔF ≥ 0.
public struct BMRSUCriterion: PruningCriterion {
    public static let precisions = 1...22
    public var precisionBits: Int
    public init(precisionBits: Int) {
        precondition(Self.precisions.contains(precisionBits), "BMRS_U precision must be in 1...22, got \(precisionBits)")
        self.precisionBits = precisionBits
    }
    public var name: String { "bmrs-u-\(precisionBits)" }
    public var order: PruningOrder { .highestFirst }
    public func score(_ s: StructureStatistics) -> Double { s.posterior.deltaFBMRSU(precisionBits: precisionBits) }
    public func prunes(score: Double) -> Bool { score >= 0 }
}

/// Masks from scores by the λ-th percentile rule (SPEC §5 matched compression, §6 curves):
/// prune the ⌊fraction·n⌉ structures first in pruning order; for `highestFirst` criteria
/// never prune a structure whose score is negative (BMRS stops at its own threshold).
/// Ties are broken by structure index (stable), so the result is deterministic.
/// Returns keep flags (true = kept).
public func percentileMask(scores: [Double], order: PruningOrder, fraction: Double) -> [Bool] {
    let n = scores.count
    let target = Int((fraction * Double(n)).rounded())
    let ranked = scores.indices.sorted { i, j in
        let a = scores[i], b = scores[j]
        if a == b { return i < j }
        return order == .lowestFirst ? a < b : a > b
    }
    var keep = [Bool](repeating: true, count: n)
    for i in ranked.prefix(max(0, min(target, n))) {
        if order == .highestFirst && !(scores[i] >= 0) { break }
        keep[i] = false
    }
    return keep
}
