import Foundation
import Rendering
import Testing

@Suite struct PrecisionFigureTests {
    let figure = Fixtures.precision

    func whiskers(_ canvas: RecordingCanvas, panel: String) -> [(Point, Point)] {
        canvas.commands(in: panel).filter { $0.isIn("whisker") }.compactMap { c in
            if case let .line(a, b, _) = c.kind, a.x == b.x { return (a, b) } else { return nil }
        }
    }

    @Test func panelsShareTheXAxis() throws {
        let canvas = figure.recording()
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        #expect(layout.compression.plot.minX == layout.accuracy.plot.minX)
        #expect(layout.compression.plot.maxX == layout.accuracy.plot.maxX)
        #expect(layout.compression.xDomain == layout.accuracy.xDomain)
        #expect(layout.compression.xTicks == [2, 4, 6, 8, 12, 16])
        #expect(layout.compression.plot.maxY < layout.accuracy.plot.minY, "compression on top")
        #expect(abs(layout.compression.plot.height - layout.accuracy.plot.height) < 1e-9)
        let top = whiskers(canvas, panel: "compression-panel").map(\.0.x)
        let bottom = whiskers(canvas, panel: "accuracy-panel").map(\.0.x)
        #expect(top.count == 6 && top == bottom)
        // Only the bottom panel labels the shared axis.
        #expect(canvas.commands(in: "compression-panel").filter { $0.isIn("x-tick-label") || $0.isIn("x-title") }.isEmpty)
        let labels = canvas.commands(in: "accuracy-panel").filter { $0.isIn("x-tick-label") }.compactMap { c -> String? in
            if case let .text(t) = c.kind { return t.string } else { return nil }
        }
        #expect(labels == ["2", "4", "6", "8", "12", "16"])
        #expect(canvas.texts(in: "x-title").map(\.string) == ["Bit precision p"])
    }

    @Test func whiskersSpanTheGivenIntervals() throws {
        let canvas = figure.recording()
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        for (panel, pl, value) in [("compression-panel", layout.compression, { (p: PrecisionPoint) in p.compression }),
                                   ("accuracy-panel", layout.accuracy, { (p: PrecisionPoint) in p.accuracy })] {
            let y = pl.yDomain, p = pl.plot
            func py(_ v: Double) -> Double { p.maxY - (v - y.lowerBound) / (y.upperBound - y.lowerBound) * p.height }
            let bars = whiskers(canvas, panel: panel)
            for (bar, point) in zip(bars, Fixtures.precision.series[0].points) {
                #expect(abs(bar.0.y - py(value(point).upper)) < 1e-9, "\(panel) p=\(point.precision) upper")
                #expect(abs(bar.1.y - py(value(point).lower)) < 1e-9, "\(panel) p=\(point.precision) lower")
            }
            let all = Fixtures.precision.series[0].points.flatMap { [value($0).lower, value($0).upper] }
            expectNiceTicks(pl.yTicks, cover: all.min()!...all.max()!, panel)
        }
    }

    @Test func referenceLinesAndLegend() throws {
        let canvas = figure.recording()
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        #expect(canvas.commands(in: "reference:BMRS_N").count == 2)
        let legend = try #require(layout.legend)
        #expect(!legend.intersects(layout.compression.plot) && !legend.intersects(layout.accuracy.plot))
        #expect(canvas.texts(in: "legend").map(\.string) == ["MNIST, MLP", "BMRS_N"])
    }

    @Test func severalSeriesAreDodgedAndStayClean() throws {
        let names = ["MNIST, MLP", "Fashion-MNIST, MLP", "CIFAR-10, MLP", "MNIST, LeNet5", "Fashion-MNIST, LeNet5 (released code)"]
        let series = names.enumerated().map { i, name in
            PrecisionSeries(name: name, points: [2.0, 4, 6, 8, 12, 16].map { p in
                let c = 40 + Double(i) * 8 + 20 / p, a = 90 - Double(i) * 5 + p / 8
                return PrecisionPoint(precision: p, compression: Fixtures.interval(c, 1.5), accuracy: Fixtures.interval(a, 0.6))
            })
        }
        let figure = PrecisionFigure(series: series, references: [ReferenceLevel(name: "BMRS_N (MNIST, MLP)", compression: 48.9, accuracy: 96.9)],
                                     title: "BMRS_U-p against bit precision — all settings, seeds 0–9")
        let canvas = figure.recording()
        expectCleanLayout(canvas, "precision, 5 series")
        expectDrawingOnPage(canvas, "precision, 5 series")
        let xs = whiskers(canvas, panel: "accuracy-panel").map(\.0.x)
        #expect(xs.count == 30 && Set(xs).count == 30, "every whisker at its own x")
        #expect(canvas.texts(in: "legend").count == 6)
    }

    @Test func fixtureLayoutIsClean() {
        let canvas = figure.recording()
        expectCleanLayout(canvas, "precision")
        expectDrawingOnPage(canvas, "precision")
        #expect(canvas.size == figure.size)
    }
}
