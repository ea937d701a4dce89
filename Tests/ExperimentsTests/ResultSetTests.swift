import Foundation
import Testing
import Datasets
import NeuralCore
@testable import Experiments
import FileOutput
import SeededRandom

/// The grid behind Reporting's fixture (Tests/ReportingTests/Fixtures/result-set.json), on
/// synthetic data: every table and figure a report has (paper table, precision sweep,
/// heatmaps with Taylor and Random, posterior diagnostics, curves, knees).
/// `RECORD_RESULT_SET=1 swift test --filter ResultSetTests` writes the fixture again.
enum ResultSetFixture {
    static var grid: GridConfig {
        var curves = GridConfig.Curves()
        curves.levels = 3
        curves.criteria = [.snr, .bmrsN, .taylor, .random]
        curves.trainEpochs = 1
        return GridConfig(name: "t", datasets: [.fashionMNIST], networks: [.init(kind: .mlp, hidden: 8, depth: 1)],
                          methods: [.plain, .none, .snr, .bmrsN], matched: nil, seeds: [1, 2], epochs: 1, finetuneEpochs: 1,
                          batchSize: 16, learningRate: 1e-3, trainLimit: nil, validationLimit: nil, protocolVariant: .standard,
                          precisions: [2, 6, 12], curves: curves, slurm: nil)
    }

    /// Synthetic classes: noise plus a bright stripe per class.
    static func stripes(_ n: Int, seed: UInt64) -> ImageSet {
        var rng = Xoshiro256(seed: seed)
        var images = [Float](repeating: 0, count: n * 1024), labels = [Int32](repeating: 0, count: n)
        for i in 0..<n {
            let c = Int(rng.next() % 10)
            labels[i] = Int32(c)
            for p in 0..<1024 { images[i * 1024 + p] = rng.nextFloat(in: -0.3, 0.3) + (p / 32 / 3 == c ? 0.8 : 0) }
        }
        return ImageSet(images: images, labels: labels, channels: 1, height: 32, width: 32)
    }

    static func run(into directory: URL) throws -> GridDirectory {
        let progress = try GridRunner(config: grid, directory: directory).run(data: { c in
            (DatasetSplits(train: stripes(160, seed: c.seed), validation: stripes(48, seed: c.seed + 100), test: stripes(48, seed: 7)),
             URL(fileURLWithPath: "/synthetic"))
        })
        #expect(progress.complete)
        return GridDirectory(directory)
    }

    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ReportingTests/Fixtures/result-set.json")
}

@Suite("Result sets")
struct ResultSetTests {
    static func temporary() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-resultset-\(UUID().uuidString)")
    }

    /// A report reads the analyses the grid stored when it trained the models; a grid
    /// without them (written before they were stored) gives the same values from its
    /// checkpoints, and a checkpoint written again since makes its stored analysis stale.
    @Test func storedAnalysesAreTheOnesComputedFromTheCheckpoints() throws {
        let root = Self.temporary()
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = try ResultSetFixture.run(into: root)
        let stored = try ResultSet.load(directory, grid: ResultSetFixture.grid)
        // Per seed: None (noise) reported and last epoch, BMRS_N reported, the curves' model.
        #expect(stored.models.map(\.role.rawValue).sorted()
                == ["curves", "curves", "last_epoch", "last_epoch", "reported", "reported", "reported", "reported"])
        let curves = try #require(stored.curvesModel(of: ResultSetFixture.grid.sweepConfigs()[0]))
        #expect(curves.correlations.labels == CriterionCorrelation.paperLabels + ["Taylor (1st order)", "Random"])
        #expect(!curves.layers.isEmpty)

        let analyses = try FileManager.default.subpathsOfDirectory(atPath: root.path).filter { $0.hasSuffix(".model.json") }
        #expect(analyses.count == stored.models.count)
        for path in analyses { try FileManager.default.removeItem(at: root.appendingPathComponent(path)) }
        let computed = try ResultSet.load(directory, grid: ResultSetFixture.grid)
        #expect(try computed.json() == stored.json())

        // A stale analysis (its checkpoint's checksum differs) is not used.
        let none = try #require(stored.records.first { $0.config.method == .none })
        let key = GridUnit(config: none.config, matched: false).key
        var stale = try #require(stored.reportedModel(of: none))
        stale.layers = []
        stale.checkpointChecksum = (stale.checkpointChecksum ?? 0) &+ 1
        try AtomicFile.writeJSON(stale, to: GridDirectory.analysis(ofCheckpoint: directory.checkpoint(key)), keys: .declared)
        #expect(try ResultSet.load(directory, grid: ResultSetFixture.grid).reportedModel(of: none) == stored.reportedModel(of: none))
    }

    /// The fixture Reporting's tests start from is this grid's result set: same config,
    /// runs, sweeps and models (values differ in the last bits between BLAS kernels, so
    /// only the structure is compared). With RECORD_RESULT_SET=1 it is written again.
    @Test func reportingFixtureIsThisGridsResultSet() throws {
        let root = Self.temporary()
        defer { try? FileManager.default.removeItem(at: root) }
        let results = try ResultSet.load(try ResultSetFixture.run(into: root), grid: ResultSetFixture.grid)
        if ProcessInfo.processInfo.environment["RECORD_RESULT_SET"] == "1" {
            try AtomicFile.write(try results.json(), to: ResultSetFixture.url)
            Issue.record("re-recorded \(ResultSetFixture.url.path); run again without RECORD_RESULT_SET")
            return
        }
        let fixture = try ResultSet(json: Data(contentsOf: ResultSetFixture.url))
        #expect(try fixture.json() == Data(contentsOf: ResultSetFixture.url), "the fixture round-trips byte for byte")
        #expect(fixture.grid == results.grid)
        #expect(fixture.records.map(\.config) == results.records.map(\.config))
        #expect(fixture.sweeps.map(\.config) == results.sweeps.map(\.config))
        #expect(fixture.sweeps.map { $0.points.map(\.criterion) } == results.sweeps.map { $0.points.map(\.criterion) })
        #expect(fixture.models.map { "\($0.role.rawValue) \($0.key) \($0.analysis.correlations.labels)" }
                == results.models.map { "\($0.role.rawValue) \($0.key) \($0.analysis.correlations.labels)" })
    }
}
