import Foundation
import Rendering
import Testing

@Suite struct TableFigureTests {
    let figure = Fixtures.table

    func cellText(_ canvas: RecordingCanvas, _ b: Int, _ r: Int, _ c: Int) -> [RecordedText] {
        canvas.texts(in: "cell:\(b),\(r),\(c)")
    }

    @Test func everyCellIsDrawnWithItsFont() {
        let canvas = figure.recording()
        for (b, block) in figure.blocks.enumerated() {
            for (r, row) in block.rows.enumerated() {
                for (c, cell) in row.cells.enumerated() {
                    let runs = cellText(canvas, b, r, c)
                    #expect(runs.map(\.string).joined(separator: " ") == cell, "cell \(b),\(r),\(c)")
                    let bold = figure.bold.contains(TableCellIndex(block: b, row: r, column: c))
                    #expect(runs.allSatisfy { $0.font.weight == (bold ? .bold : .regular) })
                }
            }
        }
        #expect(canvas.texts(in: "method").map(\.string) == figure.blocks.flatMap { $0.rows.map(\.method) })
        #expect(canvas.texts(in: "block-label").map(\.string) == ["MLP", "LeNet5"])
        #expect(canvas.texts(in: "group-headers").map(\.string) == figure.groups)
        #expect(canvas.texts(in: "column-headers").map(\.string)
                == ["Network", "Method"] + Array(repeating: ["Comp. (%)", "Acc. (%)"], count: 3).flatMap { $0 })
    }

    @Test func plusMinusSignsAlignWithinAColumn() {
        let canvas = figure.recording()
        for c in 0..<6 {
            var pivots = Set<Double>()
            for (b, block) in figure.blocks.enumerated() {
                for r in block.rows.indices {
                    let runs = cellText(canvas, b, r, c)
                    pivots.insert(runs[0].bounds.maxX)  // the left part ends at the pivot in every row
                    if runs.count == 2 { #expect(runs[1].string.hasPrefix("±")) }
                }
            }
            #expect(pivots.count == 1, "column \(c): \(pivots)")
        }
    }

    @Test func columnsAreWideEnoughAndRulesAreBooktabs() {
        let canvas = figure.recording()
        let layout = figure.layout(measuring: CairoTextMeasurer())
        let origin = (canvas.size.width - layout.width) / 2
        for (b, block) in figure.blocks.enumerated() {
            for r in block.rows.indices {
                for c in 0..<6 {
                    for run in cellText(canvas, b, r, c) {
                        let x0 = origin + layout.columnX[2 + c]
                        #expect(run.bounds.minX >= x0 - 1e-6 && run.bounds.maxX <= x0 + layout.columnWidths[2 + c] + 1e-6,
                                "cell \(b),\(r),\(c) \(run.string) outside its column")
                    }
                }
            }
        }
        let rules = canvas.commands(in: "rules").compactMap { c -> (Double, Double, Double)? in
            if case let .line(a, b, s) = c.kind { return (a.y, b.x - a.x, s.width) } else { return nil }
        }
        // top, 3 group rules, mid rule, 1 rule between blocks, bottom.
        #expect(rules.count == 7)
        #expect(rules.first!.2 > rules[1].2 && rules.last!.2 == rules.first!.2)
        #expect(rules.map(\.0) == rules.map(\.0).sorted())
        #expect(abs(rules.first!.1 - layout.width) < 1e-9 && rules[1].1 < layout.width / 3)
        let texts = canvas.texts
        let top = rules.first!.0, bottom = rules.last!.0
        #expect(texts.filter { !$0.bounds.intersects(Rect(x: 0, y: top, width: canvas.size.width, height: bottom - top)) }
            .map(\.string) == ["Table 1: Parameter compression and test accuracy (mean ± std over 10 seeds)"])
    }

    @Test func longMethodNamesAndManyRowsStayClean() {
        let rows = Stress.names.enumerated().map { i, name in
            TableRow(method: name, cells: (0..<6).map { c in c % 2 == 0 ? String(format: "%.2f ± %.2f", 40 + Double(i), 0.5) : String(format: "%.2f ± %.2f", 90 - Double(i), 12.31) })
        }
        let figure = TableFigure(groups: ["MNIST", "Fashion-MNIST", "CIFAR-10 (resized to 32×32, grey)"],
                                 blocks: [TableBlock(label: "MLP", rows: rows), TableBlock(label: "LeNet5", rows: rows)],
                                 bold: [TableCellIndex(block: 1, row: 11, column: 5)], title: "Table 2: all methods")
        let canvas = figure.recording()
        expectCleanLayout(canvas, "table stress")
        expectDrawingOnPage(canvas, "table stress")
        #expect(canvas.texts(in: "method").count == 24)
    }

    @Test func fixtureLayoutIsClean() {
        let canvas = figure.recording()
        expectCleanLayout(canvas, "table")
        expectDrawingOnPage(canvas, "table")
    }
}
