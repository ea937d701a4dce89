import Foundation
import Testing
@testable import Experiments
@testable import Reporting

func record(method: PruningMethod, seed: UInt64, accuracy: Double, compression: Double, matched: Bool = false) -> RunRecord {
    var config = TrainingConfig()
    config.method = method
    config.seed = seed
    if matched { config.matchedPrunedFraction = 0.5 }
    var r = RunRecord(config: config, data: DataSummary(dataset: .fashionMNIST, directory: "x", train: 1, validation: 1, test: 1),
                      machine: MachineSummary(blasCore: "x", blasThreads: 1, processors: 1))
    r.testAccuracy = accuracy
    r.compression = CompressionReport(structures: 100, prunedStructures: Int(compression), parameters: 1000,
                                      removedParameters: Int(10 * compression), keptPerLayer: [100 - Int(compression)],
                                      counting: .standard)
    return r
}

@Suite("Run summaries")
struct RunSummaryTests {
    @Test func meanAndPopulationStdPerMethod() throws {
        let records = [
            record(method: .bmrsN, seed: 1, accuracy: 0.80, compression: 40),
            record(method: .bmrsN, seed: 2, accuracy: 0.90, compression: 60),
            record(method: .l2, seed: 1, accuracy: 0.5, compression: 50, matched: true),
        ]
        let summary = RunSummary(records: records)
        #expect(summary.rows.count == 2)
        let bmrs = try #require(summary.rows.first { $0.method == "BMRS_N" })
        #expect(abs(bmrs.testAccuracy.mean - 85) < 1e-9)
        #expect(abs(bmrs.testAccuracy.std - 5) < 1e-9)  // population std of 80, 90
        #expect(abs(bmrs.parameterCompression.mean - 50) < 1e-9)
        #expect(bmrs.seeds == [1, 2])
        #expect(summary.rows.contains { $0.method == "L2 (matched)" })
        let md = summary.markdown()
        #expect(md.contains("| BMRS_N | 1, 2 | 50.00 ± 10.00 | 50.00 ± 10.00 | 85.00 ± 5.00 |"), "\(md)")
    }

    @Test func failedRunsAreCountedNotAveraged() {
        var failed = record(method: .snr, seed: 3, accuracy: 0, compression: 0)
        failed.status = .failed
        let summary = RunSummary(records: [failed, record(method: .snr, seed: 4, accuracy: 0.7, compression: 10)])
        #expect(summary.rows[0].failed == 1)
        #expect(summary.rows[0].testAccuracy.count == 1)
        #expect(summary.markdown().contains("(1 failed)"))
    }
}
