import ArgumentParser
import Experiments
import Foundation
import ModelImport
import NeuralCore
import Reporting
import FileOutput

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The main job: run (or reuse) a grid and write reports/<name>/ with tables (LaTeX, Markdown, CSV, PNG, PDF), figures and report.md.")

    @Argument(help: "Grid config file (.yaml/.json); or use --profile.") var config: String?
    @Option(help: "A shipped profile: \(GridConfig.profiles.joined(separator: ", ")).") var profile: String?
    @Option(help: "Render an existing grid directory (its grid.yaml) without training.") var from: String?
    @Option(help: "Report on a folder of models trained elsewhere (*.pth, *.safetensors, *.npz, checkpoint *.bin), each with its metrics JSON beside it (<stem>.json, <stem>_metrics.json, or the authors' <seed>.json beside it or in metrics/): stored masks, metrics, recomputed decisions, heatmaps. Default --out: reports/models-<folder name>.")
    var models: String?
    @OptionGroup var modelFiles: ModelOptions
    @Option(help: "Grid directory when running (default: runs/<grid name>).") var runs: String?
    @Option(help: "Report directory (default: reports/<grid name>).") var out: String?
    @OptionGroup var workers: WorkerOptions<TwoJobs>
    @Option(help: "Templates folder (default: the repository's templates/, found from here or the executable).") var templates: String?
    @Option(help: "PNG resolution.") var dpi: Double = 200
    @OptionGroup var data: DataOptions
    @OptionGroup var fetching: FetchOptions

    func validate() throws {
        let sources = [config != nil, profile != nil, from != nil, models != nil].filter { $0 }.count
        if sources != 1 { throw ValidationError("give exactly one of: a config file, --profile NAME, --from GRID_DIR, --models DIR") }
        if !(dpi >= 50 && dpi <= 1200) { throw ValidationError("--dpi must be in 50…1200, got \(dpi)") }
    }

    func run() throws {
        BLAS.setThreads(1)
        if let models {
            let folder = URL(fileURLWithPath: models)
            let output = URL(fileURLWithPath: out ?? "reports/models-\(folder.standardizedFileURL.lastPathComponent)")
            var report = try importedModelsReport(folder: folder, loading: modelFiles, output: output)
            report.dpi = dpi
            let files = try report.build()
            print("\(report.models.count) model(s) of \(models), \(report.skipped.count) skipped; report written to \(output.path):")
            for file in files { print("  \(file.lastPathComponent)") }
            return
        }
        let started = Date()
        let grid: GridConfig
        let directory: URL
        if let from {
            directory = URL(fileURLWithPath: from)
            grid = try GridConfig.load(GridDirectory(directory).config)
        } else {
            grid = try loadGrid(config: config, profile: profile)
            directory = URL(fileURLWithPath: runs ?? "runs/\(grid.name)")
        }
        let runner = GridRunner(config: grid, directory: directory)
        var wall: Double?
        if from == nil {
            try fetching.ensure(grid.datasets, data: data)
            let progress = try workers.runGrid(runner, locator: data.locator)
            if workers.worker { return }
            guard progress.complete else {
                throw ValidationError("grid \(grid.name) is incomplete (\(progress.unitsDone)/\(progress.unitsTotal) runs): rerun to resume")
            }
            wall = Date().timeIntervalSince(started)
            // Kept beside the results so that `--from` can state it too.
            try AtomicFile.write(Data(String(format: "%.1f\n", wall!).utf8),
                                 to: GridDirectory(directory).wallSeconds)
            print("grid \(grid.name): \(progress.unitsTotal) runs (\(progress.computedHere) computed now) in \(String(format: "%.1f", wall!)) s → \(directory.path)")
        }
        var results = try ResultSet.load(GridDirectory(directory), grid: grid)
        if let wall { results.gridWallSeconds = wall }  // as measured, not as the file rounds it
        let templateDirectory = try TemplateDirectory.locate(explicitPath: templates, requiring: "report.md.mustache")
        var builder = ReportBuilder(results: results, templates: templateDirectory,
                                    output: URL(fileURLWithPath: out ?? "reports/\(grid.name)"))
        builder.dpi = dpi
        let output = try builder.build()
        print(RunSummary(records: results.records).markdown())
        print("report written to \(builder.output.path):")
        for file in output.files { print("  \(file.lastPathComponent)") }
    }
}
