import Foundation
import Rendering
import Testing

@Suite struct KneeFigureTests {
    let figure = Fixtures.knee

    @Test func frontIsAStepLineDownThenAcross() throws {
        let steps = figure.frontStepLine
        #expect(steps.count == 2 * figure.front.count - 1)
        for i in stride(from: 0, to: steps.count - 1, by: 2) {
            #expect(steps[i].x == steps[i + 1].x && steps[i + 1].y <= steps[i].y, "vertical drop at \(i)")
            #expect(steps[i + 1].y == steps[i + 2].y && steps[i + 2].x >= steps[i + 1].x, "then across at \(i)")
        }
        let canvas = figure.recording()
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        let drawn = try #require(canvas.commands(in: "front").compactMap { c -> [Point]? in
            if case let .polyline(p, _) = c.kind { return p } else { return nil }
        }.first)
        let p = layout.panel.plot, x = layout.panel.xDomain, y = layout.panel.yDomain
        for (d, s) in zip(drawn, steps) {
            #expect(abs(d.x - (p.minX + (s.x - x.lowerBound) / (x.upperBound - x.lowerBound) * p.width)) < 1e-9)
            #expect(abs(d.y - (p.maxY - (s.y - y.lowerBound) / (y.upperBound - y.lowerBound) * p.height)) < 1e-9)
        }
    }

    @Test func kneeIsMarkedAndLabelled() throws {
        let canvas = figure.recording()
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        let markers = canvas.commands(in: "knees").compactMap { c -> Point? in
            if case let .marker(_, center, _, _, _) = c.kind { return center } else { return nil }
        }
        #expect(markers.count == 1)
        let label = try #require(canvas.texts(in: "knee-label").first)
        #expect(label.string == "knee (65.0, 96.9)")
        #expect(layout.panel.plot.contains(label.bounds))
        #expect(!label.bounds.contains(markers[0]), "the label does not cover its point")
    }

    @Test func endPointsJoinTheirNearestFrontPointWithTheDistance() throws {
        let canvas = figure.recording()
        let distances = figure.endPointDistances
        #expect(distances.count == Fixtures.endPoints.count)
        for d in distances {
            let brute = figure.front.map { hypot($0.x - d.endPoint.xMean, $0.y - d.endPoint.yMean) }.min()!
            #expect(abs(d.distance - brute) < 1e-12)
        }
        let segments = canvas.commands(in: "distance-segments")
        #expect(segments.count == distances.count)
        #expect(segments.allSatisfy { if case let .line(_, _, s) = $0.kind { return s.dash == .dotted } else { return false } })
        let labels = canvas.texts(in: "distance-label").map(\.string)
        #expect(labels == distances.map { "d = " + String(format: "%.2f", $0.distance) })
        #expect(labels.contains("d = 6.15"))
    }

    @Test func fixtureLayoutIsClean() throws {
        let canvas = figure.recording()
        expectCleanLayout(canvas, "knee")
        expectDrawingOnPage(canvas, "knee")
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        let legend = try #require(layout.legend)
        #expect(!legend.intersects(layout.panel.plot))
        expectNiceTicks(layout.panel.xTicks, cover: 0...100, "knee x")
        #expect(canvas.texts(in: "legend").map(\.string).suffix(2) == ["Pareto front", "Knee"])
    }

    @Test func manyLongNamesStayClean() {
        let figure = KneeFigure(series: Stress.series, front: Fixtures.knee.front,
                                knees: [KneePoint(label: "knee A (65.0, 96.9)", x: 65, y: 96.9),
                                        KneePoint(label: "knee B (78.0, 90.0)", x: 78, y: 90)],
                                endPoints: Stress.endPoints, title: "Pareto front — CIFAR-10, LeNet5, seeds 0–9")
        let canvas = figure.recording()
        expectCleanLayout(canvas, "knee stress")
        expectDrawingOnPage(canvas, "knee stress")
        #expect(canvas.texts(in: "knee-label").count == 2)
    }
}
