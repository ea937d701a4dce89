import Foundation
import Testing
import Analysis
@testable import Experiments
@testable import Reporting

/// `bmrs report --models`: the report of models trained elsewhere, from plain summaries.
@Suite("Imported models report")
struct ImportedModelsReportTests {
    static func summary(file: String, stored: Bool, metrics: [String: ImportedModelSummary.Metric]) -> ImportedModelSummary {
        let labels = ["SNR", "BMRS_N"]
        let decisions = [
            ImportedModelSummary.CriterionDecision(criterion: "SNR", pruned: 3, prunedPerLayer: [1, 2],
                                                   agreeWithStored: stored ? 9 : nil, keptButPrunable: stored ? 1 : nil, prunedButKeepable: stored ? 0 : nil),
            ImportedModelSummary.CriterionDecision(criterion: "BMRS_N", pruned: 2, prunedPerLayer: [0, 2],
                                                   agreeWithStored: stored ? 10 : nil, keptButPrunable: stored ? 0 : nil, prunedButKeepable: stored ? 0 : nil),
        ]
        return ImportedModelSummary(
            file: file, source: "\(file): PyTorch state_dict, the authors' MLP layout, MLP(C=1, H=5, D=1)", notes: ["masks stored in the file applied"],
            network: "MLP(C=1, H=5, D=1)", structures: 10, structuresPerLayer: [5, 5], metricsFile: metrics.isEmpty ? nil : "1000.json", metrics: metrics,
            storedMask: stored ? .init(pruned: 2, prunedPerLayer: [0, 2], neuronCompression: 20, parameterCompression: 12.5) : nil,
            decisions: decisions, correlations: LabeledMatrix(labels: labels, values: [[1, 0.75], [0.75, 1]]))
    }

    @Test func overviewSectionsFiguresAndTables() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("models-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let models = [
            Self.summary(file: "fashion_mnist_mlp_1000.pth", stored: true, metrics: ["compression": .number(20.0), "val_acc": .number(0.8512), "test_acc": .number(0.84)]),
            Self.summary(file: "plain.safetensors", stored: false, metrics: [:]),
        ]
        var report = ImportedModelsReport(folder: "/runs/theirs", models: models, skipped: [("compact.safetensors", "unknown layout")], output: dir)
        report.dpi = 50
        let files = try report.build()
        #expect(files.map(\.lastPathComponent) == ["fashion_mnist_mlp_1000-correlation.png", "fashion_mnist_mlp_1000-correlation.pdf",
                                                    "plain-correlation.png", "plain-correlation.pdf", "report.md", "models.csv", "models.json"])
        let text = try String(contentsOf: dir.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(text.hasPrefix("# BMRS report: models in /runs/theirs\n"))
        #expect(text.contains("| fashion\\_mnist\\_mlp\\_1000.pth | MLP(C=1, H=5, D=1) | 20 | 0.8512 | 0.84 | 2/10 (20.00 %) | 12.50 % | BMRS\\_N (10/10) |"), "\(text)")
        #expect(text.contains("| plain.safetensors | MLP(C=1, H=5, D=1) | – | – | – | no mask in the file | – | – |"), "\(text)")
        #expect(text.contains("- compact.safetensors: unknown layout"))
        #expect(text.contains("| SNR | 3/10 | 1, 2 | 9/10 | 1 | 0 |"))
        #expect(text.contains("| SNR | 3/10 | 1, 2 |\n"), "no agreement columns without a stored mask: \(text)")
        #expect(text.contains("![Rank correlation, plain.safetensors](plain-correlation.png)"))
        // The closest criterion agrees everywhere here, so there is nothing to explain.
        #expect(!text.contains("differs from the stored mask"))
        let png = try Data(contentsOf: dir.appendingPathComponent("plain-correlation.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let csv = try String(contentsOf: dir.appendingPathComponent("models.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 1 + 2 * 2)
        #expect(csv[0].hasSuffix("pruned_but_keepable,compression,test_acc,val_acc"))
        #expect(csv[1] == "fashion_mnist_mlp_1000.pth,\"MLP(C=1, H=5, D=1)\",10,2,20.0000,12.5000,SNR,3,9,1,0,20,0.84,0.8512")
        let decoded = try JSONDecoder().decode([ImportedModelSummary].self, from: Data(contentsOf: dir.appendingPathComponent("models.json")))
        #expect(decoded == models)
    }

    @Test func aKeptButPrunableDifferenceIsExplained() throws {
        var model = Self.summary(file: "m.pth", stored: true, metrics: [:])
        model.decisions[1].agreeWithStored = 8
        model.decisions[1].keptButPrunable = 2
        let report = ImportedModelsReport(folder: "f", models: [model], skipped: [], output: URL(fileURLWithPath: "/nonexistent"))
        let section = report.section(model, heatmap: "m-correlation.png")
        #expect(section.contains("The closest criterion, SNR, differs from the stored mask on 1 structure (1 kept but prunable now, 0 pruned but keepable now)"), "\(section)")
        #expect(section.contains("frozen for 10 fine-tuning epochs, during which the KL term still moves μ and σ"))
        #expect(ImportedModelsReport.slugs(["a.pth", "a.safetensors", "b c.npz"]) == ["a", "a-2", "b-c"])
    }
}
