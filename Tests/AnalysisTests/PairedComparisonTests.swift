import Testing
@testable import Analysis

@Suite("Paired comparisons: bootstrap and Wilcoxon")
struct PairedComparisonTests {
    @Test("Wilcoxon signed-rank matches scipy (exact, permutation, brute force, asymptotic)")
    func wilcoxonAgainstScipy() throws {
        for wilcoxonCase in try Fixtures.load().wilcoxon {
            let test = WilcoxonSignedRankTest(differences: wilcoxonCase.differences)
            let label = "\(wilcoxonCase.how) n=\(wilcoxonCase.differences.count)"
            expectClose(test.positiveRankSum, wilcoxonCase.positiveRankSum, label)
            expectClose(test.negativeRankSum, wilcoxonCase.negativeRankSum, label)
            expectClose(test.statistic, wilcoxonCase.statistic, label)
            expectClose(test.pValue, wilcoxonCase.pValue, label)
            #expect(test.isExact == wilcoxonCase.exact, "\(label)")
        }
    }

    @Test("zeros are dropped; all-zero differences give p = 1")
    func zeros() {
        let test = WilcoxonSignedRankTest(differences: [0, 1, 0, 2, 3])
        #expect(test.droppedZeroCount == 2)
        #expect(test.nonZeroCount == 3)
        #expect(test.positiveRankSum == 6)
        #expect(test.pValue == 0.25)  // 2 · (1/8)
        let none = WilcoxonSignedRankTest(method: [1, 2], reference: [1, 2])
        #expect(none.pValue == 1)
        #expect(none.nonZeroCount == 0)
    }

    @Test("five seeds can never reach p < 0.05; the test is symmetric in sign")
    func smallSamples() {
        let allBetter = WilcoxonSignedRankTest(differences: [0.1, 0.2, 0.3, 0.4, 0.5])
        #expect(allBetter.pValue == 0.0625)
        let flipped = WilcoxonSignedRankTest(differences: [-0.1, -0.2, -0.3, -0.4, -0.5])
        #expect(flipped.pValue == allBetter.pValue)
        #expect(flipped.statistic == allBetter.statistic)
        let approximate = WilcoxonSignedRankTest(differences: [0.1, 0.2, 0.3, 0.4, 0.5], exactLimit: 0)
        #expect(!approximate.isExact)
        #expect(approximate.pValue > 0 && approximate.pValue < 1)
    }

    @Test("clear effect: CI holds the true mean difference and excludes 0; p = 2/2¹⁰")
    func clearEffect() {
        let reference: [Double] = [84.1, 85.0, 83.7, 84.9, 85.3, 84.4, 83.9, 85.1, 84.6, 84.0]
        // Noise ±0.1 alternating: the true and the sample mean difference are both 2.
        let method = reference.enumerated().map { $1 + 2 + ($0.isMultiple(of: 2) ? 0.1 : -0.1) }
        var generator = SplitMix64(seed: 7)
        let comparison = PairedComparison(method: method, reference: reference, using: &generator)
        #expect(comparison.count == 10)
        expectClose(comparison.meanDifference, 2)
        #expect(comparison.confidenceInterval.contains(2))
        #expect(!comparison.confidenceInterval.contains(0))
        #expect(comparison.confidenceInterval.lower > 1.8 && comparison.confidenceInterval.upper < 2.2)
        #expect(comparison.confidenceInterval.level == 0.95)
        #expect(comparison.pValue == 2.0 / 1024)
        #expect(comparison.isSignificant(alpha: 0.05))
        #expect(!comparison.isSignificant(alpha: 0.001))
    }

    @Test("bootstrap is deterministic for a fixed seed and depends on it")
    func determinism() {
        let method: [Double] = [96.9, 97.1, 96.8, 97.0, 96.7, 97.2, 96.95, 96.85]
        let reference: [Double] = [96.8, 97.0, 97.0, 96.9, 96.9, 97.0, 96.7, 96.9]
        var first = SplitMix64(seed: 1000), second = SplitMix64(seed: 1000), other = SplitMix64(seed: 1001)
        let a = PairedComparison(method: method, reference: reference, resamples: 2_000, using: &first)
        let b = PairedComparison(method: method, reference: reference, resamples: 2_000, using: &second)
        let c = PairedComparison(method: method, reference: reference, resamples: 2_000, using: &other)
        #expect(a == b)
        #expect(a.confidenceInterval != c.confidenceInterval)
        #expect(a.pValue == c.pValue)
    }

    @Test("bootstrap interval of a mean brackets the sample mean; one seed is degenerate")
    func meanInterval() {
        var generator = SplitMix64(seed: 42)
        let accuracies: [Double] = [97.3, 97.5, 97.4, 97.6, 97.2, 97.5, 97.4, 97.3, 97.6, 97.4]
        let interval = bootstrapMeanInterval(accuracies, using: &generator)
        let sampleMean = mean(accuracies)
        #expect(interval.lower < sampleMean && sampleMean < interval.upper)
        #expect(interval.lower >= accuracies.min()! && interval.upper <= accuracies.max()!)
        let narrower = bootstrapMeanInterval(accuracies, level: 0.5, using: &generator)
        #expect(narrower.upper - narrower.lower < interval.upper - interval.lower)
        let single = bootstrapMeanInterval([88.2], resamples: 10, using: &generator)
        #expect(single == ConfidenceInterval(lower: 88.2, upper: 88.2, level: 0.95))
        var g1 = SplitMix64(seed: 3), g2 = SplitMix64(seed: 3)
        #expect(pairedBootstrapInterval(method: accuracies, reference: accuracies.reversed(), using: &g1)
                == bootstrapMeanInterval(zip(accuracies, accuracies.reversed()).map { $0 - $1 }, using: &g2))
    }
}
