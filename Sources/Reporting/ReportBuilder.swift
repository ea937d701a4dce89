import Foundation
import Analysis
import BayesianPruning
import Datasets
import Experiments
import NeuralCore
import Rendering

/// Builds `reports/<name>/` from a finished grid: paper-style tables (LaTeX, Markdown, CSV,
/// PNG, PDF), per data set × network a rank-correlation heatmap and accuracy-vs-compression
/// curves (PNG, PDF), and `report.md` that shows them all with the setup.
public struct ReportBuilder {
    public let runner: GridRunner
    public let templates: TemplateDirectory
    public let output: URL
    public var dpi: Double = CairoCanvas.defaultDPI
    /// Wall time of the grid invocation that produced the results, when known.
    public var gridWallSeconds: Double?

    public init(runner: GridRunner, templates: TemplateDirectory, output: URL) {
        self.runner = runner
        self.templates = templates
        self.output = output
    }

    var grid: GridConfig { runner.config }

    /// Method rows in the paper's order: None (= plain), None with noise, the criteria,
    /// matched runs, then the precision sweep.
    static func methodOrder(_ r: RunRecord) -> Int {
        let base: Int
        switch r.config.method {
        case .plain: base = 0
        case .none: base = 1
        case .l2: base = 2
        case .etheta: base = 3
        case .snr: base = 4
        case .bmrsN: base = 5
        case .bmrsNReleased: base = 6
        case .bmrsU(let p): base = p == 8 ? 7 : p == 4 ? 8 : 20 + p
        // Post-training criteria only: never a run's method (rejected by validation).
        case .taylor: base = 50
        case .random: base = 51
        }
        return base + (r.config.matchedPrunedFraction != nil ? 10 : 0)
    }

    static func rowLabel(_ r: RunRecord) -> String {
        switch r.config.method {
        case .plain: "None"
        case .none: "None (noise)"
        default: r.config.method.displayName + (r.config.matchedPrunedFraction != nil ? " (matched)" : "")
        }
    }

    public static func datasetTitle(_ d: DatasetName) -> String {
        switch d {
        case .mnist: "MNIST"
        case .mnist5k: "MNIST-5k"
        case .fashionMNIST: "Fashion-MNIST"
        case .cifar10: "CIFAR-10"
        }
    }

    static func networkTitle(_ s: NetworkSpec) -> String {
        s.kind == .mlp ? "MLP" + (s.hidden != 50 || s.depth != 5 ? " (H=\(s.hidden), D=\(s.depth))" : "") : "LeNet5"
    }

    /// The grid's networks as specs, in the grid's order (one table block each).
    var gridNetworks: [NetworkSpec] {
        grid.networks.map { $0.kind == .mlp ? NetworkSpec.mlp(hidden: $0.hidden ?? 50, depth: $0.depth ?? 5) : .lenet5() }
    }

    /// Markdown table of this grid's cells beside the paper's (SPEC §7) and, where it was
    /// run, the released code on this machine (SPEC §8); nil when no row has a counterpart.
    func paperComparison(_ table: PaperTable) -> String? {
        var lines = ["| network | data set | method | ours: comp. / acc. (%) | paper: comp. / acc. (%) | Δ comp. / Δ acc. (pp) | released code here (§8): param. / neuron comp., acc. (%) |",
                     "|---|---|---|---|---|---|---|"]
        func pair(_ c: String, _ a: String) -> String { "\(c) / \(a)" }
        for (network, block) in zip(gridNetworks, table.blocks) {
            for row in block.rows {
                for (d, dataset) in grid.datasets.enumerated() where d < row.cells.count {
                    let cell = row.cells[d]
                    guard let paper = PaperNumbers.paper(network: network, dataset: dataset, rowLabel: row.method), !cell.accuracy.isMissing else { continue }
                    let paperAcc = String(format: "%.2f", paper.accuracy) + (paper.accuracyStd.map { String(format: " ± %.2f", $0) } ?? "")
                    let delta = pair(String(format: "%+.2f", cell.compression.mean - paper.compression),
                                     String(format: "%+.2f", cell.accuracy.mean - paper.accuracy))
                    let released = PaperNumbers.releasedCode(network: network, dataset: dataset, rowLabel: row.method)
                        .map { String(format: "%.0f / %.0f, %.1f", $0.compression, $0.neurons, $0.accuracy) } ?? "—"
                    lines.append("| \(block.network) | \(ReportBuilder.datasetTitle(dataset)) | \(TableEscaping.markdown(row.method)) | "
                                 + "\(pair(TableCellText.format(cell.compression), TableCellText.format(cell.accuracy))) | "
                                 + "\(pair(String(format: "%.2f", paper.compression), paperAcc)) | \(delta) | \(released) |")
                }
            }
        }
        return lines.count > 2 ? lines.joined(separator: "\n") : nil
    }

    /// Markdown table of the paper's Spearman correlations (SPEC §7) beside the mean ones of
    /// each heatmap this report draws (`matrices`: title → mean matrix); nil without any.
    static func spearmanComparison(_ matrices: [(title: String, matrix: LabeledMatrix)]) -> String? {
        guard !matrices.isEmpty else { return nil }
        var lines = ["| pair | paper | " + matrices.map { TableEscaping.markdown($0.title) }.joined(separator: " | ") + " |",
                     "|---|---|" + String(repeating: "---|", count: matrices.count)]
        for pair in PaperNumbers.spearman {
            let ours = matrices.map { m -> String in
                guard let i = m.matrix.labels.firstIndex(of: pair.a), let j = m.matrix.labels.firstIndex(of: pair.b) else { return "—" }
                return String(format: "%.2f", m.matrix.values[i][j])
            }
            lines.append("| \(TableEscaping.markdown("\(pair.a)–\(pair.b)")) | \(String(format: "%.2f", pair.rho)) | " + ours.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    /// The paper-style table of the grid's continuous-pruning runs.
    public func paperTable(records: [RunRecord]) -> PaperTable {
        let datasets = grid.datasets
        let networks = gridNetworks
        var blocks: [PaperTable.Block] = []
        for network in networks {
            let mine = records.filter { $0.config.network.kind == network.kind && $0.config.network.hidden == network.hidden && $0.config.network.depth == network.depth || ($0.config.network.kind == .lenet5 && network.kind == .lenet5) }
            var labels: [(Int, String)] = []
            for r in mine where !labels.contains(where: { $0.1 == ReportBuilder.rowLabel(r) }) {
                labels.append((ReportBuilder.methodOrder(r), ReportBuilder.rowLabel(r)))
            }
            let rows = labels.sorted { $0.0 < $1.0 }.map { _, label in
                PaperTable.Row(method: label, cells: datasets.map { d in
                    let runs = mine.filter { $0.config.dataset == d && ReportBuilder.rowLabel($0) == label && $0.status == .finished }
                    guard !runs.isEmpty else { return .missing }
                    let comp = Summary(runs.map { $0.reportedParameterCompression })
                    let acc = Summary(runs.map { 100 * $0.testAccuracy })
                    return PaperTable.Cell(compression: MeanStd(mean: comp.mean, std: comp.std, count: comp.count),
                                           accuracy: MeanStd(mean: acc.mean, std: acc.std, count: acc.count))
                })
            }
            blocks.append(PaperTable.Block(network: ReportBuilder.networkTitle(network), rows: rows))
        }
        let protocolText = "continuous pruning, \(grid.epochs) + \(grid.finetuneEpochs ?? 10) fine-tuning epochs, batch \(grid.batchSize ?? 32), "
            + "\(grid.protocolVariant == .released ? "the released code's protocol and parameter count (SPEC §6)" : "this project's default protocol")"
            + (grid.trainLimit.map { ", \($0) training images" } ?? "")
        return PaperTable(title: "\(grid.name): compression and accuracy", caption: PaperTable.caption(protocol: protocolText, seeds: grid.seeds.count),
                          datasets: datasets.map(ReportBuilder.datasetTitle), blocks: blocks)
    }

    public struct Output: Sendable {
        public var files: [URL]
        public var figures: [(title: String, png: String)]
    }

    /// Writes every file; returns their paths.
    public func build() throws -> Output {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        var files: [URL] = []
        var figures: [(String, String)] = []
        func write(_ text: String, _ name: String) throws {
            let url = output.appendingPathComponent(name)
            try AtomicFile.write(Data(text.utf8), to: url)
            files.append(url)
        }
        let records = try runner.records()
        let table = paperTable(records: records)
        try write(try render(table, template: "table.tex", from: templates), "table.tex")
        let markdownTable = try render(table, template: "table.md", from: templates)
        try write(markdownTable, "table.md")
        try write(renderCSV(table), "table.csv")
        try tableFigure(table).write(png: output.appendingPathComponent("table.png"), pdf: output.appendingPathComponent("table.pdf"), dpi: dpi)
        files += ["table.png", "table.pdf"].map { output.appendingPathComponent($0) }
        figures.append(("Summary table", "table.png"))

        let sweeps = try runner.sweepResults()
        var correlations: [(title: String, matrix: LabeledMatrix)] = []
        var coverageNotes: [String] = []
        for dataset in grid.datasets {
            for network in grid.networks {
                let slug = "\(dataset.rawValue)-\(network.kind.rawValue)"
                let title = "\(ReportBuilder.datasetTitle(dataset)), \(network.kind == .mlp ? "MLP" : "LeNet5")"
                let noneRuns = records.filter { $0.config.dataset == dataset && $0.config.network.kind == network.kind
                    && $0.config.method == .none && $0.status == .finished }
                let curveModels = grid.sweepConfigs().filter { $0.base.dataset == dataset && $0.base.network.kind == network.kind }
                let mine = sweeps.filter { $0.config.base.dataset == dataset && $0.config.base.network.kind == network.kind }
                if let (mean, heatmap) = try correlationFigure(noneRuns, curveModels: curveModels, sweeps: mine, title: title) {
                    correlations.append((title, mean))
                    try heatmap.write(png: output.appendingPathComponent("\(slug)-correlation.png"),
                                      pdf: output.appendingPathComponent("\(slug)-correlation.pdf"), dpi: dpi)
                    files += ["png", "pdf"].map { output.appendingPathComponent("\(slug)-correlation.\($0)") }
                    figures.append(("Rank correlation, \(title)", "\(slug)-correlation.png"))
                }
                if let (diagnostics, scatter, text) = try diagnosticsFigures(noneRuns: noneRuns, curveModels: curveModels,
                                                                              records: records, title: title) {
                    try diagnostics.write(png: output.appendingPathComponent("\(slug)-diagnostics.png"),
                                          pdf: output.appendingPathComponent("\(slug)-diagnostics.pdf"), dpi: dpi)
                    try scatter.write(png: output.appendingPathComponent("\(slug)-scatter.png"),
                                      pdf: output.appendingPathComponent("\(slug)-scatter.pdf"), dpi: dpi)
                    files += ["diagnostics.png", "diagnostics.pdf", "scatter.png", "scatter.pdf"].map { output.appendingPathComponent("\(slug)-\($0)") }
                    try write(text, "\(slug)-diagnostics.txt")
                    figures.append(("Posteriors, \(title) (counts per layer in \(slug)-diagnostics.txt)", "\(slug)-diagnostics.png"))
                    figures.append(("E[θ] against ΔF, \(title)", "\(slug)-scatter.png"))
                }
                if let note = coverageNote(mine) { coverageNotes.append("\(title): \(note)") }
                if let (knee, analysis) = kneeFigure(mine, title: title) {
                    try knee.write(png: output.appendingPathComponent("\(slug)-knee.png"),
                                   pdf: output.appendingPathComponent("\(slug)-knee.pdf"), dpi: dpi)
                    files += ["png", "pdf"].map { output.appendingPathComponent("\(slug)-knee.\($0)") }
                    figures.append(("Pareto front and knee, \(title)", "\(slug)-knee.png"))
                    try AtomicFile.writeJSON(analysis, to: output.appendingPathComponent("\(slug)-knee.json"))
                    files.append(output.appendingPathComponent("\(slug)-knee.json"))
                }
                let precisionRuns = records.filter { $0.config.dataset == dataset && $0.config.network.kind == network.kind }
                if let precision = precisionFigure(precisionRuns, title: title) {
                    try precision.write(png: output.appendingPathComponent("\(slug)-precision.png"),
                                        pdf: output.appendingPathComponent("\(slug)-precision.pdf"), dpi: dpi)
                    files += ["png", "pdf"].map { output.appendingPathComponent("\(slug)-precision.\($0)") }
                    figures.append(("BMRS_U precision, \(title)", "\(slug)-precision.png"))
                }
                if let curves = curveFigure(mine, title: title) {
                    try curves.write(png: output.appendingPathComponent("\(slug)-curves.png"),
                                     pdf: output.appendingPathComponent("\(slug)-curves.pdf"), dpi: dpi)
                    files += ["png", "pdf"].map { output.appendingPathComponent("\(slug)-curves.\($0)") }
                    figures.append(("Accuracy vs compression, \(title)", "\(slug)-curves.png"))
                }
            }
        }
        let report = try renderReport(markdownTable: markdownTable, caption: table.caption, records: records, figures: figures,
                                      paperComparison: paperComparison(table),
                                      spearmanComparison: ReportBuilder.spearmanComparison(correlations),
                                      coverageNotes: coverageNotes)
        try write(report, "report.md")
        return Output(files: files, figures: figures)
    }

    func tableFigure(_ table: PaperTable) -> TableFigure {
        let emphasis = table.emphasis()
        var bold = Set<TableCellIndex>()
        let blocks = table.blocks.enumerated().map { b, block in
            TableBlock(label: block.network, rows: block.rows.enumerated().map { r, row in
                TableRow(method: row.method, cells: row.cells.enumerated().flatMap { d, cell -> [String] in
                    if emphasis[b][r][d].compression { bold.insert(TableCellIndex(block: b, row: r, column: 2 * d)) }
                    if emphasis[b][r][d].accuracy { bold.insert(TableCellIndex(block: b, row: r, column: 2 * d + 1)) }
                    return [TableCellText.format(cell.compression), TableCellText.format(cell.accuracy)]
                })
            })
        }
        return TableFigure(groups: table.datasets, blocks: blocks, bold: bold, title: table.title)
    }

    /// The heatmap reads the posteriors of the models the curves prune when there are
    /// curves (issue 14: the same model for both), else the final epoch of the unpruned
    /// runs, else (older grids) their best-validation checkpoints; the subtitle says which.
    ///
    /// Criteria without per-structure statistics (Taylor, Random) join the heatmap when the
    /// curves ran them: their scores are read from the sweeps' results (`structureScores`),
    /// so only when every seed's heatmap model is a curves' model with them.
    func correlationFigure(_ runs: [RunRecord], curveModels: [SweepConfig], sweeps: [SweepResult] = [],
                           title: String) throws -> (mean: LabeledMatrix, figure: CorrelationHeatmap)? {
        let fm = FileManager.default
        var sources: [(seed: UInt64, url: URL)] = curveModels.map { ($0.base.seed, runner.sweepModelCheckpointURL($0)) }
            .filter { fm.fileExists(atPath: $0.url.path) }
        let fromCurveModels = !sources.isEmpty
        var which = curveModels.first.map { c in
            c.base.reportedModel == .final ? "the curves' models (final epoch \(c.base.epochs + c.base.finetuneEpochs) without pruning)"
                                           : "the curves' models (best validation epoch without pruning)"
        } ?? ""
        if sources.isEmpty {
            let keys = runs.map { ($0.config.seed, GridUnit(config: $0.config, matched: false).key) }
            sources = keys.map { ($0.0, runner.finalCheckpointURL($0.1)) }.filter { fm.fileExists(atPath: $0.url.path) }
            which = "final epoch of the unpruned runs"
            if sources.isEmpty {
                sources = keys.map { ($0.0, runner.directory.appendingPathComponent("runs/checkpoints/\($0.1).bin")) }
                    .filter { fm.fileExists(atPath: $0.url.path) }
                which = "best-validation epoch of the unpruned runs"
            }
        }
        guard !sources.isEmpty else { return nil }
        let networks = try sources.map { try Checkpoint.load($0.url) }
        // Per seed, the flat scores of each such criterion the seed's sweep has for its model.
        let additional = zip(sources, networks).map { source, network -> [PruningMethod: [Double]] in
            guard fromCurveModels, let scores = sweeps.first(where: { $0.config.base.seed == source.seed })?.structureScores else { return [:] }
            let structures = network.groups.reduce(0) { $0 + $1.noise.units }
            var found: [PruningMethod: [Double]] = [:]
            for method in PruningMethod.postTrainingCriteria {
                if let values = scores[method.description]?.flatMap({ $0 }), values.count == structures { found[method] = values }
            }
            return found
        }
        let scored = PruningMethod.postTrainingCriteria.filter { method in additional.allSatisfy { $0[method] != nil } }
        let matrices = zip(networks, additional).map { network, extra in
            CriterionCorrelation.matrix(for: network, additional: scored.map {
                CriterionScores(name: $0.displayName, scores: extra[$0]!, direction: .ascending)
            }).correlations
        }
        let mean = MatrixSummary(matrices).mean
        let seeds = sources.map { String($0.seed) }.joined(separator: ", ")
        return (mean, CorrelationHeatmap(labels: mean.labels, matrix: mean.values,
                                  title: "Spearman rank correlation, \(title)",
                                  subtitle: "noise on, no pruning: \(which); mean over seeds \(seeds)"))
    }

    /// Posterior diagnostics (issue 14): the first seed's unpruned model (the curves' model,
    /// else the final epoch of its `none` run) beside the final model of its continuous
    /// BMRS_N run; per-layer counts and the knife edge as text.
    func diagnosticsFigures(noneRuns: [RunRecord], curveModels: [SweepConfig], records: [RunRecord],
                            title: String) throws -> (PosteriorDiagnosticsFigure, ScoreScatterFigure, String)? {
        let fm = FileManager.default
        guard let seed = (curveModels.map(\.base.seed) + noneRuns.map(\.config.seed)).first else { return nil }
        let unpruned = curveModels.first { $0.base.seed == seed }.map { runner.sweepModelCheckpointURL($0) }
            ?? noneRuns.first { $0.config.seed == seed }.map { runner.finalCheckpointURL(GridUnit(config: $0.config, matched: false).key) }
        guard let unpruned, fm.fileExists(atPath: unpruned.path) else { return nil }
        var models = [(name: "unpruned model (seed \(seed))", short: "unpruned", network: try Checkpoint.load(unpruned))]
        // The released constant's run when there is one: with the exact constant continuous
        // BMRS_N often prunes nothing, and its final model is then the unpruned one.
        func run(_ method: PruningMethod) -> RunRecord? {
            records.first { $0.config.method == method && $0.config.seed == seed && $0.config.matchedPrunedFraction == nil
                && $0.config.dataset == noneRuns.first?.config.dataset && $0.status == .finished
                && $0.config.network.kind == noneRuns.first?.config.network.kind }
        }
        if let bmrs = run(.bmrsNReleased) ?? run(.bmrsN) {
            let url = runner.directory.appendingPathComponent("runs/checkpoints/\(GridUnit(config: bmrs.config, matched: false).key).bin")
            if fm.fileExists(atPath: url.path) {
                let name = bmrs.config.method.displayName
                models.append(("final model of continuous \(name) (seed \(seed))", name == "BMRS_N" ? "BMRS_N" : "BMRS_N rel.", try Checkpoint.load(url)))
            }
        }
        let layers = models.map { PosteriorDiagnosticsInput.layers(of: $0.network) }
        let diagnostics = zip(models, layers).map { PosteriorDiagnostics(model: $0.name, layers: $1) }
        let figure = PosteriorDiagnosticsFigures.diagnostics(diagnostics, shortNames: models.map(\.short),
                                                             title: "Posteriors per layer, \(title)")
        let scatter = PosteriorDiagnosticsFigures.scatter(zip(models, layers).map { ($0.name, $1) }, title: "E[θ] against ΔF_BMRS_N, \(title)")
        return (figure, scatter, diagnostics.map { $0.text() }.joined(separator: "\n\n") + "\n")
    }

    var averagingByPosition: Bool { grid.curves?.averaging == .position }

    /// Mean ± std of per-seed curves: on a common compression grid (default) or, with
    /// `averaging: position`, by list position as the authors' code does.
    func averaged(_ perSeed: [Analysis.Curve]) -> AveragedCurve {
        if averagingByPosition { return averageByPosition(perSeed) }
        let maxX = perSeed.flatMap { $0.points.map(\.x) }.max() ?? 100
        return averageOnGrid(perSeed, grid: evenlySpacedGrid(from: 0, to: maxX, count: 101))
    }

    var averagingCaption: String {
        averagingByPosition ? "averaged by list position over seeds (the authors' convention)"
            : "interpolated on a common compression grid"
    }

    /// One criterion's post-training curve (percentages), averaged over the sweeps' seeds;
    /// nil when no seed has a point of it.
    func averagedCurve(_ sweeps: [SweepResult], _ method: PruningMethod) -> AveragedCurve? {
        let perSeed = sweeps.map { s in
            Analysis.Curve(points: s.points.filter { $0.criterion == method.description && !$0.endPoint }
                .map { Analysis.CurvePoint(x: $0.parameterCompression, y: 100 * $0.testAccuracy) })
        }.filter { !$0.points.isEmpty }
        return perSeed.isEmpty ? nil : averaged(perSeed)
    }

    /// A thresholdless criterion's end point in each sweep that has one, with its seed.
    func endPoints(_ sweeps: [SweepResult], _ method: PruningMethod) -> [(seed: UInt64, point: SweepPoint)] {
        sweeps.compactMap { s in s.points.first { $0.criterion == method.description && $0.endPoint }.map { (s.config.base.seed, $0) } }
    }

    /// A mean curve as drawn: mean ± std per point with the number of seeds it averages, and
    /// the number of seeds of the full mean (every sweep), so the stretches that fewer seeds
    /// cover are drawn apart (thinner, faded, "n=k").
    func series(_ name: String, _ averaged: AveragedCurve, seeds: Int, bands: Bool = true) -> CurveSeries {
        CurveSeries(name: name, points: averaged.points.map {
            Rendering.CurvePoint(x: $0.x, mean: $0.y.mean, std: bands && $0.y.count > 1 ? $0.y.std : 0, seeds: $0.y.count)
        }, seedCount: seeds)
    }

    /// Per criterion of the sweeps whose mean curve has stretches with fewer seeds than all:
    /// those stretches, in curve order.
    func partialCoverage(_ sweeps: [SweepResult]) -> [(method: PruningMethod, segments: [CurveCoverageSegment])] {
        guard let first = sweeps.first else { return [] }
        return first.config.criteria.compactMap { method in
            guard let averaged = averagedCurve(sweeps, method) else { return nil }
            let segments = averaged.coverageSegments
            return segments.contains { $0.seeds < sweeps.count } ? (method, segments) : nil
        }
    }

    /// One line for the report's setup: which mean curves have stretches with fewer seeds
    /// than all, and where; nil when every curve is a mean over all seeds everywhere.
    func coverageNote(_ sweeps: [SweepResult]) -> String? {
        let partial = partialCoverage(sweeps)
        guard !partial.isEmpty else { return nil }
        return partial.map { method, segments in
            method.displayName + " " + segments.map {
                "n=\($0.seeds) " + ($0.from == $0.to ? String(format: "at %.1f %%", $0.from) : String(format: "on %.1f–%.1f %%", $0.from, $0.to))
            }.joined(separator: ", ")
        }.joined(separator: "; ")
    }

    func curveFigure(_ sweeps: [SweepResult], title: String) -> CompressionCurveFigure? {
        guard let first = sweeps.first else { return nil }
        var series: [CurveSeries] = []
        var ends: [CurveEndPoint] = []
        for method in first.config.criteria {
            let name = method.displayName
            guard let averaged = averagedCurve(sweeps, method) else { continue }
            series.append(self.series(name, averaged, seeds: sweeps.count))
            if method.isThresholdless {
                let points = endPoints(sweeps, method).map(\.point)
                if !points.isEmpty {
                    let x = Summary(points.map(\.parameterCompression)), y = Summary(points.map { 100 * $0.testAccuracy })
                    // Named as its curve, so marker and line share colour and legend entry.
                    ends.append(CurveEndPoint(name: name, xMean: x.mean, xStd: x.std, yMean: y.mean, yStd: y.std))
                }
            }
        }
        guard !series.isEmpty else { return nil }
        let seeds = sweeps.map { String($0.config.base.seed) }.joined(separator: ", ")
        let partial = series.contains(where: \.hasPartialCoverage)
            ? "; thin, faded: fewer seeds than all \(sweeps.count) (n=k from there on)" : ""
        return CompressionCurveFigure(
            series: series, endPoints: ends, title: "Accuracy vs compression, \(title)",
            subtitle: "post-training pruning, \(first.config.finetuneEpochs) fine-tuning epoch(s) per level; mean ± 1 std over seeds \(seeds), \(averagingCaption); markers: thresholdless end points\(partial)",
            zoom: ends.isEmpty ? nil : ZoomPanel())
    }

    /// Knee analysis (SPEC §6–7's "BMRS lands near the optimal point", made a number): the
    /// Pareto front of all criteria's mean curves, the Kneedle knee of the SNR and L2 mean
    /// curves, and each thresholdless end point's Euclidean distance (in percentage points of
    /// compression and accuracy) to the front and to each knee, per seed and averaged.
    ///
    /// Front and knees are taken on the part of each mean curve that every seed covers
    /// (`curve_coverage` lists each curve's stretches by seed count, `front_and_knees_use`
    /// says so in words, `knee_seeds` names the seeds behind each knee): past one seed's BMRS
    /// end point a "mean" is the other seeds' alone, and a front through it would measure
    /// that seed's own end point against its own curve.
    public struct KneeAnalysis: Codable, Sendable {
        public var front: [[Double]]
        public var knees: [String: [Double]]
        public var endPoints: [EndPoint]
        /// The seeds whose curves are averaged.
        public var seeds: [UInt64]?
        /// Which part of the mean curves the front and the knees are taken on.
        public var frontAndKneesUse: String?
        /// Per knee (by criterion): the seeds whose mean it is taken on.
        public var kneeSeeds: [String: [UInt64]]?
        /// Per criterion: its mean curve's stretches by the number of seeds averaged.
        public var curveCoverage: [String: [CurveCoverageSegment]]?
        public struct EndPoint: Codable, Sendable {
            public var criterion: String
            public var seeds: [UInt64]
            public var compression: [Double]
            public var accuracy: [Double]
            public var distanceToFront: [Double]
            public var distanceToKnee: [String: [Double]]
            public var meanDistanceToFront: Double
        }
    }

    func kneeFigure(_ sweeps: [SweepResult], title: String) -> (KneeFigure, KneeAnalysis)? {
        guard let first = sweeps.first else { return nil }
        let seeds = sweeps.map(\.config.base.seed)
        var series: [CurveSeries] = []
        var fullCurves: [String: Analysis.Curve] = [:]
        var coverage: [String: [CurveCoverageSegment]] = [:]
        for method in first.config.criteria {
            guard let averaged = averagedCurve(sweeps, method) else { continue }
            fullCurves[method.description] = averaged.meanCurveCoveredByAll(sweeps.count)
            coverage[method.description] = averaged.coverageSegments
            series.append(self.series(method.displayName, averaged, seeds: sweeps.count, bands: false))
        }
        guard !series.isEmpty else { return nil }
        let front = ParetoFront(fullCurves.values.flatMap(\.points))
        guard !front.points.isEmpty else { return nil }
        var knees: [KneePoint] = [], kneeValues: [String: [Double]] = [:], kneeSeeds: [String: [UInt64]] = [:]
        for name in ["snr", "l2"] {
            if let curve = fullCurves[name], let k = Kneedle.knee(of: curve) {
                knees.append(KneePoint(label: "\(name == "snr" ? "SNR" : "L2") knee", x: k.x, y: k.y))
                kneeValues[name] = [k.x, k.y]
                kneeSeeds[name] = seeds
            }
        }
        var ends: [CurveEndPoint] = [], analysisEnds: [KneeAnalysis.EndPoint] = []
        for method in first.config.criteria where method.isThresholdless {
            let pairs = endPoints(sweeps, method)
            guard !pairs.isEmpty else { continue }
            let xs = pairs.map { $0.point.parameterCompression }, ys = pairs.map { 100 * $0.point.testAccuracy }
            let distances = zip(xs, ys).map { front.distance(to: Analysis.CurvePoint(x: $0, y: $1)) }
            var toKnee: [String: [Double]] = [:]
            for (name, k) in kneeValues { toKnee[name] = zip(xs, ys).map { (($0 - k[0]) * ($0 - k[0]) + ($1 - k[1]) * ($1 - k[1])).squareRoot() } }
            analysisEnds.append(.init(criterion: method.description, seeds: pairs.map(\.seed), compression: xs, accuracy: ys,
                                      distanceToFront: distances, distanceToKnee: toKnee, meanDistanceToFront: Analysis.mean(distances)))
            let x = Summary(xs), y = Summary(ys)
            ends.append(CurveEndPoint(name: method.displayName, xMean: x.mean, xStd: x.std, yMean: y.mean, yStd: y.std))
        }
        let use = "the points of each criterion's mean curve that all \(seeds.count) seeds (\(seeds.map(String.init).joined(separator: ", "))) cover; "
            + "stretches with fewer seeds (past a seed's last point) are drawn but left out"
        let figure = KneeFigure(series: series, front: front.points.map { DataPoint(x: $0.x, y: $0.y) }, knees: knees, endPoints: ends,
                                title: "Pareto front and knee, \(title)",
                                subtitle: "mean curves over seeds; front and knees on the part every seed covers; distances in percentage points to the nearest front point")
        let analysis = KneeAnalysis(front: front.points.map { [$0.x, $0.y] }, knees: kneeValues, endPoints: analysisEnds,
                                    seeds: seeds, frontAndKneesUse: use, kneeSeeds: kneeSeeds, curveCoverage: coverage)
        return (figure, analysis)
    }

    /// Compression and accuracy of continuous pruning with BMRS_U-p against p, mean with a
    /// 95 % bootstrap interval over seeds (seeded, 10,000 resamples).
    func precisionFigure(_ runs: [RunRecord], title: String) -> PrecisionFigure? {
        var byP: [Int: [RunRecord]] = [:]
        for r in runs where r.status == .finished && r.config.matchedPrunedFraction == nil {
            if case .bmrsU(let p) = r.config.method { byP[p, default: []].append(r) }
        }
        guard byP.count >= 3 else { return nil }
        var rng = Xoshiro256(seed: 2024)
        func interval(_ values: [Double]) -> IntervalEstimate {
            let m = Analysis.mean(values)
            guard values.count > 1 else { return IntervalEstimate(mean: m, lower: m, upper: m) }
            let ci = bootstrapMeanInterval(values, using: &rng)
            return IntervalEstimate(mean: m, lower: ci.lower, upper: ci.upper)
        }
        let points = byP.keys.sorted().map { p in
            PrecisionPoint(precision: Double(p),
                           compression: interval(byP[p]!.map { $0.reportedParameterCompression }),
                           accuracy: interval(byP[p]!.map { 100 * $0.testAccuracy }))
        }
        return PrecisionFigure(series: [PrecisionSeries(name: "BMRS_U-p", points: points)], references: [],
                               title: "BMRS_U precision, \(title)",
                               subtitle: "continuous pruning; mean and 95 % bootstrap interval over seeds")
    }

    /// Every method against BMRS_N on the same seeds (paired): mean difference of test
    /// accuracy and of parameter compression with a 95 % paired-bootstrap interval
    /// (10,000 resamples, seeded) and the exact Wilcoxon signed-rank p-value. Wilcoxon
    /// because it needs no normality over a handful of seeds; the bootstrap interval shows
    /// the size of the difference. A difference is marked when p < 0.05, which takes at
    /// least 6 seeds (with n seeds the smallest two-sided p is 2/2ⁿ).
    func pairedComparisons(records: [RunRecord]) -> String {
        var rng = Xoshiro256(seed: 7)
        var lines = ["| data set | network | method | seeds | Δ acc. (pp) [95 % CI] | p | Δ comp. (pp) [95 % CI] | p |",
                     "|---|---|---|---|---|---|---|---|"]
        let finished = records.filter { $0.status == .finished }
        var any = false
        for dataset in grid.datasets {
            for network in grid.networks {
                let mine = finished.filter { $0.config.dataset == dataset && $0.config.network.kind == network.kind }
                let reference = Dictionary(mine.filter { $0.config.method == .bmrsN && $0.config.matchedPrunedFraction == nil }
                    .map { ($0.config.seed, $0) }, uniquingKeysWith: { a, _ in a })
                guard !reference.isEmpty else { continue }
                var labels: [(Int, String)] = []
                for r in mine where ReportBuilder.rowLabel(r) != "BMRS_N" && !labels.contains(where: { $0.1 == ReportBuilder.rowLabel(r) }) {
                    labels.append((ReportBuilder.methodOrder(r), ReportBuilder.rowLabel(r)))
                }
                for (_, label) in labels.sorted(by: { $0.0 < $1.0 }) {
                    let pairs = mine.filter { ReportBuilder.rowLabel($0) == label }.compactMap { r in reference[r.config.seed].map { (r, $0) } }
                    guard !pairs.isEmpty else { continue }
                    let acc = PairedComparison(method: pairs.map { 100 * $0.0.testAccuracy }, reference: pairs.map { 100 * $0.1.testAccuracy }, using: &rng)
                    let comp = PairedComparison(method: pairs.map { $0.0.reportedParameterCompression },
                                                reference: pairs.map { $0.1.reportedParameterCompression }, using: &rng)
                    func cell(_ c: PairedComparison) -> String {
                        let text = String(format: "%+.2f [%+.2f, %+.2f]", c.meanDifference, c.confidenceInterval.lower, c.confidenceInterval.upper)
                        return c.isSignificant() ? "**\(text)**" : text
                    }
                    lines.append("| \(ReportBuilder.datasetTitle(dataset)) | \(network.kind == .mlp ? "MLP" : "LeNet5") | \(label) | \(pairs.count) | \(cell(acc)) | \(String(format: "%.3g", acc.pValue)) | \(cell(comp)) | \(String(format: "%.3g", comp.pValue)) |")
                    any = true
                }
            }
        }
        return any ? lines.joined(separator: "\n") : "No BMRS_N runs to compare against."
    }

    func renderReport(markdownTable: String, caption: String, records: [RunRecord], figures: [(String, String)],
                      paperComparison: String? = nil, spearmanComparison: String? = nil,
                      coverageNotes: [String] = []) throws -> String {
        let runSeconds = records.reduce(0) { $0 + $1.secondsTotal }
        let machine = records.first.map { "\($0.machine.processors) cores, OpenBLAS \($0.machine.blasCore) kernel, \($0.machine.blasThreads) BLAS thread per run" } ?? "unknown"
        let datasets = grid.datasets.map(ReportBuilder.datasetTitle).joined(separator: ", ")
        let sizes = records.first.map { "\($0.data.train) training, \($0.data.validation) validation and \($0.data.test) test images" } ?? ""
        var setup = "Data: \(datasets) (\(sizes)), resized to 32×32. Networks: \(grid.networks.map { $0.kind == .mlp ? "MLP (H=\($0.hidden ?? 50), D=\($0.depth ?? 5))" : "LeNet5" }.joined(separator: " and ")). "
        setup += "Each method trains \(grid.epochs) epochs with continuous pruning (masks recomputed every epoch), then \(grid.finetuneEpochs ?? 10) fine-tuning epoch(s) with masks fixed; Adam, lr \(grid.learningRate ?? 1e-3), batch \(grid.batchSize ?? 32), KL averaged per layer. "
        setup += "Seeds: \(grid.seeds.map(String.init).joined(separator: ", "))"
        for n in grid.networks where n.seeds != nil || n.methods != nil {
            let name = n.kind == .mlp ? "MLP" : "LeNet5"
            setup += "; \(name): " + [n.seeds.map { "seeds \($0.map(String.init).joined(separator: ", "))" },
                                      n.methods.map { "methods \($0.map(\.displayName).joined(separator: ", "))" }]
                .compactMap { $0 }.joined(separator: ", ")
        }
        setup += ". Protocol: \(grid.protocolVariant?.rawValue ?? "standard"). "
        setup += "Machine: \(machine). Total run time \(String(format: "%.0f", runSeconds)) s summed over \(records.count) runs"
        if let wall = gridWallSeconds { setup += ", \(String(format: "%.0f", wall)) s wall time for the grid run" }
        setup += "."
        let methods = Set(records.map(\.config.method))
        if methods.contains(.bmrsN) || methods.contains(.bmrsNReleased) {
            let constant = grid.protocolVariant == .released
                ? "Under the released protocol BMRS_N too uses the released code's constant (each run record states the constant used, `bmrs_n_constant_used`)."
                : "BMRS_N uses SPEC §2's exact constant."
            setup += "\n\n\(constant) BMRS_N (released const.) uses the authors' released code's, which omits the 2π inside the log, so its ΔF is larger by ½·log 2π ≈ 0.919: "
                + "a structure whose posterior went back to the prior sits just below ΔF = 0 with the exact constant and is kept, while the released one prunes it. "
                + "The two rank structures identically (one row in the heatmaps) and differ only in where they stop."
        }
        if let curves = grid.curves {
            let model = curves.model == .best && curves.trainEpochs == nil
                ? "the best-validation checkpoint of the grid's unpruned (None, noise) runs"
                : "the \(curves.model == .best ? "best-validation" : "final") model of an unpruned run (noise on) of \(curves.trainEpochs ?? GridConfig.Curves.defaultTrainEpochs) epochs"
            setup += "\n\nPost-training curves\(curves.networks.map { " (\($0.map { $0 == .mlp ? "MLP" : "LeNet5" }.joined(separator: ", ")))" } ?? ""): "
                + "\(curves.levels) pruning levels per criterion, each fine-tuned \(curves.finetuneEpochs) epoch(s), pruning \(model); "
                + "the heatmaps read the posteriors of the same models."
            if curves.criteria.contains(.taylor) {
                setup += " Taylor (1st order): |Σ θ·∂L/∂θ| per structure, θ its incoming weights and bias, L the cross-entropy over one pass of "
                    + "the training data with the model in evaluation mode (θ_noise = E[θ]), summed over the pass before the absolute value "
                    + "(Molchanov et al. 2017/2019); lowest pruned first."
            }
            if curves.criteria.contains(.random) {
                setup += " Random: a uniformly random pruning order seeded from each curve's seed, the floor every criterion must beat."
            }
            setup += "\n\nSeed coverage: where fewer seeds than all contribute to a mean curve (a curve past one seed's last point, such as a "
                + "BMRS variant past that seed's end point, or the tail of a position average), the curve and knee figures draw that part thinner "
                + "and faded with its seed count (n=k) at its start; the Pareto front, the knees and the end points' distances to them use only "
                + "the part of each mean curve that every seed covers (the knee JSON states it: `front_and_knees_use`, `knee_seeds`, `curve_coverage`)."
            if coverageNotes.isEmpty {
                setup += " Every mean curve here averages all seeds at every point."
            } else {
                setup += " Stretches by seed count: " + coverageNotes.joined(separator: ". ") + "."
            }
        }
        if let notes = grid.notes { setup += "\n\n" + notes }
        let context = ReportContext(title: "BMRS report: \(grid.name)", setup: setup, caption: caption, table: markdownTable,
                                    paired: pairedComparisons(records: records),
                                    hasPaperComparison: paperComparison != nil, paperComparison: paperComparison ?? "",
                                    hasSpearmanComparison: spearmanComparison != nil, spearmanComparison: spearmanComparison ?? "",
                                    figures: figures.map { ReportFigure(title: $0.0, file: $0.1) })
        return try renderReportTemplate(context, from: templates)
    }
}

/// Formats a table cell as the figures show it ("93.20 ± 0.31", "--" when missing).
enum TableCellText {
    static func format(_ v: MeanStd) -> String {
        if v.isMissing { return "--" }
        return v.showsStd ? String(format: "%.2f ± %.2f", v.mean, v.std) : String(format: "%.2f", v.mean)
    }
}

extension RunRecord {
    /// Parameter compression % as the run's protocol counts it (the released code's count
    /// under `released`); records written before `compression` existed fall back to the
    /// standard count, and a run without a report counts as 0.
    var reportedParameterCompression: Double { (compression ?? compressionStandard)?.parameterCompression ?? 0 }
}
