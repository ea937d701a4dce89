import Foundation
import Analysis
import BayesianPruning
import NeuralCore

/// What `bmrs report --models DIR` shows of one model trained elsewhere, as plain values
/// (Reporting never sees the network): the mask stored in the file and its compression,
/// the metrics file written beside it, every criterion's default decision recomputed from
/// μ and log σ and how far it agrees with the stored mask, and the criteria's Spearman
/// matrix (the heatmap).
public struct ImportedModelSummary: Codable, Sendable, Equatable {
    /// A metric as the authors' JSON holds it: a number, or anything else as text.
    public enum Metric: Codable, Sendable, Equatable {
        case number(Double)
        case text(String)

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Double.self) { self = .number(v); return }
            if let v = try? c.decode(String.self) { self = .text(v); return }
            if let v = try? c.decode(Bool.self) { self = .text(String(v)); return }
            if c.decodeNil() { self = .text("null"); return }
            self = .text("(a list or object)")
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .number(let v): try c.encode(v)
            case .text(let v): try c.encode(v)
            }
        }
    }

    /// The masks stored in the file, over every noise layer (a layer without a mask counts as all kept).
    public struct StoredMask: Codable, Sendable, Equatable {
        public init(pruned: Int, prunedPerLayer: [Int], neuronCompression: Double, parameterCompression: Double) {
            self.pruned = pruned
            self.prunedPerLayer = prunedPerLayer
            self.neuronCompression = neuronCompression
            self.parameterCompression = parameterCompression
        }

        public var pruned: Int
        public var prunedPerLayer: [Int]
        /// % of structures pruned.
        public var neuronCompression: Double
        /// % of parameters removed with them (SPEC §6 counting).
        public var parameterCompression: Double
    }

    /// One criterion's default rule (SPEC §2) on the file's posteriors and weights.
    public struct CriterionDecision: Codable, Sendable, Equatable {
        public init(criterion: String, pruned: Int, prunedPerLayer: [Int], agreeWithStored: Int? = nil,
                    keptButPrunable: Int? = nil, prunedButKeepable: Int? = nil) {
            self.criterion = criterion
            self.pruned = pruned
            self.prunedPerLayer = prunedPerLayer
            self.agreeWithStored = agreeWithStored
            self.keptButPrunable = keptButPrunable
            self.prunedButKeepable = prunedButKeepable
        }

        /// Display name (`PruningMethod.displayName`).
        public var criterion: String
        public var pruned: Int
        public var prunedPerLayer: [Int]
        /// Structures whose decision equals the stored mask's (nil without a stored mask).
        public var agreeWithStored: Int?
        /// Kept by the stored mask, pruned by this criterion now.
        public var keptButPrunable: Int?
        /// Pruned by the stored mask, kept by this criterion now.
        public var prunedButKeepable: Int?
    }

    public var file: String
    /// The reader's line: format, layout, network.
    public var source: String
    public var notes: [String]
    public var network: String
    public var structures: Int
    public var structuresPerLayer: [Int]
    public var metricsFile: String?
    /// Sorted by name in the report; as in the file here.
    public var metrics: [String: Metric]
    public var storedMask: StoredMask?
    public var decisions: [CriterionDecision]
    public var correlations: LabeledMatrix

    /// The criteria whose default decisions are compared with the stored mask: the paper's
    /// heatmap criteria and BMRS_N with the released code's constant (the authors' runs used it).
    public static let criteria: [any PruningCriterion] = CriterionCorrelation.paperCriteria + [BMRSNCriterion(constant: .released)]

    /// The values as given (reports built from stored summaries, tests).
    public init(file: String, source: String, notes: [String], network: String, structures: Int, structuresPerLayer: [Int],
                metricsFile: String?, metrics: [String: Metric], storedMask: StoredMask?, decisions: [CriterionDecision], correlations: LabeledMatrix) {
        self.file = file
        self.source = source
        self.notes = notes
        self.network = network
        self.structures = structures
        self.structuresPerLayer = structuresPerLayer
        self.metricsFile = metricsFile
        self.metrics = metrics
        self.storedMask = storedMask
        self.decisions = decisions
        self.correlations = correlations
    }

    /// `storedMasks`: per noise layer, the mask read from the file (nil where it had none).
    public init(file: String, source: String, notes: [String], network: Network, storedMasks: [[Float]?],
                metricsFile: String?, metrics: [String: Metric], settings: CriterionSettings = CriterionSettings()) {
        self.file = file
        self.source = source
        self.notes = notes
        self.network = network.spec.description
        self.metricsFile = metricsFile
        self.metrics = metrics
        let statistics = Structures.statistics(network)
        structuresPerLayer = statistics.map(\.count)
        structures = structuresPerLayer.reduce(0, +)
        let hasStored = storedMasks.contains { $0 != nil }
        let stored: [[Bool]] = zip(storedMasks, structuresPerLayer).map { mask, n in mask.map { $0.map { $0 != 0 } } ?? [Bool](repeating: true, count: n) }
        if hasStored {
            let report = CompressionReport(network: network, keep: stored)
            let perLayer = stored.map { $0.filter { !$0 }.count }
            storedMask = StoredMask(pruned: perLayer.reduce(0, +), prunedPerLayer: perLayer,
                                    neuronCompression: report.neuronCompression, parameterCompression: report.parameterCompression)
        }
        let configured: [any PruningCriterion] = Self.criteria.map { c in
            switch c {
            case is L2Criterion: L2Criterion(threshold: settings.l2Threshold)
            case is SNRCriterion: SNRCriterion(threshold: settings.snrThreshold)
            case is ExpectedThetaCriterion: ExpectedThetaCriterion(threshold: settings.ethetaThreshold)
            default: c
            }
        }
        decisions = configured.map { criterion in
            let keep = PruningDecision(criterion: criterion, statistics: statistics).keep
            let perLayer = keep.map { $0.filter { !$0 }.count }
            var decision = CriterionDecision(criterion: CriterionCorrelation.displayName(criterion), pruned: perLayer.reduce(0, +),
                                             prunedPerLayer: perLayer)
            if hasStored {
                let pairs = zip(keep.joined(), stored.joined())
                decision.agreeWithStored = pairs.filter { $0 == $1 }.count
                decision.keptButPrunable = pairs.filter { !$0 && $1 }.count
                decision.prunedButKeepable = pairs.filter { $0 && !$1 }.count
            }
            return decision
        }
        correlations = CriterionCorrelation.matrix(for: network, criteria: Self.criteria).correlations
    }

    /// The criterion whose decisions agree with the stored mask on the most structures
    /// (the first of equals, in `criteria` order); nil without a stored mask.
    public var bestExplainingCriterion: CriterionDecision? {
        decisions.filter { $0.agreeWithStored != nil }.max { ($0.agreeWithStored ?? 0) < ($1.agreeWithStored ?? 0) }
    }
}

/// A folder of models trained elsewhere and their metrics files, as `bmrs report --models`
/// reads it. Model files: `*.pth`, `*.pt`, `*.safetensors`, `*.npz`, `*.bin` (bmrs
/// checkpoints). The metrics of `<stem>.<ext>` are the first of
///
/// 1. `<stem>.json`, `<stem>_metrics.json`, `<stem>.metrics.json` beside it;
/// 2. the authors' naming: their train.py saves `{dataset}_{network}_{seed}.pth` in
///    `--output_dir` and `{seed}.json` in `--metrics_dir`, so for a stem ending in `_<seed>`,
///    `<seed>.json` beside it or in a `metrics/` subfolder.
public enum ImportedModelFolder {
    public struct Entry: Sendable, Equatable {
        public var model: URL
        public var metrics: URL?
    }

    public static let modelExtensions: Set<String> = ["pth", "pt", "safetensors", "npz", "bin"]

    /// The model files of `directory` in name order, each with its metrics file if one is found.
    public static func entries(in directory: URL) throws -> [Entry] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw ConfigError(field: "--models", expected: "a readable folder of model files", found: "\(directory.path): \(error.localizedDescription)")
        }
        let models = names.filter { modelExtensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".") }.sorted()
        guard !models.isEmpty else {
            throw ConfigError(field: "--models", expected: "model files (\(modelExtensions.sorted().map { "*." + $0 }.joined(separator: ", "))) in \(directory.path)",
                              found: names.isEmpty ? "an empty folder" : "\(names.count) other file(s)")
        }
        return models.map { name in
            let model = directory.appendingPathComponent(name)
            return Entry(model: model, metrics: metricsFile(for: model))
        }
    }

    /// The metrics file of `model` by the rules above, nil when there is none.
    public static func metricsFile(for model: URL) -> URL? {
        let directory = model.deletingLastPathComponent()
        let stem = model.deletingPathExtension().lastPathComponent
        var candidates = ["\(stem).json", "\(stem)_metrics.json", "\(stem).metrics.json"].map { directory.appendingPathComponent($0) }
        if let seed = stem.split(separator: "_").last, stem.contains("_"), seed.allSatisfy(\.isNumber) {
            candidates += [directory.appendingPathComponent("\(seed).json"),
                           directory.appendingPathComponent("metrics").appendingPathComponent("\(seed).json")]
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// The metrics of a JSON object file (`{"compression": …, "val_acc": …, "test_acc": …}`).
    public static func readMetrics(_ url: URL) throws -> [String: ImportedModelSummary.Metric] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigError(field: "metrics file", expected: "a readable JSON file", found: "\(url.path): \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode([String: ImportedModelSummary.Metric].self, from: data) } catch {
            throw ConfigError(field: "metrics file", expected: "a JSON object such as {\"compression\": …, \"val_acc\": …, \"test_acc\": …}",
                              found: "\(url.path): not a JSON object")
        }
    }
}
