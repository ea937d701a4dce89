import FileOutput
import Foundation
import Analysis
import Experiments
import Rendering

/// The report of `bmrs report --models DIR`: models trained elsewhere (with the authors'
/// code, typically), each with its metrics file, side by side. Per model: the mask stored in
/// the file and its compression, the metrics, every criterion's default decision recomputed
/// from μ and log σ and its agreement with the stored mask, and the rank-correlation heatmap.
///
/// Writes `report.md`, `models.csv` (one row per model), `models.json` (the summaries) and
/// `<model>-correlation.png/.pdf`. Built from plain values (`ImportedModelSummary`): the
/// networks were read and scored before (bmrs, Experiments).
public struct ImportedModelsReport {
    public let folder: String
    public let models: [ImportedModelSummary]
    /// Files of the folder that were not analysed, and why.
    public let skipped: [(file: String, reason: String)]
    public let output: URL
    public var dpi: Double = CairoCanvas.defaultDPI

    public init(folder: String, models: [ImportedModelSummary], skipped: [(file: String, reason: String)], output: URL) {
        self.folder = folder
        self.models = models
        self.skipped = skipped
        self.output = output
    }

    /// The metrics shown as columns of the overview, when any model has them (the authors' names).
    static let overviewMetrics = ["compression", "val_acc", "test_acc"]

    /// Writes every file; returns their paths in the order written.
    @discardableResult
    public func build() throws -> [URL] {
        var files: [URL] = []
        func write(_ data: Data, _ name: String) throws {
            let url = output.appendingPathComponent(name)
            try AtomicFile.write(data, to: url)
            files.append(url)
        }
        var sections: [String] = []
        for (model, slug) in zip(models, Self.slugs(models.map(\.file))) {
            let heatmap = CorrelationHeatmap(labels: model.correlations.labels, matrix: model.correlations.values,
                                             title: "Spearman rank correlation, \(model.file)",
                                             subtitle: "\(model.network), \(model.structures) structures, scores from the file's μ, log σ and weights")
            let png = output.appendingPathComponent("\(slug)-correlation.png"), pdf = output.appendingPathComponent("\(slug)-correlation.pdf")
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            try heatmap.write(png: png, pdf: pdf, dpi: dpi)
            files += [png, pdf]
            sections.append(section(model, heatmap: png.lastPathComponent))
        }
        var text = "# BMRS report: models in \(folder)\n\n"
        text += "Models trained elsewhere, read by bmrs; scores recomputed from each file's μ, log σ and weights with the default rules "
            + "(L2 ≤ 0.5, E[θ] ≤ 0.1, SNR ≤ 1, ΔF ≥ 0 for BMRS; SPEC §2). \"Stored mask\" is the mask saved in the file, "
            + "\"their compression\" the `compression` of the metrics file (the authors' code writes % of neurons pruned).\n\n"
        text += overview().text + "\n\n"
        if !skipped.isEmpty {
            text += "Not analysed:\n\n" + skipped.map { "- \(TableEscaping.markdown($0.file)): \($0.reason)" }.joined(separator: "\n") + "\n\n"
        }
        text += sections.joined(separator: "\n")
        try write(Data(text.utf8), "report.md")
        try write(Data(csv().utf8), "models.csv")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try write(try encoder.encode(models) + Data("\n".utf8), "models.json")
        return files
    }

    /// One row per model: its network, metrics, stored mask and the criterion that explains it best.
    func overview() -> MarkdownTable {
        var table = MarkdownTable(["model", "network"] + Self.overviewMetrics.map { "their \($0)" }
            + ["stored mask: structures pruned", "stored mask: parameters removed", "closest criterion (agreement)"])
        for m in models {
            let stored = m.storedMask.map { String(format: "%d/%d (%.2f %%)", $0.pruned, m.structures, $0.neuronCompression) } ?? "no mask in the file"
            let parameters = m.storedMask.map { String(format: "%.2f %%", $0.parameterCompression) } ?? "–"
            let best = m.bestExplainingCriterion.map { "\($0.criterion) (\($0.agreeWithStored ?? 0)/\(m.structures))" } ?? "–"
            table.append([TableEscaping.markdown(m.file), m.network] + Self.overviewMetrics.map { Self.format(m.metrics[$0]) }
                         + [stored, parameters, TableEscaping.markdown(best)])
        }
        return table
    }

    func section(_ m: ImportedModelSummary, heatmap: String) -> String {
        var text = "## \(TableEscaping.markdown(m.file))\n\n"
        text += "- read: \(TableEscaping.markdown(m.source))\n"
        text += "- metrics: " + (m.metricsFile.map { TableEscaping.markdown($0) } ?? "none found (looked for <stem>.json, <stem>_metrics.json, <stem>.metrics.json, and <seed>.json beside it or in metrics/)") + "\n"
        if !m.metrics.isEmpty {
            text += "- " + m.metrics.keys.sorted().map { "\(TableEscaping.markdown($0)) \(Self.format(m.metrics[$0]))" }.joined(separator: ", ") + "\n"
        }
        for note in m.notes { text += "- note: \(TableEscaping.markdown(note))\n" }
        text += "- structures per layer: \(m.structuresPerLayer.map(String.init).joined(separator: ", "))"
        if let stored = m.storedMask { text += "; stored mask prunes \(stored.prunedPerLayer.map(String.init).joined(separator: ", "))" }
        text += "\n\n"
        let hasStored = m.storedMask != nil
        var table = MarkdownTable(["criterion", "prunes", "per layer"] + (hasStored ? ["agrees with stored mask", "kept but prunable now", "pruned but keepable now"] : []))
        for d in m.decisions {
            var row = [TableEscaping.markdown(d.criterion), "\(d.pruned)/\(m.structures)", d.prunedPerLayer.map(String.init).joined(separator: ", ")]
            if hasStored {
                row += ["\(d.agreeWithStored ?? 0)/\(m.structures)", "\(d.keptButPrunable ?? 0)", "\(d.prunedButKeepable ?? 0)"]
            }
            table.append(row)
        }
        text += table.text + "\n\n"
        if let best = m.bestExplainingCriterion, let kept = best.keptButPrunable, let pruned = best.prunedButKeepable, kept + pruned > 0 {
            text += "The closest criterion, \(TableEscaping.markdown(best.criterion)), differs from the stored mask on \(kept + pruned) structure\(kept + pruned == 1 ? "" : "s") "
                + "(\(kept) kept but prunable now, \(pruned) pruned but keepable now). In the authors' protocol the masks are set once more after the "
                + "main epochs and then frozen for 10 fine-tuning epochs, during which the KL term still moves μ and σ; the file holds the "
                + "posteriors after those epochs, so a structure the mask kept can read prunable now (and the other way round).\n\n"
        }
        text += "![Rank correlation, \(TableEscaping.markdown(m.file))](\(heatmap))\n"
        return text
    }

    /// One row per model and criterion, for spreadsheets.
    func csv() -> String {
        let metricNames = Array(Set(models.flatMap(\.metrics.keys))).sorted()
        var lines = [(["model", "network", "structures", "stored_pruned", "stored_neuron_compression", "stored_parameter_compression",
                       "criterion", "criterion_pruned", "agree_with_stored", "kept_but_prunable", "pruned_but_keepable"] + metricNames)
            .map(CSV.field).joined(separator: ",")]
        func optional(_ v: Int?) -> String { v.map(String.init) ?? "" }
        for m in models {
            var stored: [String] = ["", "", ""]
            if let mask = m.storedMask {
                stored = [String(mask.pruned), String(format: "%.4f", mask.neuronCompression), String(format: "%.4f", mask.parameterCompression)]
            }
            let metrics: [String] = metricNames.map { name in m.metrics[name].map(Self.plain) ?? "" }
            for d in m.decisions {
                let decision: [String] = [d.criterion, String(d.pruned), optional(d.agreeWithStored), optional(d.keptButPrunable), optional(d.prunedButKeepable)]
                let cells: [String] = [m.file, m.network, String(m.structures)] + stored + decision + metrics
                lines.append(cells.map(CSV.field).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// For Markdown: `plain`, escaped; a missing metric as "–".
    static func format(_ metric: ImportedModelSummary.Metric?) -> String {
        metric.map { TableEscaping.markdown(plain($0)) } ?? "–"
    }

    /// Numbers with up to 4 decimals, without trailing zeros; text as is.
    static func plain(_ metric: ImportedModelSummary.Metric) -> String {
        switch metric {
        case .text(let s): return s
        case .number(let v):
            guard v.isFinite else { return "\(v)" }
            var s = String(format: "%.4f", v)
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
            return s
        }
    }

    /// File names as figure names: the stem, characters other than letters, digits, `-` and `_`
    /// replaced, a number appended when two stems would collide.
    static func slugs(_ files: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return files.map { file in
            let stem = (file as NSString).deletingPathExtension
            let base = String(stem.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
            let n = seen[base, default: 0]
            seen[base] = n + 1
            return n == 0 ? base : "\(base)-\(n + 1)"
        }
    }
}
