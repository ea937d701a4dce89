import Foundation
import Testing
import BayesianPruning
import Datasets
import NeuralCore
@testable import Experiments
import FileOutput
import SeededRandom

/// A small synthetic problem: class c images are noise plus a bright c-th stripe.
func syntheticSplits(train: Int = 192, validation: Int = 64, test: Int = 64, seed: UInt64 = 5) -> DatasetSplits {
    var rng = Xoshiro256(seed: seed)
    func make(_ n: Int) -> ImageSet {
        var images = [Float](repeating: 0, count: n * 1024)
        var labels = [Int32](repeating: 0, count: n)
        for i in 0..<n {
            let c = Int(rng.next() % 10)
            labels[i] = Int32(c)
            for p in 0..<1024 {
                images[i * 1024 + p] = rng.nextFloat(in: -0.3, 0.3) + (p / 32 / 3 == c ? 0.8 : 0)
            }
        }
        return ImageSet(images: images, labels: labels, channels: 1, height: 32, width: 32)
    }
    return DatasetSplits(train: make(train), validation: make(validation), test: make(test))
}

func smallConfig(_ kind: NetworkSpec.Kind = .mlp, method: PruningMethod = .none, seed: UInt64 = 3) -> TrainingConfig {
    var config = TrainingConfig()
    config.network = kind == .mlp ? .mlp(hidden: 16, depth: 2) : .lenet5()
    config.method = method
    config.epochs = 3
    config.seed = seed
    config.batchSize = 16
    config.finetuneEpochs = 0
    return config
}

/// The record with every wall-clock figure zeroed, for comparisons.
func withoutTimings(_ r: RunRecord) -> RunRecord {
    var r = r
    r.secondsTotal = 0
    r.epochs = r.epochs.map { var e = $0; e.seconds = 0; return e }
    r.compaction?.secondsMasked = 0
    r.compaction?.secondsCompact = 0
    return r
}

@Suite("Trainer")
struct TrainerTests {
    @Test func sameSeedSameThreadsGivesIdenticalRecord() throws {
        let splits = syntheticSplits()
        for kind in [NetworkSpec.Kind.mlp, .lenet5] {
            var config = smallConfig(kind)
            config.epochs = kind == .mlp ? 3 : 1
            let a = try Trainer(config: config).run(splits: splits, dataDirectory: "synthetic")
            let b = try Trainer(config: config).run(splits: splits, dataDirectory: "synthetic")
            let ja = try JSONCoding.encode(withoutTimings(a)), jb = try JSONCoding.encode(withoutTimings(b))
            #expect(ja == jb, "\(kind): two runs with the same seed differ")
            config.seed += 1
            let c = try Trainer(config: config).run(splits: splits, dataDirectory: "synthetic")
            #expect(c.epochs.map(\.trainLoss) != a.epochs.map(\.trainLoss), "\(kind): a different seed gave the same losses")
        }
    }

    @Test func learnsTheSyntheticTask() throws {
        let record = try Trainer(config: smallConfig()).run(splits: syntheticSplits(), dataDirectory: "synthetic")
        #expect(record.status == .finished)
        #expect(record.epochs.count == 3)
        #expect(record.epochs.last!.trainCrossEntropy < record.epochs.first!.trainCrossEntropy)
        #expect(record.testAccuracy > 0.5, "test accuracy \(record.testAccuracy)")
        #expect(record.bestEpoch >= 1 && record.bestEpoch <= 3)
        #expect(record.epochs.allSatisfy { $0.kl > 0 })
    }

    @Test func plainHasNoKLTerm() throws {
        let record = try Trainer(config: smallConfig(method: .plain)).run(splits: syntheticSplits(), dataDirectory: "synthetic")
        #expect(record.epochs.allSatisfy { $0.kl == 0 && $0.trainLoss == $0.trainCrossEntropy })
    }

    @Test func nonFiniteLossIsRecordedAsFailure() throws {
        var splits = syntheticSplits()
        splits.train.images[5] = .nan
        let record = try Trainer(config: smallConfig()).run(splits: splits, dataDirectory: "synthetic")
        #expect(record.status == .failed)
        #expect(record.failure?.contains("non-finite loss") == true, "\(record.failure ?? "nil")")
    }

    @Test func invalidConfigNamesTheField() {
        var config = smallConfig()
        config.validationFraction = 1.5
        #expect(throws: ConfigError.self) { try config.validate() }
        do { try config.validate() } catch { #expect("\(error)".contains("validation_fraction")) }
    }

    /// The first losses of a tiny fixed run (one BLAS thread). A change here means the
    /// training step changed: update the values only when that was intended.
    @Test func lossTrajectoryIsStable() throws {
        var config = smallConfig()
        config.epochs = 3
        let record = try Trainer(config: config).run(splits: syntheticSplits(), dataDirectory: "synthetic")
        let losses = record.epochs.map(\.trainLoss)
        let expected = LossTrajectory.expected
        #expect(losses.count == expected.count)
        for (got, want) in zip(losses, expected) {
            #expect(abs(got - want) <= 1e-5 * abs(want), "losses \(losses) expected \(expected)")
        }
    }
}

enum LossTrajectory {
    static let expected: [Double] = [9.128478388125892, 8.525663669492749, 8.316324006542898]
}

@Suite("Run record")
struct RunRecordTests {
    @Test func jsonHasTheDocumentedSchemaAndRoundTrips() throws {
        let record = try Trainer(config: smallConfig()).run(splits: syntheticSplits(), dataDirectory: "synthetic")
        let data = try JSONCoding.encode(record)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        for key in ["config", "epochs", "test_accuracy", "seconds_total", "schema", "best_epoch", "data", "machine", "status"] {
            #expect(object[key] != nil, "missing key \(key)")
        }
        let epochs = object["epochs"] as! [[String: Any]]
        for key in ["epoch", "train_loss", "val_accuracy", "seconds"] { #expect(epochs[0][key] != nil, "epoch lacks \(key)") }
        let accuracy = object["test_accuracy"] as! Double
        #expect(accuracy >= 0 && accuracy <= 1)
        let decoded = try JSONCoding.decoder().decode(RunRecord.self, from: data)
        #expect(try JSONCoding.encode(decoded) == data)
        #expect(decoded.config == record.config)
    }

    @Test func atomicWriteLeavesOnlyTheFinalFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-atomic-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("run.json")
        try AtomicFile.write(Data("first".utf8), to: url)
        try AtomicFile.write(Data("second".utf8), to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["run.json"])
    }
}

@Suite("Continuous pruning")
struct ContinuousPruningTests {
    // Module-qualified: Experiments re-exports the name (ResultSet.swift), and the macro's
    // `(PruningMethod).self` cannot choose between the two in a file importing both.
    @Test(arguments: [PruningMethod.bmrsN, .snr, .bmrsU(precisionBits: 4), .l2])
    func recordsCompressionAndFineTunes(method: BayesianPruning.PruningMethod) throws {
        var config = smallConfig(method: method)
        config.epochs = 3
        config.finetuneEpochs = 2
        config.criteria.l2Threshold = 1.0
        let record = try Trainer(config: config).run(splits: syntheticSplits(), dataDirectory: "synthetic")
        #expect(record.status == .finished)
        #expect(record.epochs.map(\.phase) == ["train", "train", "train", "finetune", "finetune"])
        // Masks are fixed while fine-tuning.
        #expect(record.epochs[3].neuronCompression == record.epochs[2].neuronCompression)
        #expect(record.epochs[4].neuronCompression == record.epochs[2].neuronCompression)
        #expect(record.bestEpoch >= 3)
        let c = try #require(record.compression)
        #expect(abs(c.neuronCompression - record.epochs[2].neuronCompression) < 1e-9)
        #expect(record.compressionReleased != nil)
        let compaction = try #require(record.compaction)
        #expect(compaction.maxLogitDifference <= 1e-4)
    }

    @Test func matchedCompressionPrunesTheRequestedShare() throws {
        var config = smallConfig(method: .l2)
        config.epochs = 2
        config.matchedPrunedFraction = 0.5
        let record = try Trainer(config: config).run(splits: syntheticSplits(), dataDirectory: "synthetic")
        let c = try #require(record.compression)
        #expect(c.prunedStructures == c.structures / 2)
    }

    @Test func stickyMasksNeverBringUnitsBack() throws {
        var config = smallConfig(method: .snr)
        config.epochs = 4
        config.stickyMasks = true
        config.criteria.snrThreshold = 3
        let record = try Trainer(config: config).run(splits: syntheticSplits(), dataDirectory: "synthetic")
        #expect(record.unitsCameBack == 0)
        let pruned = record.epochs.map(\.neuronCompression)
        #expect(zip(pruned, pruned.dropFirst()).allSatisfy { $0 <= $1 }, "\(pruned)")
    }

    @Test func releasedProtocolZeroesPrunedWeights() throws {
        var config = smallConfig(method: .snr)
        config.epochs = 2
        config.protocolVariant = .released
        config.matchedPrunedFraction = 0.3
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-released-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ckpt = dir.appendingPathComponent("checkpoint.bin")
        let record = try Trainer(config: config).run(splits: syntheticSplits(), dataDirectory: "synthetic", checkpoint: ckpt)
        #expect(record.compression == record.compressionReleased)
        let net = try Checkpoint.load(ckpt)
        let group = net.groups[0]
        let fc1 = group.producer as! Dense
        for s in 0..<group.noise.units where group.noise.mask[s] == 0 {
            #expect((0..<fc1.inputSize).allSatisfy { fc1.weight.value[s * fc1.inputSize + $0] == 0 })
        }
        #expect(group.noise.mask.contains(0))
    }
}
