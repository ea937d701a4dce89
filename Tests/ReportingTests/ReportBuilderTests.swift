import Foundation
import Testing
import Analysis
@testable import Experiments
@testable import Reporting
import Rendering

/// The result set every report test starts from: a synthetic grid's (MLP H=8, D=1 on
/// striped images; None, None (noise), SNR, BMRS_N, BMRS_U-2/6/12; two seeds; curves with
/// SNR, BMRS_N, Taylor and Random), recorded by ExperimentsTests' ResultSetTests
/// (`RECORD_RESULT_SET=1`). Reporting's tests never train.
enum ReportFixture {
    static func results() throws -> ResultSet {
        let resources = try #require(Bundle.module.resourceURL)
        return try ResultSet(json: Data(contentsOf: resources.appendingPathComponent("Fixtures/result-set.json")))
    }

    static func templates() throws -> TemplateDirectory {
        try TemplateDirectory.locate(explicitPath: PaperTableTests.packageRoot.appendingPathComponent("templates").path,
                                     requiring: "report.md.mustache")
    }

    /// A result set of `grid` without any result (for the parts that need only the grid).
    static func empty(_ grid: GridConfig) -> ResultSet { ResultSet(grid: grid, records: [], sweeps: [], models: []) }
}

@Suite("Report assembly")
struct ReportBuilderTests {
    @Test func buildsEveryFileFromAResultSet() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let results = try ReportFixture.results()
        let templates = try ReportFixture.templates()
        let builder = ReportBuilder(results: results, templates: templates, output: root.appendingPathComponent("report"))
        let output = try builder.build()
        let names = Set(output.files.map(\.lastPathComponent))
        for name in ["table.tex", "table.md", "table.csv", "table.png", "table.pdf", "report.md",
                     "fashion-mnist-mlp-correlation.png", "fashion-mnist-mlp-correlation.pdf",
                     "fashion-mnist-mlp-diagnostics.png", "fashion-mnist-mlp-scatter.pdf", "fashion-mnist-mlp-diagnostics.txt",
                     "fashion-mnist-mlp-curves.png", "fashion-mnist-mlp-curves.pdf",
                     "fashion-mnist-mlp-knee.png", "fashion-mnist-mlp-knee.json", "fashion-mnist-mlp-precision.pdf"] {
            #expect(names.contains(name), "missing \(name)")
        }
        let report = try String(contentsOf: root.appendingPathComponent("report/report.md"), encoding: .utf8)
        #expect(report.contains("![Accuracy vs compression, Fashion-MNIST, MLP](fashion-mnist-mlp-curves.png)"))
        #expect(report.contains("| MLP (H=8, D=1) | None |"))
        #expect(report.contains("Seeds: 1, 2"))
        #expect(report.contains("## Against BMRS_N, seed by seed"))
        #expect(report.contains("Curve protocol: ours (each level fine-tuned alone"), "the setup names the curve protocol")
        #expect(!report.contains("Beside the paper"), "an MLP with H=8, D=1 has no counterpart in the paper")
        #expect(report.contains("## Rank correlations beside the paper's"))
        #expect(report.contains("| SNR–E[θ] | 1.00 | "), "\(report)")
        #expect(report.contains("| Fashion-MNIST | MLP | SNR | BMRS_N | 2 |"), "\(report)")
        let tex = try String(contentsOf: root.appendingPathComponent("report/table.tex"), encoding: .utf8)
        #expect(tex.contains("BMRS\\_N") && tex.contains("\\toprule"))
        // Rows follow the paper's order: None, None (noise), SNR, BMRS_N.
        let table = PaperTableBuilder(grid: results.grid).table(results.records)
        #expect(table.blocks[0].rows.map(\.method) == ["None", "None (noise)", "SNR", "BMRS_N", "BMRS_U-2", "BMRS_U-6", "BMRS_U-12"])
        let knee = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("report/fashion-mnist-mlp-knee.json"))) as! [String: Any]
        let ends = knee["end_points"] as! [[String: Any]]
        #expect(ends.first?["criterion"] as? String == "bmrs-n")
        #expect((ends.first?["distance_to_front"] as? [Double])?.count == 2)
        // The authors' averaging by list position is an option of the grid.
        var byPosition = results
        byPosition.grid.curves?.averaging = .position
        let figure = try #require(CurveFigures(byPosition.grid).curveFigure(byPosition.sweeps, title: "t"))
        #expect(figure.subtitle?.contains("list position") == true)
    }

    /// The paper's cells (SPEC §7) and the released code's (SPEC §8) beside a table's.
    @Test func paperComparisonSetsCellsBesideThePapers() throws {
        #expect(PaperNumbers.paper(network: .lenet5(), dataset: .fashionMNIST, rowLabel: "E[θ] (matched)")
                == PaperNumbers.Entry(compression: 89.71, accuracy: 50.93, accuracyStd: 33.45))
        #expect(PaperNumbers.paper(network: .mlp(hidden: 50, depth: 5), dataset: .cifar10, rowLabel: "BMRS_U-4")?.accuracy == 44.06)
        #expect(PaperNumbers.paper(network: .mlp(hidden: 100, depth: 5), dataset: .fashionMNIST, rowLabel: "SNR") == nil)
        #expect(PaperNumbers.paper(network: .lenet5(), dataset: .fashionMNIST, rowLabel: "None (noise)") == nil)
        #expect(PaperNumbers.releasedCode(network: .lenet5(), dataset: .fashionMNIST, rowLabel: "SNR", exactConstantInForce: false) == nil)
        // The released code's BMRS_N used the released constant: it stands beside that row,
        // and beside the exact row only when the exact constant was not in force.
        let mlp = NetworkSpec.mlp(hidden: 50, depth: 5)
        #expect(PaperNumbers.releasedCode(network: mlp, dataset: .fashionMNIST, rowLabel: "BMRS_N (released const.)", exactConstantInForce: true)?.compression == 72)
        #expect(PaperNumbers.releasedCode(network: mlp, dataset: .fashionMNIST, rowLabel: "BMRS_N", exactConstantInForce: true) == nil)
        #expect(PaperNumbers.releasedCode(network: mlp, dataset: .fashionMNIST, rowLabel: "BMRS_N", exactConstantInForce: false)?.compression == 72)
        #expect(PaperNumbers.paper(network: mlp, dataset: .fashionMNIST, rowLabel: "BMRS_N (released const.)")?.compression == 93.20)

        let grid = GridConfig(name: "t", datasets: [.fashionMNIST], networks: [.init(kind: .mlp), .init(kind: .lenet5)],
                              methods: [.plain, .bmrsN], matched: nil, seeds: [1, 2], epochs: 1, finetuneEpochs: 1,
                              batchSize: 16, learningRate: 1e-3, trainLimit: nil, validationLimit: nil, protocolVariant: .released,
                              precisions: nil, curves: nil, slurm: nil)
        func cell(_ c: Double, _ a: Double) -> PaperTable.Cell {
            PaperTable.Cell(compression: Summary(mean: c, std: 1, count: 2), accuracy: Summary(mean: a, std: 0.5, count: 2))
        }
        let table = PaperTable(title: "t", caption: "c", datasets: ["Fashion-MNIST"], blocks: [
            .init(network: "MLP", rows: [.init(method: "None", cells: [cell(0, 87.25)]), .init(method: "BMRS_N", cells: [cell(75.4, 84.9)]),
                                         .init(method: "None (noise)", cells: [cell(0, 84.8)])]),
            .init(network: "LeNet5", rows: [.init(method: "BMRS_U-4", cells: [cell(88.7, 80.1)])]),
        ])
        let text = try #require(PaperComparison.cells(table, grid: grid))
        #expect(text.contains("| MLP | Fashion-MNIST | BMRS\\_N | 75.40 ± 1.00 / 84.90 ± 0.50 | 93.20 / 84.99 | -17.80 / -0.09 | 72 / 86, 84.9 |"), "\(text)")
        #expect(text.contains("| MLP | Fashion-MNIST | None | 0.00 ± 1.00 / 87.25 ± 0.50 | 0.00 / 88.17 ± 0.20 | +0.00 / -0.92 | 0 / 0, 87.3 |"), "\(text)")
        #expect(text.contains("| LeNet5 | Fashion-MNIST | BMRS\\_U-4 | 88.70 ± 1.00 / 80.10 ± 0.50 | 88.72 / 81.10 | -0.02 / -1.00 | — |"), "\(text)")
        #expect(!text.contains("None (noise)"))
    }

    @Test func spearmanComparisonReadsPairsFromTheMatrix() throws {
        let m = LabeledMatrix(labels: ["SNR", "E[θ]", "BMRS_N"], values: [[1, 0.9, 0.25], [0.9, 1, 0.5], [0.25, 0.5, 1]])
        let text = try #require(PaperComparison.spearman([("MLP", m), ("LeNet5", m)]))
        #expect(text.contains("| SNR–E[θ] | 1.00 | 0.90 | 0.90 |"), "\(text)")
        #expect(text.contains("| SNR–BMRS\\_N | 0.95 | 0.25 | 0.25 |"), "\(text)")
        #expect(text.contains("| L2–BMRS\\_N | 0.81 | — | — |"), "\(text)")
        #expect(PaperComparison.spearman([]) == nil)
    }
}

/// The BMRS_U precision figure from the fixture's BMRS_U-2/6/12 runs, with BMRS_N and the
/// unpruned run of the same seeds drawn as levels to read it against.
@Suite("Precision figure")
struct PrecisionFigureTests {
    @Test func pointsPerPrecisionWithBMRSNAndNoneAsReferenceLevels() throws {
        let results = try ReportFixture.results()
        let figure = try #require(SeedComparisons(grid: results.grid).precisionFigure(results.records, title: "t"))
        let points = try #require(figure.series.first?.points)
        #expect(points.map(\.precision) == [2, 6, 12])
        let u2 = results.records.filter { $0.config.method == .bmrsU(precisionBits: 2) && $0.status == .finished }
        #expect(abs(points[0].accuracy.mean - u2.map { 100 * $0.testAccuracy }.reduce(0, +) / Double(u2.count)) < 1e-9)
        let bmrsN = results.records.filter { $0.config.method == .bmrsN && $0.status == .finished }
        let reference = try #require(figure.references.first { $0.name == "BMRS_N (mean)" })
        #expect(abs(reference.compression! - bmrsN.map(\.reportedParameterCompression).reduce(0, +) / Double(bmrsN.count)) < 1e-9)
        let none = try #require(figure.references.first { $0.name == "None (noise) (mean)" })
        #expect(none.compression == nil && none.accuracy != nil)
    }
}

@Suite("Curve colours")
struct CurveColourTests {
    /// Taylor and Random come after the seven automatic colours: each keeps a colour of its own.
    @Test func taylorAndRandomShareNoColourWithAnotherCriterion() throws {
        let results = try ReportFixture.results()
        // All nine curve criteria, so Taylor and Random come after the seven automatic colours:
        // the fixture's SNR points stand in for the criteria it did not run.
        let all: [PruningMethod] = [.l2, .etheta, .snr, .bmrsN, .bmrsNReleased, .bmrsU(precisionBits: 8), .bmrsU(precisionBits: 4), .taylor, .random]
        let sweeps = results.sweeps.map { sweep -> SweepResult in
            var s = sweep
            s.config.criteria = all
            let snr = s.points.filter { $0.criterion == "snr" }
            for stand in ["l2", "etheta", "bmrs-n-released", "bmrs-u-8", "bmrs-u-4"] {
                s.points += snr.map { var p = $0; p.criterion = stand; return p }
            }
            return s
        }
        let figure = try #require(CurveFigures(results.grid).curveFigure(sweeps, title: "t"))
        #expect(figure.series.count == 9)
        // As the figure draws them: a series' own style, else the automatic one of its position.
        let styles = figure.series.enumerated().map { $0.element.style ?? .automatic($0.offset) }
        let names = figure.series.map(\.name)
        for special in ["Taylor (1st order)", "Random"] {
            let i = try #require(names.firstIndex(of: special))
            #expect(styles.indices.filter { $0 != i && styles[$0].color == styles[i].color }.isEmpty, "\(special) shares its colour")
        }
    }
}
