import Foundation
import Testing
import BayesianPruning
import NeuralCore
@testable import Experiments

/// What `bmrs report --models` computes of a model trained elsewhere, and how it finds metrics files.
@Suite("Imported model summaries")
struct ImportedModelSummaryTests {
    static func network() -> Network {
        var rng = Xoshiro256(seed: 4)
        let network = Network(spec: .mlp(hidden: 10, depth: 2), maxBatch: 4, rng: &rng)
        for layer in network.noiseLayers {
            for i in 0..<layer.units { layer.mu.value[i] = -0.7 * Float(i); layer.logSigma.value[i] = -0.3 * Float(i % 4) }
        }
        return network
    }

    @Test func aMaskSetBySNRAgreesWithSNREverywhere() throws {
        let network = Self.network()
        let keep = PruningDecision(criterion: SNRCriterion(), statistics: Structures.statistics(network)).keep
        Structures.apply(keep, to: network)
        let stored: [[Float]?] = network.noiseLayers.map(\.mask)
        let summary = ImportedModelSummary(file: "m.pth", source: "m.pth: test", notes: ["a note"], network: network, storedMasks: stored,
                                           metricsFile: "m.json", metrics: ["test_acc": .number(0.9)])
        #expect(summary.structures == 30 && summary.structuresPerLayer == [10, 10, 10])
        let pruned = keep.map { $0.filter { !$0 }.count }
        #expect(pruned.reduce(0, +) > 0 && pruned.reduce(0, +) < 30, "the test needs a mask that prunes some: \(pruned)")
        let mask = try #require(summary.storedMask)
        #expect(mask.pruned == pruned.reduce(0, +) && mask.prunedPerLayer == pruned)
        let report = CompressionReport(network: network, keep: keep)
        #expect(mask.neuronCompression == report.neuronCompression && mask.parameterCompression == report.parameterCompression)
        let snr = try #require(summary.decisions.first { $0.criterion == "SNR" })
        #expect(snr.agreeWithStored == 30 && snr.keptButPrunable == 0 && snr.prunedButKeepable == 0 && snr.prunedPerLayer == pruned)
        #expect(summary.bestExplainingCriterion?.criterion == "SNR")
        #expect(summary.decisions.map(\.criterion) == ["SNR", "E[θ]", "L2", "BMRS_N", "BMRS_U-8", "BMRS_U-4", "BMRS_N (released const.)"])
        // Disagreements are split by direction and add up.
        for d in summary.decisions {
            #expect((d.agreeWithStored ?? 0) + (d.keptButPrunable ?? 0) + (d.prunedButKeepable ?? 0) == 30, "\(d.criterion)")
        }
        #expect(summary.correlations.labels == summary.decisions.map(\.criterion))
        #expect(summary.correlations.values[0][0] == 1)
    }

    @Test func withoutStoredMasksThereIsNothingToAgreeWith() {
        let summary = ImportedModelSummary(file: "n.safetensors", source: "", notes: [], network: Self.network(),
                                           storedMasks: [nil, nil, nil], metricsFile: nil, metrics: [:])
        #expect(summary.storedMask == nil)
        #expect(summary.decisions.allSatisfy { $0.agreeWithStored == nil && $0.keptButPrunable == nil })
        #expect(summary.bestExplainingCriterion == nil)
    }

    @Test func metricsFilesAreFoundByTheNamesTheAuthorsAndOthersUse() throws {
        let dir = temporaryDirectory("models-folder")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("metrics"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func touch(_ name: String, _ text: String = "{}") throws { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        try touch("fashion_mnist_mlp_1000.pth", "")
        try touch("metrics/1000.json", #"{"compression": 61.5, "val_acc": 0.84, "test_acc": 0.8312, "note": "x", "flag": true}"#)
        try touch("a.safetensors", ""); try touch("a_metrics.json")
        try touch("b.npz", ""); try touch("b.json")
        try touch("c.bin", "")
        try touch("compact.architecture.json"); try touch("README.txt", "")
        let entries = try ImportedModelFolder.entries(in: dir)
        #expect(entries.map(\.model.lastPathComponent) == ["a.safetensors", "b.npz", "c.bin", "fashion_mnist_mlp_1000.pth"])
        #expect(entries.map { $0.metrics?.path.replacingOccurrences(of: dir.path + "/", with: "") } == ["a_metrics.json", "b.json", nil, "metrics/1000.json"])
        let metrics = try ImportedModelFolder.readMetrics(try #require(entries[3].metrics))
        #expect(metrics == ["compression": .number(61.5), "val_acc": .number(0.84), "test_acc": .number(0.8312), "note": .text("x"), "flag": .text("true")])
        try touch("broken.json", "[1, 2]")
        do {
            _ = try ImportedModelFolder.readMetrics(dir.appendingPathComponent("broken.json"))
            Issue.record("a JSON list was read as metrics")
        } catch let error as ConfigError {
            #expect(error.found.contains("broken.json"), "\(error)")
        }
    }

    @Test func aFolderWithoutModelsIsRefusedNamingIt() throws {
        let dir = temporaryDirectory("models-empty")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("{}".utf8).write(to: dir.appendingPathComponent("1000.json"))
        do {
            _ = try ImportedModelFolder.entries(in: dir)
            Issue.record("a folder without models was accepted")
        } catch let error as ConfigError {
            #expect(error.expected.contains(dir.path) && error.found == "1 other file(s)", "\(error)")
        }
    }
}
