// Wilcoxon signed-rank test for paired results over seeds.

import Foundation  // erfc

/// Two-sided Wilcoxon signed-rank test of paired differences d = method − reference.
///
/// Conventions (state them in captions):
/// - Zero differences (exactly 0) are dropped before ranking (Wilcoxon's
///   convention, scipy `zero_method="wilcox"`); `droppedZeroCount` says how many.
/// - |d| are ranked with average ranks for ties.
/// - Exact p-value when the number of non-zero differences n ≤ `exactLimit`
///   (default 25): the null distribution of W⁺ (sum of ranks of positive d) is
///   enumerated over all 2ⁿ equally likely sign patterns *of the actual ranks*,
///   so it stays exact with ties (where it equals scipy's permutation test;
///   without ties it equals scipy's `method="exact"`).
///   p = min(1, 2·min(P(W⁺ ≤ w), P(W⁺ ≥ w))).
/// - Above `exactLimit`: normal approximation with the tie-corrected variance
///   n(n+1)(2n+1)/24 − Σ(t³−t)/48 and no continuity correction (scipy
///   `method="asymptotic"`, `correction=False`).
/// - No non-zero difference: p = 1.
///
/// With n non-zero differences the smallest attainable exact p is 2/2ⁿ, so with
/// 5 or fewer seeds no difference can reach p < 0.05.
public struct WilcoxonSignedRankTest: Sendable, Equatable, Codable {
    /// W⁺: sum of the ranks of the positive differences.
    public var positiveRankSum: Double
    /// W⁻: sum of the ranks of the negative differences.
    public var negativeRankSum: Double
    /// Number of non-zero differences (the n of the test).
    public var nonZeroCount: Int
    /// Number of exactly-zero differences dropped.
    public var droppedZeroCount: Int
    /// Two-sided p-value.
    public var pValue: Double
    /// Whether `pValue` is exact (enumerated) rather than the normal approximation.
    public var isExact: Bool

    /// min(W⁺, W⁻), the statistic scipy reports for the two-sided test.
    public var statistic: Double { min(positiveRankSum, negativeRankSum) }

    /// - Precondition: finite differences, `exactLimit ≥ 0`.
    public init(differences: [Double], exactLimit: Int = 25) {
        precondition(differences.allSatisfy(\.isFinite), "WilcoxonSignedRankTest: non-finite difference")
        precondition(exactLimit >= 0, "WilcoxonSignedRankTest: exactLimit \(exactLimit) < 0")
        let nonZero = differences.filter { $0 != 0 }
        let ranks = averageRanks(nonZero.map(abs))
        var positive = 0.0, negative = 0.0
        for (d, r) in zip(nonZero, ranks) {
            if d > 0 { positive += r } else { negative += r }
        }
        self.positiveRankSum = positive
        self.negativeRankSum = negative
        self.nonZeroCount = nonZero.count
        self.droppedZeroCount = differences.count - nonZero.count
        if nonZero.isEmpty {
            self.pValue = 1
            self.isExact = true
        } else if nonZero.count <= exactLimit {
            self.pValue = Self.exactPValue(ranks: ranks, positiveRankSum: positive)
            self.isExact = true
        } else {
            self.pValue = Self.normalPValue(ranks: ranks, positiveRankSum: positive)
            self.isExact = false
        }
    }

    /// Test of d = method − reference, paired by index (seed).
    ///
    /// - Precondition: equal lengths.
    public init(method: [Double], reference: [Double], exactLimit: Int = 25) {
        precondition(method.count == reference.count,
                     "WilcoxonSignedRankTest: \(method.count) method values, \(reference.count) reference values")
        self.init(differences: zip(method, reference).map { $0 - $1 }, exactLimit: exactLimit)
    }

    /// Exact two-sided p by enumerating the sign-flip distribution of W⁺.
    /// Average ranks are multiples of ½, so 2·rank is an integer weight and the
    /// distribution is a dynamic programme over integer sums; every probability
    /// is a multiple of 2⁻ⁿ and stays exact in Double for the n used here.
    static func exactPValue(ranks: [Double], positiveRankSum: Double) -> Double {
        let weights = ranks.map { Int(($0 * 2).rounded()) }
        let total = weights.reduce(0, +)
        var probability = [Double](repeating: 0, count: total + 1)
        probability[0] = 1
        var reach = 0
        for w in weights {
            reach += w
            // Each rank is positive with probability ½: p'(s) = ½·p(s) + ½·p(s − w).
            for s in stride(from: reach, through: 0, by: -1) {
                probability[s] = 0.5 * probability[s] + (s >= w ? 0.5 * probability[s - w] : 0)
            }
        }
        let observed = Int((positiveRankSum * 2).rounded())
        let atMost = probability[0...observed].reduce(0, +)
        let atLeast = probability[observed...].reduce(0, +)
        return min(1, 2 * min(atMost, atLeast))
    }

    /// Two-sided p from the tie-corrected normal approximation, no continuity correction.
    static func normalPValue(ranks: [Double], positiveRankSum: Double) -> Double {
        let n = Double(ranks.count)
        let expected = n * (n + 1) / 4
        var tieCounts: [Double: Int] = [:]
        for r in ranks { tieCounts[r, default: 0] += 1 }
        let tieTerm = tieCounts.values.reduce(0.0) { sum, t in
            let t = Double(t)
            return sum + t * t * t - t
        }
        let variance = (n * (n + 1) * (2 * n + 1) - tieTerm / 2) / 24
        guard variance > 0 else { return 1 }
        let z = (positiveRankSum - expected) / variance.squareRoot()
        return min(1, erfc(abs(z) / 2.0.squareRoot()))
    }
}
