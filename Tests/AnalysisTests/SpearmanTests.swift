import Testing
@testable import Analysis

@Suite("Ranks and Spearman correlation")
struct SpearmanTests {
    @Test("average ranks share tied positions; infinities rank at the ends")
    func ranksByHand() {
        #expect(averageRanks([3, 1, 2, 2]) == [4, 1, 2.5, 2.5])
        #expect(averageRanks([.infinity, 1, -.infinity, .infinity]) == [3.5, 2, 1, 3.5])
        #expect(pruningRanks([.infinity, 1, -.infinity, .infinity], direction: .descending) == [1.5, 3, 4, 1.5])
        #expect(averageRanks([0.0, -0.0]) == [1.5, 1.5])
        #expect(averageRanks([]) == [])
    }

    @Test("ranks match scipy.stats.rankdata, both directions")
    func ranksAgainstScipy() throws {
        for rankCase in try Fixtures.load().ranks {
            let values = rankCase.values.doubles
            #expect(pruningRanks(values, direction: .ascending) == rankCase.ascending)
            #expect(pruningRanks(values, direction: .descending) == rankCase.descending)
        }
    }

    @Test("Spearman with ties by hand: ρ = √0.9")
    func spearmanTiesByHand() throws {
        // ranks x = [1, 2.5, 2.5, 4], y = [1, 3, 2, 4]; centred products sum to 4.5,
        // squares to 4.5 and 5, so ρ = 4.5 / √22.5 = √0.9.
        let x: [Double] = [1, 2, 2, 3], y: [Double] = [1, 3, 2, 4]
        let rho = try #require(spearmanCorrelation(x, y))
        expectClose(rho, 0.9.squareRoot())
        let opposite = try #require(spearmanCorrelation(
            CriterionScores(name: "x", scores: x, direction: .ascending),
            CriterionScores(name: "y", scores: y, direction: .descending)))
        expectClose(opposite, -0.9.squareRoot())
    }

    @Test("monotone transforms give ρ = 1; same order in opposite directions gives −1")
    func spearmanProperties() throws {
        let scores: [Double] = [0.3, -1, 4, 2.5, 0, 7, -.infinity, .infinity]
        let transformed = scores.map { $0 * $0 * $0 + 1 }
        #expect(try #require(spearmanCorrelation(scores, transformed)) == 1)
        let asDeltaF = CriterionScores(name: "ΔF", scores: scores.map { -$0 }, direction: .descending)
        let asNorm = CriterionScores(name: "L2", scores: scores, direction: .ascending)
        expectClose(try #require(spearmanCorrelation(asDeltaF, asNorm)), 1)
        #expect(spearmanCorrelation([1, 2, 3], [3, 2, 1]) == -1)
    }

    @Test("constant scores: ρ undefined, stored as 0, diagonal stays 1, no NaN")
    func constantScores() {
        #expect(spearmanCorrelation([1, 1, 1], [1, 2, 3]) == nil)
        #expect(spearmanCorrelation([1], [2]) == nil)
        let matrix = SpearmanMatrix([
            CriterionScores(name: "L2", scores: [1, 2, 3, 4], direction: .ascending),
            CriterionScores(name: "flat", scores: [0.5, 0.5, 0.5, 0.5], direction: .ascending),
            CriterionScores(name: "BMRS_N", scores: [4, 3, 2, 1], direction: .descending),
        ])
        #expect(matrix.constantCriteria == ["flat"])
        #expect(matrix.correlations.values == [[1, 0, 1], [0, 1, 0], [1, 0, 1]])
        #expect(matrix.correlations["flat", "flat"] == 1)
        #expect(matrix.correlations["L2", "missing"] == nil)
    }

    @Test("Spearman matrices match scipy.stats.spearmanr, including ties and ±inf")
    func matrixAgainstScipy() throws {
        for spearmanCase in try Fixtures.load().spearman {
            let criteria = spearmanCase.criteria.map {
                CriterionScores(name: $0.name, scores: $0.scores.doubles,
                                direction: PruningDirection(rawValue: $0.direction)!)
            }
            let matrix = SpearmanMatrix(criteria)
            #expect(matrix.correlations.labels == criteria.map(\.name))
            #expect(matrix.constantCriteria.isEmpty)
            for (row, expected) in zip(matrix.correlations.values, spearmanCase.matrix) {
                expectClose(row, expected)
            }
            // Properties: symmetric, unit diagonal, within [-1, 1].
            let values = matrix.correlations.values
            for i in values.indices {
                #expect(values[i][i] == 1)
                for j in values.indices {
                    #expect(values[i][j] == values[j][i])
                    #expect(abs(values[i][j]) <= 1)
                }
            }
        }
    }

    @Test("seed average of matrices matches numpy mean/std over axis 0")
    func matrixAverageAgainstNumpy() throws {
        let fixtures = try Fixtures.load()
        let matrices = fixtures.spearman.map { spearmanCase in
            SpearmanMatrix(spearmanCase.criteria.map {
                CriterionScores(name: $0.name, scores: $0.scores.doubles,
                                direction: PruningDirection(rawValue: $0.direction)!)
            }).correlations
        }
        let population = MatrixSummary(matrices)
        let sample = MatrixSummary(matrices, convention: .sample)
        #expect(population.count == matrices.count)
        #expect(population.mean.labels == matrices[0].labels)
        for i in population.mean.values.indices {
            expectClose(population.mean.values[i], fixtures.spearmanAverage.mean[i])
            expectClose(population.std.values[i], fixtures.spearmanAverage.populationStd[i])
            expectClose(sample.std.values[i], fixtures.spearmanAverage.sampleStd[i])
        }
    }
}
