import ArgumentParser
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
    @Option(help: "Method: none (noise layers trained, nothing pruned) or plain (noise off).")
    var method: TrainingMethod = .none
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
    @Option(help: "OpenBLAS threads (1 keeps runs reproducible bit for bit).")
    var threads: Int = 1
    @OptionGroup var data: DataOptions
    @Option(help: "Output directory for run.json.")
    var out: String

    func validate() throws {
        if epochs < 1 { throw ValidationError("--epochs must be ≥ 1, got \(epochs)") }
        if batchSize < 1 { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
        if !(lr > 0) { throw ValidationError("--lr must be > 0, got \(lr)") }
        if threads < 1 { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
        if hidden < 1 || depth < 0 { throw ValidationError("--hidden must be ≥ 1 and --depth ≥ 0") }
        if let trainLimit, trainLimit < 1 { throw ValidationError("--train-limit must be ≥ 1, got \(trainLimit)") }
    }

    func run() throws {
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
        let channels = dataset == .cifar10 ? 3 : 1
        config.network = network == .mlp ? .mlp(inputChannels: channels, hidden: hidden, depth: depth) : .lenet5(channels: channels)

        var printer = ProgressPrinter(batchSize: batchSize)
        let record = try TrainingSession.run(config: config, locator: data.locator,
                                             output: URL(fileURLWithPath: out)) { printer.handle($0) }
        print(ResultTable.render([record]))
        print("run record: \(URL(fileURLWithPath: out).appendingPathComponent("run.json").path)")
        if record.status == .failed { throw ExitCode.failure }
    }
}
