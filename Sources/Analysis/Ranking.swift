// Ranks with ties, oriented so that rank order = pruning order (SPEC §6, rank correlation).

/// The order in which a criterion prunes structures by its score.
public enum PruningDirection: String, Sendable, Codable, CaseIterable {
    /// Prune the lowest score first: L2 norm, E[θ], SNR.
    case ascending
    /// Prune the highest score first: BMRS ΔF (BMRS_N, BMRS_U-p).
    case descending
}

/// Average ranks (1-based, "fractional ranking"): the smallest value gets rank 1,
/// and values that compare equal share the mean of the ranks they span
/// (scipy `rankdata(method="average")`).
///
/// Infinities rank as ordinary values: -∞ below every finite value, +∞ above,
/// and equal infinities tie with each other. `0.0` and `-0.0` tie.
///
/// - Precondition: no NaN (it has no place in an order).
public func averageRanks(_ values: [Double]) -> [Double] {
    precondition(!values.contains { $0.isNaN }, "averageRanks: NaN has no rank")
    let order = values.indices.sorted { values[$0] < values[$1] }
    var ranks = [Double](repeating: 0, count: values.count)
    var start = 0
    while start < order.count {
        var end = start + 1
        while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
        // Sorted positions start..<end hold ranks start+1 … end; they share the mean.
        let shared = Double(start + 1 + end) / 2
        for position in start..<end { ranks[order[position]] = shared }
        start = end
    }
    return ranks
}

/// Average ranks in pruning order: rank 1 is the structure the criterion prunes first.
///
/// `.ascending` ranks the scores as they are; `.descending` ranks their negation,
/// so the highest ΔF (including +∞) gets rank 1. Ties get average ranks.
public func pruningRanks(_ scores: [Double], direction: PruningDirection) -> [Double] {
    switch direction {
    case .ascending: averageRanks(scores)
    case .descending: averageRanks(scores.map { -$0 })
    }
}
