// Aggregation of one quantity over seeds (SPEC §6: "mean ± std over seeds").

/// Which standard deviation to report.
///
/// The paper's tables use the population standard deviation (numpy's default,
/// `ddof = 0`); the sample standard deviation (`ddof = 1`) is offered for
/// readers who expect the unbiased-variance convention.
public enum StandardDeviationConvention: String, Sendable, Codable, CaseIterable {
    /// √(Σ(xᵢ - x̄)² / n), numpy `std(ddof=0)`. The paper's convention and the default.
    case population
    /// √(Σ(xᵢ - x̄)² / (n - 1)), numpy `std(ddof=1)`.
    case sample

    /// The "delta degrees of freedom" subtracted from n in the divisor.
    public var ddof: Int {
        switch self {
        case .population: 0
        case .sample: 1
        }
    }
}

/// Arithmetic mean Σxᵢ / n.
///
/// - Precondition: `values` is not empty.
public func mean(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "mean: no values")
    return values.reduce(0, +) / Double(values.count)
}

/// Standard deviation √(Σ(xᵢ - x̄)² / (n - ddof)), two-pass (mean first).
///
/// Defaults to the population convention (`ddof = 0`), as numpy and the paper.
/// With the sample convention and a single value the result is NaN, as numpy's
/// `std(ddof=1)`: one seed says nothing about spread.
///
/// - Precondition: `values` is not empty.
public func standardDeviation(_ values: [Double],
                              convention: StandardDeviationConvention = .population) -> Double {
    precondition(!values.isEmpty, "standardDeviation: no values")
    let divisor = values.count - convention.ddof
    guard divisor > 0 else { return .nan }
    let center = mean(values)
    let squares = values.reduce(0) { $0 + ($1 - center) * ($1 - center) }
    return (squares / Double(divisor)).squareRoot()
}

/// Population standard deviation (`ddof = 0`, numpy's default; the paper's tables).
public func populationStandardDeviation(_ values: [Double]) -> Double {
    standardDeviation(values, convention: .population)
}

/// Sample standard deviation (`ddof = 1`); NaN for a single value.
public func sampleStandardDeviation(_ values: [Double]) -> Double {
    standardDeviation(values, convention: .sample)
}

/// Mean, standard deviation and count of one quantity over seeds.
public struct Summary: Sendable, Equatable, Codable {
    /// Arithmetic mean.
    public var mean: Double
    /// Standard deviation in the convention the summary was made with (default population).
    public var std: Double
    /// Number of values (seeds) summarised.
    public var count: Int

    public init(mean: Double, std: Double, count: Int) {
        self.mean = mean
        self.std = std
        self.count = count
    }

    /// Summarises `values` (not empty) with the given standard-deviation convention.
    public init(_ values: [Double], convention: StandardDeviationConvention = .population) {
        self.init(mean: Analysis.mean(values),
                  std: standardDeviation(values, convention: convention),
                  count: values.count)
    }

    /// Equal when the means, counts and stds agree; two NaN stds are equal (the sample std
    /// of one value, or a std that was not reported, says the same thing either way).
    public static func == (a: Summary, b: Summary) -> Bool {
        a.mean == b.mean && a.count == b.count && (a.std == b.std || (a.std.isNaN && b.std.isNaN))
    }
}

/// The `q`-quantile (q ∈ [0, 1]) with linear interpolation between order
/// statistics: numpy's default `percentile(..., method="linear")`, Hyndman–Fan type 7.
///
/// With the values sorted, h = q·(n - 1); the result interpolates between the
/// ⌊h⌋-th and the next order statistic.
///
/// - Precondition: `values` is not empty, contains no NaN, and 0 ≤ q ≤ 1.
public func quantile(_ values: [Double], _ q: Double) -> Double {
    precondition(!values.isEmpty, "quantile: no values")
    precondition(q >= 0 && q <= 1, "quantile: q = \(q) is outside [0, 1]")
    precondition(!values.contains { $0.isNaN }, "quantile: NaN in values")
    return quantile(sorted: values.sorted(), q)
}

/// `quantile(_:_:)` on values already sorted ascending (skips the sort).
func quantile(sorted: [Double], _ q: Double) -> Double {
    let position = q * Double(sorted.count - 1)
    let below = min(Int(position.rounded(.down)), sorted.count - 1)
    let above = min(below + 1, sorted.count - 1)
    let fraction = position - Double(below)
    let a = sorted[below], b = sorted[above]
    if a == b { return a }
    // numpy's lerp: interpolate from the nearer end so q = 1 returns b exactly.
    return fraction >= 0.5 ? b - (b - a) * (1 - fraction) : a + (b - a) * fraction
}
