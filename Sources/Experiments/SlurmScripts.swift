import Foundation
import FileOutput

/// Writes the scripts that run a grid as a Slurm job array (one task per shard, each in
/// its own directory) and a dependent job that merges the shards and renders the report.
/// Resubmitting after failures recomputes only unfinished units: every unit is
/// content-addressed and finished units are skipped.
public struct SlurmScripts {
    public var grid: GridConfig
    /// The grid file the tasks read (absolute).
    public var configPath: String
    /// Where shards, the merged grid and logs go (absolute, on a shared file system).
    public var gridDirectory: String
    /// The `bmrs` binary the tasks run (absolute).
    public var executable: String
    /// Where the report goes.
    public var reportDirectory: String
    /// The templates folder the report job uses (nil: the templates built into bmrs).
    public var templatesDirectory: String?
    /// Extra environment for the tasks, e.g. BMRS_DATA_DIR.
    public var environment: [String: String] = [:]

    public init(grid: GridConfig, configPath: String, gridDirectory: String, executable: String, reportDirectory: String) {
        self.grid = grid
        self.configPath = configPath
        self.gridDirectory = gridDirectory
        self.executable = executable
        self.reportDirectory = reportDirectory
    }

    var settings: GridConfig.Slurm { grid.slurm ?? GridConfig.Slurm() }

    func shellQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    var exports: String {
        environment.keys.sorted().map { "export \($0)=\(shellQuoted(environment[$0]!))" }.joined(separator: "\n")
    }

    /// Seconds before the time limit at which Slurm sends the clean-stop signal.
    public static let warningSeconds = 120

    public var arrayScript: String {
        let s = settings
        return """
        #!/bin/bash
        #SBATCH --job-name=bmrs-\(grid.name)
        #SBATCH --array=0-\(s.shards - 1)
        #SBATCH --cpus-per-task=\(s.cpusPerTask)
        #SBATCH --time=\(s.time)
        #SBATCH --mem=\(s.memory)
        #SBATCH --output=\(gridDirectory)/logs/task-%a.out
        #SBATCH --signal=B:TERM@\(SlurmScripts.warningSeconds)
        \(s.partition.map { "#SBATCH --partition=\($0)" } ?? "")
        # One shard of grid '\(grid.name)' per array task, each in its own directory; finished
        # units are skipped, so resubmitting reruns only what is missing. SIGTERM comes
        # \(SlurmScripts.warningSeconds) s before the time limit: bmrs stops cleanly (the unit in flight is
        # abandoned, finished ones stay) instead of being killed mid-write.
        set -euo pipefail
        \(exports)
        exec \(shellQuoted(executable)) grid run \(shellQuoted(configPath)) \\
            --out \(shellQuoted(gridDirectory))/shards/$SLURM_ARRAY_TASK_ID \\
            --shard $SLURM_ARRAY_TASK_ID/\(s.shards) --jobs \(s.cpusPerTask)
        """ + "\n"
    }

    public var mergeScript: String {
        let shards = (0..<settings.shards).map { "\(shellQuoted(gridDirectory))/shards/\($0)" }.joined(separator: " ")
        return """
        #!/bin/bash
        #SBATCH --job-name=bmrs-\(grid.name)-merge
        #SBATCH --cpus-per-task=\(settings.cpusPerTask)
        #SBATCH --time=\(settings.time)
        #SBATCH --mem=\(settings.memory)
        #SBATCH --output=\(gridDirectory)/logs/merge.out
        \(settings.partition.map { "#SBATCH --partition=\($0)" } ?? "")
        # Merge the shards, finish the units that waited on another shard (matched runs),
        # write the summary and render the report.
        set -euo pipefail
        \(exports)
        \(shellQuoted(executable)) grid merge \(shellQuoted(gridDirectory))/merged \(shards)
        \(shellQuoted(executable)) grid run \(shellQuoted(configPath)) --out \(shellQuoted(gridDirectory))/merged --jobs \(settings.cpusPerTask)
        exec \(shellQuoted(executable)) report --from \(shellQuoted(gridDirectory))/merged --out \(shellQuoted(reportDirectory)) --jobs 1\(templatesDirectory.map { " --templates " + shellQuoted($0) } ?? "")
        """ + "\n"
    }

    public var submitScript: String {
        """
        #!/bin/bash
        # Submits the array, then the merge job once every task succeeded; prints both ids.
        set -euo pipefail
        here="$(cd "$(dirname "$0")" && pwd)"
        mkdir -p \(shellQuoted(gridDirectory))/logs
        array=$(sbatch --parsable "$here/array.sbatch")
        merge=$(sbatch --parsable --dependency=afterok:${array%%;*} --kill-on-invalid-dep=yes "$here/merge.sbatch")
        echo "array job ${array%%;*}, merge job ${merge%%;*}"
        """ + "\n"
    }

    /// Writes array.sbatch, merge.sbatch and submit.sh into `directory` (atomically).
    public func write(to directory: URL) throws -> [URL] {
        var written: [URL] = []
        for (name, text) in [("array.sbatch", arrayScript), ("merge.sbatch", mergeScript), ("submit.sh", submitScript)] {
            let url = directory.appendingPathComponent(name)
            try AtomicFile.write(Data(text.utf8), to: url)
            chmod(url.path, 0o755)
            written.append(url)
        }
        return written
    }
}
