import Foundation
import Rendering
import Testing

enum ScoreScatterFixtures {
    /// ΔF from −1e6 to 10 and E[θ] from 1e−9 to 1, three layers in two panels, one point
    /// that no log axis can show (E[θ] = 0) and one non-finite ΔF.
    static func points(_ k: Int, shift: Double) -> [DataPoint] {
        (0..<k).map { i in
            let t = Double(i) / Double(max(1, k - 1))
            return DataPoint(x: -pow(10, 6 * (1 - t)) + shift, y: pow(10, -8 * (1 - t) * 0.5 - 0.1))
        }
    }

    static let unpruned = ScatterPanel(title: "unpruned model", groups: [
        ScatterGroup(name: "fc1", points: points(8, shift: 0)),
        ScatterGroup(name: "fc2", points: points(5, shift: 0.5) + [DataPoint(x: -3, y: 0)]),
    ])
    static let final = ScatterPanel(title: "final model of continuous BMRS_N", groups: [
        ScatterGroup(name: "fc2", points: points(4, shift: 2) + [DataPoint(x: -.infinity, y: 0.5)]),
        ScatterGroup(name: "fc3", points: [DataPoint(x: -0.001, y: 0.05), DataPoint(x: 9.7, y: 2e-9)]),
    ])

    static let bmrs = ThresholdLine(value: 0, label: "BMRS rule: prune at ΔF ≥ 0")
    static let released = ThresholdLine(value: -0.5 * log(2 * Double.pi), label: "released const.", color: OkabeIto.reddishPurple, dash: .dashed)
    static let etheta = ThresholdLine(value: 0.1, label: "E[θ] rule: prune at E[θ] ≤ 0.1", color: OkabeIto.bluishGreen, dash: .dashDot)

    static let figure = ScoreScatterFigure(
        panels: [unpruned, final], title: "E[θ] against ΔF of BMRS_N — Fashion-MNIST, MLP",
        xLabel: "ΔF BMRS_N (exact constant)", yLabel: "E[θ]", xScale: .symmetricLog(linearWidth: 1), yScale: .logarithmic,
        xThresholds: [bmrs, released], yThresholds: [etheta])
}

@Suite struct ScoreScatterFigureTests {
    let figure = ScoreScatterFixtures.figure

    @Test func scalesMapAsDocumented() {
        let s = AxisScale.symmetricLog(linearWidth: 1)
        #expect(s.transform(0) == 0 && s.transform(0.5) == 0.5 && s.transform(-1) == -1)
        #expect(s.transform(10) == 2 && s.transform(-1e17) == -18)
        #expect(abs(s.transform(1.0000001)! - 1) < 1e-6 && abs(s.transform(-1.0000001)! + 1) < 1e-6, "continuous at ±c")
        for v in [0.3, 4.0, 1e9] { #expect(s.transform(-v) == -s.transform(v)!) }
        #expect(s.transform(.infinity) == nil && s.transform(.nan) == nil)
        #expect(AxisScale.logarithmic.transform(0) == nil && AxisScale.logarithmic.transform(100) == 2)
        #expect(AxisScale.powerOfTen(-3) == "10⁻³" && AxisScale.powerOfTen(17) == "10¹⁷" && AxisScale.powerOfTen(0) == "1")
    }

    @Test func oneColourAndMarkerPerLayerAcrossPanels() throws {
        let canvas = figure.recording()
        var styles: [String: Set<String>] = [:]
        for name in figure.groupNames {
            for c in canvas.commands(in: "group:\(name)") {
                if case let .marker(shape, _, _, fill, _) = c.kind { styles[name, default: []].insert("\(shape) \(fill!)") }
            }
        }
        #expect(figure.groupNames == ["fc1", "fc2", "fc3"])
        #expect(styles.count == 3 && styles.values.allSatisfy { $0.count == 1 }, "\(styles)")
        #expect(Set(styles.values.map { $0.first! }).count == 3)
        // fc2 appears in both panels, with the same style.
        #expect(canvas.commands(in: "group:fc2").contains { $0.isIn("panel:0") } && canvas.commands(in: "group:fc2").contains { $0.isIn("panel:1") })
        #expect(canvas.texts(in: "legend").map(\.string) == [
            "fc1", "fc2", "fc3", "BMRS rule: prune at ΔF ≥ 0", "released const.", "E[θ] rule: prune at E[θ] ≤ 0.1",
        ])
    }

    @Test func pointsThresholdsAndHiddenPoints() throws {
        let canvas = figure.recording()
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        #expect(layout.panels.count == 2 && layout.panels[0].xDomain == layout.panels[1].xDomain)
        #expect(layout.panels[0].plot.width == layout.panels[1].plot.width)
        for (i, panel) in layout.panels.enumerated() {
            func px(_ v: Double) -> Double { panel.plot.minX + (v - panel.xDomain.lowerBound) / (panel.xDomain.upperBound - panel.xDomain.lowerBound) * panel.plot.width }
            func py(_ v: Double) -> Double { panel.plot.maxY - (v - panel.yDomain.lowerBound) / (panel.yDomain.upperBound - panel.yDomain.lowerBound) * panel.plot.height }
            let x0 = canvas.commands(in: "threshold:BMRS rule: prune at ΔF ≥ 0").filter { $0.isIn("panel:\(i)") }
            let xr = canvas.commands(in: "threshold:released const.").filter { $0.isIn("panel:\(i)") }
            let ye = canvas.commands(in: "threshold:E[θ] rule: prune at E[θ] ≤ 0.1").filter { $0.isIn("panel:\(i)") }
            guard case let .line(a, b, _)? = x0.first?.kind, case let .line(c, _, _)? = xr.first?.kind,
                  case let .line(e, f, _)? = ye.first?.kind else {
                Issue.record("panel \(i): threshold lines missing")
                continue
            }
            #expect(abs(a.x - px(0)) < 1e-9 && a.x == b.x)
            #expect(abs(c.x - px(-0.5 * log(2 * Double.pi))) < 1e-9, "inside the linear part of the symlog axis")
            #expect(abs(e.y - py(-1)) < 1e-9 && e.y == f.y, "E[θ] = 0.1 at log₁₀ = −1")
            // Every marker is where its scaled coordinates say.
            let source = figure.panels[i].groups.flatMap(\.points).compactMap { p -> Point? in
                guard let x = AxisScale.symmetricLog(linearWidth: 1).transform(p.x), let y = AxisScale.logarithmic.transform(p.y) else { return nil }
                return Point(x: px(x), y: py(y))
            }
            let drawn = canvas.commands(in: "panel:\(i)").compactMap { c -> Point? in
                if case let .marker(_, center, _, _, _) = c.kind { return center } else { return nil }
            }
            #expect(drawn.count == source.count)
            for (d, s) in zip(drawn, source) { #expect(abs(d.x - s.x) < 1e-9 && abs(d.y - s.y) < 1e-9) }
        }
        let captions = canvas.texts(in: "caption").map(\.string)
        #expect(captions == ["unpruned model (14 structures, 1 not shown: outside the scale)",
                             "final model of continuous BMRS_N (7 structures, 1 not shown: outside the scale)"])
        // Symlog ticks are labelled as ΔF values.
        let xLabels = canvas.texts(in: "x-tick-label").map(\.string)
        #expect(xLabels.contains("0") && xLabels.contains { $0.hasPrefix("−10") })
    }

    @Test func layoutIsCleanAndThePNGRenders() throws {
        let canvas = figure.recording()
        expectCleanLayout(canvas, "scatter")
        expectDrawingOnPage(canvas, "scatter")
        let png = try figure.render(.png(dpi: 100))
        let image = try RasterImage(png: png)
        #expect(image.width > 500 && image.height > 300)
        // A short E[θ] range gets 1-2-5 ticks rather than a single decade.
        let narrow = ScoreScatterFigure(panels: [ScatterPanel(title: "narrow", groups: [
            ScatterGroup(name: "fc1", points: [DataPoint(x: -500, y: 0.3), DataPoint(x: -50, y: 0.9)]),
        ])], title: "narrow", xLabel: "ΔF", yLabel: "E[θ]", xScale: .symmetricLog(linearWidth: 1), yScale: .logarithmic)
        let labels = narrow.recording().texts(in: "y-tick-label").map(\.string)
        #expect(labels.count >= 3 && labels.contains("0.5"), "\(labels)")
    }
}
