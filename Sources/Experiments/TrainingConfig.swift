import Datasets
import NeuralCore

/// Everything needed to rerun one training run; written into its run record.
/// Defaults are SPEC §5's protocol.
public struct TrainingConfig: Codable, Hashable, Sendable {
    public var dataset: DatasetName = .fashionMNIST
    public var network: NetworkSpec = .mlp()
    /// `none` (noise layers trained, nothing pruned) or `plain` (noise off: the paper's None row).
    public var method: TrainingMethod = .none
    public var seed: UInt64 = 1000
    public var epochs: Int = 50
    public var batchSize: Int = 32
    public var learningRate: Float = 1e-3
    public var klAveraging: KLAveraging = .mean
    /// Share of the official training set held out for validation (seeded split, SPEC §4).
    public var validationFraction: Double = 0.2
    /// Use only the first N images of the shuffled training split (nil: all). For quick runs.
    public var trainLimit: Int?
    /// OpenBLAS threads. 1 by default, so runs are reproducible bit for bit.
    public var threads: Int = 1
    /// Images per evaluation forward pass (does not change results).
    public var evaluationBatchSize: Int = 500

    public init() {}

    /// Checks ranges, naming the offending field.
    public func validate() throws {
        func fail(_ field: String, _ expected: String, _ got: Any) throws {
            throw ConfigError(field: field, expected: expected, found: "\(got)")
        }
        if epochs < 0 { try fail("epochs", "≥ 0", epochs) }
        if batchSize < 1 { try fail("batch_size", "≥ 1", batchSize) }
        if !(learningRate > 0) { try fail("learning_rate", "> 0", learningRate) }
        if !(validationFraction > 0 && validationFraction < 1) { try fail("validation_fraction", "in (0, 1)", validationFraction) }
        if let limit = trainLimit, limit < 1 { try fail("train_limit", "≥ 1", limit) }
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

public enum SeedPurpose: UInt64, Sendable {
    case dataSplit = 1, initialization = 2, batchOrder = 3, noise = 4
}

/// How the noise layers take part in training (SPEC §5's two baselines).
public enum TrainingMethod: String, Codable, Hashable, Sendable, CaseIterable {
    /// Noise layers trained (θ sampled, KL in the loss), nothing pruned.
    case none
    /// Noise layers switched off (θ ≡ 1, no KL): the authors' `--disable_pruning`, the paper's None row.
    case plain
}

public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var field: String
    public var expected: String
    public var found: String
    public var description: String { "invalid \(field): expected \(expected), found \(found)" }
}
