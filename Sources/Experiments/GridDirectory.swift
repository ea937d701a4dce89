import Foundation

/// The layout of a grid directory: every path that `grid run`, its sweeps, `grid merge`
/// and `report` read or write, named once here so that a file moves in one place.
///
///     grid.yaml                                  the resolved config
///     runs/<key>.json                            one run record per training unit (content-addressed)
///     runs/checkpoints/<key>.bin                 its reported checkpoint (written before the record)
///     runs/checkpoints/<key>.final.bin           the last epoch of an unpruned (`none`) run
///     runs/checkpoints/<key>[.final].model.json  what a report reads of that model (``ModelAnalysis``)
///     runs/prefixes/<key>/                       the saved states the runs of a seed fork from
///     sweeps/                                    post-training curves (``SweepDirectory``)
///     results/runs.csv, results/curves.csv       the summary, once every unit exists
///     results/wall-seconds.txt                   wall time of the `bmrs report` that ran the grid
public struct GridDirectory: Sendable, Hashable {
    public let root: URL

    public init(_ root: URL) {
        self.root = root
    }

    public var config: URL { root.appendingPathComponent("grid.yaml") }

    /// The unit store of the training runs (records, locks, `rejected/`).
    public var runs: URL { root.appendingPathComponent("runs") }
    public var checkpoints: URL { runs.appendingPathComponent("checkpoints") }
    public func checkpoint(_ key: String) -> URL { checkpoints.appendingPathComponent("\(key).bin") }
    /// The last-epoch network of an unpruned (`none`) run, beside its reported checkpoint.
    public func finalCheckpoint(_ key: String) -> URL { checkpoints.appendingPathComponent("\(key).final.bin") }
    public func prefix(_ key: String) -> URL { runs.appendingPathComponent("prefixes").appendingPathComponent(key) }

    public var sweeps: SweepDirectory { SweepDirectory(root.appendingPathComponent("sweeps")) }

    public var results: URL { root.appendingPathComponent("results") }
    public var runsSummary: URL { results.appendingPathComponent("runs.csv") }
    public var curvesSummary: URL { results.appendingPathComponent("curves.csv") }
    /// Written by `bmrs report` after running the grid, so that `report --from` states it too.
    public var wallSeconds: URL { results.appendingPathComponent("wall-seconds.txt") }

    /// The file beside a checkpoint (`….bin`) that holds its ``ModelAnalysis``.
    public static func analysis(ofCheckpoint checkpoint: URL) -> URL {
        checkpoint.deletingPathExtension().appendingPathExtension("model.json")
    }

    /// Whether `name` is one of the files of `runs/checkpoints/` that `grid merge` copies.
    static func isCheckpointFile(_ name: String) -> Bool { name.hasSuffix(".bin") || name.hasSuffix(".model.json") }
}

/// The layout of a sweep directory: `bmrs sweep --out DIR`, or a grid's `sweeps/`.
///
///     models/<model>/checkpoint.bin, run.json    the unpruned model the curves prune
///     models/<model>/taylor-scores.json          its Taylor scores (one pass of the training data)
///     models/<model>/checkpoint.model.json       what a report reads of it (``ModelAnalysis``)
///     units/<unit>.json                          one fine-tuned mask (content-addressed)
///     sweep-<model>.json                         the curves, once every unit exists
public struct SweepDirectory: Sendable, Hashable {
    public let root: URL

    public init(_ root: URL) {
        self.root = root
    }

    var models: URL { root.appendingPathComponent("models") }
    public func model(_ key: String) -> URL { models.appendingPathComponent(key) }
    public func modelCheckpoint(_ key: String) -> URL { model(key).appendingPathComponent(TrainingSession.checkpointFileName) }
    public func modelRecord(_ key: String) -> URL { model(key).appendingPathComponent(TrainingSession.recordFileName) }
    func taylorScores(_ key: String) -> URL { model(key).appendingPathComponent(Self.taylorFileName) }
    /// The model's training state after its last steps (where released-protocol chains start).
    func modelFinalState(_ key: String) -> URL { model(key).appendingPathComponent(Self.finalStateFileName) }
    /// Released-protocol chains in flight: the results so far and the state after the last
    /// finished level (removed when the chain's unit is saved; never merged).
    var chains: URL { root.appendingPathComponent("chains") }
    func chainProgress(_ key: String) -> URL { chains.appendingPathComponent("\(key).json") }
    func chainState(_ key: String, levels: Int) -> URL { chains.appendingPathComponent("\(key).state-\(levels).bin") }
    /// Where a given start model came from (`StartModel`), for sweeps that did not train theirs.
    public func startModel(_ key: String) -> URL { model(key).appendingPathComponent(Self.startModelFileName) }
    public var units: URL { root.appendingPathComponent("units") }
    /// The curves of one model.
    public func result(_ key: String) -> URL { root.appendingPathComponent("sweep-\(key).json") }

    static let taylorFileName = "taylor-scores.json"
    static let finalStateFileName = "final-state.bin"
    static let startModelFileName = "start-model.json"
    /// The files of a model's folder that `merge` copies.
    static let modelFiles = [TrainingSession.checkpointFileName, TrainingSession.recordFileName, taylorFileName, finalStateFileName,
                             startModelFileName,
                             GridDirectory.analysis(ofCheckpoint: URL(fileURLWithPath: TrainingSession.checkpointFileName)).lastPathComponent]
}
