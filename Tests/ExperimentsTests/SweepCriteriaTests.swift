import Foundation
import Testing
import BayesianPruning
import NeuralCore
@testable import Experiments
import FileOutput

/// The post-training-only criteria in a sweep: Taylor (one pass of the training data) and
/// the seeded random order.
@Suite("Sweeps with Taylor and random criteria")
struct SweepCriteriaTests {
    func config() -> SweepConfig {
        var config = tinySweep()
        config.criteria = [.snr, .taylor, .random]
        return config
    }

    @Test func curvesOfTaylorAndRandomAndTheirScores() throws {
        let dir = temporaryDirectory("sweep-taylor")
        defer { try? FileManager.default.removeItem(at: dir) }
        let splits = syntheticSplits()
        let runner = SweepRunner(config: config(), directory: dir)
        let result = try #require(try runner.run(splits: splits, dataDirectory: "synthetic"))
        for criterion in ["taylor", "random"] {
            let curve = result.points.filter { $0.criterion == criterion }
            #expect(curve.count == 6 && curve.allSatisfy { !$0.endPoint })
            let compression = curve.map(\.neuronCompression)
            #expect(compression.first == 0 && compression.last == 100)
            #expect(zip(compression, compression.dropFirst()).allSatisfy { $0 <= $1 }, "\(criterion): \(compression)")
        }
        // The scores the masks were cut from, as the heatmap reads them.
        let scores = try #require(result.structureScores)
        #expect(Set(scores.keys) == ["taylor", "random"])
        let model = try Checkpoint.load(runner.modelDirectory.appendingPathComponent(TrainingSession.checkpointFileName))
        #expect(scores["random"] == RandomPruningOrder.scores(model, seed: config().base.seed))
        let taylor = TaylorScores.scores(model, images: splits.train.images, labels: splits.train.labels,
                                         batchSize: config().base.evaluationBatchSize)
        #expect(scores["taylor"] == taylor)
        #expect(taylor.flatMap { $0 }.allSatisfy { $0 >= 0 && $0.isFinite } && taylor.flatMap { $0 }.contains { $0 > 0 })
        // Each level's masks prune the lowest scores.
        for point in result.points where point.criterion == "taylor" {
            let keep = PruningDecision(scores: taylor, order: .lowestFirst, fraction: point.level! / 100).keep
            #expect(point.keptPerLayer == keep.map { $0.filter { $0 }.count })
        }
        // Cached beside the model: a rerun reads it and computes nothing.
        #expect(FileManager.default.fileExists(atPath: runner.taylorURL.path))
        var logged: [String] = []
        let again = try #require(try runner.run(splits: splits, dataDirectory: "synthetic", log: { logged.append($0) }))
        #expect(again.unitsComputed == 0)
        #expect(!logged.contains { $0.contains("Taylor scores") })
        #expect(try JSONCoding.encode(again.points) == JSONCoding.encode(result.points))
        #expect(again.structureScores == result.structureScores)
    }

    @Test func randomOrderDependsOnTheSeed() throws {
        let dir = temporaryDirectory("sweep-random")
        defer { try? FileManager.default.removeItem(at: dir) }
        var a = config(), b = config()
        a.criteria = [.random]
        b.criteria = [.random]
        b.base.seed = a.base.seed + 1
        let splits = syntheticSplits()
        let first = try #require(try SweepRunner(config: a, directory: dir).run(splits: splits, dataDirectory: "synthetic"))
        let second = try #require(try SweepRunner(config: b, directory: dir).run(splits: splits, dataDirectory: "synthetic"))
        #expect(first.structureScores?["random"] != second.structureScores?["random"])
    }

    @Test func existingCriteriaKeepTheirUnits() throws {
        // Adding Taylor and Random leaves the other criteria's masks and unit keys as they were.
        let dir = temporaryDirectory("sweep-same")
        defer { try? FileManager.default.removeItem(at: dir) }
        let splits = syntheticSplits()
        let plain = try #require(try SweepRunner(config: tinySweep(), directory: dir).run(splits: splits, dataDirectory: "synthetic"))
        var more = tinySweep()
        more.criteria += [.taylor, .random]
        let extended = try #require(try SweepRunner(config: more, directory: dir).run(splits: splits, dataDirectory: "synthetic"))
        let old = extended.points.filter { !["taylor", "random"].contains($0.criterion) }
        #expect(try JSONCoding.encode(old) == JSONCoding.encode(plain.points))
        #expect(plain.structureScores == nil)
        let encoded = String(decoding: try JSONCoding.encode(plain), as: UTF8.self)
        #expect(!encoded.contains("structure_scores"))
    }

    @Test func trainingRejectsPostTrainingCriteria() {
        for method in PruningMethod.postTrainingCriteria {
            var c = TrainingConfig()
            c.method = method
            #expect(throws: ConfigError.self) { try c.validate() }
        }
        var sweep = config()
        #expect(throws: Never.self) { try sweep.validate() }
        sweep.criteria = [.none]
        #expect(throws: ConfigError.self) { try sweep.validate() }
    }
}
