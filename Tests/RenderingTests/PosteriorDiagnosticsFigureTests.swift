import Foundation
import Rendering
import Testing

/// Hand-made diagnostics: two models × two layers, columns like the CLI's (ΔF exact with the
/// released rule's position, ΔF released, log σ), a counts table.
enum DiagnosticsFigureFixtures {
    static let releasedShift = 0.5 * log(2 * Double.pi)
    static let bmrs = ThresholdLine(value: 0, label: "BMRS rule: prune at ΔF ≥ 0")
    static let released = ThresholdLine(value: -releasedShift, label: "released const. on the exact scale", color: OkabeIto.reddishPurple,
                                        dash: .dashed)
    static let columns = [
        DiagnosticsColumn(title: "ΔF BMRS_N, exact constant", axisLabel: "ΔF (exact)", range: -8...4, thresholds: [bmrs, released]),
        DiagnosticsColumn(title: "ΔF BMRS_N, released constant", axisLabel: "ΔF (released)", range: -8...4, thresholds: [bmrs]),
        DiagnosticsColumn(title: "log σ", axisLabel: "log σ", range: -12...4),
    ]
    static let deltaFEdges = (0...48).map { -8 + Double($0) * 0.25 }
    static let logSigmaEdges = (0...64).map { -12 + Double($0) * 0.25 }

    static func counts(_ edges: [Double], at bins: [Int: Int]) -> [Int] {
        (0..<(edges.count - 1)).map { bins[$0] ?? 0 }
    }

    static func layer(_ name: String, structures: Int, nearZero: Int, pruned: Int) -> DiagnosticsLayer {
        let far = structures - nearZero - pruned
        return DiagnosticsLayer(name: name, structures: structures, histograms: [
            BinnedCounts(edges: deltaFEdges, counts: counts(deltaFEdges, at: [31: nearZero, 33: pruned]), below: far, above: 0,
                         finiteRange: -1e6...0.3),
            BinnedCounts(edges: deltaFEdges, counts: counts(deltaFEdges, at: [35: nearZero, 36: pruned]), below: far,
                         finiteRange: -1e6...1.2),
            BinnedCounts(edges: logSigmaEdges, counts: counts(logSigmaEdges, at: [28: far, 56: nearZero + pruned])),
        ], counts: [pruned, pruned + nearZero, nearZero])
    }

    static let unpruned = DiagnosticsModel(name: "unpruned model", shortName: "unpruned", layers: [
        DiagnosticsLayer(name: "fc1", structures: 50, histograms: [
            BinnedCounts(edges: deltaFEdges, counts: counts(deltaFEdges, at: [:]), below: 50, finiteRange: -9.6e5 ... -9.4e5),
            BinnedCounts(edges: deltaFEdges, counts: counts(deltaFEdges, at: [:]), below: 50, finiteRange: -9.6e5 ... -9.4e5),
            BinnedCounts(edges: logSigmaEdges, counts: counts(logSigmaEdges, at: [28: 50])),
        ], counts: [0, 0, 0]),
        layer("fc2", structures: 50, nearZero: 4, pruned: 1),
    ])
    static let final = DiagnosticsModel(name: "final model of continuous BMRS_N", shortName: "BMRS_N", layers: [
        layer("fc1", structures: 50, nearZero: 20, pruned: 3),
        layer("fc2", structures: 50, nearZero: 12, pruned: 0),
    ])

    static let figure = PosteriorDiagnosticsFigure(
        models: [unpruned, final], columns: columns,
        countLabels: ["BMRS_N", "BMRS_N released", "edge |ΔF_N| < 0.05"],
        title: "Posterior diagnostics — Fashion-MNIST, MLP, seed 1000",
        subtitle: "Structures per bin; ◀ n / n ▶: structures outside the window")
}

@Suite struct PosteriorDiagnosticsFigureTests {
    let figure = DiagnosticsFigureFixtures.figure

    func lines(_ canvas: RecordingCanvas, in group: String) -> [(Point, Point, [String])] {
        canvas.commands(in: group).compactMap { c in
            if case let .line(a, b, _) = c.kind { return (a, b, c.groups) } else { return nil }
        }
    }

    @Test func thresholdLinesAtTheirValues() throws {
        let canvas = figure.recording()
        let layout = figure.layout(measuring: CairoTextMeasurer())
        #expect(layout.panels.count == 2 && layout.panels.allSatisfy { $0.count == 3 })
        func px(_ panel: PanelLayout, _ v: Double) -> Double {
            panel.plot.minX + (v - panel.xDomain.lowerBound) / (panel.xDomain.upperBound - panel.xDomain.lowerBound) * panel.plot.width
        }
        for (r, row) in ["fc1", "fc2"].enumerated() {
            for (c, column) in figure.columns.enumerated() {
                let panel = layout.panels[r][c]
                #expect(panel.xDomain == column.range, "the x axis is the histogram window")
                for t in column.thresholds {
                    let drawn = lines(canvas, in: "threshold:\(t.label)").filter { $0.2.contains("row:\(row)") && $0.2.contains("panel:\(c)") }
                    #expect(drawn.count == 1, "\(row) column \(c): \(t.label)")
                    guard let line = drawn.first else { continue }
                    #expect(abs(line.0.x - px(panel, t.value)) < 1e-9 && line.0.x == line.1.x)
                    #expect(abs(line.0.y - panel.plot.minY) < 1e-9 && abs(line.1.y - panel.plot.maxY) < 1e-9, "full height")
                }
            }
        }
        // The released rule sits ½·log 2π left of 0 on the exact axis.
        let zero = lines(canvas, in: "threshold:BMRS rule: prune at ΔF ≥ 0").first { $0.2.contains("panel:0") }!.0.x
        let shifted = lines(canvas, in: "threshold:released const. on the exact scale").first!.0.x
        let panel = layout.panels[0][0]
        #expect(abs((zero - shifted) / panel.plot.width * 12 - DiagnosticsFigureFixtures.releasedShift) < 1e-9)
        // Columns stay aligned from row to row.
        for c in 0..<3 { #expect(layout.panels[0][c].plot.minX == layout.panels[1][c].plot.minX) }
        #expect(layout.panels[0][0].plot.width == layout.panels[1][2].plot.width)
    }

    @Test func barsHaveTheirCountsAndOneColourPerModel() throws {
        let canvas = figure.recording()
        let layout = figure.layout(measuring: CairoTextMeasurer())
        var colors: [String: Set<Color>] = [:]
        for model in figure.models {
            for c in canvas.commands(in: "model:\(model.name)") {
                if case let .fillRect(_, color) = c.kind { colors[model.name, default: []].insert(color) }
            }
        }
        #expect(colors.count == 2 && colors.values.allSatisfy { $0.count == 1 }, "\(colors)")
        #expect(colors["unpruned model"] != colors["final model of continuous BMRS_N"])
        // fc1 of the final model: 20 structures in bin 31 of the exact ΔF, whose plot spans 0…y.
        let panel = layout.panels[0][0]
        let bars = canvas.commands(in: "model:final model of continuous BMRS_N").filter { $0.isIn("row:fc1") && $0.isIn("panel:0") && $0.isIn("bars") }
        #expect(bars.count == 2)
        func py(_ v: Double) -> Double { panel.plot.maxY - (v - panel.yDomain.lowerBound) / (panel.yDomain.upperBound - panel.yDomain.lowerBound) * panel.plot.height }
        if case let .fillRect(rect, _)? = bars.first?.kind {
            #expect(abs(rect.minY - py(20)) < 1e-9 && abs(rect.maxY - py(0)) < 1e-9)
            #expect(abs(rect.minX - (panel.plot.minX + 7.75 / 12 * panel.plot.width)) < 1e-9, "bin 31 = [−0.25, 0)")
        }
        #expect(panel.yTicks.first == 0 && panel.yTicks.allSatisfy { $0 == $0.rounded() }, "whole counts")
        // Each model has an outline in its own colour, in every panel.
        let outlines = canvas.commands(in: "outline")
        #expect(outlines.count == 2 * 2 * 3)
    }

    @Test func legendOutOfRangeAndEmptyPanels() throws {
        let canvas = figure.recording()
        #expect(canvas.texts(in: "legend").map(\.string) == [
            "unpruned model", "final model of continuous BMRS_N", "BMRS rule: prune at ΔF ≥ 0", "released const. on the exact scale",
        ])
        // fc1 of the unpruned model has nothing inside the ΔF window while the final model has
        // bars there: its strip line says where its values are (nothing covers the bars).
        let strips = canvas.texts(in: "out-of-range").map(\.string)
        #expect(strips.contains("◀ 27 < −8"), "\(strips)")
        #expect(strips.contains { $0.hasPrefix("◀ all 50 < −8") }, "\(strips)")
        #expect(canvas.commands(in: "empty-note").isEmpty)
        // Alone, the same model's empty panel says it in its middle.
        let alone = PosteriorDiagnosticsFigure(models: [DiagnosticsFigureFixtures.unpruned], columns: DiagnosticsFigureFixtures.columns,
                                               countLabels: ["a", "b", "c"], title: "unpruned alone").recording()
        let empty = alone.commands(in: "empty-note").filter { $0.isIn("row:fc1") && $0.isIn("panel:0") }
        let notes = empty.compactMap { c -> String? in if case let .text(t) = c.kind { return t.string } else { return nil } }
        #expect(notes == ["all 50 left of the window", "−9.6·10⁵ … −9.4·10⁵"])
        #expect(!alone.texts(in: "out-of-range").contains { $0.string.contains("50") }, "the note replaces the strip")
        expectCleanLayout(alone, "unpruned alone")
        let headers = canvas.texts(in: "counts").map(\.string)
        #expect(headers.filter { $0 == "unpruned" }.count == 2 && headers.filter { $0 == "BMRS_N" }.count == 4)
        #expect(canvas.texts(in: "x-titles").map(\.string) == ["ΔF (exact)", "ΔF (released)", "log σ"])
    }

    @Test func layoutIsCleanAndThePNGRenders() throws {
        let canvas = figure.recording()
        expectCleanLayout(canvas, "diagnostics")
        expectDrawingOnPage(canvas, "diagnostics")
        let png = try figure.render(.png(dpi: 100))
        let image = try RasterImage(png: png)
        let size = figure.canvasSize(measuring: CairoTextMeasurer())
        #expect(image.width == Int((size.width * 100 / 72).rounded(.up)) && image.height == Int((size.height * 100 / 72).rounded(.up)))
        #expect(Set(image.pixels).count > 10, "something was drawn")
        let pdf = try figure.render(.pdf)
        #expect(pdf.starts(with: Array("%PDF".utf8)))
        // One model alone, no counts table: still clean.
        var alone = DiagnosticsFigureFixtures.final
        alone.layers = alone.layers.map { DiagnosticsLayer(name: $0.name, structures: $0.structures, histograms: $0.histograms, counts: []) }
        let single = PosteriorDiagnosticsFigure(models: [alone], columns: DiagnosticsFigureFixtures.columns,
                                                title: "One model")
        let recorded = single.recording()
        expectCleanLayout(recorded, "single model")
        #expect(recorded.texts(in: "counts").isEmpty)
    }
}
