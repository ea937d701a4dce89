import Foundation
import BayesianPruning
import Datasets
import NeuralCore
import FileOutput

/// Post-training pruning curves (SPEC §6): train one model without pruning, then for each
/// criterion and pruning level λ ∈ linspace(0, 100, levels) set the masks by the λ-th
/// percentile rule, fine-tune, and record compression and test accuracy. Each BMRS
/// variant's thresholdless point (its default rule) is recorded as its end point.
///
/// Besides the per-structure rules of `PruningMethod.curveCriteria`, `criteria` may name the
/// post-training-only criteria `taylor` (first-order Taylor importance over one pass of the
/// training split in evaluation mode, `TaylorScores`) and `random` (a random order seeded from
/// `base.seed`, `RandomPruningOrder`); both prune lowest first and have no end point.
public struct SweepConfig: Codable, Hashable, Sendable {
    /// The model every curve starts from (its `method` is forced to `none`).
    public var base: TrainingConfig
    public var criteria: [PruningMethod] = PruningMethod.curveCriteria
    public var levels = 100
    /// Fine-tuning epochs after setting the masks (SPEC §6: 1).
    public var finetuneEpochs = 1

    public init(base: TrainingConfig) {
        self.base = base
        self.base.method = .none
        self.base.matchedPrunedFraction = nil
    }

    public var levelValues: [Double] {
        levels == 1 ? [0] : (0..<levels).map { 100 * Double($0) / Double(levels - 1) }
    }

    public func validate() throws {
        try base.validate()
        if levels < 1 { throw ConfigError(field: "levels", expected: "≥ 1", found: "\(levels)") }
        if finetuneEpochs < 1 { throw ConfigError(field: "finetune_epochs", expected: "≥ 1", found: "\(finetuneEpochs)") }
        if let bad = criteria.first(where: { !$0.prunes }) {
            throw ConfigError(field: "criteria", expected: "pruning criteria (l2, etheta, snr, bmrs-n, bmrs-n-released, bmrs-u-<p>, taylor, random)", found: "\(bad)")
        }
    }
}

/// One point of a curve.
public struct SweepPoint: Codable, Sendable, Equatable {
    public var criterion: String
    /// λ in % (nil for a thresholdless end point).
    public var level: Double?
    public var endPoint: Bool
    public var unit: String
    public var neuronCompression: Double
    public var parameterCompression: Double
    public var testAccuracy: Double
    public var layerCollapsed: Bool
    public var keptPerLayer: [Int]
    public var status: RunRecord.Status
    public var failure: String?
}

/// The fine-tune of one mask on the trained model: what a unit stores.
public struct SweepUnitResult: Codable, Sendable {
    public var key: String
    public var keep: [[Bool]]
    public var compression: CompressionReport
    public var compressionReleased: CompressionReport
    public var testAccuracy: Double
    public var seconds: Double
    public var status: RunRecord.Status
    public var failure: String?

    /// The compression by `counting` (SPEC §6): the base run's protocol decides which a
    /// curve reports.
    public func compression(counting: ParameterCounting) -> CompressionReport {
        counting == .released ? compressionReleased : compression
    }
}

/// The identity of a fine-tune unit: model, fine-tune settings, masks. Identical masks
/// (consecutive levels that prune nothing new, BMRS levels past its end point, or two
/// criteria that agree) are one unit, computed once.
struct SweepUnitIdentity: Codable, Hashable {
    var model: String
    var finetuneEpochs: Int
    var keep: [[Bool]]
}

public struct SweepResult: Codable, Sendable {
    public var config: SweepConfig
    public var model: String
    public var modelTestAccuracy: Double
    public var points: [SweepPoint]
    public var unitsComputed: Int
    public var unitsReused: Int
    /// Per-structure scores of the criteria that are no function of one structure's
    /// statistics (`taylor`, `random`), per group, by criterion name, when the sweep has
    /// any: the rank-correlation heatmap reads them. Absent in older results.
    public var structureScores: [String: [[Double]]]?
}

/// The Taylor scores of one trained model, cached beside it (one pass of the training data
/// per model, not per invocation).
struct TaylorScoreFile: Codable {
    var model: String
    var examples: Int
    var batchSize: Int
    var scores: [[Double]]
}

public struct SweepRunner {
    public let config: SweepConfig
    public let directory: URL
    public var shard = Shard.all
    /// A requested stop ends the sweep within a step; the unit in flight is abandoned.
    public var stop: StopRequest?

    public init(config: SweepConfig, directory: URL) {
        self.config = config
        self.directory = directory
    }

    public var modelKey: String { contentKey(config.base) }
    var layout: SweepDirectory { SweepDirectory(directory) }
    var modelDirectory: URL { layout.model(modelKey) }
    var units: URL { layout.units }
    var taylorURL: URL { layout.taylorScores(modelKey) }

    /// Merges the results of sweeps run elsewhere (shards) into this directory: trained
    /// models and finished units. Running the sweep here afterwards computes nothing new.
    @discardableResult
    public static func merge(shards: [URL], into directory: URL) throws -> Int {
        var copied = 0
        let into = SweepDirectory(directory)
        let units = try UnitStore(directory: into.units)
        for shard in shards.map(SweepDirectory.init) {
            copied += try units.merge(from: UnitStore(directory: shard.units))
            for name in (try? FileManager.default.contentsOfDirectory(atPath: shard.models.path)) ?? [] {
                let target = into.model(name)
                for file in SweepDirectory.modelFiles {
                    let from = shard.model(name).appendingPathComponent(file)
                    let to = target.appendingPathComponent(file)
                    if FileManager.default.fileExists(atPath: from.path) && !FileManager.default.fileExists(atPath: to.path) {
                        try AtomicFile.write(Data(contentsOf: from), to: to)
                    }
                }
            }
        }
        return copied
    }

    /// Trains (or reuses) the model, computes every unit of this shard that is not done,
    /// and returns the curves when all units exist (nil while other shards/workers are
    /// still missing some).
    public func run(locator: DataLocator, log: (String) -> Void = { _ in }) throws -> SweepResult? {
        try config.validate()
        let (splits, dataDirectory) = try TrainingSession.loadData(for: config.base, locator: locator)
        return try run(splits: splits, dataDirectory: dataDirectory.path, log: log)
    }

    /// Trains (or finds) the unpruned model without computing any unit.
    public func prepare(locator: DataLocator, log: (String) -> Void = { _ in }) throws -> RunRecord {
        try config.validate()
        let (splits, dataDirectory) = try TrainingSession.loadData(for: config.base, locator: locator)
        let model = try trainedModel(splits: splits, dataDirectory: dataDirectory.path, log: log)
        // Workers started after this find the Taylor scores instead of each computing them.
        _ = try structureScores(model: model.network, splits: splits, log: log)
        return model.record
    }

    /// `modelState`: a saved state of an unpruned run with the model's trajectory at the
    /// model's last epoch (the grid's shared prefix), so the model is not trained again.
    public func run(splits: DatasetSplits, dataDirectory: String, modelState: TrainerState? = nil,
                    log: (String) -> Void = { _ in }) throws -> SweepResult? {
        try config.validate()
        let model = try trainedModel(splits: splits, dataDirectory: dataDirectory, state: modelState, log: log)
        let store = try UnitStore(directory: units)
        let scores = try structureScores(model: model.network, splits: splits, log: log)
        let plan = self.plan(model: model.network, scores: scores)
        let keys = Array(Set(plan.map(\.key))).sorted()
        // A damaged unit file is moved aside here (and computed again below).
        for key in keys where store.isDone(key) { _ = try store.load(SweepUnitResult.self, key: key) }
        var computed = 0
        for (position, key) in keys.enumerated() where shard.selects(position: position) && !store.isDone(key) {
            guard store.claim(key) else { continue }
            defer { store.release(key) }
            let keep = plan.first { $0.key == key }!.keep
            let result = try fineTune(model: model.network, keep: keep, key: key, splits: splits, dataDirectory: dataDirectory)
            try store.save(result, key: key)
            computed += 1
            log("unit \(key): \(String(format: "%.2f", result.compression.parameterCompression)) % params removed, test \(String(format: "%.2f", 100 * result.testAccuracy)) %")
        }
        guard keys.allSatisfy(store.isDone) else { return nil }
        var points: [SweepPoint] = []
        for entry in plan {
            guard let r = try store.load(SweepUnitResult.self, key: entry.key) else { return nil }
            // The parameter count of the base run's protocol (SPEC §6 for `released`).
            let c = r.compression(counting: config.base.parameterCounting)
            points.append(SweepPoint(criterion: entry.criterion, level: entry.level, endPoint: entry.level == nil, unit: entry.key,
                                     neuronCompression: c.neuronCompression,
                                     parameterCompression: c.parameterCompression,
                                     testAccuracy: r.testAccuracy, layerCollapsed: c.layerCollapsed,
                                     keptPerLayer: c.keptPerLayer, status: r.status, failure: r.failure))
        }
        let result = SweepResult(config: config, model: modelKey, modelTestAccuracy: model.record.testAccuracy, points: points,
                                 unitsComputed: computed, unitsReused: keys.count - computed,
                                 structureScores: scores.isEmpty ? nil : scores)
        try AtomicFile.writeJSON(result, to: layout.result(modelKey))
        return result
    }

    struct PlannedPoint { var criterion: String; var level: Double?; var keep: [[Bool]]; var key: String }

    /// Scores per group, per structure, of the criteria in `config.criteria` that are not a
    /// function of one structure's statistics, by name: `random` from `base.seed`, `taylor`
    /// over one pass of the training split in batches of `evaluationBatchSize` (computed once
    /// per model and kept as `models/<key>/taylor-scores.json`).
    func structureScores(model: Network, splits: DatasetSplits, log: (String) -> Void = { _ in }) throws -> [String: [[Double]]] {
        var scores: [String: [[Double]]] = [:]
        for method in config.criteria where method.isPostTrainingOnly {
            switch method {
            case .random: scores[method.description] = RandomPruningOrder.scores(model, seed: config.base.seed)
            case .taylor: scores[method.description] = try taylorScores(model: model, train: splits.train, log: log)
            default: preconditionFailure("structureScores: \(method) has per-structure statistics")
            }
        }
        return scores
    }

    func taylorScores(model: Network, train: ImageSet, log: (String) -> Void) throws -> [[Double]] {
        let batchSize = config.base.evaluationBatchSize
        let sizes = model.groups.map(\.noise.units)
        if let data = try? Data(contentsOf: taylorURL),
           let file = try? JSONCoding.decoder().decode(TaylorScoreFile.self, from: data),
           file.model == modelKey, file.examples == train.count, file.batchSize == batchSize,
           file.scores.map(\.count) == sizes {
            return file.scores
        }
        log("Taylor scores of model \(modelKey): one pass over \(train.count) training images")
        let scores = TaylorScores.scores(model, images: train.images, labels: train.labels, batchSize: batchSize)
        try AtomicFile.writeJSON(TaylorScoreFile(model: modelKey, examples: train.count, batchSize: batchSize, scores: scores), to: taylorURL)
        return scores
    }

    /// Every (criterion, level) and end point with its masks and unit key. `scores`: those of
    /// `structureScores` (criteria without per-structure statistics).
    func plan(model: Network, scores: [String: [[Double]]] = [:]) -> [PlannedPoint] {
        let statistics = Structures.statistics(model)
        var plan: [PlannedPoint] = []
        func add(_ name: String, _ level: Double?, _ keep: [[Bool]]) {
            let key = contentKey(SweepUnitIdentity(model: modelKey, finetuneEpochs: config.finetuneEpochs, keep: keep))
            plan.append(PlannedPoint(criterion: name, level: level, keep: keep, key: key))
        }
        for method in config.criteria {
            if method.isPostTrainingOnly {
                guard let values = scores[method.description] else { preconditionFailure("plan: no scores for \(method)") }
                for level in config.levelValues {
                    add(method.description, level, PruningDecision(scores: values, order: .lowestFirst, fraction: level / 100).keep)
                }
                continue
            }
            guard let criterion = method.criterion(config.base.effectiveCriteria) else { continue }
            for level in config.levelValues {
                add(method.description, level, PruningDecision(criterion: criterion, statistics: statistics, fraction: level / 100).keep)
            }
            if method.isThresholdless {
                add(method.description, nil, PruningDecision(criterion: criterion, statistics: statistics).keep)
            }
        }
        return plan
    }

    /// The unpruned model: trained once per configuration, then reused.
    func trainedModel(splits: DatasetSplits, dataDirectory: String, state: TrainerState? = nil,
                      log: (String) -> Void) throws -> (network: Network, record: RunRecord) {
        let recordURL = layout.modelRecord(modelKey)
        let checkpointURL = layout.modelCheckpoint(modelKey)
        if FileManager.default.fileExists(atPath: recordURL.path), FileManager.default.fileExists(atPath: checkpointURL.path) {
            let record = try JSONCoding.decoder().decode(RunRecord.self, from: Data(contentsOf: recordURL))
            log("reusing trained model \(modelKey)")
            return (try Checkpoint.load(checkpointURL, maxBatch: max(config.base.batchSize, config.base.evaluationBatchSize)), record)
        }
        log("training model \(modelKey)" + (state.map { " from the shared prefix at epoch \($0.epoch)" } ?? ""))
        // The checkpoint is written before the record, so a record always has its checkpoint.
        let record = try Trainer(config: config.base, stop: stop).run(splits: splits, dataDirectory: dataDirectory, checkpoint: checkpointURL,
                                                          resuming: state)
        try AtomicFile.writeJSON(record, to: recordURL)
        return (try Checkpoint.load(checkpointURL, maxBatch: max(config.base.batchSize, config.base.evaluationBatchSize)), record)
    }

    func fineTune(model: Network, keep: [[Bool]], key: String, splits: DatasetSplits, dataDirectory: String) throws -> SweepUnitResult {
        let start = Date()
        let startNetwork = Network(descriptors: model.layers.map(LayerDescriptor.init), spec: model.spec, maxBatch: model.maxBatch)
        Checkpoint.copy(from: model, to: startNetwork)
        Structures.apply(keep, to: startNetwork)
        var tune = config.base
        tune.method = .none
        tune.epochs = config.finetuneEpochs
        tune.finetuneEpochs = 0
        let record = try Trainer(config: tune, stop: stop).run(splits: splits, dataDirectory: dataDirectory, startingFrom: startNetwork,
                                                   measureCompaction: false)
        return SweepUnitResult(key: key, keep: keep,
                               compression: record.compressionStandard ?? CompressionReport(network: startNetwork),
                               compressionReleased: record.compressionReleased ?? CompressionReport(network: startNetwork, counting: .released),
                               testAccuracy: record.testAccuracy, seconds: Date().timeIntervalSince(start),
                               status: record.status, failure: record.failure)
    }
}
