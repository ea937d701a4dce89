import Foundation
import Testing
import Analysis
import BayesianPruning
import Datasets
import NeuralCore
@testable import Experiments
@testable import Reporting

/// Synthetic classes: noise plus a bright stripe per class.
func stripes(_ n: Int, seed: UInt64) -> ImageSet {
    var rng = Xoshiro256(seed: seed)
    var images = [Float](repeating: 0, count: n * 1024), labels = [Int32](repeating: 0, count: n)
    for i in 0..<n {
        let c = Int(rng.next() % 10)
        labels[i] = Int32(c)
        for p in 0..<1024 { images[i * 1024 + p] = rng.nextFloat(in: -0.3, 0.3) + (p / 32 / 3 == c ? 0.8 : 0) }
    }
    return ImageSet(images: images, labels: labels, channels: 1, height: 32, width: 32)
}

@Suite("Report assembly")
struct ReportBuilderTests {
    @Test func buildsEveryFileFromAGrid() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var curves = GridConfig.Curves()
        curves.levels = 3
        curves.criteria = [.snr, .bmrsN]
        let grid = GridConfig(name: "t", datasets: [.fashionMNIST], networks: [.init(kind: .mlp, hidden: 8, depth: 1)],
                              methods: [.plain, .none, .snr, .bmrsN], matched: nil, seeds: [1, 2], epochs: 1, finetuneEpochs: 1,
                              batchSize: 16, learningRate: 1e-3, trainLimit: nil, validationLimit: nil, protocolVariant: .standard, precisions: [2, 6, 12],
                              curves: curves, slurm: nil)
        let runner = GridRunner(config: grid, directory: root.appendingPathComponent("grid"))
        let progress = try runner.run(data: { c in
            (DatasetSplits(train: stripes(160, seed: c.seed), validation: stripes(48, seed: c.seed + 100), test: stripes(48, seed: 7)),
             URL(fileURLWithPath: "/synthetic"))
        })
        #expect(progress.complete)
        let templates = try TemplateDirectory.locate(explicitPath: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("templates").path, requiring: "report.md.mustache")
        let builder = ReportBuilder(runner: runner, templates: templates, output: root.appendingPathComponent("report"))
        let output = try builder.build()
        let names = Set(output.files.map(\.lastPathComponent))
        for name in ["table.tex", "table.md", "table.csv", "table.png", "table.pdf", "report.md",
                     "fashion-mnist-mlp-correlation.png", "fashion-mnist-mlp-correlation.pdf",
                     "fashion-mnist-mlp-curves.png", "fashion-mnist-mlp-curves.pdf",
                     "fashion-mnist-mlp-knee.png", "fashion-mnist-mlp-knee.json", "fashion-mnist-mlp-precision.pdf"] {
            #expect(names.contains(name), "missing \(name)")
        }
        let report = try String(contentsOf: root.appendingPathComponent("report/report.md"), encoding: .utf8)
        #expect(report.contains("![Accuracy vs compression, Fashion-MNIST, MLP](fashion-mnist-mlp-curves.png)"))
        #expect(report.contains("| MLP (H=8, D=1) | None |"))
        #expect(report.contains("Seeds: 1, 2"))
        #expect(report.contains("## Against BMRS_N, seed by seed"))
        #expect(!report.contains("Beside the paper"), "an MLP with H=8, D=1 has no counterpart in the paper")
        #expect(report.contains("## Rank correlations beside the paper's"))
        #expect(report.contains("| SNR–E[θ] | 1.00 | "), "\(report)")
        #expect(report.contains("| Fashion-MNIST | MLP | SNR | 2 |"), "\(report)")
        let tex = try String(contentsOf: root.appendingPathComponent("report/table.tex"), encoding: .utf8)
        #expect(tex.contains("BMRS\\_N") && tex.contains("\\toprule"))
        // Rows follow the paper's order: None, None (noise), SNR, BMRS_N.
        let table = builder.paperTable(records: try runner.records())
        #expect(table.blocks[0].rows.map(\.method) == ["None", "None (noise)", "SNR", "BMRS_N", "BMRS_U-2", "BMRS_U-6", "BMRS_U-12"])
        let knee = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("report/fashion-mnist-mlp-knee.json"))) as! [String: Any]
        let ends = knee["end_points"] as! [[String: Any]]
        #expect(ends.first?["criterion"] as? String == "bmrs-n")
        #expect((ends.first?["distance_to_front"] as? [Double])?.count == 2)
        // The authors' averaging by list position is an option of the grid.
        var byPosition = grid
        byPosition.curves?.averaging = .position
        let positional = ReportBuilder(runner: GridRunner(config: byPosition, directory: root.appendingPathComponent("grid")),
                                       templates: templates, output: root.appendingPathComponent("report2"))
        let figure = try #require(positional.curveFigure(try positional.runner.sweepResults(), title: "t"))
        #expect(figure.subtitle?.contains("list position") == true)
    }

    /// The paper's cells (SPEC §7) and the released code's (SPEC §8) beside a table's.
    @Test func paperComparisonSetsCellsBesideThePapers() throws {
        #expect(PaperNumbers.paper(network: .lenet5(), dataset: .fashionMNIST, rowLabel: "E[θ] (matched)")
                == PaperNumbers.Entry(compression: 89.71, accuracy: 50.93, accuracyStd: 33.45))
        #expect(PaperNumbers.paper(network: .mlp(hidden: 50, depth: 5), dataset: .cifar10, rowLabel: "BMRS_U-4")?.accuracy == 44.06)
        #expect(PaperNumbers.paper(network: .mlp(hidden: 100, depth: 5), dataset: .fashionMNIST, rowLabel: "SNR") == nil)
        #expect(PaperNumbers.paper(network: .lenet5(), dataset: .fashionMNIST, rowLabel: "None (noise)") == nil)
        #expect(PaperNumbers.releasedCode(network: .lenet5(), dataset: .fashionMNIST, rowLabel: "SNR") == nil)

        let grid = GridConfig(name: "t", datasets: [.fashionMNIST], networks: [.init(kind: .mlp), .init(kind: .lenet5)],
                              methods: [.plain, .bmrsN], matched: nil, seeds: [1, 2], epochs: 1, finetuneEpochs: 1,
                              batchSize: 16, learningRate: 1e-3, trainLimit: nil, validationLimit: nil, protocolVariant: .released,
                              precisions: nil, curves: nil, slurm: nil)
        let templates = try TemplateDirectory.locate(explicitPath: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("templates").path, requiring: "report.md.mustache")
        let builder = ReportBuilder(runner: GridRunner(config: grid, directory: URL(fileURLWithPath: "/nonexistent")),
                                    templates: templates, output: URL(fileURLWithPath: "/nonexistent"))
        func cell(_ c: Double, _ a: Double) -> PaperTable.Cell {
            PaperTable.Cell(compression: MeanStd(mean: c, std: 1, count: 2), accuracy: MeanStd(mean: a, std: 0.5, count: 2))
        }
        let table = PaperTable(title: "t", caption: "c", datasets: ["Fashion-MNIST"], blocks: [
            .init(network: "MLP", rows: [.init(method: "None", cells: [cell(0, 87.25)]), .init(method: "BMRS_N", cells: [cell(75.4, 84.9)]),
                                         .init(method: "None (noise)", cells: [cell(0, 84.8)])]),
            .init(network: "LeNet5", rows: [.init(method: "BMRS_U-4", cells: [cell(88.7, 80.1)])]),
        ])
        let text = try #require(builder.paperComparison(table))
        #expect(text.contains("| MLP | Fashion-MNIST | BMRS\\_N | 75.40 ± 1.00 / 84.90 ± 0.50 | 93.20 / 84.99 | -17.80 / -0.09 | 72 / 86, 84.9 |"), "\(text)")
        #expect(text.contains("| MLP | Fashion-MNIST | None | 0.00 ± 1.00 / 87.25 ± 0.50 | 0.00 / 88.17 ± 0.20 | +0.00 / -0.92 | 0 / 0, 87.3 |"), "\(text)")
        #expect(text.contains("| LeNet5 | Fashion-MNIST | BMRS\\_U-4 | 88.70 ± 1.00 / 80.10 ± 0.50 | 88.72 / 81.10 | -0.02 / -1.00 | — |"), "\(text)")
        #expect(!text.contains("None (noise)"))
    }

    @Test func spearmanComparisonReadsPairsFromTheMatrix() throws {
        let m = LabeledMatrix(labels: ["SNR", "E[θ]", "BMRS_N"], values: [[1, 0.9, 0.25], [0.9, 1, 0.5], [0.25, 0.5, 1]])
        let text = try #require(ReportBuilder.spearmanComparison([("MLP", m), ("LeNet5", m)]))
        #expect(text.contains("| SNR–E[θ] | 1.00 | 0.90 | 0.90 |"), "\(text)")
        #expect(text.contains("| SNR–BMRS\\_N | 0.95 | 0.25 | 0.25 |"), "\(text)")
        #expect(text.contains("| L2–BMRS\\_N | 0.81 | — | — |"), "\(text)")
        #expect(ReportBuilder.spearmanComparison([]) == nil)
    }
}
