import Foundation
import Testing
import BayesianPruning
@testable import Experiments

@Suite("Grid config files")
struct GridConfigTests {
    func write(_ text: String) throws -> URL {
        let dir = temporaryDirectory("gridconfig")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("g.yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    let base = "name: t\ndatasets: [fashion-mnist]\nnetworks: [{kind: mlp}]\nmethods: [none, snr]\nseeds: [1]\nepochs: 2\n"

    /// Issue 15, item 5: a typo must not run silently with the default.
    @Test func anUnknownKeyIsAnErrorNamingItAndTheClosestKnownKey() throws {
        let url = try write(base + "learning-rate: 0.01\n")
        do {
            _ = try GridConfig.load(url)
            Issue.record("loaded a grid with an unknown key")
        } catch {
            let text = "\(error)"
            #expect(text.contains("learning-rate") && text.contains("did you mean 'learning_rate'"), "\(text)")
            #expect(text.contains(url.path))
        }
    }

    @Test(arguments: ["curves: {levels: 3, criterion: [snr]}\n", "networks: [{kind: mlp, hiden: 8}]\n", "slurm: {shard: 2}\n"])
    func unknownNestedKeysAreErrorsToo(_ extra: String) throws {
        let text = base.replacingOccurrences(of: "networks: [{kind: mlp}]\n", with: extra.hasPrefix("networks") ? "" : "networks: [{kind: mlp}]\n") + extra
        #expect(throws: ConfigError.self) { try GridConfig.load(try write(text)) }
    }

    @Test func perNetworkMethodsAndSeedsOverrideTheGrids() throws {
        let text = "name: t\ndatasets: [fashion-mnist]\nmethods: [none, snr, bmrs-n-released]\nmatched: [l2]\nmatched_to: bmrs-n-released\nseeds: [1, 2]\nepochs: 2\n"
            + "networks:\n- kind: mlp\n- {kind: lenet5, methods: [none, snr], matched: [], seeds: [7]}\n"
        let grid = try GridConfig.load(try write(text))
        let lenet = grid.trainingUnits().filter { $0.config.network.kind == .lenet5 }
        #expect(lenet.map(\.config.method) == [.none, .snr])
        #expect(lenet.allSatisfy { $0.config.seed == 7 })
        let matched = grid.trainingUnits().filter(\.matched)
        #expect(matched.count == 2 && matched.allSatisfy { $0.config.network.kind == .mlp && $0.reference.config.method == .bmrsNReleased })
    }

    @Test func curvesPruneTheFinalModelOfTheirOwnLengthByDefault() throws {
        let grid = try GridConfig.load(try write(base + "curves: {levels: 3, criteria: [snr], finetune_epochs: 1}\n"))
        let sweep = try #require(grid.sweepConfigs().first)
        #expect(sweep.base.reportedModel == .final)
        #expect(sweep.base.epochs == GridConfig.Curves.defaultTrainEpochs && sweep.base.finetuneEpochs == 0)
        let best = try GridConfig.load(try write(base + "curves: {levels: 3, criteria: [snr], finetune_epochs: 1, model: best}\n"))
        // `best` without train_epochs: the grid's own `none` run (its key unchanged).
        #expect(best.sweepConfigs().first?.base == best.trainingUnits().first { $0.config.method == .none }?.config)
    }

    @Test func gridKeysOfOlderGridsAreUnchanged() {
        // New optional fields are left out of the encoding when unset, so a grid directory
        // written before them resumes with the same unit keys.
        var config = TrainingConfig()
        config.method = .snr
        #expect(GridUnit(config: config, matched: false).key == contentKey(GridUnit(config: config, matched: false)))
        #expect(!String(decoding: try! JSONEncoder().encode(GridUnit(config: config, matched: true)), as: UTF8.self).contains("matchedTo"))
        #expect(!String(decoding: try! JSONEncoder().encode(config), as: UTF8.self).contains("reportedModel"))
    }
}
