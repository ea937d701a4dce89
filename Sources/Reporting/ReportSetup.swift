import Foundation
import Experiments

/// The report's setup section: data, networks, protocol, seeds, machine and run time, the
/// BMRS_N constants, the post-training curves and their seed coverage, the grid's notes.
struct ReportSetup {
    let grid: GridConfig
    let records: [RunRecord]
    /// Wall time of the grid invocation that produced the results, when known.
    let gridWallSeconds: Double?
    /// Per data set × network, where fewer seeds than all contribute to a mean curve
    /// (``CurveFigures/coverageNote(_:)``, prefixed with the group's title).
    let coverageNotes: [String]

    var text: String {
        let runSeconds = records.reduce(0) { $0 + $1.secondsTotal }
        let machine = records.first.map { "\($0.machine.processors) cores, OpenBLAS \($0.machine.blasCore) kernel, \($0.machine.blasThreads) BLAS thread per run" } ?? "unknown"
        let datasets = grid.datasets.map(Vocabulary.dataset).joined(separator: ", ")
        let sizes = records.first.map { "\($0.data.train) training, \($0.data.validation) validation and \($0.data.test) test images" } ?? ""
        var setup = "Data: \(datasets) (\(sizes)), resized to 32×32. Networks: \(grid.networks.map(Vocabulary.network).joined(separator: " and ")). "
        setup += "Each method trains \(grid.epochs) epochs with continuous pruning (masks recomputed every epoch), then \(grid.resolvedFinetuneEpochs) fine-tuning epoch(s) with masks fixed; Adam, lr \(grid.resolvedLearningRate), batch \(grid.resolvedBatchSize), KL averaged per layer. "
        setup += "Seeds: \(grid.seeds.map(String.init).joined(separator: ", "))"
        for n in grid.networks where n.seeds != nil || n.methods != nil {
            setup += "; \(Vocabulary.networkKind(n.kind)): " + [n.seeds.map { "seeds \($0.map(String.init).joined(separator: ", "))" },
                                      n.methods.map { "methods \($0.map(\.displayName).joined(separator: ", "))" }]
                .compactMap { $0 }.joined(separator: ", ")
        }
        setup += ". Protocol: \(grid.protocolVariant?.rawValue ?? "standard"). "
        setup += "Machine: \(machine). Total run time \(String(format: "%.0f", runSeconds)) s summed over \(records.count) runs"
        if let wall = gridWallSeconds { setup += ", \(String(format: "%.0f", wall)) s wall time for the grid run" }
        setup += "."
        let methods = Set(records.map(\.config.method))
        if methods.contains(.bmrsN) || methods.contains(.bmrsNReleased) {
            let constant = grid.protocolVariant == .released
                ? "Under the released protocol BMRS_N too uses the released code's constant (each run record states the constant used, `bmrs_n_constant_used`)."
                : "BMRS_N uses SPEC §2's exact constant."
            setup += "\n\n\(constant) BMRS_N (released const.) uses the authors' released code's, which omits the 2π inside the log, so its ΔF is larger by ½·log 2π ≈ 0.919: "
                + "a structure whose posterior went back to the prior sits just below ΔF = 0 with the exact constant and is kept, while the released one prunes it. "
                + "The two rank structures identically (one row in the heatmaps) and differ only in where they stop."
        }
        if let curves = grid.curves {
            let model = curves.model == .best && curves.trainEpochs == nil
                ? "the best-validation checkpoint of the grid's unpruned (None, noise) runs"
                : "the \(curves.model == .best ? "best-validation" : "final") model of an unpruned run (noise on) of \(curves.trainEpochs ?? GridConfig.Curves.defaultTrainEpochs) epochs"
            setup += "\n\nPost-training curves\(curves.networks.map { " (\($0.map(Vocabulary.networkKind).joined(separator: ", ")))" } ?? ""): "
                + "\(curves.levels) pruning levels per criterion, each fine-tuned \(curves.finetuneEpochs) epoch(s), pruning \(model); "
                + "the heatmaps read the posteriors of the same models."
            let protocols = curves.protocols?.values ?? [.ours]
            let described: [CurveProtocol: String] = [
                .ours: "ours (each level fine-tuned alone from the trained model: a fresh Adam, shuffled data; identical masks computed once)",
                .released: "released (the authors' compression_vs_accuracy_separate.py: per criterion one chain over the levels in order, each "
                    + "reloading the trained weights while Adam's state, from the model's training on, and the noise stream carry over; data "
                    + "unshuffled; a point kept only where the neuron compression changed)",
            ]
            setup += " Curve protocol" + (protocols.count > 1 ? "s: " : ": ") + protocols.map { described[$0]! }.joined(separator: "; ")
                + (protocols.count > 1 ? "; the heatmap, knee and main curves use the first." : ".")
            if curves.criteria.contains(.taylor) {
                setup += " Taylor (1st order): |Σ θ·∂L/∂θ| per structure, θ its incoming weights and bias, L the cross-entropy over one pass of "
                    + "the training data with the model in evaluation mode (θ_noise = E[θ]), summed over the pass before the absolute value "
                    + "(Molchanov et al. 2017/2019); lowest pruned first."
            }
            if curves.criteria.contains(.random) {
                setup += " Random: a uniformly random pruning order seeded from each curve's seed, the floor every criterion must beat."
            }
            setup += "\n\nSeed coverage: where fewer seeds than all contribute to a mean curve (a curve past one seed's last point, such as a "
                + "BMRS variant past that seed's end point, or the tail of a position average), the curve and knee figures draw that part thinner "
                + "and faded with its seed count (n=k) at its start; the Pareto front, the knees and the end points' distances to them use only "
                + "the part of each mean curve that every seed covers (the knee JSON states it: `front_and_knees_use`, `knee_seeds`, `curve_coverage`)."
            if coverageNotes.isEmpty {
                setup += " Every mean curve here averages all seeds at every point."
            } else {
                setup += " Stretches by seed count: " + coverageNotes.joined(separator: ". ") + "."
            }
        }
        if let notes = grid.notes { setup += "\n\n" + notes }
        return setup
    }
}
