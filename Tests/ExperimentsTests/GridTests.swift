import Foundation
import Testing
import BayesianPruning
import Datasets
import NeuralCore
@testable import Experiments

func tinyGrid() -> GridConfig {
    var curves = GridConfig.Curves()
    curves.levels = 4
    curves.criteria = [.snr, .bmrsN]
    return GridConfig(name: "tiny", datasets: [.fashionMNIST], networks: [.init(kind: .mlp, hidden: 6, depth: 1)],
                      methods: [.none, .snr, .bmrsN], matched: [.l2], seeds: [1, 2], epochs: 2, finetuneEpochs: 1,
                      batchSize: 16, learningRate: 1e-3, trainLimit: nil, validationLimit: nil, protocolVariant: .standard, precisions: [6],
                      curves: curves, slurm: nil)
}

func syntheticData(_ config: TrainingConfig) throws -> (DatasetSplits, URL) {
    (syntheticSplits(seed: config.seed), URL(fileURLWithPath: "/synthetic"))
}

func summaryFiles(_ dir: URL) throws -> [String] {
    try ["runs.csv", "curves.csv"].map { try String(contentsOf: dir.appendingPathComponent("results/\($0)"), encoding: .utf8) }
}

@Suite("Experiment grid")
struct GridTests {
    @Test func runsEveryUnitAndWritesTheSummary() throws {
        let dir = temporaryDirectory("grid")
        defer { try? FileManager.default.removeItem(at: dir) }
        let progress = try GridRunner(config: tinyGrid(), directory: dir).run(data: syntheticData)
        #expect(progress.complete)
        #expect(progress.unitsTotal == 2 * (3 + 1 + 1))  // methods + precision + matched, per seed
        let (runs, curves) = try { let f = try summaryFiles(dir); return (f[0], f[1]) }()
        #expect(runs.split(separator: "\n").count == 1 + 10)
        #expect(runs.contains("bmrs-u-6"))
        #expect(runs.contains(",l2,true,"))  // the matched run
        #expect(curves.split(separator: "\n").count == 1 + 2 * (2 * 4 + 1))
        // The matched L2 run pruned BMRS_N's share.
        let records = try GridRunner(config: tinyGrid(), directory: dir).records()
        for seed: UInt64 in [1, 2] {
            let bmrs = records.first { $0.config.seed == seed && $0.config.method == .bmrsN }!
            let l2 = records.first { $0.config.seed == seed && $0.config.method == .l2 }!
            #expect(l2.compression!.prunedStructures == bmrs.compression!.prunedStructures)
        }
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("grid.yaml").path))
    }

    @Test func resumeAfterKillGivesTheIdenticalSummary() throws {
        let whole = temporaryDirectory("grid-whole"), killed = temporaryDirectory("grid-killed")
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: killed) }
        try GridRunner(config: tinyGrid(), directory: whole).run(data: syntheticData)
        let runner = GridRunner(config: tinyGrid(), directory: killed)
        try runner.run(data: syntheticData)
        // kill -9: a run in flight (its lock left by a dead process, no record), sweep units gone.
        let store = try UnitStore(directory: killed.appendingPathComponent("runs"))
        let victim = tinyGrid().trainingUnits()[3].key
        try FileManager.default.removeItem(at: store.resultURL(victim))
        try "999999\n".write(to: killed.appendingPathComponent("runs/\(victim).lock"), atomically: true, encoding: .utf8)
        let units = try UnitStore(directory: killed.appendingPathComponent("sweeps/units"))
        for key in try units.finishedKeys().prefix(2) { try FileManager.default.removeItem(at: units.resultURL(key)) }
        try FileManager.default.removeItem(at: killed.appendingPathComponent("results"))
        let progress = try runner.run(data: syntheticData)
        #expect(progress.computedHere == 1)
        #expect(try summaryFiles(killed) == summaryFiles(whole))
    }

    @Test func shardsMergedEqualOneRun() throws {
        let whole = temporaryDirectory("grid-one"), a = temporaryDirectory("grid-a"), b = temporaryDirectory("grid-b")
        let merged = temporaryDirectory("grid-merged")
        defer { for d in [whole, a, b, merged] { try? FileManager.default.removeItem(at: d) } }
        try GridRunner(config: tinyGrid(), directory: whole).run(data: syntheticData)
        // Matched runs wait for BMRS_N, which may sit in the other shard: each shard is
        // rerun until it has done what it can, as a job array's resubmission would.
        for (i, dir) in [a, b].enumerated() {
            var runner = GridRunner(config: tinyGrid(), directory: dir)
            runner.shard = try Shard(index: i, count: 2)
            let progress = try runner.run(data: syntheticData)
            #expect(!progress.complete)
        }
        try GridRunner.merge(shards: [a, b], into: merged)
        let progress = try GridRunner(config: tinyGrid(), directory: merged).run(data: syntheticData)
        #expect(progress.complete)
        #expect(try summaryFiles(merged) == summaryFiles(whole))
    }

    @Test func aDivergingRunIsRecordedAsFailedAndTheGridGoesOn() throws {
        let dir = temporaryDirectory("grid-nan")
        defer { try? FileManager.default.removeItem(at: dir) }
        var grid = tinyGrid()
        grid.curves = nil
        grid.matched = nil
        let progress = try GridRunner(config: grid, directory: dir).run(data: { config in
            var splits = syntheticSplits(seed: config.seed)
            if config.seed == 2 { splits.train.images[0] = .nan }
            return (splits, URL(fileURLWithPath: "/synthetic"))
        })
        #expect(progress.complete)
        let runs = try String(contentsOf: dir.appendingPathComponent("results/runs.csv"), encoding: .utf8)
        #expect(runs.split(separator: "\n").filter { $0.contains(",failed,") }.count == 4)
        #expect(runs.split(separator: "\n").filter { $0.contains(",finished,") }.count == 4)
    }

    @Test func configFilesDecodeAndBadOnesNameTheProblem() throws {
        let dir = temporaryDirectory("grid-config")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let yaml = dir.appendingPathComponent("g.yaml")
        try tinyGrid().yaml().write(to: yaml, atomically: true, encoding: .utf8)
        #expect(try GridConfig.load(yaml) == tinyGrid())
        let json = dir.appendingPathComponent("g.json")
        try #"{"name": "j", "datasets": ["mnist-5k"], "networks": [{"kind": "lenet5"}], "methods": ["bmrs-u-8"], "seeds": [7], "epochs": 2}"#
            .write(to: json, atomically: true, encoding: .utf8)
        #expect(try GridConfig.load(json).methods == [.bmrsU(precisionBits: 8)])
        let bad = dir.appendingPathComponent("bad.yaml")
        try "name: x\ndatasets: [fashion-mnist]\nnetworks: [{kind: mlp}]\nmethods: [bogus]\nseeds: [1]\nepochs: 1\n"
            .write(to: bad, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try GridConfig.load(bad) }
        do { _ = try GridConfig.load(bad) } catch { #expect("\(error)".contains("bad.yaml") && "\(error)".contains("bogus"), "\(error)") }
        for name in GridConfig.profiles { #expect(GridConfig.profile(name)?.name == name, "profile \(name)") }
        #expect(GridConfig.profile("bogus") == nil)
        // Both quick profiles prune the final model of the 18-epoch unpruned run, on 11 levels.
        for name in ["quick", "quick-lenet5"] {
            let curves = try #require(GridConfig.profile(name)?.curves)
            #expect(curves.levels == 11 && curves.trainEpochs == 18 && curves.model == nil)
        }
        #expect(GridConfig.profile("quick")?.networks.map(\.kind) == [.mlp])
        #expect(GridConfig.profile("quick-lenet5")?.networks.map(\.kind) == [.lenet5])
    }
}
