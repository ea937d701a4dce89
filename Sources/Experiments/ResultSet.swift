import Foundation
import BayesianPruning
import Datasets
import NeuralCore
import FileOutput
import SeededRandom

/// Everything a report reads of a grid, as plain values: the grid's config, its run
/// records, its sweeps' curves and what the report reads of the trained models (posterior
/// statistics and rank correlations, ``ModelAnalysis``). Reporting starts from this value
/// (its tests from a JSON fixture of one) and never from training.
public struct ResultSet: Codable, Sendable {
    public var grid: GridConfig
    /// Every finished run record of the grid, in unit order.
    public var records: [RunRecord]
    /// The curves of every finished sweep, in the grid's sweep order.
    public var sweeps: [SweepResult]
    /// The analysed models: the unpruned (`none`) runs' reported and last-epoch models, the
    /// BMRS_N runs' reported models and the sweeps' models, where their checkpoints exist.
    public var models: [TrainedModel]
    /// Wall time of the grid invocation that produced the results, when known.
    public var gridWallSeconds: Double?

    /// One trained model a report looks into.
    public struct TrainedModel: Codable, Sendable {
        public enum Role: String, Codable, Sendable {
            /// A run's reported checkpoint (best validation, or the last epoch when its config says so).
            case reported
            /// The last epoch of an unpruned (`none`) run.
            case lastEpoch = "last_epoch"
            /// The unpruned model a sweep's curves prune.
            case curves
        }
        public var role: Role
        /// The grid unit's key (`reported`, `lastEpoch`) or the sweep's model key (`curves`).
        public var key: String
        public var analysis: ModelAnalysis

        public init(role: Role, key: String, analysis: ModelAnalysis) {
            self.role = role
            self.key = key
            self.analysis = analysis
        }
    }

    public init(grid: GridConfig, records: [RunRecord], sweeps: [SweepResult], models: [TrainedModel], gridWallSeconds: Double? = nil) {
        self.grid = grid
        self.records = records
        self.sweeps = sweeps
        self.models = models
        self.gridWallSeconds = gridWallSeconds
    }

    /// As JSON with each type's own keys (``JSONCoding/KeyStyle/declared``), the form of
    /// test fixtures.
    public func json() throws -> Data { try JSONCoding.encode(self, keys: .declared) }

    public init(json: Data) throws {
        self = try JSONCoding.decoder(keys: .declared).decode(ResultSet.self, from: json)
    }

    public func analysis(_ role: TrainedModel.Role, key: String) -> ModelAnalysis? {
        models.first { $0.role == role && $0.key == key }?.analysis
    }

    /// The model the curves of `sweep` prune.
    public func curvesModel(of sweep: SweepConfig) -> ModelAnalysis? { analysis(.curves, key: contentKey(sweep.base)) }

    /// The last-epoch model of an unpruned run.
    public func lastEpochModel(of run: RunRecord) -> ModelAnalysis? { analysis(.lastEpoch, key: GridUnit(config: run.config, matched: false).key) }

    /// The reported model of a run that is not matched.
    public func reportedModel(of run: RunRecord) -> ModelAnalysis? { analysis(.reported, key: GridUnit(config: run.config, matched: false).key) }

    /// The models of a unit a result set holds: an unpruned run's reported and last-epoch
    /// models (heatmaps, diagnostics), a BMRS_N run's reported model (the diagnostics'
    /// pruned model).
    static func roles(of unit: GridUnit) -> [TrainedModel.Role] {
        guard !unit.matched else { return [] }
        switch unit.config.method {
        case .none: return [.reported, .lastEpoch]
        case .bmrsN, .bmrsNReleased: return [.reported]
        default: return []
        }
    }

    /// The result set of the grid in `directory`: what is finished there. Analyses stored
    /// beside the checkpoints are read; older grids' are computed from the checkpoints.
    public static func load(_ directory: GridDirectory, grid: GridConfig) throws -> ResultSet {
        let runner = GridRunner(config: grid, directory: directory.root)
        let records = try runner.records()
        let sweeps = try runner.sweepResults()
        var models: [TrainedModel] = []
        for record in records where record.status == .finished && record.config.matchedPrunedFraction == nil {
            let unit = GridUnit(config: record.config, matched: false)
            for role in roles(of: unit) {
                let checkpoint = role == .lastEpoch ? directory.finalCheckpoint(unit.key) : directory.checkpoint(unit.key)
                if let analysis = try ModelAnalysis.load(checkpoint: checkpoint) {
                    models.append(TrainedModel(role: role, key: unit.key, analysis: analysis))
                }
            }
        }
        for sweep in grid.sweepConfigs() {
            let key = contentKey(sweep.base)
            let scores = sweeps.first { $0.model == key }?.structureScores
            if let analysis = try ModelAnalysis.load(checkpoint: directory.sweeps.modelCheckpoint(key), structureScores: scores) {
                models.append(TrainedModel(role: .curves, key: key, analysis: analysis))
            }
        }
        let wall = (try? String(contentsOf: directory.wallSeconds, encoding: .utf8))
            .flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return ResultSet(grid: grid, records: records, sweeps: sweeps, models: models, gridWallSeconds: wall)
    }
}

// The value types a result set is made of, named in Experiments so that its readers
// (Reporting) import Experiments alone, not the training targets that define them.
public typealias DatasetName = Datasets.DatasetName
public typealias NetworkSpec = NeuralCore.NetworkSpec
public typealias PruningMethod = BayesianPruning.PruningMethod
public typealias CompressionReport = BayesianPruning.CompressionReport
/// The project's seeded generator, for the bootstrap intervals a report draws.
public typealias Xoshiro256 = SeededRandom.Xoshiro256
