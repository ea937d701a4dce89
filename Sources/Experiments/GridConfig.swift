import Foundation
import BayesianPruning
import Datasets
import NeuralCore
import Yams

/// An experiment grid (`bmrs grid CONFIG`): data sets × networks × methods × seeds of
/// continuous-pruning runs, optional post-training curves and a BMRS_U precision sweep.
/// Read from YAML or JSON (by extension; YAML is a superset of JSON). Keys are snake_case.
public struct GridConfig: Codable, Hashable, Sendable {
    public struct NetworkChoice: Codable, Hashable, Sendable {
        public var kind: NetworkSpec.Kind
        public var hidden: Int?
        public var depth: Int?
        /// This network's own methods, matched methods and seeds instead of the grid's
        /// (e.g. fewer runs for the slower LeNet5 in a short profile).
        public var methods: [PruningMethod]?
        public var matched: [PruningMethod]?
        public var seeds: [UInt64]?
        public init(kind: NetworkSpec.Kind, hidden: Int? = nil, depth: Int? = nil,
                    methods: [PruningMethod]? = nil, matched: [PruningMethod]? = nil, seeds: [UInt64]? = nil) {
            self.kind = kind; self.hidden = hidden; self.depth = depth
            self.methods = methods; self.matched = matched; self.seeds = seeds
        }
        func spec(channels: Int) -> NetworkSpec {
            kind == .mlp ? .mlp(inputChannels: channels, hidden: resolvedHidden, depth: resolvedDepth) : .lenet5(channels: channels)
        }
        /// The MLP's width and depth, `NetworkSpec.mlp()`'s (the paper's H = 50, D = 5) where
        /// the file gives none.
        public var resolvedHidden: Int { hidden ?? NetworkSpec.mlp().hidden }
        public var resolvedDepth: Int { depth ?? NetworkSpec.mlp().depth }
    }

    public struct Curves: Codable, Hashable, Sendable {
        public var levels = 100
        public var criteria: [PruningMethod] = PruningMethod.curveCriteria
        public var finetuneEpochs = 1
        /// The model the curves prune: `final` (default: the last epoch of an unpruned
        /// run of `train_epochs` epochs, as the authors' post-training script) or `best`
        /// (its best-validation epoch; without `train_epochs`, the grid's own `none` run).
        public var model: ReportedModel?
        /// Epochs of the curves' unpruned model (default 20, the authors' `--n_epochs`).
        public var trainEpochs: Int?
        /// Networks that get curves (default: all of the grid's).
        public var networks: [NetworkSpec.Kind]?
        public static let defaultTrainEpochs = 20
        /// How figures average curves over seeds: `grid` (default: each seed interpolated
        /// onto a common compression grid) or `position` (the authors' code: by list
        /// position, averaging where present).
        public var averaging: CurveAveraging?
        /// How the fine-tunes are run (`CurveProtocol`): `ours` (default) or `released`, or a
        /// list of both to draw them over each other.
        public var protocols: CurveProtocols?
        public init() {}
        enum CodingKeys: String, CodingKey, CaseIterable {
            case levels, criteria, finetuneEpochs = "finetune_epochs", model, trainEpochs = "train_epochs", networks, averaging
            case protocols = "protocol"
        }
    }

    public enum CurveAveraging: String, Codable, Hashable, Sendable { case grid, position }

    /// `protocol: released` or `protocol: [ours, released]`.
    public struct CurveProtocols: Codable, Hashable, Sendable {
        public var values: [CurveProtocol]
        public init(_ values: [CurveProtocol]) { self.values = values }
        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let one = try? c.decode(CurveProtocol.self) { values = [one] } else { values = try c.decode([CurveProtocol].self) }
            if values.isEmpty || Set(values).count != values.count {
                throw ConfigError(field: "curves.protocol", expected: "ours, released, or a list of distinct ones",
                                  found: values.map(\.rawValue).joined(separator: ", "))
            }
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            if values.count == 1 { try c.encode(values[0]) } else { try c.encode(values) }
        }
    }

    public struct Slurm: Codable, Hashable, Sendable {
        public var shards = 4
        public var cpusPerTask = 2
        public var time = "04:00:00"
        public var memory = "4G"
        public var partition: String?
        public init() {}
        enum CodingKeys: String, CodingKey, CaseIterable { case shards, cpusPerTask = "cpus_per_task", time, memory, partition }
    }

    public var name: String
    public var datasets: [DatasetName]
    public var networks: [NetworkChoice]
    public var methods: [PruningMethod]
    /// Methods also run matched to BMRS_N's neuron compression of the same seed (SPEC §5).
    public var matched: [PruningMethod]?
    /// The BMRS_N run the matched runs take their pruned share from: `bmrs-n` (default) or
    /// `bmrs-n-released`.
    public var matchedTo: PruningMethod?
    public var seeds: [UInt64]
    public var epochs: Int
    public var finetuneEpochs: Int?
    public var batchSize: Int?
    public var learningRate: Double?
    public var trainLimit: Int?
    public var validationLimit: Int?
    public var protocolVariant: ProtocolVariant?
    /// BMRS_U-p continuous-pruning runs for these p (the "BMRS_U can be tuned" figure).
    public var precisions: [Int]?
    public var curves: Curves?
    public var slurm: Slurm?
    /// Free text for the report's setup section (e.g. what a short profile cuts from
    /// SPEC §5's protocol).
    public var notes: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, datasets, networks, methods, matched, matchedTo = "matched_to", seeds, epochs, finetuneEpochs = "finetune_epochs"
        case batchSize = "batch_size", learningRate = "learning_rate", trainLimit = "train_limit", validationLimit = "validation_limit"
        case protocolVariant = "protocol", precisions, curves, slurm, notes
    }

    /// Reads a YAML or JSON grid file; errors name the file and the problem.
    public static func load(_ url: URL) throws -> GridConfig {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ConfigError(field: url.path, expected: "a readable YAML or JSON grid file", found: error.localizedDescription)
        }
        do {
            try checkKeys(text)
            let decoder = YAMLDecoder()
            let config = try decoder.decode(GridConfig.self, from: text, userInfo: [:])
            try config.validate()
            return config
        } catch let error as ConfigError {
            throw ConfigError(field: "\(url.path): \(error.field)", expected: error.expected, found: error.found)
        } catch {
            throw ConfigError(field: url.path, expected: "a grid config (see README, \"Grids\")", found: "\(error)")
        }
    }

    /// Every key of the file must be one the grid knows: a typo (`learning-rate` for
    /// `learning_rate`) would otherwise run silently with the default.
    static func checkKeys(_ text: String) throws {
        // The composed node tree, not `Yams.load`: its untyped constructor force-unwraps a
        // mapping key that is not a string (`? [a]`), a crash found by fuzzing.
        guard let root = try Yams.compose(yaml: text), let top = root.mapping else { return }
        func check(_ mapping: Node.Mapping, known: [String], path: String) throws -> [String: Node] {
            let object = try stringKeyed(mapping, path: path)
            for key in object.keys.sorted() where !known.contains(key) {
                let closest = known.min { editDistance(key, $0) < editDistance(key, $1) }
                let hint = closest.map { editDistance(key, $0) <= max(2, key.count / 3) ? " (did you mean '\($0)'?)" : "" } ?? ""
                throw ConfigError(field: path.isEmpty ? key : "\(path).\(key)",
                                  expected: "one of the known keys \(known.joined(separator: ", "))\(hint)", found: "an unknown key")
            }
            return object
        }
        let object = try check(top, known: CodingKeys.allCases.map(\.stringValue), path: "")
        if let curves = object["curves"]?.mapping {
            _ = try check(curves, known: Curves.CodingKeys.allCases.map(\.stringValue), path: "curves")
        }
        if let slurm = object["slurm"]?.mapping {
            _ = try check(slurm, known: Slurm.CodingKeys.allCases.map(\.stringValue), path: "slurm")
        }
        for (i, network) in (object["networks"]?.sequence.map(Array.init) ?? []).enumerated() {
            if let n = network.mapping {
                _ = try check(n, known: ["kind", "hidden", "depth", "methods", "matched", "seeds"], path: "networks[\(i)]")
            }
        }
    }

    /// A mapping's entries by key as the decoder reads them: merge keys (`<<: *defaults`)
    /// replaced by what they merge in (later entries win), any key that is not a plain
    /// scalar an error.
    private static func stringKeyed(_ mapping: Node.Mapping, path: String, depth: Int = 0) throws -> [String: Node] {
        var entries: [String: Node] = [:]
        var merged: [String: Node] = [:]
        for (key, value) in mapping {
            if key.tag.description == Tag.Name.merge.rawValue, depth < 32 {
                let sources = value.mapping.map { [$0] } ?? value.sequence?.compactMap(\.mapping) ?? []
                for source in sources {
                    merged.merge(try stringKeyed(source, path: path, depth: depth + 1)) { first, _ in first }
                }
            } else if let name = key.scalar?.string {
                entries[name] = value
            } else {
                throw ConfigError(field: path.isEmpty ? "(top level)" : path,
                                  expected: "plain text keys", found: "a \(key.sequence != nil ? "list" : "mapping") used as a key")
            }
        }
        return entries.merging(merged) { own, _ in own }
    }

    public func validate() throws {
        if datasets.isEmpty { throw ConfigError(field: "datasets", expected: "at least one", found: "none") }
        if networks.isEmpty { throw ConfigError(field: "networks", expected: "at least one", found: "none") }
        if seeds.isEmpty { throw ConfigError(field: "seeds", expected: "at least one", found: "none") }
        if epochs < 1 { throw ConfigError(field: "epochs", expected: "≥ 1", found: "\(epochs)") }
        if let m = (matched ?? []).first(where: { !$0.prunes || $0.isThresholdless }) {
            throw ConfigError(field: "matched", expected: "l2, etheta or snr", found: "\(m)")
        }
        for (i, n) in networks.enumerated() {
            if let m = (n.matched ?? []).first(where: { !$0.prunes || $0.isThresholdless }) {
                throw ConfigError(field: "networks[\(i)].matched", expected: "l2, etheta or snr", found: "\(m)")
            }
            if n.seeds?.isEmpty == true { throw ConfigError(field: "networks[\(i)].seeds", expected: "at least one", found: "none") }
        }
        if let m = matchedTo, m != .bmrsN && m != .bmrsNReleased {
            throw ConfigError(field: "matched_to", expected: "bmrs-n or bmrs-n-released", found: "\(m)")
        }
        if let p = precisions?.first(where: { !BMRSUCriterion.precisions.contains($0) }) {
            throw ConfigError(field: "precisions", expected: "values in 1…22", found: "\(p)")
        }
        for unit in trainingUnits() { try unit.config.validate() }
    }

    /// The training runs of the grid: every method and precision, then the matched runs
    /// (which need the BMRS_N record of the same data set, network and seed).
    public func trainingUnits() -> [GridUnit] {
        var first: [GridUnit] = [], second: [GridUnit] = []
        for dataset in datasets {
            for network in networks {
                for seed in network.seeds ?? seeds {
                    var base = TrainingConfig()
                    base.dataset = dataset
                    base.network = network.spec(channels: dataset.channels)
                    base.seed = seed
                    base.epochs = epochs
                    base.finetuneEpochs = resolvedFinetuneEpochs
                    base.batchSize = resolvedBatchSize
                    base.learningRate = Float(resolvedLearningRate)
                    base.trainLimit = trainLimit
                    base.validationLimit = validationLimit
                    base.protocolVariant = protocolVariant ?? .standard
                    var all = network.methods ?? methods
                    for p in precisions ?? [] where !all.contains(.bmrsU(precisionBits: p)) { all.append(.bmrsU(precisionBits: p)) }
                    for m in all { var c = base; c.method = m; first.append(GridUnit(config: c, matched: false)) }
                    for m in network.matched ?? matched ?? [] {
                        var c = base; c.method = m
                        second.append(GridUnit(config: c, matched: true, matchedTo: matchedTo == .bmrsN ? nil : matchedTo))
                    }
                }
            }
        }
        return first + second
    }

    /// The base configs of the post-training curves (one unpruned model per data set ×
    /// network × seed).
    public func sweepConfigs() -> [SweepConfig] {
        guard let curves else { return [] }
        var seen = Set<TrainingConfig>()
        return trainingUnits().flatMap { unit -> [SweepConfig] in
            var base = unit.config
            base.method = .none
            if let kinds = curves.networks, !kinds.contains(base.network.kind) { return [] }
            if curves.model != .best || curves.trainEpochs != nil {
                base.epochs = curves.trainEpochs ?? Curves.defaultTrainEpochs
                base.finetuneEpochs = 0
                base.reportedModel = curves.model ?? .final
            }
            guard seen.insert(base).inserted else { return [] }
            return (curves.protocols?.values ?? [.ours]).map { curveProtocol in
                var s = SweepConfig(base: base)
                s.levels = curves.levels
                s.criteria = curves.criteria
                s.finetuneEpochs = curves.finetuneEpochs
                s.curveProtocol = curveProtocol == .ours ? nil : curveProtocol
                return s
            }
        }
    }

    /// The profiles that ship with bmrs (`bmrs grid --profile NAME`).
    public static func profile(_ name: String) -> GridConfig? {
        switch name {
        case "quick":
            // The first thing a user runs (≈ 5 min of grid on 2 cores): the MLP on the full
            // Fashion-MNIST training set, in the pruning regime. Continuous pruning sets in with
            // the number of steps (SNR at epoch ~5, BMRS_U-8 ~6 of 1,500 steps each) and passes
            // 80 % of neurons by ~15, so SPEC §5's 50 + 10 epochs are cut to 15 + 3, seeds to
            // two, validation to 5,000 images and curves to 11 levels, pruning the unpruned
            // run's final model. LeNet5 (≈ 10× the MLP's step) has a profile of its own.
            GridConfig(name: "quick", datasets: [.fashionMNIST],
                       networks: [NetworkChoice(kind: .mlp)],
                       methods: PruningMethod.allMethods, matched: [.l2], matchedTo: .bmrsNReleased, seeds: [100, 1000],
                       epochs: 15, finetuneEpochs: 3, batchSize: 32, learningRate: 1e-3, trainLimit: nil,
                       validationLimit: 5000, protocolVariant: .standard, precisions: nil,
                       curves: quickCurves, slurm: nil,
                       notes: "A short profile, cut from SPEC §5's protocol so that it runs in minutes on a laptop while "
                           + "continuous pruning has set in: the MLP only, 15 + 3 epochs instead of 50 + 10 (on the full training "
                           + "set, SNR starts pruning at epoch ~5 and BMRS_U-8 at ~6, both past 80 % of neurons by ~15), 2 seeds "
                           + "instead of 10, validation on 5,000 of the 12,000 held-out images, and curves with 11 levels instead "
                           + "of 100, pruning the final model of the 18-epoch unpruned run. Matched L2 is cut at the share BMRS_N "
                           + "with the released constant pruned. `bmrs report --profile quick-lenet5` adds LeNet5 in the same "
                           + "regime; `bmrs report --profile paper` runs the whole protocol.")
        case "quick-lenet5":
            // quick's regime for LeNet5, whose step costs ~10× the MLP's: one seed and the
            // methods that show the contrast (≈ 7 min of grid on 2 cores).
            GridConfig(name: "quick-lenet5", datasets: [.fashionMNIST],
                       networks: [NetworkChoice(kind: .lenet5)],
                       methods: [.none, .snr, .bmrsN, .bmrsNReleased, .bmrsU(precisionBits: 8)], matched: [], seeds: [1000],
                       epochs: 15, finetuneEpochs: 3, batchSize: 32, learningRate: 1e-3, trainLimit: nil,
                       validationLimit: 5000, protocolVariant: .standard, precisions: nil,
                       curves: quickCurves, slurm: nil,
                       notes: "LeNet5 in the regime of the `quick` profile, cut from SPEC §5's protocol: 15 + 3 epochs instead "
                           + "of 50 + 10, one seed instead of 10, the methods none, SNR, BMRS_N with either constant and BMRS_U-8, "
                           + "validation on 5,000 of the 12,000 held-out images, and curves with 11 levels instead of 100, pruning "
                           + "the final model of the 18-epoch unpruned run.")
        case "paper":
            // SPEC §5: 50 + 10 epochs, 10 seeds, all three data sets, curves with 100 levels.
            GridConfig(name: "paper", datasets: [.mnist, .fashionMNIST, .cifar10],
                       networks: [NetworkChoice(kind: .mlp), NetworkChoice(kind: .lenet5)],
                       methods: PruningMethod.allMethods, matched: [.l2, .etheta], seeds: [100, 1000, 1001, 2001, 50, 5000, 66, 666, 7, 744],
                       epochs: 50, finetuneEpochs: 10, batchSize: 32, learningRate: 1e-3, trainLimit: nil,
                       validationLimit: nil, protocolVariant: .standard, precisions: [2, 4, 6, 8, 12, 16], curves: Curves(), slurm: Slurm())
        default: nil
        }
    }

    public static let profiles = ["quick", "quick-lenet5", "paper"]

    /// The curves of both quick profiles: 11 levels on the final model of an 18-epoch unpruned run.
    private static var quickCurves: Curves {
        var c = Curves()
        c.levels = 11
        c.trainEpochs = 18
        return c
    }

    public func yaml() throws -> String { try YAMLEncoder().encode(self) }
}

/// One training run of a grid; `matched` runs take BMRS_N's pruned share (SPEC §5).
public struct GridUnit: Codable, Hashable, Sendable {
    public var config: TrainingConfig
    public var matched: Bool
    /// The method of the run a matched unit is cut against; nil: `bmrs-n` (and the key of
    /// every grid written before this option existed).
    public var matchedTo: PruningMethod?
    public var key: String { contentKey(self) }

    public init(config: TrainingConfig, matched: Bool, matchedTo: PruningMethod? = nil) {
        self.config = config
        self.matched = matched
        self.matchedTo = matchedTo
    }

    /// The BMRS_N run a matched unit is cut against.
    public var reference: GridUnit {
        var c = config
        c.method = matchedTo ?? .bmrsN
        return GridUnit(config: c, matched: false)
    }
}

/// Levenshtein distance (for suggesting the closest known key).
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var previous = row[0]
        row[0] = i
        for j in 1...max(b.count, 1) where !b.isEmpty {
            let current = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = current
        }
    }
    return a.isEmpty ? b.count : row[b.count]
}

extension GridConfig {
    /// The grid's settings with `TrainingConfig`'s defaults where the file gives none: one
    /// place for the runs the grid trains and the prose its report writes about them.
    public var resolvedFinetuneEpochs: Int { finetuneEpochs ?? TrainingConfig().finetuneEpochs }
    public var resolvedBatchSize: Int { batchSize ?? TrainingConfig().batchSize }
    /// A Double, as the file writes it: `TrainingConfig`'s Float 1e-3 widened would read
    /// 0.0010000000474974513 in the report's prose.
    public var resolvedLearningRate: Double { learningRate ?? 1e-3 }
}
