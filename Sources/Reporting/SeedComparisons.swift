import Foundation
import Analysis
import Experiments
import Rendering

/// Comparisons over seeds of continuous-pruning runs: the BMRS_U precision figure and each
/// method against BMRS_N seed by seed. Both draw bootstrap resamples from generators with
/// fixed seeds, so a report is the same every time it is rendered.
struct SeedComparisons {
    let grid: GridConfig

    /// Compression and accuracy of continuous pruning with BMRS_U-p against p, mean with a
    /// 95 % bootstrap interval over seeds (seeded, 10,000 resamples).
    func precisionFigure(_ runs: [RunRecord], title: String) -> PrecisionFigure? {
        var byP: [Int: [RunRecord]] = [:]
        for r in runs where r.status == .finished && r.config.matchedPrunedFraction == nil {
            if case .bmrsU(let p) = r.config.method { byP[p, default: []].append(r) }
        }
        guard byP.count >= 3 else { return nil }
        var rng = Xoshiro256(seed: 2024)
        func interval(_ values: [Double]) -> IntervalEstimate {
            let m = Analysis.mean(values)
            guard values.count > 1 else { return IntervalEstimate(mean: m, lower: m, upper: m) }
            let ci = bootstrapMeanInterval(values, using: &rng)
            return IntervalEstimate(mean: m, lower: ci.lower, upper: ci.upper)
        }
        let points = byP.keys.sorted().map { p in
            PrecisionPoint(precision: Double(p),
                           compression: interval(byP[p]!.map { $0.reportedParameterCompression }),
                           accuracy: interval(byP[p]!.map { 100 * $0.testAccuracy }))
        }
        // BMRS_N (either constant) and unpruned training on the same seeds, as levels to read p against.
        let seeds = Set(byP.values.flatMap { $0.map(\.config.seed) })
        let references: [ReferenceLevel] = [PruningMethod.bmrsNReleased, .bmrsN, .none].compactMap { method in
            let same = runs.filter { $0.status == .finished && $0.config.method == method && $0.config.matchedPrunedFraction == nil
                && seeds.contains($0.config.seed) }
            guard !same.isEmpty else { return nil }
            return ReferenceLevel(name: method.displayName + " (mean)",
                                  compression: method == .none ? nil : Analysis.mean(same.map(\.reportedParameterCompression)),
                                  accuracy: Analysis.mean(same.map { 100 * $0.testAccuracy }))
        }
        return PrecisionFigure(series: [PrecisionSeries(name: "BMRS_U-p", points: points)], references: references,
                               title: "BMRS_U precision, \(title)",
                               subtitle: "continuous pruning; mean and 95 % bootstrap interval over seeds")
    }

    /// Every method against BMRS_N on the same seeds (paired): mean difference of test
    /// accuracy and of parameter compression with a 95 % paired-bootstrap interval
    /// (10,000 resamples, seeded) and the exact Wilcoxon signed-rank p-value. Wilcoxon
    /// because it needs no normality over a handful of seeds; the bootstrap interval shows
    /// the size of the difference. A difference is marked when p < 0.05, which takes at
    /// least 6 seeds (with n seeds the smallest two-sided p is 2/2ⁿ).
    func pairedComparisons(_ records: [RunRecord]) -> String {
        var rng = Xoshiro256(seed: 7)
        var table = MarkdownTable(["data set", "network", "method", "against", "seeds", "Δ acc. (pp) [95 % CI]", "p", "Δ comp. (pp) [95 % CI]", "p"])
        let finished = records.filter { $0.status == .finished }
        for dataset in grid.datasets {
            for network in grid.networks {
                let mine = finished.filter { $0.config.dataset == dataset && $0.config.network.kind == network.kind }
                // The released constant where the grid ran it: under the standard protocol the
                // exact one prunes nothing here, and a comparison with an unpruned run says little.
                let referenceMethod: PruningMethod = mine.contains { $0.config.method == .bmrsNReleased } ? .bmrsNReleased : .bmrsN
                let reference = referenceMethod.displayName
                let references = Dictionary(mine.filter { $0.config.method == referenceMethod && $0.config.matchedPrunedFraction == nil }
                    .map { ($0.config.seed, $0) }, uniquingKeysWith: { a, _ in a })
                guard !references.isEmpty else { continue }
                for label in Vocabulary.methodRows(mine.filter { Vocabulary.method($0) != reference }) {
                    let pairs = mine.filter { Vocabulary.method($0) == label }.compactMap { r in references[r.config.seed].map { (r, $0) } }
                    guard !pairs.isEmpty else { continue }
                    let acc = PairedComparison(method: pairs.map { 100 * $0.0.testAccuracy }, reference: pairs.map { 100 * $0.1.testAccuracy }, using: &rng)
                    let comp = PairedComparison(method: pairs.map { $0.0.reportedParameterCompression },
                                                reference: pairs.map { $0.1.reportedParameterCompression }, using: &rng)
                    func cell(_ c: PairedComparison) -> String {
                        let text = String(format: "%+.2f [%+.2f, %+.2f]", c.meanDifference, c.confidenceInterval.lower, c.confidenceInterval.upper)
                        return c.isSignificant() ? "**\(text)**" : text
                    }
                    table.append([Vocabulary.dataset(dataset), Vocabulary.networkKind(network.kind), label, reference, "\(pairs.count)",
                                  cell(acc), String(format: "%.3g", acc.pValue), cell(comp), String(format: "%.3g", comp.pValue)])
                }
            }
        }
        return table.rows.isEmpty ? "No BMRS_N runs to compare against." : table.text
    }
}
