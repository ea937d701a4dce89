import Foundation
import Analysis
import BayesianPruning
import NeuralCore
import FileOutput

/// What a report reads of one trained model: the per-layer posterior statistics (the
/// diagnostics figures) and the Spearman matrix of the criteria's scores (the heatmaps).
/// A grid computes it from the checkpoint when it trains the model and stores it beside
/// the checkpoint (``GridDirectory/analysis(ofCheckpoint:)``), so that a report reads
/// plain values and never loads a network.
public struct ModelAnalysis: Codable, Sendable, Equatable {
    /// Per noise layer, per structure: μ, log σ, ΔF, E[θ], SNR, incoming norm, mask.
    public var layers: [LayerPosteriorStatistics]
    /// The criteria of the paper's heatmap (``CriterionCorrelation/paperCriteria``), then
    /// the post-training criteria (Taylor, Random) whose scores the model's sweep computed,
    /// in `PruningMethod.postTrainingCriteria` order. ρ is pairwise, so the matrix of any
    /// subset of these criteria is the sub-matrix on their labels.
    public var correlations: LabeledMatrix
    /// The CRC-32 the checkpoint ends with (``Checkpoint``'s format), so that a stored
    /// analysis is not taken for a checkpoint written again since (a recomputed unit).
    public var checkpointChecksum: UInt32?

    public init(layers: [LayerPosteriorStatistics], correlations: LabeledMatrix, checkpointChecksum: UInt32? = nil) {
        self.layers = layers
        self.correlations = correlations
        self.checkpointChecksum = checkpointChecksum
    }

    /// `structureScores`: a sweep's scores of the criteria that are no function of one
    /// structure's statistics, by criterion name, per group (``SweepResult/structureScores``);
    /// a criterion joins the matrix when it has a score for every structure.
    public init(network: Network, structureScores: [String: [[Double]]]? = nil) {
        let structures = network.groups.reduce(0) { $0 + $1.noise.units }
        self.init(layers: PosteriorDiagnosticsInput.layers(of: network),
                  correlations: CriterionCorrelation.matrix(
                      for: network, additional: ModelAnalysis.additionalScores(structureScores, structures: structures)).correlations)
    }

    public init(checkpoint: URL, structureScores: [String: [[Double]]]? = nil) throws {
        self.init(network: try Checkpoint.load(checkpoint), structureScores: structureScores)
        checkpointChecksum = ModelAnalysis.trailingChecksum(of: checkpoint)
    }

    /// The last four bytes of a checkpoint file (its CRC-32, little-endian); nil when unreadable.
    static func trailingChecksum(of checkpoint: URL) -> UInt32? {
        guard let handle = try? FileHandle(forReadingFrom: checkpoint) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size >= 4, (try? handle.seek(toOffset: size - 4)) != nil,
              let bytes = try? handle.read(upToCount: 4), bytes.count == 4 else { return nil }
        return bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The post-training criteria of `scores` that have one score per structure, in
    /// `PruningMethod.postTrainingCriteria` order, lowest pruned first.
    static func additionalScores(_ scores: [String: [[Double]]]?, structures: Int) -> [CriterionScores] {
        PruningMethod.postTrainingCriteria.compactMap { method in
            guard let values = scores?[method.description]?.flatMap({ $0 }), values.count == structures else { return nil }
            return CriterionScores(name: method.displayName, scores: values, direction: .ascending)
        }
    }

    /// The analysis stored beside `checkpoint`, when it is of that checkpoint (or the
    /// checkpoint is gone) and has exactly the criteria `structureScores` gives the model
    /// (a sweep run later with other criteria makes it stale).
    static func stored(checkpoint: URL, structureScores: [String: [[Double]]]?) -> ModelAnalysis? {
        guard let data = try? Data(contentsOf: GridDirectory.analysis(ofCheckpoint: checkpoint)),
              let analysis = try? JSONCoding.decoder(keys: .declared).decode(ModelAnalysis.self, from: data) else { return nil }
        if FileManager.default.fileExists(atPath: checkpoint.path),
           analysis.checkpointChecksum == nil || analysis.checkpointChecksum != trailingChecksum(of: checkpoint) { return nil }
        let structures = analysis.layers.reduce(0) { $0 + $1.count }
        let expected = CriterionCorrelation.paperCriteria.map(CriterionCorrelation.displayName)
            + additionalScores(structureScores, structures: structures).map(\.name)
        return analysis.correlations.labels == expected ? analysis : nil
    }

    /// The stored analysis of `checkpoint`, else one computed from it (a grid written before
    /// analyses were stored); nil without a checkpoint.
    static func load(checkpoint: URL, structureScores: [String: [[Double]]]? = nil) throws -> ModelAnalysis? {
        if let analysis = stored(checkpoint: checkpoint, structureScores: structureScores) { return analysis }
        guard FileManager.default.fileExists(atPath: checkpoint.path) else { return nil }
        return try ModelAnalysis(checkpoint: checkpoint, structureScores: structureScores)
    }

    /// Computes the analysis of `checkpoint` and stores it beside it, unless it is there.
    static func store(checkpoint: URL, structureScores: [String: [[Double]]]? = nil) throws {
        guard stored(checkpoint: checkpoint, structureScores: structureScores) == nil,
              FileManager.default.fileExists(atPath: checkpoint.path) else { return }
        try AtomicFile.writeJSON(ModelAnalysis(checkpoint: checkpoint, structureScores: structureScores),
                                 to: GridDirectory.analysis(ofCheckpoint: checkpoint), keys: .declared)
    }
}
