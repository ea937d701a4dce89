import FileOutput
import Foundation
import Testing
import BayesianPruning
import Datasets
import NeuralCore
@testable import Experiments

func releasedSweep() -> SweepConfig {
    var config = tinySweep()
    config.curveProtocol = .released
    return config
}

/// One level of a chain fine-tuned by hand with `Trainer` alone: `model` with masks `keep`,
/// one epoch of `base` (method none) continuing from `state`; its record and the state after.
func fineTuneByHand(_ model: Network, keep: [[Bool]], base: TrainingConfig, splits: DatasetSplits,
                    continuing state: FineTuneContinuation) throws -> (record: RunRecord, after: TrainerState?) {
    let start = Network(descriptors: model.layers.map(LayerDescriptor.init), spec: model.spec, maxBatch: model.maxBatch)
    Checkpoint.copy(from: model, to: start)
    Structures.apply(keep, to: start)
    var tune = base
    tune.method = .none
    tune.epochs = 1
    var after: TrainerState?
    let record = try Trainer(config: tune).run(splits: splits, dataDirectory: "synthetic", startingFrom: start,
                                               continuing: state, measureCompaction: false,
                                               afterSteps: { _, _, capture in after = capture() })
    return (record, after)
}

/// The authors' post-training protocol (`curves.protocol: released`, SPEC §6): one chain per
/// criterion carrying Adam's state and the noise stream over, unshuffled data, a point only
/// where the neuron compression changed.
@Suite("Released curve protocol")
struct ReleasedCurveProtocolTests {
    @Test func pointsAreKeptOnlyWhereTheNeuronCompressionChanged() throws {
        let dir = temporaryDirectory("released")
        defer { try? FileManager.default.removeItem(at: dir) }
        let runner = SweepRunner(config: releasedSweep(), directory: dir)
        let result = try #require(try runner.run(splits: syntheticSplits(), dataDirectory: "synthetic"))
        #expect(result.unitsComputed == 4)  // one chain per criterion
        for criterion in ["snr", "l2", "bmrs-n", "bmrs-u-8"] {
            let curve = result.points.filter { $0.criterion == criterion && !$0.endPoint }
            #expect(curve.first?.level == 0)
            let compression = curve.map(\.neuronCompression)
            #expect(zip(compression, compression.dropFirst()).allSatisfy { $0 < $1 }, "\(criterion): \(compression)")
        }
        // The chain's levels are the masks of our protocol's plan, level for level.
        let statistics = Structures.statistics(try Checkpoint.load(runner.layout.modelCheckpoint(runner.modelKey)))
        for point in result.points where !point.endPoint {
            let method = try #require(PruningMethod(point.criterion))
            let criterion = try #require(method.criterion(runner.config.base.effectiveCriteria))
            let keep = PruningDecision(criterion: criterion, statistics: statistics, fraction: point.level! / 100).keep
            let flags = keep.flatMap { $0 }
            #expect(point.neuronCompression == 100 * Double(flags.filter { !$0 }.count) / Double(flags.count))
        }
        // A BMRS end point is the chain's first level with the thresholdless mask.
        for criterion in ["bmrs-n", "bmrs-u-8"] {
            let end = try #require(result.points.first { $0.criterion == criterion && $0.endPoint })
            let same = try #require(result.points.first { $0.criterion == criterion && !$0.endPoint && $0.unit == end.unit })
            #expect(same.neuronCompression == end.neuronCompression && same.testAccuracy == end.testAccuracy)
        }
        // Ours and released write separate files for the same model.
        #expect(FileManager.default.fileExists(atPath: runner.layout.result(runner.modelKey + "-released").path))
        #expect(!FileManager.default.fileExists(atPath: runner.layout.result(runner.modelKey).path))
    }

    /// Level 1 of a chain is the fine-tune that starts from level 0's Adam moments and noise
    /// position, which started from the model's training: rebuilt here with `Trainer` alone.
    @Test func aChainCarriesAdamAndTheNoiseStreamFromLevelToLevel() throws {
        let dir = temporaryDirectory("released-chain")
        defer { try? FileManager.default.removeItem(at: dir) }
        let splits = syntheticSplits()
        var config = releasedSweep()
        config.criteria = [.snr]
        let runner = SweepRunner(config: config, directory: dir)
        let result = try #require(try runner.run(splits: splits, dataDirectory: "synthetic"))
        let model = try Checkpoint.load(runner.layout.modelCheckpoint(runner.modelKey))
        let trained = try TrainerStateFile.load(runner.layout.modelFinalState(runner.modelKey))
        let chain = try #require(runner.releasedChains(model: model, scores: [:]).first)
        let stored = try #require(try UnitStore(directory: runner.units).load(ReleasedChainResult.self, key: chain.key))

        var state = FineTuneContinuation(trained)
        var accuracies: [Double] = []
        for level in chain.levels.prefix(3) {
            let (record, after) = try fineTuneByHand(model, keep: level.keep, base: config.base, splits: splits, continuing: state)
            let steps = (splits.train.count + config.base.batchSize - 1) / config.base.batchSize
            #expect(after!.adamStep == state.adamStep + steps)
            #expect(after!.order == Array(0..<splits.train.count))  // unshuffled
            state = FineTuneContinuation(after!)
            accuracies.append(record.testAccuracy)
        }
        #expect(stored.levels.prefix(3).map(\.testAccuracy) == accuracies)
        #expect(trained.adamStep > 0)
        _ = result
    }

    @Test func anInterruptedChainContinuesFromItsLastLevel() throws {
        let whole = temporaryDirectory("released-whole"), cut = temporaryDirectory("released-cut")
        defer { for d in [whole, cut] { try? FileManager.default.removeItem(at: d) } }
        let splits = syntheticSplits()
        let full = try #require(try SweepRunner(config: releasedSweep(), directory: whole).run(splits: splits, dataDirectory: "synthetic"))

        var interrupted = SweepRunner(config: releasedSweep(), directory: cut)
        let stop = StopRequest()
        interrupted.stop = stop
        var levelsSeen = 0
        #expect(throws: Interrupted.self) {
            _ = try interrupted.run(splits: splits, dataDirectory: "synthetic") { line in
                if line.contains(" level ") { levelsSeen += 1; if levelsSeen == 8 { stop.request() } }
            }
        }
        var lines: [String] = []
        let resumed = try #require(try SweepRunner(config: releasedSweep(), directory: cut).run(splits: splits, dataDirectory: "synthetic") { lines.append($0) })
        #expect(lines.contains { $0.contains("continuing after level 2 of 6") })
        #expect(try JSONCoding.encode(resumed.points) == JSONCoding.encode(full.points))
        // Nothing of the chains in flight is left once they are done.
        let left = (try? FileManager.default.contentsOfDirectory(atPath: interrupted.layout.chains.path)) ?? []
        #expect(left.isEmpty, "\(left)")
    }

    /// A model trained elsewhere brings no optimizer state: its chains start from a fresh Adam.
    @Test func aGivenStartModelsChainsStartFromAFreshAdam() throws {
        let dir = temporaryDirectory("released-start")
        defer { try? FileManager.default.removeItem(at: dir) }
        let splits = syntheticSplits()
        let given = StartModelSweepTests.givenNetwork(tinySweep().base.network, seed: 21)
        var runner = StartModelSweepTests.runner(dir, md5: "00112233445566778899aabbccddeeff", network: given)
        var config = runner.config
        config.curveProtocol = .released
        runner = SweepRunner(config: config, directory: dir)
        runner.startNetwork = given
        let result = try #require(try runner.run(splits: splits, dataDirectory: "synthetic"))
        #expect(result.points.filter { $0.criterion == "snr" && !$0.endPoint }.first?.level == 0)
        #expect(!FileManager.default.fileExists(atPath: runner.layout.modelFinalState(runner.modelKey).path))
        // Its first level is the fine-tune of the given model from step 0.
        let chain = try #require(runner.releasedChains(model: given, scores: [:]).first)
        let zero = given.allParameters.map { [Float](repeating: 0, count: $0.value.count) }
        let first = try fineTuneByHand(given, keep: chain.levels[0].keep, base: config.base, splits: splits,
                                       continuing: FineTuneContinuation(adamStep: 0, moments1: zero, moments2: zero, noiseCounter: 0)).record
        let stored = try #require(try UnitStore(directory: runner.units).load(ReleasedChainResult.self, key: chain.key))
        #expect(stored.levels[0].testAccuracy == first.testAccuracy)
    }

    @Test func gridConfigReadsOneProtocolOrBoth() throws {
        func curves(_ yaml: String) throws -> [SweepConfig] {
            let text = """
            name: t
            datasets: [fashion-mnist]
            networks: [{kind: mlp}]
            methods: [none]
            seeds: [1]
            epochs: 2
            curves:
              levels: 3
              criteria: [snr]
              finetune_epochs: 1
            \(yaml)
            """
            let url = temporaryDirectory("grid-protocol").appendingPathExtension("yaml")
            defer { try? FileManager.default.removeItem(at: url) }
            try text.write(to: url, atomically: true, encoding: .utf8)
            return try GridConfig.load(url).sweepConfigs()
        }
        #expect(try curves("").map(\.resolvedProtocol) == [.ours])
        #expect(try curves("  protocol: released").map(\.resolvedProtocol) == [.released])
        let both = try curves("  protocol: [ours, released]")
        #expect(both.map(\.resolvedProtocol) == [.ours, .released])
        #expect(Set(both.map { SweepRunner.resultKey($0) }).count == 2)
        #expect(throws: (any Error).self) { try curves("  protocol: authors") }
    }
}
