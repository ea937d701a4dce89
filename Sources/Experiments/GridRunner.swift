import Foundation
import BayesianPruning
import Datasets
import NeuralCore
import FileOutput

/// Runs a grid into one directory (its layout: ``GridDirectory``): the training runs, their
/// checkpoints and the analyses of the models a report looks into (``ModelAnalysis``), the
/// post-training curves (``SweepRunner``), and the summary once every unit exists.
///
/// Every unit is claimed through a lock file, so several processes (`--jobs`) share the
/// work, `--shard i/n` splits it across machines, and a rerun after `kill -9` loses only
/// the units in flight. A diverging run is a finished unit with status `failed`.
public struct GridRunner {
    public let config: GridConfig
    public let directory: URL
    public var shard = Shard.all
    /// A requested stop ends the run within a step; the unit in flight is abandoned.
    public var stop: StopRequest?

    public init(config: GridConfig, directory: URL) {
        self.config = config
        self.directory = directory
    }

    public var layout: GridDirectory { GridDirectory(directory) }
    var runsDirectory: URL { layout.runs }
    var sweepsDirectory: URL { layout.sweeps.root }
    func checkpointURL(_ key: String) -> URL { layout.checkpoint(key) }
    func finalCheckpointURL(_ key: String) -> URL { layout.finalCheckpoint(key) }

    public struct Progress: Sendable {
        public var unitsTotal: Int
        public var unitsDone: Int
        public var computedHere: Int
        public var complete: Bool
    }

    /// Does this process's share of the work; writes the summary when the grid is complete.
    @discardableResult
    public func run(locator: DataLocator, log: (String) -> Void = { _ in }) throws -> Progress {
        try run(data: { try TrainingSession.loadData(for: $0, locator: locator) }, log: log)
    }

    /// `data` loads the splits of a run (tests pass synthetic data here).
    @discardableResult
    public func run(data load: @escaping (TrainingConfig) throws -> (DatasetSplits, URL),
                    log: (String) -> Void = { _ in }) throws -> Progress {
        try config.validate()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let resolved = layout.config
        if !FileManager.default.fileExists(atPath: resolved.path) {
            try AtomicFile.write(Data(try config.yaml().utf8), to: resolved)
        }
        let store = try UnitStore(directory: runsDirectory)
        var data = DataCache(load: load)
        var computed = 0
        let units = config.trainingUnits()
        let keys = Set(units.map(\.key))
        // Finished units are checked before anything trusts them: a record that does not
        // decode, or whose checkpoint fails its CRC, is moved aside and recomputed.
        for unit in units where store.isDone(unit.key) {
            guard (try store.load(RunRecord.self, key: unit.key)) != nil else { continue }
            do { _ = try Checkpoint.load(checkpointURL(unit.key)) } catch {
                store.reject(unit.key, because: "its checkpoint \(checkpointURL(unit.key).lastPathComponent) is unusable: \(error)")
            }
        }
        // Passes until nothing is left that this process can do; a unit whose prefix or
        // matched reference is in flight in another process is waited for, not skipped.
        var waiting = true
        while waiting {
            waiting = false
            var progressed = false
            for position in GridRunner.schedule(units) where shard.selects(position: position) {
                let unit = units[position]
                let key = unit.key
                guard !store.isDone(key) else { continue }
                var training = unit.config
                if unit.matched {
                    let reference = unit.reference.key
                    guard let record = try store.load(RunRecord.self, key: reference),
                          let c = record.compressionStandard, record.status == .finished else {
                        if store.isClaimed(reference) { waiting = true }
                        continue
                    }
                    training.matchedPrunedFraction = Double(c.prunedStructures) / Double(max(c.structures, 1))
                }
                let prefixKey = TrainingPrefix.prefixConfig(of: training).map { GridUnit(config: $0, matched: false).key }
                if let prefixKey, keys.contains(prefixKey), !store.isDone(prefixKey), store.isClaimed(prefixKey) {
                    waiting = true
                    continue
                }
                guard store.claim(key) else { continue }
                defer { store.release(key) }
                let (splits, dataDirectory) = try data.splits(for: training)
                var resuming: TrainerState?
                if let prefixKey, store.isDone(prefixKey) { resuming = prefix(prefixKey).fork(for: training, log: log) }
                let recorder = training.method == .none ? prefixRecorder(for: unit, units: units) : nil
                log("training \(unit.config.dataset.rawValue) \(unit.config.network) \(unit.config.method)\(unit.matched ? " (matched)" : "") seed \(unit.config.seed) [\(key)]"
                    + (resuming.map { " from the shared prefix at epoch \($0.epoch)" } ?? ""))
                let record = try Trainer(config: training, stop: stop).run(splits: splits, dataDirectory: dataDirectory,
                                                                 checkpoint: checkpointURL(key),
                                                                 finalCheckpoint: training.method == .none ? finalCheckpointURL(key) : nil,
                                                                 resuming: resuming,
                                                                 afterSteps: recorder.map { r in { try r.observe(epoch: $0, network: $1, capture: $2) } })
                if record.status == .failed { log("run \(key) failed: \(record.failure ?? "")") } else {
                    try recorder?.finish()
                    try storeAnalyses(of: unit)
                }
                try store.save(record, key: key)
                computed += 1
                progressed = true
            }
            if waiting && !progressed { Thread.sleep(forTimeInterval: 0.5) }
        }
        var sweepsComplete = true
        for sweep in config.sweepConfigs() {
            reuseTrainedModel(for: sweep, store: store)
            var runner = SweepRunner(config: sweep, directory: sweepsDirectory)
            runner.shard = shard
            runner.stop = stop
            let (splits, dataDirectory) = try data.splits(for: sweep.base)
            if let result = try runner.run(splits: splits, dataDirectory: dataDirectory,
                                           modelState: modelState(for: sweep, units: units, store: store), log: log) {
                // With its curves done, the model's analysis can name every criterion they scored.
                try ModelAnalysis.store(checkpoint: layout.sweeps.modelCheckpoint(result.model), structureScores: result.structureScores)
            } else {
                sweepsComplete = false
            }
        }
        let done = units.filter { store.isDone($0.key) }.count
        let complete = done == units.count && sweepsComplete
        if complete { try writeSummary(store: store) }
        return Progress(unitsTotal: units.count, unitsDone: done, computedHere: computed, complete: complete)
    }

    /// The order this process takes units in: the `none` runs first (every other run of
    /// their seed forks from them), then the rest, then the matched runs (which wait for
    /// BMRS_N); within each, LeNet5 before the MLP, so the longest runs start first and
    /// the workers' tails are short.
    static func schedule(_ units: [GridUnit]) -> [Int] {
        func rank(_ u: GridUnit) -> (Int, Int) {
            (u.matched ? 2 : u.config.method == .none ? 0 : 1, u.config.network.kind == .lenet5 ? 0 : 1)
        }
        return units.indices.sorted { i, j in
            let a = rank(units[i]), b = rank(units[j])
            return a != b ? a < b : i < j
        }
    }

    func prefix(_ key: String) -> TrainingPrefix {
        TrainingPrefix(directory: layout.prefix(key))
    }

    /// Stores the analyses of the models a report looks into (``ResultSet``), while the
    /// checkpoints are at hand: a report then reads values instead of loading networks.
    func storeAnalyses(of unit: GridUnit) throws {
        for role in ResultSet.roles(of: unit) {
            try ModelAnalysis.store(checkpoint: role == .lastEpoch ? finalCheckpointURL(unit.key) : checkpointURL(unit.key))
        }
    }

    /// The recorder of a `none` unit's prefix: the grid's runs that fork from it, epoch 1
    /// when matched runs do (their share is known only once BMRS_N finished), and the
    /// epoch of the curves' model.
    func prefixRecorder(for unit: GridUnit, units: [GridUnit]) -> TrainingPrefix.Recorder {
        let forks = units.filter { !$0.matched && TrainingPrefix.prefixConfig(of: $0.config) == unit.config }.map(\.config)
        var extra = Set<Int>()
        if units.contains(where: { $0.matched && TrainingPrefix.prefixConfig(of: $0.config) == unit.config }) { extra.insert(1) }
        for sweep in config.sweepConfigs() where sweep.base.trajectoryIdentity == unit.config.trajectoryIdentity {
            let epoch = sweep.base.epochs + sweep.base.finetuneEpochs
            if epoch <= unit.config.epochs + unit.config.finetuneEpochs { extra.insert(epoch) }
        }
        return TrainingPrefix.Recorder(prefix: prefix(unit.key), config: unit.config, forks: forks, extraEpochs: extra)
    }

    /// The saved prefix state a sweep's model can be taken from: a finished `none` unit
    /// with the same trajectory that saved its state at the model's last epoch.
    func modelState(for sweep: SweepConfig, units: [GridUnit], store: UnitStore) -> TrainerState? {
        let epoch = sweep.base.epochs + sweep.base.finetuneEpochs
        guard let identity = sweep.base.trajectoryIdentity,
              let unit = units.first(where: { !$0.matched && $0.config.trajectoryIdentity == identity && store.isDone($0.key) }) else { return nil }
        return prefix(unit.key).state(atEpoch: epoch, prefixConfig: unit.config)
    }

    /// A sweep starts from the same unpruned model as the grid's `none` run: copy it over
    /// instead of training it twice.
    func reuseTrainedModel(for sweep: SweepConfig, store: UnitStore) {
        let unit = GridUnit(config: sweep.base, matched: false)
        let model = contentKey(sweep.base)
        let checkpoint = checkpointURL(unit.key), record = store.resultURL(unit.key)
        let fm = FileManager.default
        guard fm.fileExists(atPath: record.path), fm.fileExists(atPath: checkpoint.path),
              !fm.fileExists(atPath: layout.sweeps.modelRecord(model).path),
              let c = try? Data(contentsOf: checkpoint), let r = try? Data(contentsOf: record) else { return }
        try? AtomicFile.write(c, to: layout.sweeps.modelCheckpoint(model))
        try? AtomicFile.write(r, to: layout.sweeps.modelRecord(model))
    }

    /// Merges shard directories (runs, checkpoints, sweeps) into this grid's directory.
    @discardableResult
    public static func merge(shards: [URL], into directory: URL) throws -> Int {
        let into = GridDirectory(directory)
        let store = try UnitStore(directory: into.runs)
        var copied = 0
        for shard in shards.map(GridDirectory.init) {
            copied += try store.merge(from: UnitStore(directory: shard.runs))
            let names = (try? FileManager.default.contentsOfDirectory(atPath: shard.checkpoints.path)) ?? []
            for name in names where GridDirectory.isCheckpointFile(name) {
                let to = into.checkpoints.appendingPathComponent(name)
                if !FileManager.default.fileExists(atPath: to.path) {
                    try AtomicFile.write(Data(contentsOf: shard.checkpoints.appendingPathComponent(name)), to: to)
                }
            }
            copied += try SweepRunner.merge(shards: [shard.sweeps.root], into: into.sweeps.root)
            let yaml = shard.config, target = into.config
            if FileManager.default.fileExists(atPath: yaml.path) && !FileManager.default.fileExists(atPath: target.path) {
                try AtomicFile.write(Data(contentsOf: yaml), to: target)
            }
        }
        return copied
    }

    /// Every finished run record of the grid, in unit order.
    public func records() throws -> [RunRecord] {
        let store = try UnitStore(directory: runsDirectory)
        return try config.trainingUnits().compactMap { try store.load(RunRecord.self, key: $0.key) }
    }

    /// Post-training curves of every finished sweep.
    public func sweepResults() throws -> [SweepResult] {
        try config.sweepConfigs().compactMap { sweep in
            let url = layout.sweeps.result(SweepRunner.resultKey(sweep))
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            return try JSONCoding.decoder().decode(SweepResult.self, from: Data(contentsOf: url))
        }
    }

    func writeSummary(store: UnitStore) throws {
        // No wall-clock columns: a resumed or sharded grid gives the identical summary.
        var runs = ["dataset,network,method,matched,protocol,seed,epochs,status,test_accuracy,neuron_compression,parameter_compression,parameter_compression_released,layer_collapse,units_came_back,unit"]
        for unit in config.trainingUnits() {
            guard let r = try store.load(RunRecord.self, key: unit.key) else { continue }
            let c = r.compressionStandard, cr = r.compressionReleased
            runs.append(CSV.line([r.config.dataset.rawValue, r.config.network.description, r.config.method.description,
                         "\(unit.matched)", r.config.protocolVariant.rawValue, "\(r.config.seed)", "\(r.epochs.count)",
                         r.status.rawValue, String(format: "%.6f", r.testAccuracy),
                         String(format: "%.4f", c?.neuronCompression ?? 0), String(format: "%.4f", c?.parameterCompression ?? 0),
                         String(format: "%.4f", cr?.parameterCompression ?? 0), "\(c?.layerCollapsed ?? false)",
                         "\(r.unitsCameBack)", unit.key]))
        }
        var curves = ["dataset,network,seed,curve_protocol,criterion,level,end_point,neuron_compression,parameter_compression,test_accuracy,layer_collapse,unit"]
        for s in try sweepResults() {
            for p in s.points {
                curves.append(CSV.line([s.config.base.dataset.rawValue, s.config.base.network.description, "\(s.config.base.seed)",
                               s.config.resolvedProtocol.rawValue, p.criterion, p.level.map { String(format: "%.4f", $0) } ?? "", "\(p.endPoint)",
                               String(format: "%.4f", p.neuronCompression), String(format: "%.4f", p.parameterCompression),
                               String(format: "%.6f", p.testAccuracy), "\(p.layerCollapsed)", p.unit]))
            }
        }
        try AtomicFile.write(Data((runs.joined(separator: "\n") + "\n").utf8), to: layout.runsSummary)
        try AtomicFile.write(Data((curves.joined(separator: "\n") + "\n").utf8), to: layout.curvesSummary)
    }
}

/// Loads each data set split once per (data set, split seed, validation share).
struct DataCache {
    let load: (TrainingConfig) throws -> (DatasetSplits, URL)
    var cache: [String: (DatasetSplits, String)] = [:]

    init(load: @escaping (TrainingConfig) throws -> (DatasetSplits, URL)) { self.load = load }

    mutating func splits(for config: TrainingConfig) throws -> (DatasetSplits, String) {
        let key = "\(config.dataset.rawValue)|\(config.derivedSeed(.dataSplit))|\(config.validationFraction)"
        if let hit = cache[key] { return hit }
        let (splits, directory) = try load(config)
        cache[key] = (splits, directory.path)
        return (splits, directory.path)
    }
}
