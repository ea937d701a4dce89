import ArgumentParser
import Datasets
import Experiments
import Foundation
import NeuralCore
import Reporting

struct GridCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grid",
        abstract: "Run an experiment grid (YAML/JSON config or a shipped profile): resumable, parallel (--jobs), shardable (--shard i/n).",
        subcommands: [Run.self, Merge.self, Profile.self], defaultSubcommand: Run.self)

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Run (or resume) a grid into --out.")
        @Argument(help: "Grid config file (.yaml, .yml or .json).") var config: String?
        @Option(help: "A shipped profile instead of a file: \(GridConfig.profiles.joined(separator: ", ")).") var profile: String?
        @Option(help: "Grid directory (default: runs/<grid name>).") var out: String?
        @OptionGroup var workers: WorkerOptions<OneJob>
        @OptionGroup var sharding: ShardOptions
        @Option(help: "Write a Slurm job array (one task per shard) and a dependent merge + report job into DIR instead of running.")
        var emitSlurm: String?
        @OptionGroup var data: DataOptions
        @OptionGroup var fetching: FetchOptions

        func validate() throws {
            if (config == nil) == (profile == nil) { throw ValidationError("give a config file or --profile NAME") }
            if emitSlurm != nil && config == nil { throw ValidationError("--emit-slurm needs a config file (write one with `bmrs grid profile NAME > grid.yaml`)") }
        }

        func run() throws {
            BLAS.setThreads(1)
            let grid = try loadGrid(config: config, profile: profile)
            if let emitSlurm {
                let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
                let absolute = { (p: String) in URL(fileURLWithPath: p, relativeTo: cwd).standardizedFileURL.path }
                var scripts = SlurmScripts(grid: grid, configPath: absolute(config!), gridDirectory: absolute(out ?? "runs/\(grid.name)"),
                                           executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path,
                                           reportDirectory: absolute("reports/\(grid.name)"))
                // The folder found now (the repository's, or --templates), passed explicitly:
                // the job runs elsewhere; without one the built-in templates serve.
                if let t = try? TemplateDirectory.locate(), let folder = t.folder { scripts.templatesDirectory = folder.path }
                if let d = data.dataDir { scripts.environment["BMRS_DATA_DIR"] = absolute(d) } else if let d = ProcessInfo.processInfo.environment["BMRS_DATA_DIR"] {
                    scripts.environment["BMRS_DATA_DIR"] = absolute(d)
                }
                for url in try scripts.write(to: URL(fileURLWithPath: emitSlurm)) { print("wrote \(url.path)") }
                print("submit with: \(URL(fileURLWithPath: emitSlurm).appendingPathComponent("submit.sh").path)")
                return
            }
            try fetching.ensure(grid.datasets, data: data)
            var runner = GridRunner(config: grid, directory: URL(fileURLWithPath: out ?? "runs/\(grid.name)"))
            if let shard = try sharding.parsed { runner.shard = shard }
            let started = Date()
            let progress = try workers.runGrid(runner, locator: data.locator)
            if workers.worker { return }
            print("grid \(grid.name): \(progress.unitsDone)/\(progress.unitsTotal) runs done (\(progress.computedHere) here) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            guard progress.complete else {
                print("incomplete: run the other shards, then `bmrs grid merge`, or rerun to resume")
                return
            }
            print(RunSummary(records: try runner.records()).markdown())
            print("results: \(runner.layout.results.path)")
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Copy finished units of shard directories into one grid directory.")
        @Argument(help: "Target grid directory.") var into: String
        @Argument(help: "Shard grid directories.") var shards: [String]
        func run() throws {
            let n = try GridRunner.merge(shards: shards.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: into))
            print("merged \(n) unit(s) into \(into); rerun the grid there (nothing is recomputed) to write the summary")
        }
    }

    struct Profile: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a shipped profile as YAML (a starting point for your own grid).")
        @Argument(help: "Profile: \(GridConfig.profiles.joined(separator: ", ")).") var name: String
        func run() throws { print(try loadGrid(config: nil, profile: name).yaml()) }
    }
}

func loadGrid(config: String?, profile: String?) throws -> GridConfig {
    if let profile {
        guard let grid = GridConfig.profile(profile) else {
            throw ValidationError("--profile: unknown profile '\(profile)', expected one of \(GridConfig.profiles.joined(separator: ", "))")
        }
        return grid
    }
    return try GridConfig.load(URL(fileURLWithPath: config!))
}
