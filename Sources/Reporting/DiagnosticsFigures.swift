// From posterior diagnostics (Analysis) to their figures (Rendering), issue 14 item 1.
// It imports only Analysis and Rendering, so the report builder can use the same code
// (it lives in Reporting, which imports both).

import Analysis
import Foundation
import Rendering

public enum PosteriorDiagnosticsFigures {
    /// ½·log 2π: the released BMRS_N constant's shift of ΔF (SPEC §2).
    static let releasedShift = 0.5 * log(2 * Double.pi)

    /// The BMRS rule (prune at ΔF ≥ 0), drawn in every ΔF panel.
    static let bmrsThreshold = ThresholdLine(value: 0, label: "BMRS rule: prune at ΔF ≥ 0", color: .gray(0.1))
    /// Where the released constant's rule falls on the exact ΔF axis.
    static let releasedOnExact = ThresholdLine(
        value: -releasedShift, label: "released const. on the exact scale: ΔF = −½·log 2π ≈ −0.919",
        color: OkabeIto.reddishPurple, dash: .dashed)
    static func etheta(_ t: Double) -> ThresholdLine {
        ThresholdLine(value: t, label: "E[θ] rule: prune at E[θ] ≤ \(NumberText.fixed(t, decimals: t < 0.1 ? 2 : 1))",
                      color: OkabeIto.bluishGreen, dash: .dashDot)
    }

    /// One row per layer, columns ΔF_BMRS_N (exact), ΔF_BMRS_N (released), ΔF_BMRS_U-8,
    /// log σ and μ, each model overlaid in its own colour; a counts table per row.
    ///
    /// - Parameters:
    ///   - models: one or two (e.g. the unpruned model and the final model of continuous BMRS_N).
    ///   - shortNames: counts-table headers, one per model (default: the first word of each name).
    public static func diagnostics(_ models: [PosteriorDiagnostics], shortNames: [String]? = nil, title: String,
                                   subtitle: String? = nil) -> PosteriorDiagnosticsFigure {
        precondition(!models.isEmpty, "diagnostics figure: no model")
        let rules = models[0].rules
        let binning = models[0].layers.first?.histograms
        func range(_ h: Histogram?, _ fallback: HistogramBinning) -> ClosedRange<Double> {
            let b = h?.binning ?? fallback
            return b.lower...b.upper
        }
        let columns = [
            DiagnosticsColumn(title: "ΔF BMRS_N, exact constant", axisLabel: "ΔF (exact)",
                              range: range(binning?.deltaFBMRSNExact, .deltaF), thresholds: [bmrsThreshold, releasedOnExact]),
            DiagnosticsColumn(title: "ΔF BMRS_N, released const. (exact + 0.919)", axisLabel: "ΔF (released)",
                              range: range(binning?.deltaFBMRSNReleased, .deltaF), thresholds: [bmrsThreshold]),
            DiagnosticsColumn(title: "ΔF BMRS_U-8", axisLabel: "ΔF",
                              range: range(binning?.deltaFBMRSU8, .deltaF), thresholds: [bmrsThreshold]),
            DiagnosticsColumn(title: "log σ", axisLabel: "log σ", range: range(binning?.logSigma, .logSigma),
                              thresholds: [ThresholdLine(value: -5, label: "initial log σ = −5", color: .gray(0.45), dash: .dotted)]),
            DiagnosticsColumn(title: "μ", axisLabel: "μ", range: range(binning?.mu, .mu),
                              thresholds: [-20.0, 0].map { ThresholdLine(value: $0, label: "truncation of log θ: a = −20, b = 0",
                                                                         color: .gray(0.45), dash: .longDash) }),
        ]
        func number(_ v: Double) -> String { NumberText.fixed(v, decimals: v == v.rounded() ? 0 : (v * 10 == (v * 10).rounded() ? 1 : 2)) }
        let countLabels = [
            "kept by mask", "L2 ≤ \(number(rules.l2Threshold))", "E[θ] ≤ \(number(rules.ethetaThreshold))",
            "SNR ≤ \(number(rules.snrThreshold))", "BMRS_N", "BMRS_N released", "BMRS_U-8",
            "edge |ΔF_N| < \(number(rules.knifeEdge))", "edge, released",
        ]
        let names = shortNames ?? models.map { String($0.model.split(separator: " ").first ?? "model") }
        let diagnosticsModels = zip(models, names).map { d, short in
            DiagnosticsModel(name: d.model, shortName: short, layers: d.layers.map { l in
                DiagnosticsLayer(name: l.name, structures: l.structures, histograms: l.histograms.all.map(binned),
                                 counts: [l.kept, l.pruned.l2, l.pruned.etheta, l.pruned.snr, l.pruned.bmrsNExact,
                                          l.pruned.bmrsNReleased, l.pruned.bmrsU8, l.knifeEdge.exact, l.knifeEdge.released])
            })
        }
        let caption = subtitle ?? """
            Structures per bin (y axis, per layer; layer size in brackets). ◀ n / n ▶: structures left / right of the \
            window (ΔF reaches −10¹⁷ for a confident posterior). Counts: structures each rule prunes (SPEC §2) and those \
            within \(number(rules.knifeEdge)) of the BMRS_N threshold.
            """
        return PosteriorDiagnosticsFigure(models: diagnosticsModels, columns: columns, countLabels: countLabels,
                                          countsTitle: "Structures", title: title, subtitle: caption)
    }

    static func binned(_ h: Histogram) -> BinnedCounts {
        // NaN values (none on finite parameters) have no place on an axis; they would show
        // as a gap between the bars' total and the layer size.
        BinnedCounts(edges: h.binning.edges, counts: h.counts, below: h.below, above: h.above,
                     finiteRange: h.finite.map { $0.min...$0.max })
    }

    /// E[θ] against ΔF_BMRS_N (exact constant), one point per structure, layers coloured;
    /// one panel per model, shared axes. ΔF on a symmetric-log axis (linear within ±1),
    /// E[θ] on a log axis, so the points a heatmap's rank correlation summarises all show.
    public static func scatter(_ models: [(name: String, layers: [LayerPosteriorStatistics])], title: String,
                               subtitle: String? = nil, ethetaThreshold: Double = 0.1) -> ScoreScatterFigure {
        let panels = models.map { model in
            ScatterPanel(title: model.name, groups: model.layers.map { l in
                ScatterGroup(name: l.name, points: zip(l.deltaFBMRSNExact, l.expectedTheta).map { DataPoint(x: $0, y: $1) })
            })
        }
        return ScoreScatterFigure(
            panels: panels, title: title,
            subtitle: subtitle ?? "One point per structure. ΔF on a symmetric log axis (linear in [−1, 1]), E[θ] on a log axis; the rules' thresholds as lines.",
            xLabel: "ΔF BMRS_N (exact constant)", yLabel: "E[θ]", xScale: .symmetricLog(linearWidth: 1), yScale: .logarithmic,
            xThresholds: [bmrsThreshold, releasedOnExact], yThresholds: [etheta(ethetaThreshold)])
    }
}
