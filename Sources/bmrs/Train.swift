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

    @Option(help: "Data set: \(DatasetName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: DatasetName = .fashionMNIST
    @Option(help: "Network: mlp or lenet5.")
    var network: NetworkSpec.Kind = .mlp
    @Option(help: "Method: none (noise trained, nothing pruned), plain (noise off), l2, etheta, snr, bmrs-n (exact constant; the released one under --protocol released), bmrs-n-released (the released code's constant always), bmrs-u-<p> (p in 1…22; bmrs-u-8, bmrs-u-4 are the paper's).")
    var method: PruningMethod = .none
    @Option(help: "Apply the pruning rule every N main epochs (and once more at the end).")
    var compressEvery: Int = 1
    @Option(help: "Fine-tuning epochs with masks fixed after the main epochs.")
    var finetuneEpochs: Int = 10
    @Flag(help: "Keep pruned structures pruned (default: masks are recomputed each time, units can come back).")
    var stickyMasks = false
    @Option(name: .customLong("protocol"), help: "standard, or released: reproduce the authors' code (BMRS_N without 2π, in-place zeroing of pruned weights, their parameter count).")
    var protocolVariant: ProtocolVariant = .standard
    @Option(help: "L2 criterion threshold.")
    var l2Threshold: Double = 0.5
    @Option(help: "E[θ] criterion threshold.")
    var ethetaThreshold: Double = 0.1
    @Option(help: "SNR criterion threshold.")
    var snrThreshold: Double = 1
    @Option(help: "BMRS_N constant: seed (with 2π, SPEC formula) or released (the authors' code).")
    var bmrsNConstant: BMRSNConstant = .seed
    @Option(help: "Matched compression: a BMRS_N run.json of the same seed; prune the same share of structures by percentile instead of the threshold.")
    var matchRecord: String?
    @Option(help: "Run seed (split, init, batch order and noise are derived from it).")
    var seed: UInt64 = 1000
    @Option(help: "Training epochs.")
    var epochs: Int = 50
    @Option(help: "Mini-batch size.")
    var batchSize: Int = 32
    @Option(help: "Adam learning rate.")
    var lr: Float = 1e-3
    @Option(help: "KL averaging: mean (per layer, then over layers) or sum.")
    var klAveraging: KLAveraging = .mean
    @Option(help: "MLP width H.")
    var hidden: Int = 50
    @Option(help: "MLP depth D (number of H→H blocks).")
    var depth: Int = 5
    @Option(help: "Train on only the first N images of the training split (quick runs).")
    var trainLimit: Int?
    @Option(help: "Validate on only the first N validation images (quick runs).")
    var validationLimit: Int?
    @Option(help: "OpenBLAS threads (1 keeps runs reproducible bit for bit).")
    var threads: Int = 1
    @OptionGroup var data: DataOptions
    @OptionGroup var fetching: FetchOptions
    @Option(help: "Output directory for run.json.")
    var out: String

    func validate() throws {
        if epochs < 1 { throw ValidationError("--epochs must be ≥ 1, got \(epochs)") }
        if batchSize < 1 { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
        if !(lr > 0) { throw ValidationError("--lr must be > 0, got \(lr)") }
        if threads < 1 { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
        if hidden < 1 || depth < 0 { throw ValidationError("--hidden must be ≥ 1 and --depth ≥ 0") }
        if let trainLimit, trainLimit < 1 { throw ValidationError("--train-limit must be ≥ 1, got \(trainLimit)") }
        if compressEvery < 1 { throw ValidationError("--compress-every must be ≥ 1, got \(compressEvery)") }
        if finetuneEpochs < 0 { throw ValidationError("--finetune-epochs must be ≥ 0, got \(finetuneEpochs)") }
        if matchRecord != nil && !method.prunes { throw ValidationError("--match-record needs a pruning --method (l2, etheta, snr, …), got \(method)") }
    }

    func run() throws {
        try fetching.ensure([dataset], data: data)
        var config = TrainingConfig()
        config.dataset = dataset
        config.method = method
        config.seed = seed
        config.epochs = epochs
        config.batchSize = batchSize
        config.learningRate = lr
        config.klAveraging = klAveraging
        config.threads = threads
        config.trainLimit = trainLimit
        config.validationLimit = validationLimit
        config.compressEvery = compressEvery
        config.finetuneEpochs = finetuneEpochs
        config.stickyMasks = stickyMasks
        config.protocolVariant = protocolVariant
        config.criteria.l2Threshold = l2Threshold
        config.criteria.ethetaThreshold = ethetaThreshold
        config.criteria.snrThreshold = snrThreshold
        config.criteria.bmrsNConstant = bmrsNConstant
        if let matchRecord { config.matchedPrunedFraction = try MatchedCompression.prunedFraction(fromRecord: matchRecord) }
        let channels = dataset == .cifar10 ? 3 : 1
        config.network = network == .mlp ? .mlp(inputChannels: channels, hidden: hidden, depth: depth) : .lenet5(channels: channels)

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
