// Percentile bootstrap intervals over seeds (figures' 95 % bands, paired comparisons).

/// A two-sided confidence interval.
public struct ConfidenceInterval: Sendable, Equatable, Codable {
    public var lower: Double
    public var upper: Double
    /// Nominal coverage, e.g. 0.95.
    public var level: Double

    public init(lower: Double, upper: Double, level: Double) {
        self.lower = lower
        self.upper = upper
        self.level = level
    }

    /// Whether `value` lies in [lower, upper].
    public func contains(_ value: Double) -> Bool {
        lower <= value && value <= upper
    }
}

/// Percentile bootstrap interval of the mean of `values` (e.g. one metric over seeds).
///
/// Draws `resamples` samples of size n with replacement from `values` (indices by
/// `Int.random(in: 0..<n, using:)`, resample by resample, in order), takes each
/// sample's mean, and returns the (1-level)/2 and (1+level)/2 quantiles of those
/// means with numpy's linear interpolation (`quantile(_:_:)`). Deterministic for
/// a given generator state. One value gives the degenerate interval [x, x].
///
/// - Precondition: `values` not empty and finite, `resamples ≥ 1`, 0 < level < 1.
public func bootstrapMeanInterval(_ values: [Double],
                                  level: Double = 0.95,
                                  resamples: Int = 10_000,
                                  using generator: inout some RandomNumberGenerator) -> ConfidenceInterval {
    precondition(!values.isEmpty, "bootstrapMeanInterval: no values")
    precondition(values.allSatisfy(\.isFinite), "bootstrapMeanInterval: non-finite value")
    precondition(resamples >= 1, "bootstrapMeanInterval: resamples \(resamples) < 1")
    precondition(level > 0 && level < 1, "bootstrapMeanInterval: level \(level) outside (0, 1)")
    let n = values.count
    var means = [Double](repeating: 0, count: resamples)
    for b in 0..<resamples {
        var sum = 0.0
        for _ in 0..<n { sum += values[Int.random(in: 0..<n, using: &generator)] }
        means[b] = sum / Double(n)
    }
    means.sort()
    let tail = (1 - level) / 2
    return ConfidenceInterval(lower: quantile(sorted: means, tail),
                              upper: quantile(sorted: means, 1 - tail),
                              level: level)
}

/// Paired percentile bootstrap interval of mean(method − reference).
///
/// Seeds are resampled as pairs (the same index for both), which is the
/// bootstrap of the per-seed differences; see `bootstrapMeanInterval` for the
/// sampling order and quantile rule.
///
/// - Precondition: equal, non-zero lengths.
public func pairedBootstrapInterval(method: [Double], reference: [Double],
                                    level: Double = 0.95,
                                    resamples: Int = 10_000,
                                    using generator: inout some RandomNumberGenerator) -> ConfidenceInterval {
    precondition(method.count == reference.count,
                 "pairedBootstrapInterval: \(method.count) method values, \(reference.count) reference values")
    return bootstrapMeanInterval(zip(method, reference).map { $0 - $1 },
                                 level: level, resamples: resamples, using: &generator)
}
