/// A GitHub Markdown table: the header row, a `|---|` rule, one line per row, cells
/// separated by ` | `. Cells are written as given: escape with ``TableEscaping/markdown(_:)``
/// whatever may hold `|`, `*` or `_`.
struct MarkdownTable {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) {
        self.header = header
    }

    mutating func append(_ row: [String]) {
        precondition(row.count == header.count, "MarkdownTable: \(row.count) cells for \(header.count) columns")
        rows.append(row)
    }

    var text: String {
        func line(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |" }
        return ([line(header), "|" + String(repeating: "---|", count: header.count)] + rows.map(line)).joined(separator: "\n")
    }
}
