import Foundation
import Analysis
import Mustache
import Rendering
import FileOutput

/// Renders `table` through the mustache template `name` (`"table.tex"`, `"table.md"`, or
/// any file name in `directory`; `.mustache` is appended when missing). The template sees
/// a ``TableTemplateContext``.
public func render(_ table: PaperTable, template name: String, from directory: TemplateDirectory) throws -> String {
    try directory.loadTemplate(named: name).render(TableTemplateContext(table))
}

/// The table as CSV: a header, then one line per block × method × data set with columns
/// `network,method,dataset,compression_mean,compression_std,accuracy_mean,accuracy_std,seeds`.
/// Numbers are written in full (shortest round-trip form), not rounded; a missing mean or
/// an unreported std is an empty field; `seeds` is the larger of the two counts. Fields
/// are quoted as RFC 4180 says; lines end in `lineEnding` (the RFC's is `"\r\n"`).
public func renderCSV(_ table: PaperTable, lineEnding: String = "\n") -> String {
    func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "" }
    var lines = ["network,method,dataset,compression_mean,compression_std,accuracy_mean,accuracy_std,seeds"]
    for block in table.blocks {
        for row in block.rows {
            precondition(row.cells.count == table.datasets.count,
                         "\(block.network)/\(row.method): \(row.cells.count) cells for \(table.datasets.count) data sets")
            for (dataset, cell) in zip(table.datasets, row.cells) {
                let c = cell.compression, a = cell.accuracy
                let fields = [
                    block.network, row.method, dataset,
                    c.isMissing ? "" : number(c.mean), c.isMissing ? "" : number(c.std),
                    a.isMissing ? "" : number(a.mean), a.isMissing ? "" : number(a.std),
                    "\(max(c.count, a.count, 0))",
                ]
                lines.append(CSV.line(fields))
            }
        }
    }
    return lines.map { $0 + lineEnding }.joined()
}

extension PaperTable {
    /// The table as a figure (PNG, PDF), bold as ``emphasis()`` says.
    func figure() -> TableFigure {
        let emphasis = emphasis()
        var bold = Set<TableCellIndex>()
        let blocks = self.blocks.enumerated().map { b, block in
            TableBlock(label: block.network, rows: block.rows.enumerated().map { r, row in
                TableRow(method: row.method, cells: row.cells.enumerated().flatMap { d, cell -> [String] in
                    if emphasis[b][r][d].compression { bold.insert(TableCellIndex(block: b, row: r, column: 2 * d)) }
                    if emphasis[b][r][d].accuracy { bold.insert(TableCellIndex(block: b, row: r, column: 2 * d + 1)) }
                    return [cell.compression.cellText, cell.accuracy.cellText]
                })
            })
        }
        return TableFigure(groups: datasets, blocks: blocks, bold: bold, title: title)
    }
}

/// What the table templates see. swift-mustache reads values by reflection (stored
/// properties only; computed ones render empty) and does not format numbers, so every
/// field is a stored, pre-formatted string, in each output flavour (``Text``).
///
/// Fields: `title`, `caption` (Text); `label` (`tab:` + a slug of the title);
/// `columnSpec` (LaTeX, `l` + `rr` per data set); `columnCount`; `datasets` [name (Text),
/// firstColumn, lastColumn (the LaTeX columns of the group, 1-based)]; `blocks` [network
/// (Text), rows [network (Text, on the block's first row only), method (Text), cells
/// [compression, accuracy (Text, bold applied), compressionIsBold, accuracyIsBold]]].
public struct TableTemplateContext: Sendable {
    /// One string in each flavour: `plain`, `tex` (LaTeX-escaped, bold as `\textbf{}`,
    /// ± as `$\pm$`), `markdown` (escaped, bold as `**x**`).
    public struct Text: Sendable, Equatable {
        public let plain: String
        public let tex: String
        public let markdown: String

        /// Plain text, escaped for each flavour.
        public init(_ plain: String) {
            self.init(plain: plain, tex: TableEscaping.latex(plain), markdown: TableEscaping.markdown(plain))
        }

        public init(plain: String, tex: String, markdown: String) {
            self.plain = plain
            self.tex = tex
            self.markdown = markdown
        }

        static let empty = Text(plain: "", tex: "", markdown: "")
    }

    public struct Dataset: Sendable {
        public let name: Text
        public let firstColumn: String
        public let lastColumn: String
    }

    public struct Block: Sendable {
        public let network: Text
        public let rows: [Row]
    }

    public struct Row: Sendable {
        /// The block's network on its first row, empty on the others (a Markdown stand-in for \multirow).
        public let network: Text
        public let method: Text
        public let cells: [Cell]
    }

    public struct Cell: Sendable {
        public let compression: Text
        public let accuracy: Text
        public let compressionIsBold: Bool
        public let accuracyIsBold: Bool
    }

    public let title: Text
    public let caption: Text
    public let label: String
    public let columnSpec: String
    public let columnCount: String
    public let datasets: [Dataset]
    public let blocks: [Block]

    public init(_ table: PaperTable) {
        title = Text(table.title)
        caption = Text(table.caption)
        label = "tab:" + TableTemplateContext.slug(table.title)
        columnSpec = "l" + String(repeating: "rr", count: table.datasets.count)
        columnCount = "\(1 + 2 * table.datasets.count)"
        datasets = table.datasets.enumerated().map { i, name in
            Dataset(name: Text(name), firstColumn: "\(2 + 2 * i)", lastColumn: "\(3 + 2 * i)")
        }
        let emphasis = table.emphasis()  // checks cells.count == datasets.count
        blocks = zip(table.blocks, emphasis).map { block, blockEmphasis in
            Block(network: Text(block.network), rows: zip(block.rows, blockEmphasis).enumerated().map { r, pair in
                let (row, rowEmphasis) = pair
                return Row(network: r == 0 ? Text(block.network) : .empty, method: Text(row.method),
                           cells: zip(row.cells, rowEmphasis).map { cell, bold in
                               Cell(compression: TableTemplateContext.number(cell.compression, bold: bold.compression),
                                    accuracy: TableTemplateContext.number(cell.accuracy, bold: bold.accuracy),
                                    compressionIsBold: bold.compression, accuracyIsBold: bold.accuracy)
                           })
            })
        }
    }

    /// `93.20 ± 0.31` (2 decimals), `93.20` without a std to show, `--` when missing.
    static func number(_ value: Summary, bold: Bool) -> Text {
        guard !value.isMissing else { return Text(plain: "--", tex: "--", markdown: "--") }
        let mean = twoDecimals(value.mean)
        let std = value.showsStd ? twoDecimals(value.std) : nil
        let plain = std.map { "\(mean) ± \($0)" } ?? mean
        let tex = std.map { "\(mean) $\\pm$ \($0)" } ?? mean
        return Text(plain: plain, tex: bold ? "\\textbf{\(tex)}" : tex, markdown: bold ? "**\(plain)**" : plain)
    }

    /// Lower-case ASCII letters and digits, other runs as one `-`.
    static func slug(_ s: String) -> String {
        s.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }.joined(separator: "-")
    }
}

/// Escaping of plain text for the table formats.
public enum TableEscaping {
    /// LaTeX text mode: `\ { } _ % & # $ ~ ^ < > |` escaped; a few symbols this project
    /// prints (θ, σ, μ, λ, Δ, ±, ×, ·, ≤, ≥, §) as LaTeX commands so that pdflatex needs no
    /// extra packages; a leading `[` braced, so that it cannot read as `\\[…]` after a row end.
    public static func latex(_ s: String) -> String {
        var out = ""
        for (i, ch) in s.enumerated() {
            switch ch {
            case "\\": out += "\\textbackslash{}"
            case "{": out += "\\{"
            case "}": out += "\\}"
            case "_": out += "\\_"
            case "%": out += "\\%"
            case "&": out += "\\&"
            case "#": out += "\\#"
            case "$": out += "\\$"
            case "~": out += "\\textasciitilde{}"
            case "^": out += "\\textasciicircum{}"
            case "<": out += "\\textless{}"
            case ">": out += "\\textgreater{}"
            case "|": out += "\\textbar{}"
            case "[" where i == 0: out += "{[}"
            case "θ": out += "$\\theta$"
            case "σ": out += "$\\sigma$"
            case "μ", "µ": out += "$\\mu$"
            case "λ": out += "$\\lambda$"
            case "Δ": out += "$\\Delta$"
            case "±": out += "$\\pm$"
            case "×": out += "$\\times$"
            case "·": out += "$\\cdot$"
            case "≤": out += "$\\leq$"
            case "≥": out += "$\\geq$"
            case "§": out += "\\S{}"
            default: out.append(ch)
            }
        }
        return out
    }

    /// GitHub Markdown inside a table cell: `\ | * _ ` and `<` backslash-escaped.
    public static func markdown(_ s: String) -> String {
        var out = ""
        for ch in s {
            if "\\|*_`<".contains(ch) { out.append("\\") }
            out.append(ch)
        }
        return out
    }
}
