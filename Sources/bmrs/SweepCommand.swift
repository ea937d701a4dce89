import ArgumentParser
import BayesianPruning
import Datasets
import Experiments
import Foundation
import ModelImport
import NeuralCore

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Post-training pruning curves: train (or reuse) an unpruned model, then prune by percentile per criterion and level, fine-tune, record.",
        subcommands: [Run.self, Merge.self], defaultSubcommand: Run.self)

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Run (or resume) a sweep into --out.")

        @Option(help: "Data set (default: fashion-mnist; with --start-model, cifar10 for a 3-channel model).") var dataset: DatasetName?
        @Option(help: "A trained model to prune instead of training one: checkpoint.bin, or a .pth/.safetensors/.npz trained elsewhere (e.g. with the authors' code). Its network replaces --network/--hidden/--depth; --epochs, --finetune-epochs and --model do not apply; its path and MD5 are recorded with the sweep.")
        var startModel: String?
        @OptionGroup var startModelFile: ModelOptions
        @Option(help: "Network: mlp or lenet5.") var network: NetworkSpec.Kind = .mlp
        @Option(help: "Seed of the trained model and its fine-tunes.") var seed: UInt64 = 1000
        @Option(help: "Epochs of the unpruned model (the authors' post-training script: 20).") var epochs: Int = GridConfig.Curves.defaultTrainEpochs
        @Option(help: "Extra epochs of the unpruned model (counted into its length).") var finetuneEpochs: Int = 0
        @Option(help: "The model to prune: final (its last epoch, as the authors' script) or best (its best-validation epoch).")
        var model: ReportedModel = .final
        @Option(help: "Pruning levels λ ∈ linspace(0, 100, N).") var levels: Int = 100
        @Option(help: "Fine-tuning epochs after setting each level's masks.") var levelEpochs: Int = 1
        @Option(help: "How the fine-tunes run: ours (each level alone: fresh Adam, shuffled data) or released (the authors' script: one chain per criterion carrying Adam's state over, unshuffled data, a point only where the neuron compression changed).")
        var `protocol`: CurveProtocol = .ours
        @Option(help: "Criteria, comma-separated: l2, etheta, snr, bmrs-n, bmrs-n-released, bmrs-u-<p>, and the post-training-only taylor (first-order Taylor over one pass of the training data) and random (seeded random order).") var criteria: String = PruningMethod.curveCriteria.map(\.description).joined(separator: ",")
        @Option(help: "MLP width H.") var hidden: Int = 50
        @Option(help: "MLP depth D.") var depth: Int = 5
        @Option(help: "Train on only the first N images (quick runs).") var trainLimit: Int?
        @Option(help: "Worker processes on this machine (units are claimed through lock files).") var jobs: Int = 1
        @Option(help: "Run only shard i of n (i/n); merge shard directories with `bmrs sweep merge`.") var shard: String?
        @Flag(help: .hidden) var worker = false
        @OptionGroup var data: DataOptions
        @Option(help: "Sweep directory (trained models, units, sweep-<model>.json).") var out: String

        func validate() throws {
            if jobs < 1 { throw ValidationError("--jobs must be ≥ 1, got \(jobs)") }
            if levels < 1 { throw ValidationError("--levels must be ≥ 1, got \(levels)") }
            if levelEpochs < 1 { throw ValidationError("--level-epochs must be ≥ 1, got \(levelEpochs)") }
            _ = try parsedCriteria()
            if let shard { _ = try Shard(parsing: shard) }
        }

        func parsedCriteria() throws -> [PruningMethod] {
            try criteria.split(separator: ",").map {
                guard let m = PruningMethod(String($0)), m.prunes else {
                    throw ValidationError("--criteria: '\($0)' is not a pruning criterion (l2, etheta, snr, bmrs-n, bmrs-n-released, bmrs-u-<p>, taylor, random)")
                }
                return m
            }
        }

        func run() throws {
            BLAS.setThreads(1)
            // A given model is read here (Experiments reads only its own checkpoints) and handed to the runner.
            let given = try startModel.map { try startModelFile.loadModel($0) }
            var base = TrainingConfig()
            base.dataset = dataset ?? (given?.network.spec.inputChannels == 3 ? .cifar10 : .fashionMNIST)
            base.seed = seed
            base.epochs = epochs
            base.finetuneEpochs = finetuneEpochs
            base.trainLimit = trainLimit
            base.reportedModel = model
            let channels = base.dataset == .cifar10 ? 3 : 1
            base.network = network == .mlp ? .mlp(inputChannels: channels, hidden: hidden, depth: depth) : .lenet5(channels: channels)
            if let given { base.network = given.network.spec }
            var config = SweepConfig(base: base)
            if let startModel, let given {
                config.startModel = try StartModel.describing(URL(fileURLWithPath: startModel), source: given.source)
            }
            config.levels = levels
            config.finetuneEpochs = levelEpochs
            config.criteria = try parsedCriteria()
            config.curveProtocol = `protocol` == .ours ? nil : `protocol`
            var runner = SweepRunner(config: config, directory: URL(fileURLWithPath: out))
            runner.startNetwork = given?.network
            if let shard { runner.shard = try Shard(parsing: shard) }
            let signals = StopSignals.install()
            runner.stop = signals.request
            let log: (String) -> Void = { printErr($0) }
            var workers: [Process] = []
            var result: SweepResult?
            do {
                // Train the shared model first, then let the workers claim units.
                if jobs > 1 && !worker { _ = try runner.prepare(locator: data.locator, log: log) }
                workers = try spawnWorkers(jobs - 1)
                signals.adopt(workers)
                result = try runner.run(locator: data.locator, log: log)
                for p in workers { p.waitUntilExit() }
                try signals.request.check()
                if !workers.isEmpty { result = try runner.run(locator: data.locator, log: log) }
            } catch is Interrupted {
                for p in workers { p.waitUntilExit() }
                throw signals.interrupted(resume: "rerun the same command to resume")
            }
            guard let result else {
                if runner.shard == .all {
                    print("worker done; the remaining units are held by other processes")
                } else {
                    print("shard \(runner.shard) done; other units are still missing: run the remaining shards, then `bmrs sweep merge`")
                }
                return
            }
            print("model \(result.model): test accuracy \(String(format: "%.2f", 100 * result.modelTestAccuracy)) %; \(result.points.count) points, \(result.unitsComputed) units computed, \(result.unitsReused) reused")
            for point in result.points where point.endPoint {
                print(String(format: "%@ thresholdless point: %.2f %% params removed, %.2f %% neurons, test %.2f %%",
                             point.criterion as NSString, point.parameterCompression, point.neuronCompression, 100 * point.testAccuracy))
            }
            print("curves: \(SweepDirectory(URL(fileURLWithPath: out)).result(result.model).path)")
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Copy the finished units of shard directories into one sweep directory.")
        @Argument(help: "Target sweep directory.") var into: String
        @Argument(help: "Shard directories.") var shards: [String]
        func run() throws {
            let copied = try SweepRunner.merge(shards: shards.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: into))
            print("merged \(copied) unit(s) into \(into); run the same `bmrs sweep` there to assemble the curves")
        }
    }
}
