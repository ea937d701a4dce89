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
    /// How the fine-tunes are run; nil is `ours` (and keeps the results of sweeps written
    /// before the option existed as they were).
    public var curveProtocol: CurveProtocol?

    public var resolvedProtocol: CurveProtocol { curveProtocol ?? .ours }
    /// The trained model the curves start from when one was given (`bmrs sweep --start-model`,
    /// e.g. a model trained with the authors' code) instead of trained from `base`; nil: train.
    /// Its content hash is part of the model key, so units of different start models never mix.
    public var startModel: StartModel?

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

/// How a curve's fine-tunes are run (SPEC §6).
/// - `ours` (the default): every (criterion, level) fine-tunes the trained model on its own,
///   with a fresh Adam and shuffled data, so a point depends only on its mask (and identical
///   masks are one unit); BMRS end points are fine-tuned the same way.
/// - `released`: the authors' `compression_vs_accuracy_separate.py`. Per criterion the levels
///   run in order as one chain: each reloads the trained weights and sets its masks, but Adam
///   (created for the model's training and never reset) and the noise stream carry over from
///   the level before, and the training data are read unshuffled. A point is kept only when
///   the neuron compression changed; a BMRS end point is the chain's first level with the
///   thresholdless mask.
public enum CurveProtocol: String, Codable, Hashable, Sendable, CaseIterable {
    case ours, released
}

/// Where a sweep's given start model came from: the file as given and the MD5 of its bytes
/// (what the model key hashes), and what was read from it. Stored in the sweep's config, in
/// every unit it computes and as `models/<key>/start-model.json`.
public struct StartModel: Codable, Hashable, Sendable {
    public var path: String
    public var md5: String
    /// What the reader said: format, layout, network ("mlp.pth: PyTorch state_dict, the authors' MLP layout, MLP(C=1, H=50, D=5)").
    public var source: String

    public init(path: String, md5: String, source: String) {
        self.path = path
        self.md5 = md5
        self.source = source
    }

    /// Describes `url`'s bytes: path as given, MD5, and the reader's `source` line.
    public static func describing(_ url: URL, source: String) throws -> StartModel {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigError(field: "start model", expected: "a readable model file", found: "\(url.path): \(error.localizedDescription)")
        }
        return StartModel(path: url.path, md5: MD5.digest([UInt8](data)).hexString, source: source)
    }
}

/// The identity of a given start model: its bytes, and the settings its fine-tunes use.
/// The path is left out (a moved file is the same model), and so are the settings that only
/// train the start model (its epochs and which epoch it reports), which a given model never
/// uses: changing them must not recompute the units.
struct GivenModelIdentity: Codable {
    var md5: String
    var base: TrainingConfig

    init(md5: String, base: TrainingConfig) {
        self.md5 = md5
        let defaults = TrainingConfig()
        var fineTuneSettings = base
        fineTuneSettings.epochs = defaults.epochs
        fineTuneSettings.finetuneEpochs = defaults.finetuneEpochs
        fineTuneSettings.reportedModel = defaults.reportedModel
        self.base = fineTuneSettings
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

extension SweepPoint {
    /// The point a fine-tune's result gives, in the parameter count `counting` (the base
    /// run's protocol: SPEC §6 for `released`).
    init(criterion: String, level: Double?, endPoint: Bool, unit: String, result r: SweepUnitResult, counting: ParameterCounting) {
        let c = r.compression(counting: counting)
        self.init(criterion: criterion, level: level, endPoint: endPoint, unit: unit,
                  neuronCompression: c.neuronCompression, parameterCompression: c.parameterCompression,
                  testAccuracy: r.testAccuracy, layerCollapsed: c.layerCollapsed, keptPerLayer: c.keptPerLayer,
                  status: r.status, failure: r.failure)
    }
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
    /// The given model the fine-tune started from (nil: the model the sweep trained).
    public var startModel: StartModel?

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

/// The identity of one criterion's chain of fine-tunes under the released protocol: every
/// level's masks in order (a level's result depends on all levels before it).
struct ReleasedChainIdentity: Codable, Hashable {
    var model: String
    var curveProtocol = CurveProtocol.released
    var finetuneEpochs: Int
    var criterion: String
    var keep: [[[Bool]]]
}

/// A finished chain (what its unit stores), or one in flight (its progress file): the
/// fine-tune of each level done so far, in level order.
struct ReleasedChainResult: Codable {
    var key: String
    var criterion: String
    var levels: [SweepUnitResult]
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
    /// The network of `config.startModel`, read by the caller (Experiments reads no foreign
    /// formats); required when there is a start model and it is not yet in the directory.
    public var startNetwork: Network?

    public init(config: SweepConfig, directory: URL) {
        self.config = config
        self.directory = directory
    }

    public var modelKey: String { SweepRunner.modelKey(config) }
    /// The model's key: its training configuration's, or a given start model's identity.
    public static func modelKey(_ config: SweepConfig) -> String {
        guard let start = config.startModel else { return contentKey(config.base) }
        return contentKey(GivenModelIdentity(md5: start.md5, base: config.base))
    }
    /// The name of the curves' file: the model's key, with the protocol when it is not ours.
    public var resultKey: String { SweepRunner.resultKey(config) }
    public static func resultKey(_ config: SweepConfig) -> String {
        let model = modelKey(config)
        return config.resolvedProtocol == .ours ? model : "\(model)-\(config.resolvedProtocol.rawValue)"
    }
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
        if config.resolvedProtocol == .released {
            return try runReleased(model: model, store: store, scores: scores, splits: splits, dataDirectory: dataDirectory, log: log)
        }
        let plan = self.plan(model: model.network, scores: scores)
        let keys = Array(Set(plan.map(\.key))).sorted()
        // A damaged unit file is moved aside here (and computed again below).
        for key in keys where store.isDone(key) { _ = try store.load(SweepUnitResult.self, key: key) }
        var computed = 0
        for (position, key) in keys.enumerated() where shard.selects(position: position) && !store.isDone(key) {
            guard store.claim(key) else { continue }
            defer { store.release(key) }
            let keep = plan.first { $0.key == key }!.keep
            let result = try fineTune(model: model.network, keep: keep, key: key, splits: splits, dataDirectory: dataDirectory).result
            try store.save(result, key: key)
            computed += 1
            log("unit \(key): \(String(format: "%.2f", result.compression.parameterCompression)) % params removed, test \(String(format: "%.2f", 100 * result.testAccuracy)) %")
        }
        guard keys.allSatisfy(store.isDone) else { return nil }
        var points: [SweepPoint] = []
        for entry in plan {
            guard let r = try store.load(SweepUnitResult.self, key: entry.key) else { return nil }
            points.append(SweepPoint(criterion: entry.criterion, level: entry.level, endPoint: entry.level == nil, unit: entry.key,
                                     result: r, counting: config.base.parameterCounting))
        }
        return try finish(points: points, model: model.record, computed: computed, units: keys.count, scores: scores)
    }

    /// The curves, written as `sweep-<result key>.json`.
    func finish(points: [SweepPoint], model: RunRecord, computed: Int, units: Int, scores: [String: [[Double]]]) throws -> SweepResult {
        let result = SweepResult(config: config, model: modelKey, modelTestAccuracy: model.testAccuracy, points: points,
                                 unitsComputed: computed, unitsReused: units - computed,
                                 structureScores: scores.isEmpty ? nil : scores)
        try AtomicFile.writeJSON(result, to: layout.result(resultKey))
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

    /// The unpruned model: trained once per configuration, then reused. Its state after the
    /// last epoch's steps (Adam's moments, the noise stream) is kept beside it: the released
    /// protocol's chains start from it. A model found without that state is trained again
    /// when the state is needed (training is deterministic: the same checkpoint results).
    func trainedModel(splits: DatasetSplits, dataDirectory: String, state: TrainerState? = nil,
                      log: (String) -> Void) throws -> (network: Network, record: RunRecord) {
        let recordURL = layout.modelRecord(modelKey)
        let checkpointURL = layout.modelCheckpoint(modelKey)
        let stateURL = layout.modelFinalState(modelKey)
        let fm = FileManager.default
        let maxBatch = max(config.base.batchSize, config.base.evaluationBatchSize)
        if fm.fileExists(atPath: recordURL.path), fm.fileExists(atPath: checkpointURL.path),
           config.resolvedProtocol == .ours || config.startModel != nil || fm.fileExists(atPath: stateURL.path) {
            let record = try JSONCoding.decoder().decode(RunRecord.self, from: Data(contentsOf: recordURL))
            log("reusing trained model \(modelKey)")
            return (try Checkpoint.load(checkpointURL, maxBatch: maxBatch), record)
        }
        if let start = config.startModel {
            return try givenModel(start, splits: splits, dataDirectory: dataDirectory, log: log)
        }
        log("training model \(modelKey)" + (state.map { " from the shared prefix at epoch \($0.epoch)" } ?? ""))
        let lastEpoch = config.base.epochs + config.base.finetuneEpochs
        var finalState: TrainerState?
        // The checkpoint is written before the record, so a record always has its checkpoint.
        let record = try Trainer(config: config.base, stop: stop).run(
            splits: splits, dataDirectory: dataDirectory, checkpoint: checkpointURL, resuming: state,
            afterSteps: { epoch, _, capture in if epoch == lastEpoch { finalState = capture() } })
        if let finalState, record.status == .finished { try TrainerStateFile.write(finalState, to: stateURL) }
        try AtomicFile.writeJSON(record, to: recordURL)
        return (try Checkpoint.load(checkpointURL, maxBatch: maxBatch), record)
    }

    /// The given start model, put into the sweep directory as if trained here: its checkpoint,
    /// `start-model.json` (where it came from) and a record with its accuracies and no epochs.
    func givenModel(_ start: StartModel, splits: DatasetSplits, dataDirectory: String,
                    log: (String) -> Void) throws -> (network: Network, record: RunRecord) {
        guard let given = startNetwork else {
            preconditionFailure("SweepRunner: config.startModel is set but startNetwork is nil")
        }
        // Only the layer shapes of this reference are read: its initialisation does not matter.
        var rng = Xoshiro256(seed: 0)
        let reference = Network(spec: config.base.network, maxBatch: 1, rng: &rng)
        guard given.spec == config.base.network, given.layers.map(LayerDescriptor.init) == reference.layers.map(LayerDescriptor.init) else {
            throw ConfigError(field: "start model", expected: "the uncompacted \(config.base.network) of the sweep",
                              found: "\(given.spec) with \(given.layers.count) layers in \(start.path)")
        }
        let test = splits.test, validation = splits.validation
        guard test.channels == given.spec.inputChannels else {
            throw ConfigError(field: "dataset", expected: "images with \(given.spec.inputChannels) channel(s) for \(start.path)",
                              found: "\(config.base.dataset.rawValue) with \(test.channels)")
        }
        log("start model \(modelKey): \(start.source) (md5 \(start.md5))")
        let pruned = given.noiseLayers.reduce(0) { $0 + $1.mask.filter { $0 == 0 }.count }
        if pruned > 0 { log("note: the start model's stored masks prune \(pruned) structures; each level sets every mask anew") }
        if !given.noiseEnabled { log("note: the start model's noise layers are off (trained without them); the fine-tunes train with noise on, as the curves' protocol does") }
        let checkpointURL = layout.modelCheckpoint(modelKey)
        try AtomicFile.writeJSON(start, to: layout.startModel(modelKey))
        try AtomicFile.write(try Checkpoint.encode(given), to: checkpointURL)
        let network = try Checkpoint.load(checkpointURL, maxBatch: max(config.base.batchSize, config.base.evaluationBatchSize))
        var record = RunRecord(
            config: config.base,
            data: DataSummary(dataset: config.base.dataset, directory: dataDirectory, train: splits.train.count,
                              validation: validation.count, test: test.count),
            machine: MachineSummary(blasCore: BLAS.coreName, blasThreads: BLAS.threads,
                                    processors: ProcessInfo.processInfo.activeProcessorCount))
        record.bestValidationAccuracy = network.accuracy(images: validation.images, labels: validation.labels)
        record.testAccuracy = network.accuracy(images: test.images, labels: test.labels)
        record.compression = CompressionReport(network: network)
        try AtomicFile.writeJSON(record, to: layout.modelRecord(modelKey))
        return (network, record)
    }

    /// Fine-tunes the model with masks `keep`; `continuing` carries a chain's state in (the
    /// released protocol), and the state after the fine-tune's steps comes back out.
    func fineTune(model: Network, keep: [[Bool]], key: String, splits: DatasetSplits, dataDirectory: String,
                  continuing: FineTuneContinuation? = nil) throws -> (result: SweepUnitResult, state: TrainerState?) {
        let start = Date()
        let startNetwork = Network(descriptors: model.layers.map(LayerDescriptor.init), spec: model.spec, maxBatch: model.maxBatch)
        Checkpoint.copy(from: model, to: startNetwork)
        Structures.apply(keep, to: startNetwork)
        var tune = config.base
        tune.method = .none
        tune.epochs = config.finetuneEpochs
        tune.finetuneEpochs = 0
        var after: TrainerState?
        let record = try Trainer(config: tune, stop: stop).run(
            splits: splits, dataDirectory: dataDirectory, startingFrom: startNetwork, continuing: continuing,
            measureCompaction: false,
            afterSteps: continuing == nil ? nil : { epoch, _, capture in if epoch == tune.epochs { after = capture() } })
        let result = SweepUnitResult(key: key, keep: keep,
                                     compression: record.compressionStandard ?? CompressionReport(network: startNetwork),
                                     compressionReleased: record.compressionReleased ?? CompressionReport(network: startNetwork, counting: .released),
                                     testAccuracy: record.testAccuracy, seconds: Date().timeIntervalSince(start),
                                     status: record.status, failure: record.failure, startModel: config.startModel)
        return (result, after)
    }

    // MARK: The released protocol

    struct ReleasedChain {
        var criterion: String
        var levels: [(level: Double, keep: [[Bool]])]
        /// The thresholdless mask of a BMRS criterion (its end point).
        var endKeep: [[Bool]]?
        var key: String
    }

    /// One chain per criterion, over the same masks as `plan`.
    func releasedChains(model: Network, scores: [String: [[Double]]]) -> [ReleasedChain] {
        let planned = plan(model: model, scores: scores)
        return config.criteria.map(\.description).map { name in
            let entries = planned.filter { $0.criterion == name }
            let levels = entries.compactMap { e in e.level.map { (level: $0, keep: e.keep) } }
            let key = contentKey(ReleasedChainIdentity(model: modelKey, finetuneEpochs: config.finetuneEpochs,
                                                       criterion: name, keep: levels.map(\.keep)))
            return ReleasedChain(criterion: name, levels: levels, endKeep: entries.first { $0.level == nil }?.keep, key: key)
        }
    }

    func runReleased(model: (network: Network, record: RunRecord), store: UnitStore, scores: [String: [[Double]]],
                     splits: DatasetSplits, dataDirectory: String, log: (String) -> Void) throws -> SweepResult? {
        let chains = releasedChains(model: model.network, scores: scores)
        for chain in chains where store.isDone(chain.key) { _ = try store.load(ReleasedChainResult.self, key: chain.key) }
        var computed = 0
        for (position, chain) in chains.enumerated() where shard.selects(position: position) && !store.isDone(chain.key) {
            guard store.claim(chain.key) else { continue }
            defer { store.release(chain.key) }
            let result = try runChain(chain, model: model.network, splits: splits, dataDirectory: dataDirectory, log: log)
            try store.save(result, key: chain.key)
            try? FileManager.default.removeItem(at: layout.chainProgress(chain.key))
            computed += 1
        }
        guard chains.allSatisfy({ store.isDone($0.key) }) else { return nil }
        var points: [SweepPoint] = []
        for chain in chains {
            guard let r = try store.load(ReleasedChainResult.self, key: chain.key), r.levels.count == chain.levels.count else { return nil }
            func point(_ i: Int, end: Bool) -> SweepPoint {
                SweepPoint(criterion: chain.criterion, level: end ? nil : chain.levels[i].level, endPoint: end, unit: r.levels[i].key,
                           result: r.levels[i], counting: config.base.parameterCounting)
            }
            // The authors keep a level's point only when the neuron compression changed.
            var last: Double?
            for i in chain.levels.indices {
                let p = point(i, end: false)
                if p.neuronCompression != last { points.append(p); last = p.neuronCompression }
            }
            if let endKeep = chain.endKeep, let i = chain.levels.firstIndex(where: { $0.keep == endKeep }) {
                points.append(point(i, end: true))
            }
        }
        return try finish(points: points, model: model.record, computed: computed, units: chains.count, scores: scores)
    }

    /// One chain, level by level. After each level its state and the results so far are
    /// saved (state file first, then the progress record naming it, then the older state
    /// removed), so an interrupted chain continues from its last finished level.
    func runChain(_ chain: ReleasedChain, model: Network, splits: DatasetSplits, dataDirectory: String,
                  log: (String) -> Void) throws -> ReleasedChainResult {
        let progressURL = layout.chainProgress(chain.key)
        var done = ReleasedChainResult(key: chain.key, criterion: chain.criterion, levels: [])
        // A given start model has no optimizer state of its training here: its chains start
        // from a fresh Adam, as the first fine-tune of a model loaded from disk would.
        var continuation: FineTuneContinuation
        if config.startModel != nil && !FileManager.default.fileExists(atPath: layout.modelFinalState(modelKey).path) {
            let zero = model.allParameters.map { [Float](repeating: 0, count: $0.value.count) }
            continuation = FineTuneContinuation(adamStep: 0, moments1: zero, moments2: zero, noiseCounter: 0)
        } else {
            continuation = FineTuneContinuation(try TrainerStateFile.load(layout.modelFinalState(modelKey)))
        }
        if let data = try? Data(contentsOf: progressURL),
           let saved = try? JSONCoding.decoder().decode(ReleasedChainResult.self, from: data),
           saved.key == chain.key, saved.levels.count <= chain.levels.count,
           let savedState = try? TrainerStateFile.load(layout.chainState(chain.key, levels: saved.levels.count)) {
            done = saved
            continuation = FineTuneContinuation(savedState)
            log("chain \(chain.criterion) [\(chain.key)]: continuing after level \(saved.levels.count) of \(chain.levels.count)")
        }
        while done.levels.count < chain.levels.count {
            let i = done.levels.count
            let (result, after) = try fineTune(model: model, keep: chain.levels[i].keep, key: "\(chain.key)#\(i)", splits: splits,
                                               dataDirectory: dataDirectory, continuing: continuation)
            guard let after else { throw ConfigError(field: "released chain", expected: "a finished fine-tune", found: result.failure ?? "\(result.status)") }
            done.levels.append(result)
            continuation = FineTuneContinuation(after)
            try TrainerStateFile.write(after, to: layout.chainState(chain.key, levels: done.levels.count))
            try AtomicFile.writeJSON(done, to: progressURL)
            try? FileManager.default.removeItem(at: layout.chainState(chain.key, levels: i))
            log("chain \(chain.criterion) level \(i + 1)/\(chain.levels.count): \(String(format: "%.2f", result.compression.neuronCompression)) % neurons, test \(String(format: "%.2f", 100 * result.testAccuracy)) %")
        }
        try? FileManager.default.removeItem(at: layout.chainState(chain.key, levels: done.levels.count))
        return done
    }
}
