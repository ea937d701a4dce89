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

        @OptionGroup var training: TrainingOptions<SweepModelLengths>
        @Option(help: "A trained model to prune instead of training one: checkpoint.bin, or a .pth/.safetensors/.npz trained elsewhere (e.g. with the authors' code). Its network replaces --network/--hidden/--depth; --epochs, --finetune-epochs and --model do not apply; its path and MD5 are recorded with the sweep.")
        var startModel: String?
        @OptionGroup var startModelFile: ModelOptions
        @Option(help: "The model to prune: final (its last epoch, as the authors' script) or best (its best-validation epoch).")
        var model: ReportedModel = .final
        @Option(help: "Pruning levels λ ∈ linspace(0, 100, N).") var levels: Int = 100
        @Option(help: "Fine-tuning epochs after setting each level's masks.") var levelEpochs: Int = 1
        @Option(help: "How the fine-tunes run: ours (each level alone: fresh Adam, shuffled data) or released (the authors' script: one chain per criterion carrying Adam's state over, unshuffled data, a point only where the neuron compression changed).")
        var `protocol`: CurveProtocol = .ours
        @Option(help: "Criteria, comma-separated: l2, etheta, snr, bmrs-n, bmrs-n-released, bmrs-u-<p>, and the post-training-only taylor (first-order Taylor over one pass of the training data) and random (seeded random order).") var criteria: String = PruningMethod.curveCriteria.map(\.description).joined(separator: ",")
        @OptionGroup var workers: WorkerOptions<OneJob>
        @OptionGroup var sharding: ShardOptions
        @OptionGroup var data: DataOptions
        @Option(help: "Sweep directory (trained models, units, sweep-<model>.json).") var out: String

        func validate() throws {
            if levels < 1 { throw ValidationError("--levels must be ≥ 1, got \(levels)") }
            if levelEpochs < 1 { throw ValidationError("--level-epochs must be ≥ 1, got \(levelEpochs)") }
            _ = try parsedCriteria()
            _ = try base()
        }

        /// The unpruned model's configuration.
        func base() throws -> TrainingConfig {
            try training.config { $0.reportedModel = model }
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
            var base = try base()
            if let given {
                base.dataset = training.resolvedDataset(inputChannels: given.network.spec.inputChannels)
                base.network = given.network.spec
                try TrainingOptions<SweepModelLengths>.validated(base)
            }
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
            if let shard = try sharding.parsed { runner.shard = shard }
            let signals = StopSignals.install()
            runner.stop = signals.request
            let log: (String) -> Void = { printErr($0) }
            // Train the shared model first, then let the workers claim units.
            let result = try workers.run(signals: signals, prepare: {
                if workers.jobs > 1 && !workers.worker { _ = try runner.prepare(locator: data.locator, log: log) }
            }) {
                try runner.run(locator: data.locator, log: log)
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
