import Analysis
import Experiments
import Rendering

/// The figures of trained models, from the result set's analyses (``ModelAnalysis``): the
/// rank-correlation heatmap and the posterior diagnostics of each data set × network.
struct ModelFigures {
    let results: ResultSet

    /// The heatmap reads the posteriors of the models the curves prune when there are
    /// curves (issue 14: the same model for both), else the final epoch of the unpruned
    /// runs, else (older grids) their best-validation checkpoints; the subtitle says which.
    ///
    /// Criteria without per-structure statistics (Taylor, Random) join the heatmap when the
    /// curves ran them: their scores are read from the sweeps' results (`structureScores`),
    /// so only when every seed's heatmap model is a curves' model with them.
    func correlationFigure(_ runs: [RunRecord], curveModels: [SweepConfig], sweeps: [SweepResult] = [],
                           title: String) -> (mean: LabeledMatrix, figure: CorrelationHeatmap)? {
        var sources: [(seed: UInt64, model: ModelAnalysis)] = curveModels.compactMap { c in results.curvesModel(of: c).map { (c.base.seed, $0) } }
        let fromCurveModels = !sources.isEmpty
        var which = curveModels.first.map { c in
            c.base.reportedModel == .final ? "the curves' models (final epoch \(c.base.epochs + c.base.finetuneEpochs) without pruning)"
                                           : "the curves' models (best validation epoch without pruning)"
        } ?? ""
        if sources.isEmpty {
            sources = runs.compactMap { r in results.lastEpochModel(of: r).map { (r.config.seed, $0) } }
            which = "final epoch of the unpruned runs"
            if sources.isEmpty {
                sources = runs.compactMap { r in results.reportedModel(of: r).map { (r.config.seed, $0) } }
                which = "best-validation epoch of the unpruned runs"
            }
        }
        guard !sources.isEmpty else { return nil }
        // A post-training criterion joins when every seed's model was scored by it and the
        // seed's sweep result has its scores.
        let scored = PruningMethod.postTrainingCriteria.filter { method in
            fromCurveModels && sources.allSatisfy { source in
                source.model.correlations.labels.contains(method.displayName)
                    && sweeps.first(where: { $0.config.base.seed == source.seed })?.structureScores?[method.description] != nil
            }
        }
        let labels = CriterionCorrelation.paperLabels + scored.map(\.displayName)
        let mean = MatrixSummary(sources.map { $0.model.correlations.restricted(to: labels) }).mean
        let seeds = sources.map { String($0.seed) }.joined(separator: ", ")
        return (mean, CorrelationHeatmap(labels: mean.labels, matrix: mean.values,
                                  title: "Spearman rank correlation, \(title)",
                                  subtitle: "noise on, no pruning: \(which); mean over seeds \(seeds)"))
    }

    /// Posterior diagnostics (issue 14): the first seed's unpruned model (the curves' model,
    /// else the final epoch of its `none` run) beside the final model of its continuous
    /// BMRS_N run; per-layer counts and the knife edge as text.
    func diagnosticsFigures(noneRuns: [RunRecord], curveModels: [SweepConfig], records: [RunRecord],
                            title: String) -> (PosteriorDiagnosticsFigure, ScoreScatterFigure, String)? {
        guard let seed = (curveModels.map(\.base.seed) + noneRuns.map(\.config.seed)).first else { return nil }
        let unpruned = curveModels.first { $0.base.seed == seed }.map { results.curvesModel(of: $0) }
            ?? noneRuns.first { $0.config.seed == seed }.map { results.lastEpochModel(of: $0) }
        guard let unpruned = unpruned ?? nil else { return nil }
        var models = [(name: "unpruned model (seed \(seed))", short: "unpruned", layers: unpruned.layers)]
        // The released constant's run when there is one: with the exact constant continuous
        // BMRS_N often prunes nothing, and its final model is then the unpruned one.
        func run(_ method: PruningMethod) -> RunRecord? {
            records.first { $0.config.method == method && $0.config.seed == seed && $0.config.matchedPrunedFraction == nil
                && $0.config.dataset == noneRuns.first?.config.dataset && $0.status == .finished
                && $0.config.network.kind == noneRuns.first?.config.network.kind }
        }
        if let bmrs = run(.bmrsNReleased) ?? run(.bmrsN), let model = results.reportedModel(of: bmrs) {
            let name = bmrs.config.method.displayName
            models.append(("final model of continuous \(name) (seed \(seed))", name == "BMRS_N" ? "BMRS_N" : "BMRS_N rel.", model.layers))
        }
        let diagnostics = models.map { PosteriorDiagnostics(model: $0.name, layers: $0.layers) }
        let figure = PosteriorDiagnosticsFigures.diagnostics(diagnostics, shortNames: models.map(\.short),
                                                             title: "Posteriors per layer, \(title)")
        let scatter = PosteriorDiagnosticsFigures.scatter(models.map { ($0.name, $0.layers) }, title: "E[θ] against ΔF_BMRS_N, \(title)")
        return (figure, scatter, diagnostics.map { $0.text() }.joined(separator: "\n\n") + "\n")
    }
}
