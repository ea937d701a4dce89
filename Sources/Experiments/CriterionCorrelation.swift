import Foundation
import Analysis
import BayesianPruning
import NeuralCore

/// Spearman rank correlation between the criteria's per-structure scores on one trained
/// network (SPEC §6), every structure of every noise layer pooled, ranks oriented so that
/// rank order is pruning order (low first for L2, E[θ], SNR; high ΔF first for BMRS).
/// It lives in Experiments because it reads a trained network: a grid computes it when a
/// model is trained (``ModelAnalysis``) and reports read the stored matrix.
public enum CriterionCorrelation {
    /// The criteria of the paper's heatmap, in its order.
    public static let paperCriteria: [any PruningCriterion] = [
        SNRCriterion(), ExpectedThetaCriterion(), L2Criterion(), BMRSNCriterion(),
        BMRSUCriterion(precisionBits: 8), BMRSUCriterion(precisionBits: 4),
    ]

    /// The labels of `paperCriteria`, in order: the rows of every heatmap.
    public static var paperLabels: [String] { paperCriteria.map(displayName) }

    /// The criterion's row label: its method's display name (one label per method).
    public static func displayName(_ c: any PruningCriterion) -> String {
        switch c {
        case is SNRCriterion: PruningMethod.snr.displayName
        case is ExpectedThetaCriterion: PruningMethod.etheta.displayName
        case is L2Criterion: PruningMethod.l2.displayName
        case let n as BMRSNCriterion: n.constant == .released ? PruningMethod.bmrsNReleased.displayName : PruningMethod.bmrsN.displayName
        case let u as BMRSUCriterion: PruningMethod.bmrsU(precisionBits: u.precisionBits).displayName
        default: c.name
        }
    }

    /// `additional`: scores of criteria that are no function of one structure's statistics
    /// (Taylor, Random), in the network's structure order (groups in order), placed after
    /// `criteria`.
    public static func matrix(for network: Network, criteria: [any PruningCriterion] = paperCriteria,
                              additional: [CriterionScores] = []) -> SpearmanMatrix {
        let statistics = Structures.statistics(network).flatMap { $0 }
        return SpearmanMatrix(criteria.map { c in
            CriterionScores(name: displayName(c), scores: statistics.map(c.score),
                            direction: c.order == .lowestFirst ? .ascending : .descending)
        } + additional)
    }

    /// A plain-text matrix with two decimals.
    public static func text(_ m: LabeledMatrix) -> String {
        let width = max(9, (m.labels.map(\.count).max() ?? 0) + 1)
        func pad(_ s: String) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
        var lines = [pad("") + m.labels.map(pad).joined()]
        for (label, row) in zip(m.labels, m.values) {
            lines.append(pad(label) + row.map { pad(String(format: "%.2f", $0)) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
