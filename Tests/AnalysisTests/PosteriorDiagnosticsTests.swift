import Foundation
import Testing
@testable import Analysis

/// Hand-made layers. The first four structures' scores are NoiseStatistics' values for the
/// (μ, log σ) named in the comments (`bmrs scores` on those cases); the fifth is made up to
/// sit on the released constant's knife edge and to carry rule boundaries and a −∞.
enum DiagnosticsFixtures {
    static let layer = LayerPosteriorStatistics(
        name: "fc1",
        mu: [-10, -10, 0, -22, -9],
        logSigma: [5, 3, -5, -3, 2],
        deltaFBMRSNExact: [
            -0.0015135596138979857,  // μ −10, log σ 5: back at the prior, exact ΔF ≈ 0⁻
            -0.08330230633285862,    // μ −10, log σ 3
            -4405284.998984844,      // μ 0, log σ −5: the initial posterior, far from pruning
            9.688854523898582,       // μ −22, log σ −3: mass at θ = e^a, pruned by every BMRS
            -0.949,                  // made up: released ΔF −0.03, on the released knife edge
        ],
        deltaFBMRSNReleased: [0.9174249735907747, 0.835636226871814, -4405284.080046311, 10.607793057103255, -0.0301],
        deltaFBMRSU8: [0.0005394080140114221, 0.02884966412736778, -338652.104593051, -3325.046228180445, -.infinity],
        expectedTheta: [0.049944785725186666, 0.047050946835334465, 0.9946465149814642, 2.0637081708595846e-09, 0.1],
        snr: [0.3331645139157634, 0.32420476553232835, 246.69920611420085, 807.3552735503231, 1],
        incomingNorm: [0.3, 0.9, 2.0, 0.5, 0.51],
        kept: [true, true, true, false, true])

    static let second = LayerPosteriorStatistics(
        name: "fc2", mu: [0, 0], logSigma: [-5, -5], deltaFBMRSNExact: [-4.4e6, .nan], deltaFBMRSNReleased: [-4.4e6, .nan],
        deltaFBMRSU8: [-3.4e5, .nan], expectedTheta: [0.99, 0.99], snr: [246, 246], incomingNorm: [0.4, 1.2], kept: [true, true])
}

@Suite("Posterior diagnostics")
struct PosteriorDiagnosticsTests {
    let layer = LayerDiagnostics(DiagnosticsFixtures.layer)

    @Test("every default rule's count, boundaries included (≤ and ≥ prune)")
    func criterionCounts() {
        #expect(layer.structures == 5)
        #expect(layer.kept == 4)
        #expect(layer.pruned == CriterionCounts(l2: 2, etheta: 4, snr: 3, bmrsNExact: 1, bmrsNReleased: 3, bmrsU8: 2))
    }

    @Test("a posterior at the prior: exact ΔF ≈ 0⁻ is kept and on the edge, released ΔF > 0 prunes it")
    func posteriorAtThePrior() {
        let atPrior = LayerPosteriorStatistics(
            name: "prior", mu: [-10], logSigma: [5], deltaFBMRSNExact: [-0.0015135596138979857],
            deltaFBMRSNReleased: [0.9174249735907747], deltaFBMRSU8: [0.0005394080140114221],
            expectedTheta: [0.049944785725186666], snr: [0.3331645139157634], incomingNorm: [1], kept: [true])
        let d = LayerDiagnostics(atPrior)
        #expect(d.pruned.bmrsNExact == 0)
        #expect(d.pruned.bmrsNReleased == 1)
        #expect(d.knifeEdge == KnifeEdgeCounts(exact: 1, released: 0))
        // The released constant is the exact one shifted by ½·log 2π (SPEC §2).
        #expect(abs(atPrior.deltaFBMRSNReleased[0] - atPrior.deltaFBMRSNExact[0] - 0.5 * log(2 * Double.pi)) < 1e-12)
        // 0⁻ stays left of the bin edge at 0.
        let h = d.histograms.deltaFBMRSNExact
        #expect(h.counts[31] == 1 && h.counts[32] == 0)
    }

    @Test("knife edge |ΔF| < 0.05 under each constant")
    func knifeEdge() {
        #expect(layer.knifeEdge == KnifeEdgeCounts(exact: 1, released: 1))
        var rules = DiagnosticRules()
        rules.knifeEdge = 0.1
        #expect(LayerDiagnostics(DiagnosticsFixtures.layer, rules: rules).knifeEdge == KnifeEdgeCounts(exact: 2, released: 1))
    }

    @Test("thresholds come from the rules")
    func customRules() {
        var rules = DiagnosticRules()
        rules.l2Threshold = 1
        rules.ethetaThreshold = 0.01
        rules.snrThreshold = 300
        let d = LayerDiagnostics(DiagnosticsFixtures.layer, rules: rules)
        #expect(d.pruned.l2 == 4 && d.pruned.etheta == 1 && d.pruned.snr == 4)
    }

    @Test("histogram totals equal the structure counts; out-of-window values are counted, not dropped")
    func histogramTotals() throws {
        for h in layer.histograms.all { #expect(h.total == 5) }
        let exact = layer.histograms.deltaFBMRSNExact
        #expect(exact.below == 1 && exact.above == 1 && exact.undefined == 0)
        #expect(exact.counts[28] == 1 && exact.counts[31] == 2)
        let released = layer.histograms.deltaFBMRSNReleased
        #expect(released.counts[35] == 2 && released.counts[31] == 1)
        let u8 = layer.histograms.deltaFBMRSU8
        #expect(u8.below == 3 && u8.counts[32] == 2)
        // −∞ is counted below but is not part of the finite range.
        let range = try #require(u8.finite)
        #expect(range.min == -338652.104593051 && range.max == 0.02884966412736778)
        expectClose(range.median, (-3325.046228180445 + 0.0005394080140114221) / 2, tolerance: 1e-9)
        let mu = layer.histograms.mu
        #expect(mu.below == 0 && mu.total == 5 && mu.counts[(-22 + 25) * 2] == 1)
        let two = LayerDiagnostics(DiagnosticsFixtures.second)
        #expect(two.histograms.deltaFBMRSNExact.undefined == 1)
        for h in two.histograms.all { #expect(h.total == 2) }
    }

    @Test("bins: edges on multiples of the width, values on an edge go right, rounding does not cross 0")
    func binning() {
        let b = HistogramBinning.deltaF
        #expect(b.binCount == 48 && b.edges.count == 49 && b.edges[32] == 0)
        let h = Histogram([-1e-17, 0, 4, -8, 3.999, -8.0000001, .infinity, -.infinity], binning: b)
        #expect(h.counts[31] == 1 && h.counts[32] == 1 && h.counts[0] == 1 && h.counts[47] == 1)
        #expect(h.below == 2 && h.above == 2 && h.total == 8)
        #expect(h.finite?.min == -8.0000001 && h.finite?.max == 4)
        #expect(Histogram([], binning: b).finite == nil)
    }

    @Test("totals over layers, JSON round trip, text table")
    func modelLevel() throws {
        let d = PosteriorDiagnostics(model: "unpruned model", layers: [DiagnosticsFixtures.layer, DiagnosticsFixtures.second])
        #expect(d.total.structures == 7 && d.total.kept == 6)
        #expect(d.total.pruned.l2 == 3 && d.total.pruned.bmrsNReleased == 3)
        #expect(d.total.knifeEdge == KnifeEdgeCounts(exact: 1, released: 1))
        let data = try JSONEncoder().encode(d)
        #expect(try JSONDecoder().decode(PosteriorDiagnostics.self, from: data) == d)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["model", "rules", "layers", "total"])
        let text = d.text()
        let lines = text.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[2].hasPrefix("fc1") && lines[4].hasPrefix("all"))
        #expect(lines[2].split(separator: " ").map(String.init) == ["fc1", "5", "4", "2", "4", "3", "1", "3", "2", "1", "1", "9.689"])
    }
}
