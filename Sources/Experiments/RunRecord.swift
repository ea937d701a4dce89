import Foundation
import BayesianPruning
import NoiseStatistics
import Datasets

/// The record one training run writes as `run.json` (see README, "Run record").
/// Keys are snake_case in JSON; accuracies are fractions in [0, 1].
public struct RunRecord: Codable, Sendable {
    public static let currentSchema = "bmrs.run/1"

    public var schema = RunRecord.currentSchema
    public var bmrsVersion = BMRSVersion.string
    public var config: TrainingConfig
    public var data: DataSummary
    public var machine: MachineSummary
    public var epochs: [EpochRecord] = []
    /// Epoch (1-based) whose checkpoint had the best validation accuracy; 0 = initial weights.
    public var bestEpoch = 0
    public var bestValidationAccuracy = 0.0
    /// Test accuracy of the best-validation checkpoint, evaluated after reloading it
    /// from its checkpoint file (no cached E[θ]).
    public var testAccuracy = 0.0
    /// Compression of the reported checkpoint by this project's count and by the released
    /// code's count (SPEC §6); `compression` is the one `config` selects.
    public var compression: CompressionReport?
    public var compressionStandard: CompressionReport?
    public var compressionReleased: CompressionReport?
    /// The BMRS_N constant the run's rule actually used (BMRS_N methods only): what
    /// `config.criteria.bmrs_n_constant` asked for may be overridden by the protocol.
    public var bmrsNConstantUsed: BMRSNConstant?
    /// Structures that were pruned at one compression step and kept at a later one.
    public var unitsCameBack = 0
    /// The compacted network: sizes, FLOPs, agreement with the masked one, speed-up.
    public var compaction: CompactionReport?
    public var secondsTotal = 0.0
    public var status: Status = .finished
    /// Why the run failed (e.g. a NaN loss), when it did.
    public var failure: String?

    public enum Status: String, Codable, Sendable { case finished, failed }
}

extension RunRecord {
    /// The compression every table and summary reports: `compression` (the count `config`
    /// selects, the released code's under `released`), or for records written before that
    /// field existed the standard count. nil for a run that has no report.
    public var reportedCompression: CompressionReport? { compression ?? compressionStandard }
}

public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    /// `train` (main epochs, masks updated) or `finetune` (masks fixed).
    public var phase: String = "train"
    /// Mean over the epoch's steps of cross-entropy + KL term.
    public var trainLoss: Double
    public var trainCrossEntropy: Double
    public var kl: Double
    public var valAccuracy: Double
    public var seconds: Double
    /// Masks in force at the end of the epoch (after its compression step), in %.
    public var neuronCompression: Double = 0
    public var parameterCompression: Double = 0
    /// Structures that came back at this epoch's compression step.
    public var cameBack: Int = 0
}

public struct DataSummary: Codable, Sendable, Equatable {
    public var dataset: DatasetName
    public var directory: String
    public var train: Int
    public var validation: Int
    public var test: Int
}

public struct MachineSummary: Codable, Sendable, Equatable {
    public var blasCore: String
    public var blasThreads: Int
    public var processors: Int
}

public enum BMRSVersion {
    public static let string = "0.1.0"
}
