import Foundation
import Rendering
import Testing

@Suite struct CorrelationHeatmapTests {
    let figure = Fixtures.heatmap

    @Test func annotatesEveryCellWithTwoDecimals() {
        let canvas = figure.recording()
        let annotations = canvas.texts(in: "annotations")
        let n = Fixtures.criteria.count
        #expect(annotations.count == n * n)
        let expected = Fixtures.correlation.joined().map { String(format: "%.2f", $0) }
        #expect(annotations.map(\.string) == expected)
        #expect(annotations.filter { $0.string == "1.00" }.count == n + 2)  // diagonal + E[θ]–SNR twice
    }

    @Test func annotationsSitInTheirCellsInAContrastingColour() {
        let canvas = figure.recording()
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        let annotations = canvas.texts(in: "annotations")
        let cells = canvas.commands(in: "cells").compactMap { c -> (Rect, Color)? in
            if case let .fillRect(r, color) = c.kind { return (r, color) } else { return nil }
        }
        let n = Fixtures.criteria.count
        #expect(cells.count == n * n)
        for (i, text) in annotations.enumerated() {
            let (r, c) = (i / n, i % n)
            let cell = Rect(x: layout.grid.minX + Double(c) * layout.cell, y: layout.grid.minY + Double(r) * layout.cell,
                            width: layout.cell, height: layout.cell)
            #expect(cell.contains(text.bounds), "annotation \(text.string) at (\(r), \(c)) leaves its cell")
            #expect(abs(text.anchorPoint.x - cell.midX) < 1e-9 && abs(text.anchorPoint.y - cell.midY) < 1e-9)
            let fill = cells[i].1
            #expect(fill == ColorMap.viridis.color(for: Fixtures.correlation[r][c], in: 0...1))
            #expect(text.color == fill.contrastingTextColor)
            #expect(fill.contrastRatio(with: text.color) >= 4.5)
        }
        // Both ends of the map are used with both text colours.
        #expect(Set(annotations.map(\.color)) == [.black, .white])
    }

    @Test func labelsOnBothAxesAndAColourBarWithNiceTicks() {
        let canvas = figure.recording()
        #expect(canvas.texts(in: "y-labels").map(\.string) == Fixtures.criteria)
        #expect(canvas.texts(in: "x-labels").map(\.string) == Fixtures.criteria)
        let layout = figure.layout(for: canvas.size, measuring: CairoTextMeasurer())
        expectNiceTicks(layout.colorBarTicks, cover: 0...1, "colour bar")
        let barTexts = canvas.texts(in: "color-bar").map(\.string)
        #expect(barTexts.contains("Spearman ρ"))
        #expect(barTexts.contains("0.0") && barTexts.contains("1.0"))
        #expect(!layout.grid.intersects(layout.colorBar))
        #expect(canvas.texts(in: "title").map(\.string).joined(separator: " ") == figure.title)
    }

    @Test func shortLabelsStayHorizontalLongOnesTurn() {
        let short = CorrelationHeatmap(labels: ["A", "B", "C"], matrix: [[1, 0.5, 0.2], [0.5, 1, 0.1], [0.2, 0.1, 1]], title: "t")
        #expect(short.recording().texts(in: "x-labels").allSatisfy { $0.rotation == 0 })
        let canvas = Fixtures.heatmap.recording()
        let rotations = Set(canvas.texts(in: "x-labels").map(\.rotation))
        #expect(rotations.count == 1 && rotations.first! > 0, "BMRS_U-8 is wider than its column: \(rotations)")
    }

    @Test func negativeCorrelationsUseASymmetricRange() {
        let m: [[Double]] = [[1, -0.4], [-0.4, 1]]
        let figure = CorrelationHeatmap(labels: ["L2", "SNR"], matrix: m, title: "t")
        #expect(figure.effectiveRange == -1...1)
        let canvas = figure.recording()
        #expect(canvas.texts(in: "annotations").map(\.string) == ["1.00", "\u{2212}0.40", "\u{2212}0.40", "1.00"])
        #expect(canvas.texts(in: "color-bar").map(\.string).contains("\u{2212}1.0"))
    }

    @Test(arguments: [3, 6, 12, 16])
    func layoutIsCleanForManyLongLabels(count: Int) {
        let labels = (0..<count).map { Stress.names[$0 % Stress.names.count] + ($0 >= Stress.names.count ? " #\($0)" : "") }
        let m = labels.indices.map { i in labels.indices.map { j in i == j ? 1 : Double((i * 7 + j * 3) % 11) / 10 - 0.2 } }
        let figure = CorrelationHeatmap(labels: labels, matrix: m, title: "Spearman rank correlation — CIFAR-10, LeNet5, seeds 0–9")
        let canvas = figure.recording()
        expectCleanLayout(canvas, "\(count) labels")
        expectDrawingOnPage(canvas, "\(count) labels")
        #expect(figure.layout(for: canvas.size, measuring: CairoTextMeasurer()).fits)
        #expect(canvas.texts(in: "annotations").allSatisfy { $0.font.size >= 6 })
    }

    @Test func fixtureLayoutIsClean() {
        let canvas = figure.recording()
        expectCleanLayout(canvas, "heatmap")
        expectDrawingOnPage(canvas, "heatmap")
        #expect(canvas.size == figure.size, "the fixture fits its requested size")
    }
}
