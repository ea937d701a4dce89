import Analysis
import ArgumentParser
import Experiments
import Foundation
import NeuralCore

struct Correlate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Spearman rank correlation between the criteria's scores on trained checkpoints (one per seed), and their mean.")

    @Argument(help: "Trained models, e.g. one `none` run per seed: checkpoint.bin from `bmrs train`, or .pth/.safetensors/.npz trained elsewhere.")
    var checkpoints: [String]
    @OptionGroup var model: ModelOptions
    @Flag(help: "Print JSON (per checkpoint and the mean ± population std) instead of text.")
    var json = false

    func validate() throws {
        if checkpoints.isEmpty { throw ValidationError("give at least one checkpoint") }
    }

    func run() throws {
        BLAS.setThreads(1)
        var matrices: [LabeledMatrix] = []
        for path in checkpoints {
            let network = try model.load(path)
            let m = CriterionCorrelation.matrix(for: network).correlations
            matrices.append(m)
            if !json { print("\(path)\n\(CriterionCorrelation.text(m))\n") }
        }
        let summary = MatrixSummary(matrices)
        if json {
            struct Output: Encodable { var checkpoints: [String]; var matrices: [LabeledMatrix]; var mean: LabeledMatrix; var std: LabeledMatrix }
            try printJSON(Output(checkpoints: checkpoints, matrices: matrices, mean: summary.mean, std: summary.std))
        } else {
            print("mean over \(matrices.count) checkpoint(s)\n\(CriterionCorrelation.text(summary.mean))")
        }
    }
}
