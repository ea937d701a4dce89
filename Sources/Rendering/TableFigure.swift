import Foundation

/// One method's row: the method name and one string per data column
/// (groups × sub-columns, group-major), e.g. "93.20 ± 0.31".
public struct TableRow: Hashable, Sendable {
    public var method: String
    public var cells: [String]

    public init(method: String, cells: [String]) {
        self.method = method
        self.cells = cells
    }
}

/// The rows of one network, labelled once at the left.
public struct TableBlock: Hashable, Sendable {
    public var label: String
    public var rows: [TableRow]

    public init(label: String, rows: [TableRow]) {
        self.label = label
        self.rows = rows
    }
}

/// Addresses a data cell: block, row within the block, data column.
public struct TableCellIndex: Hashable, Sendable {
    public var block: Int
    public var row: Int
    public var column: Int

    public init(block: Int, row: Int, column: Int) {
        self.block = block
        self.row = row
        self.column = column
    }
}

/// A paper-style results table (SPEC §6, "Table"): a column group per dataset with
/// sub-columns (default "Comp. (%)", "Acc. (%)"), a block per network, a row per method,
/// booktabs rules (heavy top and bottom, light mid rules, trimmed rules under the group
/// headers) and bold cells. Column widths come from the measured text; "mean ± std"
/// cells align on the ± sign. The page is sized to the table.
public struct TableFigure: Figure {
    public var groups: [String]
    public var subColumns: [String]
    public var blocks: [TableBlock]
    public var bold: Set<TableCellIndex>
    /// A caption above the table (wrapped to the table's width).
    public var title: String?
    public var blockHeader: String
    public var methodHeader: String
    public var font: Font
    public var style: FigureStyle

    public init(groups: [String], subColumns: [String] = ["Comp. (%)", "Acc. (%)"], blocks: [TableBlock],
                bold: Set<TableCellIndex> = [], title: String? = nil, blockHeader: String = "Network",
                methodHeader: String = "Method", font: Font = Font(size: 8.5), style: FigureStyle = FigureStyle()) {
        let columns = groups.count * subColumns.count
        for (b, block) in blocks.enumerated() {
            for (r, row) in block.rows.enumerated() {
                precondition(row.cells.count == columns,
                             "block \(b) row \(r) (\(row.method)) has \(row.cells.count) cells, expected \(groups.count) groups × \(subColumns.count) = \(columns)")
            }
        }
        self.groups = groups
        self.subColumns = subColumns
        self.blocks = blocks
        self.bold = bold
        self.title = title
        self.blockHeader = blockHeader
        self.methodHeader = methodHeader
        self.font = font
        self.style = style
    }

    public var documentTitle: String { title ?? "Table" }

    static let columnSeparation = 12.0
    static let heavyRule = 0.9
    static let lightRule = 0.5

    /// The table's geometry (origin at the top-left of the table, not of the page).
    public struct Layout: Hashable, Sendable {
        /// Column widths: block label, method, then the data columns.
        public var columnWidths: [Double]
        /// Left edge of every column, including the first.
        public var columnX: [Double]
        public var rowHeight: Double
        public var width: Double
        public var height: Double
        public var titleLines: [String]
    }

    var dataColumns: Int { groups.count * subColumns.count }

    /// Splits "a ± b" into ("a", "± b"); other strings have no second part.
    static func split(_ cell: String) -> (String, String?) {
        guard let r = cell.range(of: "±") else { return (cell, nil) }
        let left = cell[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
        let right = "± " + cell[r.upperBound...].trimmingCharacters(in: .whitespaces)
        return (left, right)
    }

    private func cellFont(_ index: TableCellIndex) -> Font { bold.contains(index) ? font.bold : font }

    /// Per data column, the widest part left of the ± and the widest part from it.
    private func alignment(measurer: any TextMeasurer) -> [(left: Double, right: Double)] {
        (0..<dataColumns).map { c in
            var left = 0.0, right = 0.0
            for (b, block) in blocks.enumerated() {
                for (r, row) in block.rows.enumerated() {
                    let f = cellFont(TableCellIndex(block: b, row: r, column: c))
                    let (a, z) = Self.split(row.cells[c])
                    left = max(left, measurer.measure(a, font: f).width)
                    if let z { right = max(right, measurer.measure(z, font: f).width) }
                }
            }
            return (left, right)
        }
    }

    private func spaceWidth(_ measurer: any TextMeasurer) -> Double { measurer.measure(" ", font: font).width }

    public func layout(measuring measurer: any TextMeasurer) -> Layout {
        let sep = Self.columnSeparation
        let blockWidth = ([blockHeader] + blocks.map(\.label)).map { measurer.measure($0, font: font.bold).width }.max() ?? 0
        let methodWidth = ([methodHeader] + blocks.flatMap { $0.rows.map(\.method) })
            .map { measurer.measure($0, font: font).width }.max() ?? 0
        let space = spaceWidth(measurer)
        var data = zip(alignment(measurer: measurer), (0..<dataColumns)).map { a, c in
            max(a.left + (a.right > 0 ? space + a.right : 0),
                measurer.measure(subColumns[c % subColumns.count], font: font).width)
        }
        // A group title wider than its sub-columns widens them evenly.
        for (g, name) in groups.enumerated() {
            let cols = (g * subColumns.count)..<((g + 1) * subColumns.count)
            let have = cols.map { data[$0] }.reduce(0, +) + Double(subColumns.count - 1) * sep
            let need = measurer.measure(name, font: font).width
            if need > have { for c in cols { data[c] += (need - have) / Double(subColumns.count) } }
        }
        let widths = [blockWidth, methodWidth] + data
        var xs: [Double] = []
        var x = 0.0
        for w in widths {
            xs.append(x)
            x += w + sep
        }
        let width = x - sep
        let rowHeight = measurer.measure("Hg", font: font).height * 1.3
        let titleLines = title.map { wrapText($0, font: style.titleFont, maxWidth: width, measurer: measurer) } ?? []
        let titleHeight = titleLines.isEmpty ? 0 : Double(titleLines.count) * measurer.measure("Hg", font: style.titleFont).height * 1.05 + 6
        let rows = Double(blocks.map(\.rows.count).reduce(0, +) + 2)
        // Rules and their spacing: 3 below the top rule, 3 + 1 around the header rules, 1 + 3 per block.
        let height = titleHeight + rows * rowHeight + 10 + Double(blocks.count) * 4
        return Layout(columnWidths: widths, columnX: xs, rowHeight: rowHeight, width: width, height: height,
                      titleLines: titleLines)
    }

    public func canvasSize(measuring measurer: any TextMeasurer) -> Size {
        let l = layout(measuring: measurer)
        let titleWidth = widestWord(title ?? "", font: style.titleFont, measurer: measurer)
        return Size(width: (max(l.width, titleWidth) + 2 * style.margin).rounded(.up),
                    height: (l.height + 2 * style.margin).rounded(.up))
    }

    public func draw(on canvas: any Canvas) {
        let l = layout(measuring: canvas)
        let ox = max(style.margin, (canvas.size.width - l.width) / 2)
        var y = style.margin
        let rule = { (width: Double, from: Double, to: Double, at: Double) in
            canvas.strokeLine(from: Point(x: from, y: at), to: Point(x: to, y: at), style: StrokeStyle(color: .black, width: width))
        }
        let left = ox, right = ox + l.width
        let titleLineHeight = canvas.measure("Hg", font: style.titleFont).height * 1.05
        canvas.group("title") {
            for line in l.titleLines {
                canvas.drawText(line, at: Point(x: ox + l.width / 2, y: y), font: style.titleFont, color: .black, anchor: .topCenter)
                y += titleLineHeight
            }
        }
        if !l.titleLines.isEmpty { y += 6 }
        let rh = l.rowHeight
        func colX(_ i: Int) -> Double { ox + l.columnX[i] }

        canvas.group("rules") { rule(Self.heavyRule, left, right, y) }
        y += 3
        // Group header row with trimmed rules under each group.
        canvas.group("group-headers") {
            for (g, name) in groups.enumerated() {
                let first = 2 + g * subColumns.count, last = first + subColumns.count - 1
                let x0 = colX(first), x1 = colX(last) + l.columnWidths[last]
                canvas.drawText(name, at: Point(x: (x0 + x1) / 2, y: y + rh / 2), font: font, color: .black, anchor: .center)
                canvas.group("rules") { rule(Self.lightRule, x0 + 2, x1 - 2, y + rh + 1) }
            }
        }
        y += rh + 3
        canvas.group("column-headers") {
            canvas.drawText(blockHeader, at: Point(x: colX(0), y: y + rh / 2), font: font, color: .black, anchor: .leadingMiddle)
            canvas.drawText(methodHeader, at: Point(x: colX(1), y: y + rh / 2), font: font, color: .black, anchor: .leadingMiddle)
            for c in 0..<dataColumns {
                let cx = colX(2 + c) + l.columnWidths[2 + c] / 2
                canvas.drawText(subColumns[c % subColumns.count], at: Point(x: cx, y: y + rh / 2), font: font, color: .black,
                                anchor: .center)
            }
        }
        y += rh + 1
        canvas.group("rules") { rule(Self.lightRule + 0.1, left, right, y) }
        y += 3

        let align = alignment(measurer: canvas)
        let space = spaceWidth(canvas)
        for (b, block) in blocks.enumerated() {
            let blockTop = y
            for (r, row) in block.rows.enumerated() {
                let mid = y + rh / 2
                canvas.group("method") {
                    canvas.drawText(row.method, at: Point(x: colX(1), y: mid), font: font, color: .black, anchor: .leadingMiddle)
                }
                for c in 0..<dataColumns {
                    let index = TableCellIndex(block: b, row: r, column: c)
                    let f = cellFont(index)
                    let a = align[c]
                    let used = a.left + (a.right > 0 ? space + a.right : 0)
                    // The ± sign sits at the same x in every row of the column.
                    let pivot = colX(2 + c) + (l.columnWidths[2 + c] - used) / 2 + a.left
                    let (lhs, rhs) = Self.split(row.cells[c])
                    canvas.group("cell:\(b),\(r),\(c)") {
                        canvas.drawText(lhs, at: Point(x: pivot, y: mid), font: f, color: .black, anchor: .trailingMiddle)
                        if let rhs {
                            canvas.drawText(rhs, at: Point(x: pivot + space, y: mid), font: f, color: .black, anchor: .leadingMiddle)
                        }
                    }
                }
                y += rh
            }
            canvas.group("block-label") {
                canvas.drawText(block.label, at: Point(x: colX(0), y: (blockTop + y) / 2), font: font.bold, color: .black,
                                anchor: .leadingMiddle)
            }
            y += 1
            let last = b == blocks.count - 1
            canvas.group("rules") { rule(last ? Self.heavyRule : Self.lightRule, left, right, y) }
            y += 3
        }
    }
}
