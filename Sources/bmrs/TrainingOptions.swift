import ArgumentParser
import BayesianPruning
import Datasets
import Experiments
import NeuralCore

/// The lengths of training a command defaults to, and what they mean there. An option
/// group fixes one default per option, and `train` (SPEC §5's run) and `sweep` (the
/// unpruned model its curves prune) default differently: each names its own.
protocol TrainingLengths {
    static var epochs: Int { get }
    static var epochsHelp: String { get }
    static var finetuneEpochs: Int { get }
    static var finetuneEpochsHelp: String { get }
}

/// `bmrs train`: `TrainingConfig`'s defaults (SPEC §5: 50 + 10).
enum RunLengths: TrainingLengths {
    static let epochs = TrainingConfig().epochs
    static let epochsHelp = "Training epochs."
    static let finetuneEpochs = TrainingConfig().finetuneEpochs
    static let finetuneEpochsHelp = "Fine-tuning epochs with masks fixed after the main epochs."
}

/// `bmrs sweep`: the unpruned model the curves prune (the authors' post-training script).
enum SweepModelLengths: TrainingLengths {
    static let epochs = GridConfig.Curves.defaultTrainEpochs
    static let epochsHelp = "Epochs of the unpruned model (the authors' post-training script: \(GridConfig.Curves.defaultTrainEpochs))."
    static let finetuneEpochs = 0
    static let finetuneEpochsHelp = "Extra epochs of the unpruned model (counted into its length)."
}

/// What every command that trains a network declares: the data set and network, the seed,
/// the lengths and the training limit. `config` turns them (and a command's own options)
/// into a `TrainingConfig` checked by `TrainingConfig.validate`, whose errors name the flag.
struct TrainingOptions<Lengths: TrainingLengths>: ParsableArguments {
    @Option(help: "Data set: \(DatasetName.allCases.map(\.rawValue).joined(separator: ", ")) (default: fashion-mnist; for `sweep --start-model`, cifar10 when the model has 3 input channels).")
    var dataset: DatasetName?

    /// The data set given, else fashion-mnist (or what a given model's input channels imply).
    func resolvedDataset(inputChannels: Int? = nil) -> DatasetName {
        dataset ?? (inputChannels == 3 ? .cifar10 : .fashionMNIST)
    }
    @Option(help: "Network: mlp or lenet5.")
    var network: NetworkSpec.Kind = .mlp
    @Option(help: "MLP width H.")
    var hidden: Int = NetworkSpec.mlp().hidden
    @Option(help: "MLP depth D (number of H→H blocks).")
    var depth: Int = NetworkSpec.mlp().depth
    @Option(help: "Run seed (split, init, batch order and noise are derived from it; a sweep's fine-tunes too).")
    var seed: UInt64 = TrainingConfig().seed
    @Option(help: ArgumentHelp(Lengths.epochsHelp))
    var epochs: Int = Lengths.epochs
    @Option(help: ArgumentHelp(Lengths.finetuneEpochsHelp))
    var finetuneEpochs: Int = Lengths.finetuneEpochs
    @Option(help: "Train on only the first N images of the training split (quick runs).")
    var trainLimit: Int?

    /// The network these options name, with the data set's input channels.
    var spec: NetworkSpec {
        let channels = resolvedDataset().channels
        return network == .mlp ? .mlp(inputChannels: channels, hidden: hidden, depth: depth) : .lenet5(channels: channels)
    }

    /// `TrainingConfig`'s defaults with these options and then `adjust` (a command's own
    /// options) applied, validated.
    func config(_ adjust: (inout TrainingConfig) throws -> Void = { _ in }) throws -> TrainingConfig {
        var config = TrainingConfig()
        config.dataset = resolvedDataset()
        config.network = spec
        config.seed = seed
        config.epochs = epochs
        config.finetuneEpochs = finetuneEpochs
        config.trainLimit = trainLimit
        try adjust(&config)
        try Self.validated(config)
        return config
    }

    /// `config.validate()`, its error restated with the flag that sets the field.
    static func validated(_ config: TrainingConfig) throws {
        do { try config.validate() } catch let error as ConfigError {
            let flag = flags[error.field].map { "--\($0)" } ?? error.field
            throw ValidationError("\(flag) must be \(error.expected), got \(error.found)")
        }
    }

    /// Config fields (as `ConfigError` names them) → the flag that sets them.
    static var flags: [String: String] {
        ["epochs": "epochs", "finetune_epochs": "finetune-epochs", "compress_every": "compress-every",
         "batch_size": "batch-size", "learning_rate": "lr", "train_limit": "train-limit",
         "validation_limit": "validation-limit", "threads": "threads", "network.hidden": "hidden",
         "network.depth": "depth", "method": "method", "matched_pruned_fraction": "match-record"]
    }
}

/// The thresholds of the criteria's default rules (SPEC §2 defaults): `train` prunes by
/// them, `scores` and `diagnose` report what they would prune.
struct CriterionOptions: ParsableArguments {
    @Option(help: "L2 threshold of the default rule.")
    var l2Threshold: Double = CriterionSettings().l2Threshold
    @Option(help: "E[θ] threshold of the default rule.")
    var ethetaThreshold: Double = CriterionSettings().ethetaThreshold
    @Option(help: "SNR threshold of the default rule.")
    var snrThreshold: Double = CriterionSettings().snrThreshold

    /// The settings with these thresholds (BMRS_N's constant at its default).
    var settings: CriterionSettings {
        var s = CriterionSettings()
        s.l2Threshold = l2Threshold
        s.ethetaThreshold = ethetaThreshold
        s.snrThreshold = snrThreshold
        return s
    }
}
