import Foundation
import Testing
import BayesianPruning
import NeuralCore
@testable import Experiments
import FileOutput

func temporaryDirectory(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-\(name)-\(UUID().uuidString)")
}

func tinySweep() -> SweepConfig {
    var base = smallConfig()
    base.epochs = 2
    base.network = .mlp(hidden: 6, depth: 1)
    var config = SweepConfig(base: base)
    config.levels = 6
    config.criteria = [.snr, .l2, .bmrsN, .bmrsU(precisionBits: 8)]
    return config
}

@Suite("Post-training sweeps")
struct SweepTests {
    @Test func curvesAreMonotoneAndBMRSStopsAtItsThresholdlessPoint() throws {
        let dir = temporaryDirectory("sweep")
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try #require(try SweepRunner(config: tinySweep(), directory: dir).run(splits: syntheticSplits(), dataDirectory: "synthetic"))
        for criterion in ["snr", "l2", "bmrs-n", "bmrs-u-8"] {
            let curve = result.points.filter { $0.criterion == criterion && !$0.endPoint }
            #expect(curve.count == 6)
            let compression = curve.map(\.neuronCompression)
            #expect(zip(compression, compression.dropFirst()).allSatisfy { $0 <= $1 }, "\(criterion): \(compression)")
            #expect(compression.first == 0)
        }
        for criterion in ["snr", "l2"] {
            #expect(result.points.filter { $0.criterion == criterion }.last!.neuronCompression == 100)
        }
        for criterion in ["bmrs-n", "bmrs-u-8"] {
            let end = try #require(result.points.first { $0.criterion == criterion && $0.endPoint })
            let curve = result.points.filter { $0.criterion == criterion && !$0.endPoint }
            // Past the end point the curve stays at it: the same masks, the same unit.
            #expect(curve.allSatisfy { $0.neuronCompression <= end.neuronCompression })
            #expect(curve.last!.unit == end.unit)
        }
        // Identical masks are computed once (λ = 0 is the same unit for every criterion).
        let zeroUnits = Set(result.points.filter { $0.level == 0 }.map(\.unit))
        #expect(zeroUnits.count == 1)
        #expect(result.unitsComputed == Set(result.points.map(\.unit)).count)
    }

    @Test func resumeAfterAKillGivesTheSameResult() throws {
        let dir = temporaryDirectory("resume")
        defer { try? FileManager.default.removeItem(at: dir) }
        let runner = SweepRunner(config: tinySweep(), directory: dir)
        let splits = syntheticSplits()
        let full = try #require(try runner.run(splits: splits, dataDirectory: "synthetic"))
        // Simulate kill -9 in the middle: some results gone, one unit left with the lock
        // of a dead process, and a half-written temporary file.
        let store = try UnitStore(directory: dir.appendingPathComponent("units"))
        let keys = try store.finishedKeys()
        #expect(keys.count >= 3)
        for key in keys.prefix(3) { try FileManager.default.removeItem(at: store.resultURL(key)) }
        try "999999\n".write(to: dir.appendingPathComponent("units/\(keys[0]).lock"), atomically: true, encoding: .utf8)
        try "{\"trunc".write(to: dir.appendingPathComponent("units/.\(keys[1]).json.1.tmp"), atomically: true, encoding: .utf8)
        let resumed = try #require(try runner.run(splits: splits, dataDirectory: "synthetic"))
        #expect(resumed.unitsComputed == 3)
        #expect(try JSONCoding.encode(resumed.points) == JSONCoding.encode(full.points))
        // A third run computes nothing.
        let again = try #require(try runner.run(splits: splits, dataDirectory: "synthetic"))
        #expect(again.unitsComputed == 0)
    }

    @Test func shardsMergedEqualOneRun() throws {
        let single = temporaryDirectory("single"), a = temporaryDirectory("shard0"), b = temporaryDirectory("shard1")
        let merged = temporaryDirectory("merged")
        defer { for d in [single, a, b, merged] { try? FileManager.default.removeItem(at: d) } }
        let splits = syntheticSplits()
        let one = try #require(try SweepRunner(config: tinySweep(), directory: single).run(splits: splits, dataDirectory: "synthetic"))
        // Two machines, each its own directory and half of the units.
        var first = SweepRunner(config: tinySweep(), directory: a)
        first.shard = try Shard(parsing: "0/2")
        #expect(try first.run(splits: splits, dataDirectory: "synthetic") == nil)  // half the units missing
        var second = SweepRunner(config: tinySweep(), directory: b)
        second.shard = try Shard(parsing: "1/2")
        #expect(try second.run(splits: splits, dataDirectory: "synthetic") == nil)
        let copied = try SweepRunner.merge(shards: [a, b], into: merged)
        #expect(copied == one.unitsComputed)
        let result = try #require(try SweepRunner(config: tinySweep(), directory: merged).run(splits: splits, dataDirectory: "synthetic"))
        #expect(result.unitsComputed == 0)
        #expect(try JSONCoding.encode(result.points) == JSONCoding.encode(one.points))
    }

    @Test func unitLocksExcludeLiveProcesses() throws {
        let dir = temporaryDirectory("locks")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try UnitStore(directory: dir)
        #expect(store.claim("a"))
        #expect(!store.claim("a"))  // our own live pid holds it
        store.release("a")
        #expect(store.claim("a"))
        try store.save(["x": 1], key: "a")
        store.release("a")
        #expect(!store.claim("a"))  // finished
        #expect(throws: ConfigError.self) { try Shard(parsing: "2/2") }
        #expect(contentKey(["b": 1, "a": 2]) == contentKey(["a": 2, "b": 1]))
    }
}
