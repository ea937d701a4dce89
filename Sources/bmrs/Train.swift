import ArgumentParser
import BayesianPruning
import NoiseStatistics
import Datasets
import Experiments
import Foundation
import NeuralCore

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one network and write its run record (run.json) to --out.")

    @OptionGroup var training: TrainingOptions<RunLengths>
    @Option(help: "Method: none (noise trained, nothing pruned), plain (noise off), l2, etheta, snr, bmrs-n (exact constant; the released one under --protocol released), bmrs-n-released (the released code's constant always), bmrs-u-<p> (p in 1…22; bmrs-u-8, bmrs-u-4 are the paper's).")
    var method: PruningMethod = .none
    @Option(help: "Apply the pruning rule every N main epochs (and once more at the end).")
    var compressEvery: Int = 1
    @Flag(help: "Keep pruned structures pruned (default: masks are recomputed each time, units can come back).")
    var stickyMasks = false
    @Option(name: .customLong("protocol"), help: "standard, or released: reproduce the authors' code (BMRS_N without 2π, in-place zeroing of pruned weights, their parameter count).")
    var protocolVariant: ProtocolVariant = .standard
    @OptionGroup var criteria: CriterionOptions
    @Option(help: "BMRS_N constant: seed (with 2π, SPEC formula) or released (the authors' code).")
    var bmrsNConstant: BMRSNConstant = .seed
    @Option(help: "Matched compression: a BMRS_N run.json of the same seed; prune the same share of structures by percentile instead of the threshold.")
    var matchRecord: String?
    @Option(help: "Mini-batch size.")
    var batchSize: Int = TrainingConfig().batchSize
    @Option(help: "Adam learning rate.")
    var lr: Float = TrainingConfig().learningRate
    @Option(help: "KL averaging: mean (per layer, then over layers) or sum.")
    var klAveraging: KLAveraging = .mean
    @Option(help: "Validate on only the first N validation images (quick runs).")
    var validationLimit: Int?
    @Option(help: "OpenBLAS threads (1 keeps runs reproducible bit for bit).")
    var threads: Int = 1
    @OptionGroup var data: DataOptions
    @OptionGroup var fetching: FetchOptions
    @Option(help: "Output directory for run.json.")
    var out: String

    func validate() throws {
        if matchRecord != nil && !method.prunes { throw ValidationError("--match-record needs a pruning --method (l2, etheta, snr, …), got \(method)") }
        _ = try config()
    }

    /// The run's configuration from every option but `--match-record` (read in `run`).
    func config() throws -> TrainingConfig {
        try training.config { config in
            config.method = method
            config.compressEvery = compressEvery
            config.stickyMasks = stickyMasks
            config.protocolVariant = protocolVariant
            config.criteria = criteria.settings
            config.criteria.bmrsNConstant = bmrsNConstant
            config.batchSize = batchSize
            config.learningRate = lr
            config.klAveraging = klAveraging
            config.validationLimit = validationLimit
            config.threads = threads
        }
    }

    func run() throws {
        try fetching.ensure([training.resolvedDataset()], data: data)
        var config = try config()
        if let matchRecord {
            config.matchedPrunedFraction = try MatchedCompression.prunedFraction(fromRecord: matchRecord)
            try TrainingOptions<RunLengths>.validated(config)
        }

        var printer = ProgressPrinter(batchSize: batchSize)
        let signals = StopSignals.install()
        let record: RunRecord
        do {
            record = try TrainingSession.run(config: config, locator: data.locator, output: URL(fileURLWithPath: out),
                                             stop: signals.request) { printer.handle($0) }
        } catch is Interrupted {
            throw signals.interrupted(resume: "nothing was written for this run; start it again")
        }
        print(ResultTable.render([record]))
        print("run record: \(URL(fileURLWithPath: out).appendingPathComponent("run.json").path)")
        if record.status == .failed { throw ExitCode.failure }
    }
}
