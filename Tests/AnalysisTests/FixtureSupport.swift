import Foundation
import Testing

/// The reference values written by Fixtures/make_fixtures.py (numpy/scipy).
struct Fixtures: Decodable {
    struct RankCase: Decodable {
        var values: [FixtureNumber]
        var ascending: [Double]
        var descending: [Double]
    }
    struct Criterion: Decodable {
        var name: String
        var scores: [FixtureNumber]
        var direction: String
    }
    struct SpearmanCase: Decodable {
        var criteria: [Criterion]
        var matrix: [[Double]]
    }
    struct SpearmanAverage: Decodable {
        var mean: [[Double]]
        var populationStd: [[Double]]
        var sampleStd: [[Double]]
    }
    struct AggregationCase: Decodable {
        var values: [Double]
        var mean: Double
        var populationStd: Double
        var sampleStd: Double?
    }
    struct QuantileCase: Decodable {
        var values: [Double]
        var q: [Double]
        var expected: [Double]
    }
    struct WilcoxonCase: Decodable {
        var differences: [Double]
        var how: String
        var positiveRankSum: Double
        var negativeRankSum: Double
        var statistic: Double
        var pValue: Double
        var exact: Bool
    }
    struct SeedCurve: Decodable {
        var x: [Double]
        var y: [Double]
    }
    struct GridAverage: Decodable {
        var curves: [SeedCurve]
        var grid: [Double]
        var count: [Int]
        var mean: [Double?]
        var populationStd: [Double?]
        var sampleStd: [Double?]
    }
    struct ParetoCase: Decodable {
        var points: [[Double]]
        var front: [[Double]]
        var queries: [[Double]]
        var distances: [Double]
        var xScale: Double
        var yScale: Double
        var scaledDistances: [Double]
    }
    struct KneedleCase: Decodable {
        var x: [Double]
        var y: [Double]
        var differenceX: [Double]
        var differenceY: [Double]
        var kneeX: Double
        var kneeY: Double
    }

    var ranks: [RankCase]
    var spearman: [SpearmanCase]
    var spearmanAverage: SpearmanAverage
    var aggregation: [AggregationCase]
    var quantiles: [QuantileCase]
    var wilcoxon: [WilcoxonCase]
    var gridAverage: GridAverage
    var pareto: ParetoCase
    var kneedle: KneedleCase

    static func load() throws -> Fixtures {
        let url = try #require(Bundle.module.url(forResource: "fixtures", withExtension: "json",
                                                 subdirectory: "Fixtures"),
                               "Fixtures/fixtures.json missing from the test bundle")
        return try JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
    }
}

/// A JSON number, or the strings "inf" / "-inf" (JSON has no infinity).
struct FixtureNumber: Decodable {
    var value: Double

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            value = number
            return
        }
        switch try container.decode(String.self) {
        case "inf": value = .infinity
        case "-inf": value = -.infinity
        case let other:
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a number: \(other)")
        }
    }
}

extension Array where Element == FixtureNumber {
    var doubles: [Double] { map(\.value) }
}

/// |actual − expected| ≤ tolerance · max(1, |expected|): absolute near 0, relative for large values.
func isClose(_ actual: Double, _ expected: Double, tolerance: Double = 1e-12) -> Bool {
    abs(actual - expected) <= tolerance * max(1, abs(expected))
}

func expectClose(_ actual: Double, _ expected: Double, tolerance: Double = 1e-12,
                 _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(isClose(actual, expected, tolerance: tolerance),
            "\(comment) actual \(actual), expected \(expected)", sourceLocation: sourceLocation)
}

func expectClose(_ actual: [Double], _ expected: [Double], tolerance: Double = 1e-12,
                 _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(comment) lengths differ", sourceLocation: sourceLocation)
    for (a, e) in zip(actual, expected) {
        expectClose(a, e, tolerance: tolerance, comment, sourceLocation: sourceLocation)
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a small seeded generator for the tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
