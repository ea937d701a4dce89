import Testing
@testable import Analysis

@Suite("Aggregation over seeds")
struct SeedStatisticsTests {
    @Test("mean, population std and sample std match numpy")
    func aggregationAgainstNumpy() throws {
        for aggregation in try Fixtures.load().aggregation {
            let values = aggregation.values
            expectClose(mean(values), aggregation.mean)
            expectClose(populationStandardDeviation(values), aggregation.populationStd)
            let summary = Summary(values)
            #expect(summary.count == values.count)
            expectClose(summary.mean, aggregation.mean)
            expectClose(summary.std, aggregation.populationStd)
            if let sampleStd = aggregation.sampleStd {
                expectClose(sampleStandardDeviation(values), sampleStd)
                expectClose(Summary(values, convention: .sample).std, sampleStd)
            } else {
                #expect(sampleStandardDeviation(values).isNaN)
            }
        }
    }

    @Test("small cases by hand")
    func byHand() {
        #expect(mean([1, 2, 3, 4]) == 2.5)
        #expect(populationStandardDeviation([2, 4, 4, 4, 5, 5, 7, 9]) == 2)
        expectClose(sampleStandardDeviation([1, 2, 3, 4]), (5.0 / 3).squareRoot())
        #expect(Summary([7]) == Summary(mean: 7, std: 0, count: 1))
        #expect(StandardDeviationConvention.population.ddof == 0)
        #expect(StandardDeviationConvention.sample.ddof == 1)
    }

    @Test("quantiles match numpy.percentile (linear)")
    func quantilesAgainstNumpy() throws {
        for quantileCase in try Fixtures.load().quantiles {
            expectClose(quantileCase.q.map { quantile(quantileCase.values, $0) }, quantileCase.expected)
        }
        #expect(quantile([3, 1, 2], 0.5) == 2)
        #expect(quantile([0, 10], 0.25) == 2.5)
    }
}
