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

    /// Found by fuzzing (GridConfig target, 222 s into its 10-minute run; minimized here): a
    /// mapping key that is a list or a mapping crashed the key check (Yams' untyped loader
    /// force-unwraps a non-string key). Now an error naming the file and where the key is.
    @Test(arguments: [("? [a]\n: 1\n", "(top level)"), ("{x: 1}: 2\n", "(top level)"),
                      ("curves:\n  ? [levels]\n  : 3\n", "curves"), ("networks:\n- {kind: mlp, ? {a: 1} : 2}\n", "networks[0]")])
    func aKeyThatIsNotTextIsAnErrorNotACrash(_ extra: String, _ place: String) throws {
        let text = extra.hasPrefix("networks") ? base.replacingOccurrences(of: "networks: [{kind: mlp}]\n", with: "") + extra : base + extra
        let url = try write(text)
        do {
            _ = try GridConfig.load(url)
            Issue.record("loaded a grid with a non-text key")
        } catch {
            let message = "\(error)"
            #expect(message.contains(url.path) && message.contains(place) && message.contains("used as a key"), "\(message)")
        }
    }

    /// Merge keys are read as the decoder reads them: the keys they merge in are checked too,
    /// and a known one merged in is accepted.
    @Test func mergeKeysAreCheckedThroughWhatTheyMergeIn() throws {
        let defaults = "defaults: &d {levels: 3, finetune_epochs: 1}\n"
        let good = try GridConfig.load(try write(base + "curves:\n  <<: {levels: 3, finetune_epochs: 1}\n  criteria: [snr]\n"))
        #expect(good.curves?.levels == 3)
        #expect(throws: ConfigError.self) { try GridConfig.load(try write(base + "curves:\n  <<: {levelz: 3}\n")) }
        // An anchor defined under a key of its own is still an unknown top-level key.
        #expect(throws: ConfigError.self) { try GridConfig.load(try write(base + defaults + "curves:\n  <<: *d\n")) }
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
