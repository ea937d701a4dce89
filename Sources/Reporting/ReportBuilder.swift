import Foundation
import Analysis
import Experiments
import Rendering
import FileOutput

/// Builds `reports/<name>/` from a grid's result set: the paper-style table (LaTeX,
/// Markdown, CSV, PNG, PDF), per data set × network a rank-correlation heatmap, posterior
/// diagnostics, accuracy-vs-compression curves, the Pareto front and knee and the BMRS_U
/// precision figure (PNG, PDF), and `report.md` that shows them all with the setup.
///
/// It only puts the pieces together: ``PaperTableBuilder`` (the table), ``ModelFigures``
/// (heatmaps, diagnostics), ``CurveFigures`` (curves, knees), ``SeedComparisons``
/// (precision, paired tests), ``PaperComparison`` (the paper's numbers), ``ReportSetup``
/// (the prose), and the templates.
public struct ReportBuilder {
    public let results: ResultSet
    public let templates: TemplateDirectory
    public let output: URL
    public var dpi: Double = CairoCanvas.defaultDPI

    public init(results: ResultSet, templates: TemplateDirectory, output: URL) {
        self.results = results
        self.templates = templates
        self.output = output
    }

    public struct Output: Sendable {
        public var files: [URL]
        public var figures: [(title: String, png: String)]
    }

    /// Writes every file; returns their paths, in the order written.
    public func build() throws -> Output {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        var written = Output(files: [], figures: [])
        func write(_ text: String, _ name: String) throws {
            let url = output.appendingPathComponent(name)
            try AtomicFile.write(Data(text.utf8), to: url)
            written.files.append(url)
        }
        /// `name`.png and `name`.pdf; shown in report.md under `caption` when there is one.
        func draw(_ figure: some Figure, _ name: String, caption: String?) throws {
            let png = output.appendingPathComponent("\(name).png"), pdf = output.appendingPathComponent("\(name).pdf")
            try figure.write(png: png, pdf: pdf, dpi: dpi)
            written.files += [png, pdf]
            if let caption { written.figures.append((caption, png.lastPathComponent)) }
        }
        let grid = results.grid, records = results.records
        let table = PaperTableBuilder(grid: grid).table(records)
        try write(try render(table, template: "table.tex", from: templates), "table.tex")
        let markdownTable = try render(table, template: "table.md", from: templates)
        try write(markdownTable, "table.md")
        try write(renderCSV(table), "table.csv")
        try draw(table.figure(), "table", caption: "Summary table")

        let models = ModelFigures(results: results), curves = CurveFigures(grid), runs = SeedComparisons(grid: grid)
        var correlations: [(title: String, matrix: LabeledMatrix)] = []
        var coverageNotes: [String] = []
        for dataset in grid.datasets {
            for network in grid.networks {
                let (title, slug) = Vocabulary.group(dataset, network.kind)
                let noneRuns = records.filter { $0.config.dataset == dataset && $0.config.network.kind == network.kind
                    && $0.config.method == .none && $0.status == .finished }
                let curveModels = grid.sweepConfigs().filter { $0.base.dataset == dataset && $0.base.network.kind == network.kind }
                let groupSweeps = results.sweeps.filter { $0.config.base.dataset == dataset && $0.config.base.network.kind == network.kind }
                // The grid's first curve protocol drives the heatmap, knee and main curves; a
                // second one gets its own curves and a figure of both.
                let protocols = grid.curves?.protocols?.values ?? [.ours]
                let sweeps = groupSweeps.filter { $0.config.resolvedProtocol == protocols[0] }
                let otherSweeps = protocols.dropFirst().map { p in (p, groupSweeps.filter { $0.config.resolvedProtocol == p }) }
                if let (mean, heatmap) = models.correlationFigure(noneRuns, curveModels: curveModels, sweeps: sweeps, title: title) {
                    correlations.append((title, mean))
                    try draw(heatmap, "\(slug)-correlation", caption: "Rank correlation, \(title)")
                }
                if let (diagnostics, scatter, text) = models.diagnosticsFigures(noneRuns: noneRuns, curveModels: curveModels,
                                                                                 records: records, title: title) {
                    try draw(diagnostics, "\(slug)-diagnostics", caption: "Posteriors, \(title) (counts per layer in \(slug)-diagnostics.txt)")
                    try draw(scatter, "\(slug)-scatter", caption: "E[θ] against ΔF, \(title)")
                    try write(text, "\(slug)-diagnostics.txt")
                }
                if let note = curves.coverageNote(sweeps) { coverageNotes.append("\(title): \(note)") }
                if let (knee, analysis) = curves.kneeFigure(sweeps, title: title) {
                    try draw(knee, "\(slug)-knee", caption: "Pareto front and knee, \(title)")
                    let url = output.appendingPathComponent("\(slug)-knee.json")
                    try AtomicFile.writeJSON(analysis, to: url)
                    written.files.append(url)
                }
                let kindRuns = records.filter { $0.config.dataset == dataset && $0.config.network.kind == network.kind }
                if let precision = runs.precisionFigure(kindRuns, title: title) {
                    try draw(precision, "\(slug)-precision", caption: "BMRS_U precision, \(title)")
                }
                if let figure = curves.curveFigure(sweeps, title: title) {
                    try draw(figure, "\(slug)-curves", caption: "Accuracy vs compression, \(title)"
                             + (protocols[0] == .ours ? "" : " (\(protocols[0].rawValue) protocol)"))
                }
                for (curveProtocol, other) in otherSweeps where !other.isEmpty {
                    if let figure = curves.curveFigure(other, title: title) {
                        try draw(figure, "\(slug)-curves-\(curveProtocol.rawValue)", caption: "Accuracy vs compression, \(title) (\(curveProtocol.rawValue) protocol)")
                    }
                    let ours = protocols[0] == .ours ? sweeps : other, released = protocols[0] == .ours ? other : sweeps
                    if let figure = curves.protocolFigure(ours: ours, released: released, title: title) {
                        try draw(figure, "\(slug)-curves-protocols", caption: "Curve protocols over each other, \(title)")
                    }
                }
            }
        }
        let setup = ReportSetup(grid: grid, records: records, gridWallSeconds: results.gridWallSeconds, coverageNotes: coverageNotes)
        let paperCells = PaperComparison.cells(table, grid: grid), spearman = PaperComparison.spearman(correlations)
        let context = ReportContext(title: "BMRS report: \(grid.name)", setup: setup.text, caption: table.caption, table: markdownTable,
                                    paired: runs.pairedComparisons(records),
                                    hasPaperComparison: paperCells != nil, paperComparison: paperCells ?? "",
                                    hasSpearmanComparison: spearman != nil, spearmanComparison: spearman ?? "",
                                    figures: written.figures.map { ReportFigure(title: $0.title, file: $0.png) })
        try write(try renderReportTemplate(context, from: templates), "report.md")
        return written
    }
}
