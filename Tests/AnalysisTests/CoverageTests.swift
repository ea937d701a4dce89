import Testing
@testable import Analysis

@Suite("Seed coverage of averaged curves")
struct CoverageTests {
    /// Three seeds whose curves end at different compressions (as BMRS seeds end at their
    /// own thresholdless points): 0 %, 60 % and 80 %.
    static let seeds = [
        Curve(x: [0, 0, 0], y: [90, 90, 90]),
        Curve(x: [0, 20, 40, 60], y: [90, 88, 85, 80]),
        Curve(x: [0, 40, 80], y: [92, 86, 70]),
    ]

    @Test func gridAverageCountsTheSeedsAtEveryPoint() {
        let averaged = averageOnGrid(Self.seeds, grid: evenlySpacedGrid(from: 0, to: 80, count: 9))
        #expect(averaged.points.map(\.y.count) == [3, 2, 2, 2, 2, 2, 2, 1, 1])
        #expect(averaged.coverageSegments == [
            CurveCoverageSegment(seeds: 3, from: 0, to: 0, firstPoint: 0, lastPoint: 0),
            CurveCoverageSegment(seeds: 2, from: 10, to: 60, firstPoint: 1, lastPoint: 6),
            CurveCoverageSegment(seeds: 1, from: 70, to: 80, firstPoint: 7, lastPoint: 8),
        ])
        #expect(averaged.coveredByAll(3).points.map(\.x) == [0])
        #expect(averaged.coveredByAll(2).points.map(\.x) == [0, 10, 20, 30, 40, 50, 60])
        // At 60: seed 2 ends at 80, seed 3 interpolates 86 → 70 over 40…80 to 78.
        #expect(averaged.meanCurveCoveredByAll(2).points.last == CurvePoint(x: 60, y: 79))
    }

    @Test func positionAverageTailHasFewerSeeds() {
        let averaged = averageByPosition(Self.seeds.dropFirst().map { $0 })
        #expect(averaged.points.map(\.y.count) == [2, 2, 2, 1])
        #expect(averaged.coverageSegments.map(\.seeds) == [2, 1])
        #expect(averaged.coverageSegments.last == CurveCoverageSegment(seeds: 1, from: 60, to: 60, firstPoint: 3, lastPoint: 3))
    }

    @Test func fullCoverageIsOneSegment() {
        let same = [Curve(x: [0, 50, 100], y: [1, 2, 3]), Curve(x: [0, 50, 100], y: [3, 2, 1])]
        let averaged = averageOnGrid(same, grid: [0, 25, 50, 75, 100])
        #expect(averaged.coverageSegments == [CurveCoverageSegment(seeds: 2, from: 0, to: 100, firstPoint: 0, lastPoint: 4)])
        #expect(averaged.coveredByAll(2) == averaged)
        #expect(AveragedCurve(points: []).coverageSegments.isEmpty)
    }
}
