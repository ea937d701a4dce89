import FileOutput
import Datasets
import Foundation
import Testing
import BayesianPruning
import NeuralCore
@testable import Experiments

/// `bmrs sweep --start-model`: the curves start from a given trained model, which is
/// recorded (path, MD5) and keyed by its content so that units of two models never mix.
@Suite("Sweeps from a given model")
struct StartModelSweepTests {
    /// A "trained elsewhere" network of the sweep's spec: its own seed, posteriors moved off their init, a mask set.
    static func givenNetwork(_ spec: NetworkSpec, seed: UInt64) -> Network {
        var rng = Xoshiro256(seed: seed)
        let network = Network(spec: spec, maxBatch: 32, rng: &rng)
        for layer in network.noiseLayers {
            for i in 0..<layer.units { layer.mu.value[i] = -Float(i % 4); layer.logSigma.value[i] = -1 - Float(i % 3) }
            layer.mask[0] = 0
        }
        return network
    }

    static func runner(_ dir: URL, md5: String, network: Network) -> SweepRunner {
        var config = tinySweep()
        config.levels = 3
        config.criteria = [.snr, .bmrsN]
        config.startModel = StartModel(path: "/models/fashion_mnist_mlp_\(md5.prefix(4)).pth", md5: md5, source: "a test model")
        var runner = SweepRunner(config: config, directory: dir)
        runner.startNetwork = network
        return runner
    }

    @Test func theCurvesStartFromTheGivenModelAndRecordIt() throws {
        let dir = temporaryDirectory("start-model")
        defer { try? FileManager.default.removeItem(at: dir) }
        let splits = syntheticSplits()
        let given = Self.givenNetwork(tinySweep().base.network, seed: 21)
        let runner = Self.runner(dir, md5: "0123456789abcdef0123456789abcdef", network: given)
        #expect(runner.modelKey != contentKey(runner.config.base), "the model key hashes the given model, not the training config")
        let result = try #require(try runner.run(splits: splits, dataDirectory: "synthetic"))
        #expect(result.config.startModel == runner.config.startModel)
        // Nothing was trained: the stored model is the given one, value for value, masks included.
        let layout = SweepDirectory(dir)
        let stored = try Checkpoint.load(layout.modelCheckpoint(runner.modelKey))
        for (a, b) in zip(given.allParameters, stored.allParameters) { #expect(a.value.array == b.value.array, "\(a.name)") }
        #expect(stored.noiseLayers.map(\.mask) == given.noiseLayers.map(\.mask))
        let record = try JSONCoding.decoder().decode(RunRecord.self, from: Data(contentsOf: layout.modelRecord(runner.modelKey)))
        #expect(record.epochs.isEmpty)
        #expect(record.testAccuracy == given.accuracy(images: splits.test.images, labels: splits.test.labels))
        #expect(result.modelTestAccuracy == record.testAccuracy)
        let recorded = try JSONCoding.decoder().decode(StartModel.self, from: Data(contentsOf: layout.startModel(runner.modelKey)))
        #expect(recorded == runner.config.startModel)
        // Every unit says which model it fine-tuned, and the levels come from the given posteriors.
        let store = try UnitStore(directory: layout.units)
        for key in Set(result.points.map(\.unit)) {
            let unit = try #require(try store.load(SweepUnitResult.self, key: key))
            #expect(unit.startModel == runner.config.startModel)
        }
        let planned = runner.plan(model: given)
        #expect(result.points.map(\.unit) == planned.map(\.key))
        // λ = 0 keeps everything: the given model's stored mask is replaced by the level's.
        #expect(result.points.first { $0.level == 0 }?.neuronCompression == 0)
    }

    @Test func anotherModelInTheSameDirectoryNeverReusesTheFirstOnesUnits() throws {
        let dir = temporaryDirectory("start-model-mix")
        defer { try? FileManager.default.removeItem(at: dir) }
        let splits = syntheticSplits()
        let spec = tinySweep().base.network
        let first = Self.runner(dir, md5: String(repeating: "a", count: 32), network: Self.givenNetwork(spec, seed: 1))
        let a = try #require(try first.run(splits: splits, dataDirectory: "synthetic"))
        let second = Self.runner(dir, md5: String(repeating: "b", count: 32), network: Self.givenNetwork(spec, seed: 2))
        #expect(second.modelKey != first.modelKey)
        let b = try #require(try second.run(splits: splits, dataDirectory: "synthetic"))
        #expect(b.unitsReused == 0 && b.unitsComputed == Set(b.points.map(\.unit)).count)
        #expect(Set(a.points.map(\.unit)).isDisjoint(with: Set(b.points.map(\.unit))))
        // Resuming the first finds its own units again (and the second's model file did not replace it).
        let again = try #require(try Self.runner(dir, md5: String(repeating: "a", count: 32), network: Self.givenNetwork(spec, seed: 99))
            .run(splits: splits, dataDirectory: "synthetic"))
        #expect(again.unitsComputed == 0 && again.points.map(\.unit) == a.points.map(\.unit))
        #expect(again.points.map(\.testAccuracy) == a.points.map(\.testAccuracy))
    }

    @Test func theKeyIgnoresThePathAndTheSettingsThatOnlyTrainAStartModel() {
        let network = Self.givenNetwork(tinySweep().base.network, seed: 5)
        let dir = temporaryDirectory("start-model-key")
        let md5 = String(repeating: "d", count: 32)
        let a = Self.runner(dir, md5: md5, network: network)
        var config = a.config
        config.base.epochs += 7
        config.base.finetuneEpochs += 3
        config.base.reportedModel = config.base.reportedModel == .final ? .best : .final
        config.startModel?.path = "/elsewhere/moved.pth"
        #expect(SweepRunner(config: config, directory: dir).modelKey == a.modelKey)
        // What the fine-tunes use does count.
        config.base.seed += 1
        #expect(SweepRunner(config: config, directory: dir).modelKey != a.modelKey)
        config = a.config
        config.base.learningRate *= 2
        #expect(SweepRunner(config: config, directory: dir).modelKey != a.modelKey)
    }

    @Test func aModelOfAnotherShapeIsRefusedNamingItsFile() throws {
        let dir = temporaryDirectory("start-model-shape")
        defer { try? FileManager.default.removeItem(at: dir) }
        let runner = Self.runner(dir, md5: String(repeating: "c", count: 32), network: Self.givenNetwork(.mlp(hidden: 7, depth: 1), seed: 3))
        do {
            _ = try runner.run(splits: syntheticSplits(), dataDirectory: "synthetic")
            Issue.record("a model of another shape was accepted")
        } catch let error as ConfigError {
            #expect(error.field == "start model")
            #expect(error.description.contains("/models/fashion_mnist_mlp_cccc.pth"), "\(error)")
            #expect(error.expected.contains("MLP(C=1, H=6, D=1)"), "\(error)")
        }
    }

    @Test func describingAFileHashesItsBytes() throws {
        let dir = temporaryDirectory("start-model-md5")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("model.pth")
        try Data("abc".utf8).write(to: file)
        let start = try StartModel.describing(file, source: "model.pth: test")
        #expect(start.md5 == "900150983cd24fb0d6963f7d28e17f72")   // RFC 1321's MD5("abc")
        #expect(start.path == file.path && start.source == "model.pth: test")
        #expect(throws: ConfigError.self) { try StartModel.describing(dir.appendingPathComponent("missing.pth"), source: "") }
    }
}
