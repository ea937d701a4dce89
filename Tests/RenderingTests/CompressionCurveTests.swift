import Foundation
import Rendering
import Testing

@Suite struct CompressionCurveFigureTests {
    let figure = Fixtures.curves

    func lines(_ canvas: RecordingCanvas, panel: String) -> [String: StrokeStyle] {
        var out: [String: StrokeStyle] = [:]
        for c in canvas.commands(in: panel) where c.isIn("line") {
            if case let .polyline(_, style) = c.kind, let name = c.groups.first(where: { $0.hasPrefix("series:") }) {
                out[String(name.dropFirst(7))] = style
            }
        }
        return out
    }

    @Test func legendSitsOutsideEveryPlotArea() throws {
        let canvas = figure.recording()
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        let legend = try #require(layout.legend)
        #expect(!legend.intersects(layout.main.plot))
        #expect(!legend.intersects(layout.zoom!.plot))
        #expect(canvas.pageRect.contains(legend))
        #expect(canvas.bounds(of: "legend").map { legend.insetBy(dx: -0.5, dy: -0.5).contains($0) } == true)
        #expect(canvas.texts(in: "legend").map(\.string) == Fixtures.series.map(\.name))
    }

    @Test func ticksAreNiceAndCoverTheData() throws {
        let layout = figure.layout(for: figure.size, measuring: CairoTextMeasurer())
        let xs = Fixtures.series.flatMap { $0.points.map(\.x) }
        let ys = Fixtures.series.flatMap { $0.points.flatMap { [$0.mean - $0.std, $0.mean + $0.std] } }
        expectNiceTicks(layout.main.xTicks, cover: xs.min()!...xs.max()!, "main x")
        expectNiceTicks(layout.main.yTicks, cover: ys.min()!...ys.max()!, "main y")
        #expect(layout.main.xTicks == [0, 20, 40, 60, 80, 100])
        let zoom = try #require(layout.zoom)
        expectNiceTicks(zoom.xTicks, cover: 47.63...55.77, "zoom x")
        expectNiceTicks(zoom.yTicks, cover: 96.78...97.09, "zoom y")
    }

    @Test func everySeriesHasItsOwnColourAndDash() {
        let canvas = figure.recording()
        let styles = lines(canvas, panel: "main-panel")
        #expect(Set(styles.keys) == Set(Fixtures.series.map(\.name)))
        #expect(Set(styles.values.map(\.color)).count == styles.count)
        #expect(Set(styles.values.map(\.dash)).count == min(styles.count, DashPattern.seriesPatterns.count))
        #expect(styles.values.allSatisfy { OkabeIto.lineColors.contains($0.color) })
    }

    @Test func bandsAreTranslucentAndSpanOneStd() {
        let canvas = figure.recording()
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        let p = layout.main.plot, x = layout.main.xDomain, y = layout.main.yDomain
        func py(_ v: Double) -> Double { p.maxY - (v - y.lowerBound) / (y.upperBound - y.lowerBound) * p.height }
        func px(_ v: Double) -> Double { p.minX + (v - x.lowerBound) / (x.upperBound - x.lowerBound) * p.width }
        let bands = canvas.commands(in: "main-panel").filter { $0.isIn("band") }
        #expect(bands.count == Fixtures.series.count)
        for c in bands {
            guard case let .polygon(points, color) = c.kind else { Issue.record("band is not a polygon"); continue }
            #expect(color.alpha > 0 && color.alpha < 0.5)
            #expect(c.clip == p, "bands are clipped to the plot")
            let name = String(c.groups.first { $0.hasPrefix("series:") }!.dropFirst(7))
            let series = Fixtures.series.first { $0.name == name }!
            let k = series.points.count
            #expect(points.count == 2 * k)
            for (i, pt) in series.points.enumerated() {
                #expect(abs(points[i].x - px(pt.x)) < 1e-9 && abs(points[i].y - py(pt.mean + pt.std)) < 1e-9)
                #expect(abs(points[2 * k - 1 - i].y - py(pt.mean - pt.std)) < 1e-9)
            }
        }
    }

    /// A std wider than the distance to 0 % (a criterion that collapses on some seeds)
    /// neither draws negative accuracy nor stretches the axis below 0.
    @Test func bandsStopAtTheAccuracyLimits() {
        let wide = CurveSeries(name: "E[θ]", points: [CurvePoint(x: 0, mean: 85, std: 1), CurvePoint(x: 40, mean: 20, std: 30),
                                                      CurvePoint(x: 100, mean: 10, std: 0)])
        let end = CurveEndPoint(name: "BMRS_N end point", xMean: 30, xStd: 5, yMean: 90, yStd: 20)
        let figure = CompressionCurveFigure(series: [wide], endPoints: [end], title: "t")
        let canvas = figure.recording()
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        #expect(layout.main.yDomain.lowerBound >= 0 && layout.main.yDomain.upperBound <= 100, "\(layout.main.yDomain)")
        let p = layout.main.plot, y = layout.main.yDomain
        func py(_ v: Double) -> Double { p.maxY - (v - y.lowerBound) / (y.upperBound - y.lowerBound) * p.height }
        let band = canvas.commands(in: "main-panel").first { $0.isIn("band") }
        guard case let .polygon(points, _)? = band?.kind else { Issue.record("no band"); return }
        #expect(abs(points[4].y - py(0)) < 1e-9, "the band's lower edge at x = 40 is cut at 0 %")
        #expect(abs(points[1].y - py(50)) < 1e-9)
        // Without limits the same data would reach −10 %.
        var unlimited = figure
        unlimited.yLimits = nil
        #expect(unlimited.layout(for: canvas.size, measuring: CairoTextMeasurer()).main.yDomain.lowerBound < 0)
    }

    /// BMRS variants that stop at the same masks have the same end point: the markers are
    /// nested (earlier ones larger) so that every one stays visible.
    @Test func coincidentEndPointsAreNested() {
        let ends = ["BMRS_N", "BMRS_U-8", "BMRS_U-4"].map { CurveEndPoint(name: "\($0) end point", xMean: 40, yMean: 80) }
        let line = CurveSeries(name: "SNR", points: [CurvePoint(x: 0, mean: 85), CurvePoint(x: 100, mean: 10)])
        let figure = CompressionCurveFigure(series: [line], endPoints: ends, title: "t")
        let sizes = figure.recording().commands(in: "main-panel").compactMap { c -> Double? in
            if case let .marker(_, _, size, _, _) = c.kind { return size } else { return nil }
        }
        #expect(sizes.count == 3)
        #expect(sizes == sizes.sorted(by: >) && Set(sizes).count == 3, "\(sizes)")
    }

    @Test func endPointsHaveMarkersAndErrorBars() throws {
        let canvas = figure.recording()
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        let p = layout.main.plot, x = layout.main.xDomain
        for e in Fixtures.endPoints {
            let cmds = canvas.commands(in: "main-panel").filter { $0.isIn("endpoint:\(e.name)") }
            let markers = cmds.compactMap { c -> Point? in if case let .marker(_, center, _, _, _) = c.kind { return center } else { return nil } }
            #expect(markers.count == 1)
            let center = try #require(markers.first)
            #expect(abs(center.x - (p.minX + (e.xMean - x.lowerBound) / (x.upperBound - x.lowerBound) * p.width)) < 1e-9)
            let bars = cmds.compactMap { c -> (Point, Point)? in
                if case let .line(a, b, _) = c.kind { return (a, b) } else { return nil }
            }
            #expect(bars.count == 6, "two bars with two caps each")
            // The horizontal bar runs through the marker; the vertical bar's caps do not.
            let horizontal = try #require(bars.first { $0.0.y == center.y && $0.1.y == center.y })
            let expected = 2 * e.xStd / (x.upperBound - x.lowerBound) * p.width
            #expect(abs(abs(horizontal.1.x - horizontal.0.x) - expected) < 1e-9)
        }
        let zoomMarkers = canvas.commands(in: "zoom-panel").filter { if case .marker = $0.kind { return true } else { return false } }
        #expect(zoomMarkers.count == Fixtures.endPoints.count)
    }

    @Test func zoomFramesTheEndPoints() throws {
        let layout = figure.layout(for: figure.size, measuring: CairoTextMeasurer())
        let zoom = try #require(layout.zoom)
        for e in Fixtures.endPoints {
            #expect(zoom.xDomain.contains(e.xMean - e.xStd) && zoom.xDomain.contains(e.xMean + e.xStd))
            #expect(zoom.yDomain.contains(e.yMean - e.yStd) && zoom.yDomain.contains(e.yMean + e.yStd))
        }
        let window = try #require(layout.zoomWindow)
        #expect(layout.main.plot.contains(window))
        #expect(!zoom.plot.intersects(layout.main.plot))
    }

    /// An end point at 0 % compression (BMRS_N pruning nothing) frames a window that starts
    /// at 0, not at negative compression.
    @Test func zoomStaysWithinPercentages() throws {
        let ends = [CurveEndPoint(name: "BMRS_N", xMean: 0, xStd: 0, yMean: 84.5, yStd: 0.1),
                    CurveEndPoint(name: "BMRS_U-4", xMean: 66, xStd: 3, yMean: 83.8, yStd: 0.2)]
        let f = CompressionCurveFigure(series: Fixtures.series, endPoints: ends, title: "t", zoom: ZoomPanel())
        let zoom = try #require(f.layout(for: f.size, measuring: CairoTextMeasurer()).zoom)
        #expect(zoom.xDomain.lowerBound == 0 && zoom.xDomain.upperBound <= 100)
        #expect(zoom.xDomain.contains(69) && zoom.yDomain.contains(84.6) && zoom.yDomain.contains(83.6))
    }

    @Test func fixtureLayoutIsClean() {
        let canvas = figure.recording()
        expectCleanLayout(canvas, "curves")
        expectDrawingOnPage(canvas, "curves")
        #expect(canvas.size == figure.size)
        #expect(canvas.texts(in: "title").map(\.string) == [figure.title, figure.subtitle!])
    }

    @Test(arguments: [LegendPlacement.automatic, .right, .below], [false, true])
    func manyLongNamedSeriesStayClean(placement: LegendPlacement, zoom: Bool) throws {
        let figure = CompressionCurveFigure(series: Stress.series, endPoints: Stress.endPoints,
                                            title: "Post-training pruning — CIFAR-10, LeNet5, seeds 0–9",
                                            subtitle: "mean ± 1 std over 10 seeds; markers: thresholdless end points",
                                            zoom: zoom ? ZoomPanel() : nil, legendPlacement: placement)
        let canvas = figure.recording()
        let what = "\(placement), zoom \(zoom)"
        expectCleanLayout(canvas, what)
        expectDrawingOnPage(canvas, what)
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        let legend = try #require(layout.legend)
        #expect(!legend.intersects(layout.main.plot), "\(what)")
        if let z = layout.zoom { #expect(!legend.intersects(z.plot), "\(what)") }
        #expect(canvas.pageRect.contains(legend), "\(what)")
        #expect(canvas.texts(in: "legend").map(\.string) == Stress.names)
        #expect(layout.main.plot.width >= 100 && layout.main.plot.height >= 80, "\(what): plot \(layout.main.plot)")
        if placement == .automatic { #expect(legend.minY > layout.main.plot.maxY, "long names put the legend below") }
        let styles = lines(canvas, panel: "main-panel").values
        #expect(Set(styles.map { "\($0.color)|\($0.dash.segments)" }).count == Stress.names.count)
    }

    @Test func emptyInputStillDrawsAxes() {
        let figure = CompressionCurveFigure(series: [], title: "nothing yet")
        let canvas = figure.recording()
        expectCleanLayout(canvas, "empty")
        #expect(figure.layout(for: canvas.size, measuring: CairoTextMeasurer()).legend == nil)
        #expect(!canvas.texts(in: "y-tick-label").isEmpty)
    }
}

/// End points spread over the whole range leave nothing to magnify: no zoom panel, rather
/// than a "zoom" larger than the plot (seen: LeNet5 with end points at 0 % and 100 %).
@Suite("Curve zoom panel")
struct CurveZoomPanelTests {
    @Test func endPointsAcrossTheWholeRangeGetNoZoom() throws {
        let ends = [CurveEndPoint(name: "BMRS_N", xMean: 0, xStd: 0, yMean: 70, yStd: 0),
                    CurveEndPoint(name: "BMRS_U-4", xMean: 99, xStd: 0, yMean: 10, yStd: 0)]
        let f = CompressionCurveFigure(series: Fixtures.series, endPoints: ends, title: "t", zoom: ZoomPanel())
        let layout = f.layout(for: f.size, measuring: CairoTextMeasurer())
        #expect(layout.zoom == nil && layout.zoomWindow == nil)
    }

    @Test func aZoomWindowStaysInsideTheMainPanel() throws {
        let ends = [CurveEndPoint(name: "BMRS_N", xMean: 64, xStd: 1, yMean: 84.5, yStd: 0.3),
                    CurveEndPoint(name: "BMRS_U-4", xMean: 66, xStd: 3, yMean: 83.8, yStd: 0.2)]
        let f = CompressionCurveFigure(series: Fixtures.series, endPoints: ends, title: "t", zoom: ZoomPanel())
        let layout = f.layout(for: f.size, measuring: CairoTextMeasurer())
        let window = try #require(layout.zoomWindow)
        let main = layout.main.plot
        #expect(window.minX >= main.minX - 1e-9 && window.maxX <= main.maxX + 1e-9)
        #expect(window.minY >= main.minY - 1e-9 && window.maxY <= main.maxY + 1e-9)
    }
}
