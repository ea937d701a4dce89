import Foundation
import Testing
import BayesianPruning
import Datasets
import NeuralCore
@testable import Experiments
import FileOutput

/// Issue 17, item 2: runs forked from the shared `none` prefix give the records of the
/// same runs trained alone, byte for byte apart from timings.
@Suite("Shared training prefixes")
struct PrefixForkTests {
    func forkGrid() -> GridConfig {
        var curves = GridConfig.Curves()
        curves.levels = 3
        curves.criteria = [.snr, .bmrsNReleased]
        curves.trainEpochs = 7
        return GridConfig(name: "fork", datasets: [.fashionMNIST], networks: [.init(kind: .mlp, hidden: 6, depth: 1)],
                          methods: [.none, .l2, .etheta, .snr, .bmrsN, .bmrsNReleased, .bmrsU(precisionBits: 8)],
                          matched: [.l2], matchedTo: .bmrsNReleased, seeds: [3], epochs: 5, finetuneEpochs: 2,
                          batchSize: 16, learningRate: 3e-3, trainLimit: nil, validationLimit: nil, protocolVariant: .standard,
                          precisions: nil, curves: curves, slurm: nil)
    }

    /// A record as JSON with every wall-clock field removed.
    func withoutTimings(_ record: RunRecord) throws -> String {
        func strip(_ v: Any) -> Any {
            if let d = v as? [String: Any] {
                return d.filter { !$0.key.contains("second") }.mapValues(strip)
            }
            if let a = v as? [Any] { return a.map(strip) }
            return v
        }
        let object = try JSONSerialization.jsonObject(with: JSONCoding.encode(record))
        let data = try JSONSerialization.data(withJSONObject: strip(object), options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self)
    }

    @Test func forkedRecordsEqualRunsTrainedAlone() throws {
        let dir = temporaryDirectory("fork")
        defer { try? FileManager.default.removeItem(at: dir) }
        let grid = forkGrid()
        var lines: [String] = []
        let progress = try GridRunner(config: grid, directory: dir).run(data: syntheticData) { lines.append($0) }
        #expect(progress.complete)
        let forked = lines.filter { $0.contains("from the shared prefix at epoch") }
        // Every pruning run and the curves' model forked; some after epoch 1.
        #expect(forked.count == 7 + 1)
        #expect(forked.contains { !$0.contains("epoch 1") })
        let records = try GridRunner(config: grid, directory: dir).records()
        #expect(records.count == 8)
        for (unit, record) in zip(grid.trainingUnits(), records) where unit.config.method.prunes {
            var config = unit.config
            config.matchedPrunedFraction = record.config.matchedPrunedFraction
            let alone = try Trainer(config: config).run(splits: syntheticSplits(seed: config.seed), dataDirectory: "/synthetic")
            #expect(try withoutTimings(alone) == withoutTimings(record), "\(config.method)\(unit.matched ? " matched" : "")")
        }
        // The curves' model (7 epochs, final) equals an unpruned 7-epoch run's last epoch.
        let sweep = try #require(grid.sweepConfigs().first)
        let model = try JSONCoding.decoder().decode(RunRecord.self, from: Data(contentsOf:
            dir.appendingPathComponent("sweeps/models/\(contentKey(sweep.base))/run.json")))
        let alone = try Trainer(config: sweep.base).run(splits: syntheticSplits(seed: 3), dataDirectory: "/synthetic")
        #expect(try withoutTimings(alone) == withoutTimings(model))
        #expect(model.bestEpoch == 7)
    }

    @Test func aDamagedStateMeansTrainingFromTheStart() throws {
        let dir = temporaryDirectory("fork-damaged")
        defer { try? FileManager.default.removeItem(at: dir) }
        var grid = forkGrid()
        grid.methods = [.none, .snr]
        grid.matched = nil
        grid.curves = nil
        let runner = GridRunner(config: grid, directory: dir)
        // Run the grid, then lose the SNR run and damage every saved state.
        try runner.run(data: syntheticData)
        let snrUnit = try #require(grid.trainingUnits().first { $0.config.method == .snr })
        try FileManager.default.removeItem(at: dir.appendingPathComponent("runs/\(snrUnit.key).json"))
        let prefixes = dir.appendingPathComponent("runs/prefixes")
        for folder in try FileManager.default.contentsOfDirectory(atPath: prefixes.path) {
            for name in try FileManager.default.contentsOfDirectory(atPath: prefixes.appendingPathComponent(folder).path) where name.hasSuffix(".state") {
                let url = prefixes.appendingPathComponent(folder).appendingPathComponent(name)
                var bytes = try Data(contentsOf: url)
                bytes[bytes.count - 3] ^= 0xFF
                try bytes.write(to: url)
            }
        }
        var lines: [String] = []
        try runner.run(data: syntheticData) { lines.append($0) }
        #expect(lines.contains { $0.contains("unusable") && $0.contains("checksum") })
        #expect(!lines.contains { $0.contains("from the shared prefix") })
        let snr = try #require(try runner.records().first { $0.config.method == .snr })
        var config = snr.config
        config.matchedPrunedFraction = nil
        let alone = try Trainer(config: config).run(splits: syntheticSplits(seed: 3), dataDirectory: "/synthetic")
        #expect(try withoutTimings(alone) == withoutTimings(snr))
    }

    @Test func stateFileRoundTripsAndRefusesTruncation() throws {
        let state = TrainerState(epoch: 3, parameters: [[1, -2.5, .leastNonzeroMagnitude], [3]], masks: [[1, 0]],
                                 initialParameters: [[0, 0, 0], [1]], adamStep: 17, moments1: [[0.1, 0.2, 0.3], [0.4]],
                                 moments2: [[1e-8, 2, 3], [4]], orderGenerator: [1, 2, 3, 4], order: [2, 0, 1],
                                 noiseCounter: 99, lossSum: 1.25, crossEntropySum: 1.0, klSum: 0.25, epochs: [],
                                 initialValidationAccuracy: 0.125)
        let data = try TrainerStateFile.encode(state)
        #expect(try TrainerStateFile.decode(data, path: "s") == state)
        #expect(throws: ConfigError.self) { try TrainerStateFile.decode(data.dropLast(4), path: "s") }
        #expect(throws: ConfigError.self) { try TrainerStateFile.decode(Data("nonsense".utf8), path: "s") }
    }
}
