// A method against a reference over the same seeds.

/// Paired comparison of a method with a reference over seeds (values paired by
/// index, e.g. test accuracy of BMRS_N and of E[θ] for seed k).
///
/// Reports the mean difference mean(method − reference), its paired percentile
/// bootstrap interval (`pairedBootstrapInterval`) and the two-sided Wilcoxon
/// signed-rank test (`WilcoxonSignedRankTest`: zeros dropped, average ranks for
/// ties, exact for n ≤ 25).
public struct PairedComparison: Sendable, Equatable, Codable {
    /// Number of pairs (seeds).
    public var count: Int
    /// mean(method − reference).
    public var meanDifference: Double
    /// Percentile bootstrap interval of the mean difference.
    public var confidenceInterval: ConfidenceInterval
    /// The signed-rank test of the differences.
    public var wilcoxon: WilcoxonSignedRankTest

    /// Two-sided Wilcoxon signed-rank p-value.
    public var pValue: Double { wilcoxon.pValue }

    /// - Parameters:
    ///   - level: bootstrap confidence level (default 0.95).
    ///   - resamples: bootstrap resamples (default 10,000).
    ///   - generator: the only source of randomness (the bootstrap).
    /// - Precondition: equal, non-zero lengths; finite values.
    public init(method: [Double], reference: [Double],
                level: Double = 0.95, resamples: Int = 10_000,
                using generator: inout some RandomNumberGenerator) {
        precondition(method.count == reference.count && !method.isEmpty,
                     "PairedComparison: \(method.count) method values, \(reference.count) reference values")
        let differences = zip(method, reference).map { $0 - $1 }
        self.count = differences.count
        self.meanDifference = mean(differences)
        self.confidenceInterval = bootstrapMeanInterval(differences, level: level,
                                                        resamples: resamples, using: &generator)
        self.wilcoxon = WilcoxonSignedRankTest(differences: differences)
    }

    /// Whether the Wilcoxon p-value is below `alpha` (strictly). The bootstrap
    /// interval is reported alongside but does not enter this decision.
    public func isSignificant(alpha: Double = 0.05) -> Bool {
        pValue < alpha
    }
}
