import ArgumentParser
import BayesianPruning
import Foundation
import NeuralCore
import NoiseStatistics

struct Scores: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every criterion's scores and default decisions, for (μ, log σ) cases or a trained checkpoint.")

    @Argument(help: "JSON file with a \"cases\" array of {\"mu\", \"logsigma\"} (the shape of shared/reference/bmrs_vectors.json).")
    var cases: String?
    @Option(help: "A trained model: checkpoint.bin from `bmrs train`, or a PyTorch state_dict (.pth), safetensors or .npz trained elsewhere: print scores per layer and structure.")
    var checkpoint: String?
    @OptionGroup var model: ModelOptions
    @OptionGroup var criteria: CriterionOptions

    func validate() throws {
        if (cases == nil) == (checkpoint == nil) {
            throw ValidationError("give either a cases file or --checkpoint FILE")
        }
    }

    func run() throws {
        let settings = criteria.settings
        if let cases {
            let rows = try PosteriorCases.load(URL(fileURLWithPath: cases)).map { PosteriorScores($0, settings: settings) }
            guard !rows.contains(where: { $0.values.contains { $0.isNaN } }) else {
                throw ValidationError("internal error: a statistic came out NaN")
            }
            try printJSON(rows)
        } else if let checkpoint {
            BLAS.setThreads(1)
            let network = try model.load(checkpoint)
            let statistics = Structures.statistics(network)
            let layers = statistics.enumerated().map { g, structures in
                CheckpointLayerScores(layer: g + 1, structures: structures.enumerated().map { s, st in
                    CheckpointStructureScores(index: s, kept: network.groups[g].noise.mask[s] != 0, l2: st.incomingNorm,
                                              pruneL2: st.incomingNorm <= settings.l2Threshold,
                                              scores: PosteriorScores(st.posterior, settings: settings))
                })
            }
            try printJSON(layers)
        }
    }
}

struct CheckpointLayerScores: Encodable {
    var layer: Int
    var structures: [CheckpointStructureScores]
}

struct CheckpointStructureScores: Encodable {
    var index: Int
    var kept: Bool
    var l2: Double
    var pruneL2: Bool
    var scores: PosteriorScores
    enum CodingKeys: String, CodingKey { case index, kept, l2, pruneL2 = "prune_l2", scores }
}
