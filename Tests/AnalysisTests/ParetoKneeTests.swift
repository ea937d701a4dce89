import Testing
@testable import Analysis

@Suite("Pareto front and knee")
struct ParetoKneeTests {
    let sixPoints = [
        CurvePoint(x: 10, y: 90), CurvePoint(x: 20, y: 95), CurvePoint(x: 30, y: 80),
        CurvePoint(x: 40, y: 85), CurvePoint(x: 50, y: 60), CurvePoint(x: 50, y: 70),
    ]

    @Test("front of six points by hand")
    func frontByHand() {
        // (20,95) beats (10,90); (40,85) beats (30,80); (50,70) beats (50,60).
        let front = ParetoFront(sixPoints)
        #expect(front.points == [CurvePoint(x: 20, y: 95), CurvePoint(x: 40, y: 85), CurvePoint(x: 50, y: 70)])
        #expect(ParetoFront(sixPoints.reversed()) == front)
        #expect(ParetoFront(sixPoints + sixPoints).points == front.points)  // one copy of duplicates
        #expect(ParetoFront([]).points.isEmpty)
    }

    @Test("distance to the front by hand, raw and scaled")
    func distanceByHand() {
        let front = ParetoFront(sixPoints)
        // Raw: closest point of segment (20,95)–(40,85) to (30,80) is (34,88): √80.
        expectClose(front.distance(to: CurvePoint(x: 30, y: 80)), 80.0.squareRoot())
        // Scaled by (10, 5): the point is (3,16), the front (2,19)–(4,17)–(5,14);
        // nearest on the second segment at t = 0.2, (4.2, 16.4): √1.6.
        expectClose(front.distance(to: CurvePoint(x: 30, y: 80), xScale: 10, yScale: 5), 1.6.squareRoot())
        #expect(front.distance(to: CurvePoint(x: 40, y: 85)) == 0)
        #expect(front.distance(to: CurvePoint(x: 30, y: 90)) == 0)  // on the segment
        // Beyond the last vertex the distance is to that vertex (no extension).
        #expect(front.distance(to: CurvePoint(x: 50, y: 0)) == 70)
        #expect(ParetoFront([CurvePoint(x: 3, y: 4)]).distance(to: CurvePoint(x: 0, y: 0)) == 5)
    }

    @Test("front and distances match a brute-force python reference")
    func paretoAgainstPython() throws {
        let fixture = try Fixtures.load().pareto
        let front = ParetoFront(fixture.points.map { CurvePoint(x: $0[0], y: $0[1]) })
        #expect(front.points == fixture.front.map { CurvePoint(x: $0[0], y: $0[1]) })
        let queries = fixture.queries.map { CurvePoint(x: $0[0], y: $0[1]) }
        expectClose(queries.map { front.distance(to: $0) }, fixture.distances)
        expectClose(queries.map { front.distance(to: $0, xScale: fixture.xScale, yScale: fixture.yScale) },
                    fixture.scaledDistances)
    }

    @Test("Kneedle finds the obvious knee of a flat-then-falling accuracy curve")
    func obviousKnee() throws {
        let curve = Curve(x: Array(0...10).map(Double.init),
                          y: [98, 97.9, 97.8, 97.7, 97.6, 97.5, 97.4, 80, 60, 40, 20])
        #expect(Kneedle.knee(of: curve) == CurvePoint(x: 6, y: 97.4))
        // Reflections of the same curve, declared with their own shape, give the same knee.
        let negatedY = Curve(points: curve.points.map { CurvePoint(x: $0.x, y: -$0.y) })
        #expect(Kneedle.knee(of: negatedY, shape: .convexIncreasing)?.x == 6)
        let negatedX = Curve(points: curve.points.map { CurvePoint(x: -$0.x, y: $0.y) })
        #expect(Kneedle.knee(of: negatedX, shape: .concaveIncreasing)?.x == -6)
        let negatedBoth = Curve(points: curve.points.map { CurvePoint(x: -$0.x, y: -$0.y) })
        #expect(Kneedle.knee(of: negatedBoth, shape: .convexDecreasing)?.x == -6)
    }

    @Test("Kneedle difference curve and knee match numpy; undefined cases give nil")
    func kneedleAgainstNumpy() throws {
        let fixture = try Fixtures.load().kneedle
        let curve = Curve(x: fixture.x, y: fixture.y)
        let difference = try #require(Kneedle.differenceCurve(curve))
        expectClose(difference.points.map(\.x), fixture.differenceX)
        expectClose(difference.points.map(\.y), fixture.differenceY)
        #expect(Kneedle.knee(of: curve) == CurvePoint(x: fixture.kneeX, y: fixture.kneeY))
        #expect(Kneedle.knee(of: Curve(x: [0, 1], y: [1, 0])) == nil)
        #expect(Kneedle.knee(of: Curve(x: [0, 1, 1, 0], y: [1, 0, 2, 3])) == nil)  // two distinct x
        #expect(Kneedle.knee(of: Curve(x: [0, 1, 2], y: [5, 5, 5])) == nil)
    }
}
