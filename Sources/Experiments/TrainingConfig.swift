import BayesianPruning
import NoiseStatistics
import Datasets
import NeuralCore
import SeededRandom

/// Everything needed to rerun one training run; written into its run record.
/// Defaults are SPEC §5's protocol.
public struct TrainingConfig: Codable, Hashable, Sendable {
    public var dataset: DatasetName = .fashionMNIST
    public var network: NetworkSpec = .mlp()
    /// `none`, `plain`, or a criterion applied continuously (SPEC §5).
    public var method: PruningMethod = .none
    /// Thresholds and BMRS_N's constant (SPEC §2 defaults).
    public var criteria = CriterionSettings()
    /// Apply the rule after every `compress_every` main epochs (and once more at the end).
    public var compressEvery = 1
    /// Epochs after the last pruning step with masks fixed (SPEC §5: 10).
    public var finetuneEpochs = 10
    /// Keep pruned structures pruned (default: masks are recomputed from the current
    /// posterior each time, so a structure can come back, as in the authors' code).
    public var stickyMasks = false
    /// `released` reproduces the authors' code where it differs from our defaults: BMRS_N
    /// without 2π, in-place zeroing of pruned units' weights after every epoch, and their
    /// parameter count (SPEC §2, §5, §6).
    public var protocolVariant: ProtocolVariant = .standard
    /// Matched compression (SPEC §5): cut at the percentile that prunes this fraction of
    /// structures (BMRS_N's final neuron compression for the same seed) instead of the
    /// criterion's threshold. nil: the threshold rule.
    public var matchedPrunedFraction: Double?
    public var seed: UInt64 = 1000
    public var epochs: Int = 50
    public var batchSize: Int = 32
    public var learningRate: Float = 1e-3
    public var klAveraging: KLAveraging = .mean
    /// Share of the official training set held out for validation (seeded split, SPEC §4).
    public var validationFraction: Double = 0.2
    /// Use only the first N images of the shuffled training split (nil: all). For quick runs.
    public var trainLimit: Int?
    /// Validate on only the first N validation images (nil: all). For quick runs.
    public var validationLimit: Int?
    /// OpenBLAS threads. 1 by default, so runs are reproducible bit for bit.
    public var threads: Int = 1
    /// Images per evaluation forward pass (does not change results).
    public var evaluationBatchSize: Int = 500
    /// Which network the run reports (checkpoint, test accuracy, compression): nil or
    /// `best` the rule of SPEC §5 (best validation epoch, of the fine-tuning phase for a
    /// pruning run), `final` the network after the last epoch (the model the authors'
    /// post-training script prunes).
    public var reportedModel: ReportedModel?

    public init() {}

    /// Checks ranges, naming the offending field.
    public func validate() throws {
        func fail(_ field: String, _ expected: String, _ got: Any) throws {
            throw ConfigError(field: field, expected: expected, found: "\(got)")
        }
        if method.isPostTrainingOnly { try fail("method", "a training method (taylor and random are post-training curve criteria only)", method) }
        if epochs < 1 { try fail("epochs", "≥ 1", epochs) }
        if finetuneEpochs < 0 { try fail("finetune_epochs", "≥ 0", finetuneEpochs) }
        if compressEvery < 1 { try fail("compress_every", "≥ 1", compressEvery) }
        if let f = matchedPrunedFraction, !(f >= 0 && f <= 1) { try fail("matched_pruned_fraction", "in [0, 1]", f) }
        if matchedPrunedFraction != nil && !method.prunes { try fail("matched_pruned_fraction", "a pruning method", method) }
        if batchSize < 1 { try fail("batch_size", "≥ 1", batchSize) }
        if !(learningRate > 0) { try fail("learning_rate", "> 0", learningRate) }
        if !(validationFraction > 0 && validationFraction < 1) { try fail("validation_fraction", "in (0, 1)", validationFraction) }
        if let limit = trainLimit, limit < 1 { try fail("train_limit", "≥ 1", limit) }
        if let limit = validationLimit, limit < 1 { try fail("validation_limit", "≥ 1", limit) }
        if threads < 1 { try fail("threads", "≥ 1", threads) }
        if evaluationBatchSize < 1 { try fail("evaluation_batch_size", "≥ 1", evaluationBatchSize) }
        if network.hidden < 1 { try fail("network.hidden", "≥ 1", network.hidden) }
        if network.depth < 0 { try fail("network.depth", "≥ 0", network.depth) }
    }

    /// Independent seeds per purpose, derived from the run seed, so that every method with
    /// the same seed sees the same split, the same initial weights and the same batches.
    public func derivedSeed(_ purpose: SeedPurpose) -> UInt64 {
        splitMix64(seed ^ (purpose.rawValue &* 0x9E37_79B9_7F4A_7C15))
    }
}

public enum ReportedModel: String, Codable, Hashable, Sendable, CaseIterable {
    case best, final
}

extension TrainingConfig {
    /// Two unpruned (`none`) configurations with the same identity here follow the same
    /// trajectory epoch by epoch, whatever their lengths and reporting rules: a model of
    /// one can be taken from a saved state of the other.
    public var trajectoryIdentity: TrainingConfig? {
        guard method == .none && matchedPrunedFraction == nil else { return nil }
        var c = self
        c.epochs = 1
        c.finetuneEpochs = 0
        c.reportedModel = nil
        return c
    }
}

public enum SeedPurpose: UInt64, Sendable {
    case dataSplit = 1, initialization = 2, batchOrder = 3, noise = 4
}

/// Our defaults, or the authors' released code's behaviour where it differs.
public enum ProtocolVariant: String, Codable, Hashable, Sendable, CaseIterable {
    case standard, released
}

extension TrainingConfig {
    /// Criterion settings in force (the released protocol uses the released BMRS_N constant).
    public var effectiveCriteria: CriterionSettings {
        var c = criteria
        if protocolVariant == .released { c.bmrsNConstant = .released }
        return c
    }

    /// The BMRS_N constant this run's rule uses (nil for other methods): `bmrs-n-released`
    /// always the released one, `bmrs-n` the configured one unless the released protocol
    /// overrides it.
    public var bmrsNConstantInForce: BMRSNConstant? {
        switch method {
        case .bmrsN: effectiveCriteria.bmrsNConstant
        case .bmrsNReleased: .released
        default: nil
        }
    }

    /// The parameter count reported as the run's compression.
    public var parameterCounting: ParameterCounting { protocolVariant == .released ? .released : .standard }
}

public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var field: String
    public var expected: String
    public var found: String
    public var description: String { "invalid \(field): expected \(expected), found \(found)" }
}
