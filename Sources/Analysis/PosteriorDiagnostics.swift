// Posterior diagnostics of one trained model (issue 14, item 1): per noise layer, how the
// structures' posteriors and BMRS log-evidence differences are distributed, how many
// structures each criterion's default rule prunes (SPEC §2), and how many sit on the
// BMRS_N knife edge |ΔF| < 0.05, where the exact and the released constant disagree.
//
// Plain values only: the caller computes μ, log σ and the scores (NoiseStatistics) and
// passes them per layer, so this file knows nothing of networks.

import Foundation

/// What the diagnostics read of one noise layer: index-aligned arrays, one entry per
/// structure (dense unit or conv channel).
public struct LayerPosteriorStatistics: Codable, Sendable, Hashable {
    /// The layer producing the structures (e.g. `fc1`, `conv2`).
    public var name: String
    /// Posterior location μ of log θ (SPEC §1).
    public var mu: [Double]
    /// Posterior log σ before clamping (SPEC §1).
    public var logSigma: [Double]
    /// ΔF of BMRS_N with SPEC §2's exact constant.
    public var deltaFBMRSNExact: [Double]
    /// ΔF of BMRS_N with the released code's constant (exact + ½·log 2π).
    public var deltaFBMRSNReleased: [Double]
    /// ΔF of BMRS_U-8 (SPEC §2).
    public var deltaFBMRSU8: [Double]
    /// E[θ] (SPEC §1).
    public var expectedTheta: [Double]
    /// E[θ]/√Var[θ] (SPEC §1).
    public var snr: [Double]
    /// L2 norm of each structure's incoming weights (SPEC §2).
    public var incomingNorm: [Double]
    /// The structure's current mask: true = kept.
    public var kept: [Bool]

    public init(name: String, mu: [Double], logSigma: [Double], deltaFBMRSNExact: [Double],
                deltaFBMRSNReleased: [Double], deltaFBMRSU8: [Double], expectedTheta: [Double],
                snr: [Double], incomingNorm: [Double], kept: [Bool]) {
        let n = mu.count
        for (field, count) in [("logSigma", logSigma.count), ("deltaFBMRSNExact", deltaFBMRSNExact.count),
                               ("deltaFBMRSNReleased", deltaFBMRSNReleased.count), ("deltaFBMRSU8", deltaFBMRSU8.count),
                               ("expectedTheta", expectedTheta.count), ("snr", snr.count),
                               ("incomingNorm", incomingNorm.count), ("kept", kept.count)] {
            precondition(count == n, "LayerPosteriorStatistics \(name): \(field) has \(count) values for \(n) structures")
        }
        self.name = name
        self.mu = mu
        self.logSigma = logSigma
        self.deltaFBMRSNExact = deltaFBMRSNExact
        self.deltaFBMRSNReleased = deltaFBMRSNReleased
        self.deltaFBMRSU8 = deltaFBMRSU8
        self.expectedTheta = expectedTheta
        self.snr = snr
        self.incomingNorm = incomingNorm
        self.kept = kept
    }

    /// Number of structures in the layer.
    public var count: Int { mu.count }
}

/// The default rules the counts use (SPEC §2) and the knife-edge width.
public struct DiagnosticRules: Codable, Sendable, Hashable {
    /// L2 prunes a structure whose incoming-weight norm is ≤ this.
    public var l2Threshold = 0.5
    /// E[θ] prunes at ≤ this (the project's default, SPEC §2).
    public var ethetaThreshold = 0.1
    /// SNR prunes at ≤ this.
    public var snrThreshold = 1.0
    /// A structure is on the knife edge when |ΔF_BMRS_N| < this: a change of the
    /// constant or a little more training flips its decision.
    public var knifeEdge = 0.05

    public init() {}
}

/// Fixed, equal-width bins [lower + i·width, lower + (i+1)·width) on a window of the values.
public struct HistogramBinning: Codable, Sendable, Hashable {
    public var lower: Double
    public var upper: Double
    public var width: Double

    public init(lower: Double, upper: Double, width: Double) {
        precondition(lower.isFinite && upper.isFinite && upper > lower, "histogram window must be finite and non-empty: \(lower)…\(upper)")
        precondition(width > 0, "bin width must be positive, got \(width)")
        let bins = (upper - lower) / width
        precondition(abs(bins - bins.rounded()) < 1e-9 * max(1, bins), "window \(lower)…\(upper) is not a whole number of \(width)-wide bins")
        self.lower = lower
        self.upper = upper
        self.width = width
    }

    public var binCount: Int { Int(((upper - lower) / width).rounded()) }

    /// The bin edges, `binCount + 1` of them; each is lower + i·width (one rounding), so a
    /// window that contains 0 on a multiple of `width` has an edge exactly at 0.
    public var edges: [Double] { (0...binCount).map { lower + Double($0) * width } }

    /// ΔF of BMRS_N and BMRS_U is heavy-tailed below 0 (−(μ − a)²/(2σ²) reaches −1e17 for a
    /// confident posterior), so a histogram over its whole range shows nothing near the
    /// threshold. The choice here: linear bins on the window [−8, 4] around the threshold,
    /// 0.25 wide with an edge at 0 (pruned structures, ΔF ≥ 0, start exactly at a bin), so
    /// the released constant's shift of ½·log 2π ≈ 0.919 spans almost four bins; values
    /// outside the window are counted in `below`/`above` and shown as such, never dropped.
    public static let deltaF = HistogramBinning(lower: -8, upper: 4, width: 0.25)
    /// log σ: trained values lie between the initial −5 and ≈ 2 (a posterior back at the
    /// log-uniform prior on a 20-wide interval has σ ≈ 20/√12 ≈ 5.8); the window covers
    /// that with room, inside the clamp [−20, 5] of SPEC §1.
    public static let logSigma = HistogramBinning(lower: -12, upper: 4, width: 0.25)
    /// μ: from above the truncation's upper end b = 0 down past its lower end a = −20.
    public static let mu = HistogramBinning(lower: -25, upper: 5, width: 0.5)
}

/// The binnings of the five histogrammed quantities.
public struct DiagnosticBinning: Codable, Sendable, Hashable {
    public var deltaF: HistogramBinning
    public var logSigma: HistogramBinning
    public var mu: HistogramBinning

    public init(deltaF: HistogramBinning = .deltaF, logSigma: HistogramBinning = .logSigma, mu: HistogramBinning = .mu) {
        self.deltaF = deltaF
        self.logSigma = logSigma
        self.mu = mu
    }

    public static let standard = DiagnosticBinning()
}

/// Minimum, median and maximum of the finite values of a quantity (the histogram window
/// clips, so these say how far the tails go).
public struct FiniteRange: Codable, Sendable, Hashable {
    public var min: Double
    public var median: Double
    public var max: Double

    public init(min: Double, median: Double, max: Double) {
        self.min = min
        self.median = median
        self.max = max
    }
}

/// Counts of a quantity in fixed bins, with what falls outside the window.
public struct Histogram: Codable, Sendable, Hashable {
    public var binning: HistogramBinning
    /// `binning.binCount` counts, bin i = [edges[i], edges[i+1]).
    public var counts: [Int]
    /// Values below the window (−∞ included).
    public var below: Int
    /// Values at or above the window's upper end (+∞ included).
    public var above: Int
    /// NaN values (none for finite μ, log σ: NoiseStatistics never returns NaN there).
    public var undefined: Int
    /// The finite values' range, nil when there is none.
    public var finite: FiniteRange?

    public init(_ values: [Double], binning: HistogramBinning) {
        self.binning = binning
        let edges = binning.edges
        var counts = [Int](repeating: 0, count: binning.binCount)
        var below = 0, above = 0, undefined = 0
        for v in values {
            if v.isNaN { undefined += 1; continue }
            if v < binning.lower { below += 1; continue }
            if v >= edges[edges.count - 1] { above += 1; continue }
            // The division can round across an edge (−1e−17 would land in [0, 0.25)), so the
            // index is corrected against the edges themselves: a ΔF of 0⁻ stays left of 0.
            var i = min(max(Int(((v - binning.lower) / binning.width).rounded(.down)), 0), counts.count - 1)
            while i > 0 && v < edges[i] { i -= 1 }
            while i < counts.count - 1 && v >= edges[i + 1] { i += 1 }
            counts[i] += 1
        }
        self.counts = counts
        self.below = below
        self.above = above
        self.undefined = undefined
        let sorted = values.filter(\.isFinite).sorted()
        finite = sorted.isEmpty ? nil
            : FiniteRange(min: sorted[0], median: quantile(sorted: sorted, 0.5), max: sorted[sorted.count - 1])
    }

    /// Every value counted once: in a bin, below, above or undefined.
    public var total: Int { counts.reduce(0, +) + below + above + undefined }
}

/// How many structures each criterion's default rule prunes (SPEC §2).
public struct CriterionCounts: Codable, Sendable, Hashable {
    /// L2 norm ≤ `l2Threshold`.
    public var l2: Int
    /// E[θ] ≤ `ethetaThreshold`.
    public var etheta: Int
    /// SNR ≤ `snrThreshold`.
    public var snr: Int
    /// BMRS_N, exact constant: ΔF ≥ 0.
    public var bmrsNExact: Int
    /// BMRS_N, released constant: ΔF ≥ 0.
    public var bmrsNReleased: Int
    /// BMRS_U-8: ΔF ≥ 0.
    public var bmrsU8: Int

    public init(l2: Int = 0, etheta: Int = 0, snr: Int = 0, bmrsNExact: Int = 0, bmrsNReleased: Int = 0, bmrsU8: Int = 0) {
        self.l2 = l2
        self.etheta = etheta
        self.snr = snr
        self.bmrsNExact = bmrsNExact
        self.bmrsNReleased = bmrsNReleased
        self.bmrsU8 = bmrsU8
    }

    static func + (x: CriterionCounts, y: CriterionCounts) -> CriterionCounts {
        CriterionCounts(l2: x.l2 + y.l2, etheta: x.etheta + y.etheta, snr: x.snr + y.snr, bmrsNExact: x.bmrsNExact + y.bmrsNExact,
                        bmrsNReleased: x.bmrsNReleased + y.bmrsNReleased, bmrsU8: x.bmrsU8 + y.bmrsU8)
    }
}

/// Structures with |ΔF_BMRS_N| < `knifeEdge`, under each constant.
public struct KnifeEdgeCounts: Codable, Sendable, Hashable {
    public var exact: Int
    public var released: Int

    public init(exact: Int = 0, released: Int = 0) {
        self.exact = exact
        self.released = released
    }
}

/// The five distributions drawn per layer.
public struct LayerHistograms: Codable, Sendable, Hashable {
    public var deltaFBMRSNExact: Histogram
    public var deltaFBMRSNReleased: Histogram
    public var deltaFBMRSU8: Histogram
    public var logSigma: Histogram
    public var mu: Histogram

    public var all: [Histogram] { [deltaFBMRSNExact, deltaFBMRSNReleased, deltaFBMRSU8, logSigma, mu] }
}

/// The diagnostics of one noise layer.
public struct LayerDiagnostics: Codable, Sendable, Hashable {
    public var name: String
    public var structures: Int
    /// Structures the current mask keeps (all of them in a model trained without pruning).
    public var kept: Int
    public var pruned: CriterionCounts
    public var knifeEdge: KnifeEdgeCounts
    public var histograms: LayerHistograms

    public init(_ layer: LayerPosteriorStatistics, rules: DiagnosticRules = DiagnosticRules(),
                binning: DiagnosticBinning = .standard) {
        name = layer.name
        structures = layer.count
        kept = layer.kept.filter { $0 }.count
        // NaN compares false, so it is never counted as pruned (as the criteria's rules).
        func count(_ values: [Double], _ rule: (Double) -> Bool) -> Int { values.reduce(0) { $0 + (rule($1) ? 1 : 0) } }
        pruned = CriterionCounts(
            l2: count(layer.incomingNorm) { $0 <= rules.l2Threshold },
            etheta: count(layer.expectedTheta) { $0 <= rules.ethetaThreshold },
            snr: count(layer.snr) { $0 <= rules.snrThreshold },
            bmrsNExact: count(layer.deltaFBMRSNExact) { $0 >= 0 },
            bmrsNReleased: count(layer.deltaFBMRSNReleased) { $0 >= 0 },
            bmrsU8: count(layer.deltaFBMRSU8) { $0 >= 0 })
        knifeEdge = KnifeEdgeCounts(exact: count(layer.deltaFBMRSNExact) { abs($0) < rules.knifeEdge },
                                    released: count(layer.deltaFBMRSNReleased) { abs($0) < rules.knifeEdge })
        histograms = LayerHistograms(
            deltaFBMRSNExact: Histogram(layer.deltaFBMRSNExact, binning: binning.deltaF),
            deltaFBMRSNReleased: Histogram(layer.deltaFBMRSNReleased, binning: binning.deltaF),
            deltaFBMRSU8: Histogram(layer.deltaFBMRSU8, binning: binning.deltaF),
            logSigma: Histogram(layer.logSigma, binning: binning.logSigma),
            mu: Histogram(layer.mu, binning: binning.mu))
    }
}

/// Counts summed over every layer of the model.
public struct DiagnosticTotals: Codable, Sendable, Hashable {
    public var structures: Int
    public var kept: Int
    public var pruned: CriterionCounts
    public var knifeEdge: KnifeEdgeCounts
}

/// The posterior diagnostics of one model: per-layer distributions and counts, and totals.
/// Codable, the JSON of `bmrs diagnose --json`; every number in it is finite (non-finite ΔF
/// values are only counted, in `below`/`above`), so any JSON reader takes it.
public struct PosteriorDiagnostics: Codable, Sendable, Hashable {
    /// What the model is, e.g. "unpruned model" or "final model of continuous BMRS_N".
    public var model: String
    public var rules: DiagnosticRules
    public var layers: [LayerDiagnostics]
    public var total: DiagnosticTotals

    public init(model: String, layers: [LayerPosteriorStatistics], rules: DiagnosticRules = DiagnosticRules(),
                binning: DiagnosticBinning = .standard) {
        self.model = model
        self.rules = rules
        self.layers = layers.map { LayerDiagnostics($0, rules: rules, binning: binning) }
        total = DiagnosticTotals(
            structures: self.layers.reduce(0) { $0 + $1.structures },
            kept: self.layers.reduce(0) { $0 + $1.kept },
            pruned: self.layers.reduce(CriterionCounts()) { $0 + $1.pruned },
            knifeEdge: KnifeEdgeCounts(exact: self.layers.reduce(0) { $0 + $1.knifeEdge.exact },
                                       released: self.layers.reduce(0) { $0 + $1.knifeEdge.released }))
    }

    /// The per-layer table as plain text: structures pruned by each default rule, the knife
    /// edge under both constants, and the largest exact ΔF_BMRS_N (how close to 0 it gets).
    public func text() -> String {
        let header = ["layer", "units", "kept", "L2", "E[θ]", "SNR", "BMRS_N", "BMRS_N rel", "BMRS_U-8",
                      "edge", "edge rel", "max ΔF_N"]
        func row(_ name: String, _ structures: Int, _ kept: Int, _ p: CriterionCounts, _ e: KnifeEdgeCounts, _ maxDF: Double?) -> [String] {
            [name, "\(structures)", "\(kept)", "\(p.l2)", "\(p.etheta)", "\(p.snr)", "\(p.bmrsNExact)", "\(p.bmrsNReleased)",
             "\(p.bmrsU8)", "\(e.exact)", "\(e.released)", maxDF.map(Self.shortNumber) ?? "n/a"]
        }
        var rows = layers.map { l in
            row(l.name, l.structures, l.kept, l.pruned, l.knifeEdge, l.histograms.deltaFBMRSNExact.finite?.max)
        }
        let maxima = layers.compactMap { $0.histograms.deltaFBMRSNExact.finite?.max }
        rows.append(row("all", total.structures, total.kept, total.pruned, total.knifeEdge, maxima.max()))
        let table = [header] + rows
        let widths = header.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, s in
                let pad = String(repeating: " ", count: widths[c] - s.count)
                return c == 0 ? s + pad : pad + s
            }.joined(separator: "  ")
        }
        let r = rules
        let legend = """
            \(model): structures pruned by each default rule (SPEC §2: L2 ≤ \(Self.shortNumber(r.l2Threshold)), \
            E[θ] ≤ \(Self.shortNumber(r.ethetaThreshold)), SNR ≤ \(Self.shortNumber(r.snrThreshold)), ΔF ≥ 0 for BMRS; \
            "rel" = released constant, ΔF + ½·log 2π); edge = |ΔF_BMRS_N| < \(Self.shortNumber(r.knifeEdge))
            """
        return ([legend, line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// Four significant digits, plain notation where readable.
    static func shortNumber(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        if v == 0 { return "0" }
        if abs(v) >= 1e5 || abs(v) < 1e-3 { return String(format: "%.3e", v) }
        var s = String(format: "%.4g", v)
        if s.contains("e") { s = String(format: "%.3e", v) }
        return s
    }
}
