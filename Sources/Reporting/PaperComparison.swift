import Foundation
import Analysis
import Experiments

/// The report's tables beside the paper's numbers (``PaperNumbers``), as Markdown.
enum PaperComparison {
    /// This grid's cells beside the paper's (SPEC §7) and, where it was run, the released
    /// code on this machine (SPEC §8); nil when no row has a counterpart.
    static func cells(_ table: PaperTable, grid: GridConfig) -> String? {
        var markdown = MarkdownTable(["network", "data set", "method", "ours: comp. / acc. (%)", "paper: comp. / acc. (%)",
                                      "Δ comp. / Δ acc. (pp)", "released code here (§8): param. / neuron comp., acc. (%)"])
        func pair(_ c: String, _ a: String) -> String { "\(c) / \(a)" }
        for (network, block) in zip(PaperTableBuilder(grid: grid).networks, table.blocks) {
            for row in block.rows {
                for (d, dataset) in grid.datasets.enumerated() where d < row.cells.count {
                    let cell = row.cells[d]
                    guard let paper = PaperNumbers.paper(network: network, dataset: dataset, rowLabel: row.method), !cell.accuracy.isMissing else { continue }
                    let paperAccuracy = String(format: "%.2f", paper.accuracy) + (paper.accuracyStd.map { String(format: " ± %.2f", $0) } ?? "")
                    let delta = pair(String(format: "%+.2f", cell.compression.mean - paper.compression),
                                     String(format: "%+.2f", cell.accuracy.mean - paper.accuracy))
                    let released = PaperNumbers.releasedCode(network: network, dataset: dataset, rowLabel: row.method,
                                                              exactConstantInForce: grid.protocolVariant != .released)
                        .map { String(format: "%.0f / %.0f, %.1f", $0.compression, $0.neurons, $0.accuracy) } ?? "—"
                    markdown.append([block.network, Vocabulary.dataset(dataset), TableEscaping.markdown(row.method),
                                     pair(cell.compression.cellText, cell.accuracy.cellText),
                                     pair(String(format: "%.2f", paper.compression), paperAccuracy), delta, released])
                }
            }
        }
        return markdown.rows.isEmpty ? nil : markdown.text
    }

    /// The paper's Spearman correlations (SPEC §7) beside the mean ones of each heatmap the
    /// report draws (`matrices`: title → mean matrix); nil without any.
    static func spearman(_ matrices: [(title: String, matrix: LabeledMatrix)]) -> String? {
        guard !matrices.isEmpty else { return nil }
        var markdown = MarkdownTable(["pair", "paper"] + matrices.map { TableEscaping.markdown($0.title) })
        for pair in PaperNumbers.spearman {
            let ours = matrices.map { m in m.matrix[pair.a, pair.b].map { String(format: "%.2f", $0) } ?? "—" }
            markdown.append([TableEscaping.markdown("\(pair.a)–\(pair.b)"), String(format: "%.2f", pair.rho)] + ours)
        }
        return markdown.text
    }
}
