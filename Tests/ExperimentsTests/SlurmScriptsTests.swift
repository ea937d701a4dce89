import Foundation
import Testing
@testable import Experiments

@Suite("Slurm scripts")
struct SlurmScriptsTests {
    @Test func arrayMergeAndSubmitScripts() throws {
        var grid = tinyGrid()
        var slurm = GridConfig.Slurm()
        slurm.shards = 3
        slurm.cpusPerTask = 4
        slurm.time = "02:00:00"
        slurm.memory = "8G"
        slurm.partition = "cpu"
        grid.slurm = slurm
        var scripts = SlurmScripts(grid: grid, configPath: "/shared/g.yaml", gridDirectory: "/shared/grid",
                                   executable: "/shared/bmrs", reportDirectory: "/shared/reports/tiny")
        scripts.environment["BMRS_DATA_DIR"] = "/shared/data"
        let array = scripts.arrayScript
        for line in ["#SBATCH --array=0-2", "#SBATCH --cpus-per-task=4", "#SBATCH --time=02:00:00", "#SBATCH --mem=8G",
                     "#SBATCH --partition=cpu", "#SBATCH --output=/shared/grid/logs/task-%a.out", "export BMRS_DATA_DIR='/shared/data'",
                     "--shard $SLURM_ARRAY_TASK_ID/3 --jobs 4", "#SBATCH --signal=B:TERM@120", "'/shared/bmrs' grid run '/shared/g.yaml'"] {
            #expect(array.contains(line), "array script lacks \(line)")
        }
        let merge = scripts.mergeScript
        #expect(merge.contains("grid merge '/shared/grid'/merged '/shared/grid'/shards/0 '/shared/grid'/shards/1 '/shared/grid'/shards/2"))
        #expect(merge.contains("report --from '/shared/grid'/merged --out '/shared/reports/tiny'"))
        let submit = scripts.submitScript
        #expect(submit.contains("--dependency=afterok:${array%%;*} --kill-on-invalid-dep=yes"))
        let dir = temporaryDirectory("slurm")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try scripts.write(to: dir)
        #expect(files.map(\.lastPathComponent) == ["array.sbatch", "merge.sbatch", "submit.sh"])
        #expect(FileManager.default.isExecutableFile(atPath: files[2].path))
    }
}
