// Spearman rank correlation between pruning criteria, and its average over seeds
// (SPEC §6 "Rank correlation"; the paper's heatmap).

/// One criterion's per-structure scores on a trained model, with its pruning direction.
public struct CriterionScores: Sendable, Equatable, Codable {
    /// Display name, e.g. `"L2"`, `"E[θ]"`, `"BMRS_N"`.
    public var name: String
    /// One score per structure, in the same structure order for every criterion.
    public var scores: [Double]
    /// Whether the criterion prunes low or high scores first.
    public var direction: PruningDirection

    public init(name: String, scores: [Double], direction: PruningDirection) {
        self.name = name
        self.scores = scores
        self.direction = direction
    }
}

/// A square matrix whose rows and columns share one list of labels.
public struct LabeledMatrix: Sendable, Equatable, Codable {
    /// Row and column labels, in order.
    public var labels: [String]
    /// `values[i][j]` belongs to `labels[i]` (row) and `labels[j]` (column).
    public var values: [[Double]]

    /// - Precondition: `values` is `labels.count × labels.count`.
    public init(labels: [String], values: [[Double]]) {
        precondition(values.count == labels.count && values.allSatisfy { $0.count == labels.count },
                     "LabeledMatrix: values must be \(labels.count)×\(labels.count), got "
                     + "\(values.count) rows of \(values.map(\.count))")
        self.labels = labels
        self.values = values
    }

    /// The rows and columns of `subset`, in its order: for a correlation matrix (each
    /// entry depends on its pair alone) the matrix of those criteria alone.
    ///
    /// - Precondition: every label of `subset` is one of `labels`.
    public func restricted(to subset: [String]) -> LabeledMatrix {
        let indices = subset.map { label -> Int in
            guard let i = labels.firstIndex(of: label) else { preconditionFailure("LabeledMatrix.restricted: no label \(label) in \(labels)") }
            return i
        }
        return LabeledMatrix(labels: subset, values: indices.map { i in indices.map { j in values[i][j] } })
    }

    /// The entry for a pair of labels, or nil if either label is absent.
    public subscript(row: String, column: String) -> Double? {
        guard let i = labels.firstIndex(of: row), let j = labels.firstIndex(of: column) else {
            return nil
        }
        return values[i][j]
    }
}

/// Elementwise mean and standard deviation of several matrices with the same
/// labels (e.g. one Spearman matrix per seed).
public struct MatrixSummary: Sendable, Equatable, Codable {
    /// Elementwise arithmetic mean.
    public var mean: LabeledMatrix
    /// Elementwise standard deviation (population, `ddof = 0`, unless asked otherwise).
    public var std: LabeledMatrix
    /// Number of matrices (seeds) averaged.
    public var count: Int

    /// - Precondition: `matrices` is not empty and all have identical labels in the same order.
    public init(_ matrices: [LabeledMatrix], convention: StandardDeviationConvention = .population) {
        precondition(!matrices.isEmpty, "MatrixSummary: no matrices")
        let labels = matrices[0].labels
        precondition(matrices.allSatisfy { $0.labels == labels },
                     "MatrixSummary: every matrix must have the labels \(labels) in this order")
        let n = labels.count
        var meanValues = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        var stdValues = meanValues
        for i in 0..<n {
            for j in 0..<n {
                let entries = matrices.map { $0.values[i][j] }
                meanValues[i][j] = Analysis.mean(entries)
                stdValues[i][j] = standardDeviation(entries, convention: convention)
            }
        }
        self.mean = LabeledMatrix(labels: labels, values: meanValues)
        self.std = LabeledMatrix(labels: labels, values: stdValues)
        self.count = matrices.count
    }
}

/// Pearson correlation Σ(aᵢ-ā)(bᵢ-b̄) / √(Σ(aᵢ-ā)² Σ(bᵢ-b̄)²), clamped to [-1, 1].
///
/// Returns nil when it is undefined: fewer than two values, or either vector constant.
///
/// - Precondition: equal lengths, finite values.
public func pearsonCorrelation(_ a: [Double], _ b: [Double]) -> Double? {
    precondition(a.count == b.count, "pearsonCorrelation: lengths \(a.count) and \(b.count) differ")
    precondition(a.allSatisfy(\.isFinite) && b.allSatisfy(\.isFinite),
                 "pearsonCorrelation: values must be finite (rank infinite scores first)")
    guard a.count >= 2 else { return nil }
    let meanA = mean(a), meanB = mean(b)
    var sumAB = 0.0, sumAA = 0.0, sumBB = 0.0
    for i in a.indices {
        let da = a[i] - meanA, db = b[i] - meanB
        sumAB += da * db
        sumAA += da * da
        sumBB += db * db
    }
    guard sumAA > 0, sumBB > 0 else { return nil }
    return min(1, max(-1, sumAB / (sumAA * sumBB).squareRoot()))
}

/// Spearman's ρ: the Pearson correlation of the average ranks (ties share their
/// mean rank, as scipy `spearmanr`), each vector ranked in its pruning direction.
///
/// With both directions equal this is the textbook ρ; with opposite directions
/// the sign flips, so ρ = 1 always means "the two criteria prune in the same order".
/// ±∞ scores rank below/above every finite score (see `averageRanks`).
///
/// Returns nil when ρ is undefined: fewer than two structures, or a criterion
/// whose scores are all equal (it induces no order).
///
/// - Precondition: equal lengths, no NaN.
public func spearmanCorrelation(_ a: CriterionScores, _ b: CriterionScores) -> Double? {
    precondition(a.scores.count == b.scores.count,
                 "spearmanCorrelation: \(a.name) has \(a.scores.count) scores, \(b.name) has \(b.scores.count)")
    return pearsonCorrelation(pruningRanks(a.scores, direction: a.direction),
                              pruningRanks(b.scores, direction: b.direction))
}

/// Spearman's ρ between two score vectors both ranked ascending; nil when undefined.
public func spearmanCorrelation(_ a: [Double], _ b: [Double]) -> Double? {
    spearmanCorrelation(CriterionScores(name: "a", scores: a, direction: .ascending),
                        CriterionScores(name: "b", scores: b, direction: .ascending))
}

/// Spearman's ρ between every pair of criteria on one trained model, in pruning order.
///
/// Conventions (state them in captions):
/// - Ranks: average ranks for ties; each criterion ranked in its `PruningDirection`
///   (L2, E[θ], SNR ascending; BMRS ΔF descending), so ρ compares pruning orders.
/// - Undefined ρ: when a criterion's scores are constant (or there are fewer than
///   two structures) ρ with any *other* criterion is stored as **0**, its expected
///   value against an arbitrary order, and the criterion is listed in
///   `constantCriteria`. The diagonal is always 1. The matrix never contains NaN.
/// - Seed averages: `MatrixSummary` of the `correlations` of each seed; undefined
///   entries enter the average as 0.
public struct SpearmanMatrix: Sendable, Equatable, Codable {
    /// ρ for each pair; labels are the criterion names in input order.
    public var correlations: LabeledMatrix
    /// Criteria whose ρ was undefined (constant scores, or < 2 structures); their
    /// off-diagonal entries are 0 by convention.
    public var constantCriteria: [String]

    /// - Precondition: at least one criterion; all have the same number of scores;
    ///   no NaN scores; unique names.
    public init(_ criteria: [CriterionScores]) {
        precondition(!criteria.isEmpty, "SpearmanMatrix: no criteria")
        let names = criteria.map(\.name)
        precondition(Set(names).count == names.count, "SpearmanMatrix: duplicate names in \(names)")
        let length = criteria[0].scores.count
        precondition(criteria.allSatisfy { $0.scores.count == length },
                     "SpearmanMatrix: score counts differ: \(criteria.map { "\($0.name)=\($0.scores.count)" })")

        let ranks = criteria.map { pruningRanks($0.scores, direction: $0.direction) }
        let isConstant = ranks.map { r in r.count < 2 || r.allSatisfy { $0 == r[0] } }
        let n = criteria.count
        var values = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            values[i][i] = 1
            for j in (i + 1)..<n where !isConstant[i] && !isConstant[j] {
                let rho = pearsonCorrelation(ranks[i], ranks[j]) ?? 0
                values[i][j] = rho
                values[j][i] = rho
            }
        }
        self.correlations = LabeledMatrix(labels: names, values: values)
        self.constantCriteria = zip(names, isConstant).filter(\.1).map(\.0)
    }
}
