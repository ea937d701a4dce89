import Testing
@testable import Analysis

@Suite("Curves and their averages over seeds")
struct CurveTests {
    @Test("two seeds with different x ranges: present seeds only, no extrapolation")
    func twoSeedsByHand() {
        let a = Curve(x: [0, 10, 20], y: [90, 80, 70])
        let b = Curve(x: [30, 5, 15], y: [60, 100, 90])  // recorded out of order
        let averaged = averageOnGrid([a, b], grid: [0, 5, 10, 15, 20, 25, 30, 35])
        #expect(averaged.points.map(\.x) == [0, 5, 10, 15, 20, 25, 30])  // 35: no seed
        #expect(averaged.points.map(\.y.count) == [1, 2, 2, 2, 2, 1, 1])
        expectClose(averaged.points.map(\.y.mean), [90, 92.5, 87.5, 82.5, 75, 70, 60])
        expectClose(averaged.points.map(\.y.std), [0, 7.5, 7.5, 7.5, 5, 0, 0])
        #expect(averaged.points.allSatisfy { $0.xStd == 0 })
        #expect(a.interpolated(at: -1) == nil)
        #expect(a.interpolated(at: 20.5) == nil)
        #expect(a.interpolated(at: 20) == 70)
    }

    @Test("duplicate x are averaged before interpolating")
    func duplicates() {
        let curve = Curve(x: [2, 1, 0, 1], y: [2, 1, 0, 3])
        #expect(curve.sortedMergingDuplicateX().points == [
            CurvePoint(x: 0, y: 0), CurvePoint(x: 1, y: 2), CurvePoint(x: 2, y: 2),
        ])
        #expect(curve.interpolated(at: 0.5) == 1)
        #expect(curve.interpolated(at: 1.5) == 2)
        #expect(Curve(points: []).interpolated(at: 0) == nil)
        #expect(Curve(x: [3], y: [4]).interpolated(at: 3) == 4)
    }

    @Test("grid averages match numpy.interp and numpy mean/std")
    func gridAgainstNumpy() throws {
        let fixture = try Fixtures.load().gridAverage
        let curves = fixture.curves.map { Curve(x: $0.x, y: $0.y) }
        let population = averageOnGrid(curves, grid: fixture.grid)
        let sample = averageOnGrid(curves, grid: fixture.grid, convention: .sample)
        let presentGrid = zip(fixture.grid, fixture.count).filter { $0.1 > 0 }.map(\.0)
        #expect(population.points.map(\.x) == presentGrid)
        var k = 0
        for (index, count) in fixture.count.enumerated() where count > 0 {
            let point = population.points[k]
            #expect(point.y.count == count)
            expectClose(point.y.mean, try #require(fixture.mean[index]))
            expectClose(point.y.std, try #require(fixture.populationStd[index]))
            if let sampleStd = fixture.sampleStd[index] {
                expectClose(sample.points[k].y.std, sampleStd)
            } else {
                #expect(sample.points[k].y.std.isNaN)
            }
            k += 1
        }
    }

    @Test("averaging by list position averages where present")
    func byPosition() {
        let a = Curve(x: [0, 10, 20], y: [90, 80, 70])
        let b = Curve(x: [5, 15], y: [100, 90])
        let averaged = averageByPosition([a, b])
        #expect(averaged.points == [
            AveragedCurvePoint(x: 2.5, xStd: 2.5, y: Summary(mean: 95, std: 5, count: 2)),
            AveragedCurvePoint(x: 12.5, xStd: 2.5, y: Summary(mean: 85, std: 5, count: 2)),
            AveragedCurvePoint(x: 20, xStd: 0, y: Summary(mean: 70, std: 0, count: 1)),
        ])
        #expect(averageByPosition([]).points.isEmpty)
    }

    @Test("evenly spaced grid as numpy.linspace")
    func grid() {
        #expect(evenlySpacedGrid(from: 0, to: 100, count: 5) == [0, 25, 50, 75, 100])
        #expect(evenlySpacedGrid(from: 1, to: 2, count: 1) == [1])
        let grid = evenlySpacedGrid(from: 0, to: 100, count: 41)
        let fixtureGrid = try? Fixtures.load().gridAverage.grid
        #expect(grid == fixtureGrid)
    }
}
