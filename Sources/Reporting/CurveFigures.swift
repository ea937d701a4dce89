import Foundation
import Analysis
import Experiments
import Rendering

/// The figures of post-training curves: accuracy against compression per criterion,
/// averaged over seeds, the Pareto front and knees, and the setup's note on where fewer
/// seeds than all contribute to a mean curve.
struct CurveFigures {
    /// How curves are averaged over seeds (`grid.curves.averaging`; nil: on a common grid).
    let averaging: GridConfig.CurveAveraging?

    init(_ grid: GridConfig) {
        averaging = grid.curves?.averaging
    }

    var averagingByPosition: Bool { averaging == .position }

    /// Mean ± std of per-seed curves: on a common compression grid (default) or, with
    /// `averaging: position`, by list position as the authors' code does.
    func averaged(_ perSeed: [Analysis.Curve]) -> AveragedCurve {
        if averagingByPosition { return averageByPosition(perSeed) }
        let maxX = perSeed.flatMap { $0.points.map(\.x) }.max() ?? 100
        return averageOnGrid(perSeed, grid: evenlySpacedGrid(from: 0, to: maxX, count: 101))
    }

    var averagingCaption: String {
        averagingByPosition ? "averaged by list position over seeds (the authors' convention)"
            : "interpolated on a common compression grid"
    }

    /// One criterion's post-training curve (percentages), averaged over the sweeps' seeds;
    /// nil when no seed has a point of it.
    func averagedCurve(_ sweeps: [SweepResult], _ method: PruningMethod) -> AveragedCurve? {
        let perSeed = sweeps.map { s in
            Analysis.Curve(points: s.points.filter { $0.criterion == method.description && !$0.endPoint }
                .map { Analysis.CurvePoint(x: $0.parameterCompression, y: 100 * $0.testAccuracy) })
        }.filter { !$0.points.isEmpty }
        return perSeed.isEmpty ? nil : averaged(perSeed)
    }

    /// A thresholdless criterion's end point in each sweep that has one, with its seed.
    func endPoints(_ sweeps: [SweepResult], _ method: PruningMethod) -> [(seed: UInt64, point: SweepPoint)] {
        sweeps.compactMap { s in s.points.first { $0.criterion == method.description && $0.endPoint }.map { (s.config.base.seed, $0) } }
    }

    /// The post-training-only criteria past the seven automatic colours: Taylor brown, the
    /// random floor gray and dotted, so neither shares a colour with a per-structure criterion.
    static func fixedStyle(_ method: PruningMethod, index: Int) -> SeriesStyle? {
        let automatic = SeriesStyle.automatic(index)
        switch method {
        case .taylor: return SeriesStyle(color: Color(hex: 0x8C510A), dash: .longDash, marker: automatic.marker)
        case .random: return SeriesStyle(color: .gray(0.5), dash: .dotted, marker: automatic.marker)
        default: return nil
        }
    }

    /// A thresholdless criterion's end points over the sweeps' seeds as one marker (mean ± std
    /// both ways), named as its curve so marker and line share colour and legend entry; nil
    /// for criteria without end points.
    func endPointMarker(_ sweeps: [SweepResult], _ method: PruningMethod, name: String) -> CurveEndPoint? {
        let points = endPoints(sweeps, method).map(\.point)
        guard method.isThresholdless, !points.isEmpty else { return nil }
        let x = Summary(points.map(\.parameterCompression)), y = Summary(points.map { 100 * $0.testAccuracy })
        return CurveEndPoint(name: name, xMean: x.mean, xStd: x.std, yMean: y.mean, yStd: y.std)
    }

    /// A mean curve as drawn: mean ± std per point with the number of seeds it averages, and
    /// the number of seeds of the full mean (every sweep), so the stretches that fewer seeds
    /// cover are drawn apart (thinner, faded, "n=k").
    func series(_ name: String, _ averaged: AveragedCurve, seeds: Int, bands: Bool = true) -> CurveSeries {
        CurveSeries(name: name, points: averaged.points.map {
            Rendering.CurvePoint(x: $0.x, mean: $0.y.mean, std: bands && $0.y.count > 1 ? $0.y.std : 0, seeds: $0.y.count)
        }, seedCount: seeds)
    }

    /// Per criterion of the sweeps whose mean curve has stretches with fewer seeds than all:
    /// those stretches, in curve order.
    func partialCoverage(_ sweeps: [SweepResult]) -> [(method: PruningMethod, segments: [CurveCoverageSegment])] {
        guard let first = sweeps.first else { return [] }
        return first.config.criteria.compactMap { method in
            guard let averaged = averagedCurve(sweeps, method) else { return nil }
            let segments = averaged.coverageSegments
            return segments.contains { $0.seeds < sweeps.count } ? (method, segments) : nil
        }
    }

    /// One line for the report's setup: which mean curves have stretches with fewer seeds
    /// than all, and where; nil when every curve is a mean over all seeds everywhere.
    func coverageNote(_ sweeps: [SweepResult]) -> String? {
        let partial = partialCoverage(sweeps)
        guard !partial.isEmpty else { return nil }
        return partial.map { method, segments in
            method.displayName + " " + segments.map {
                "n=\($0.seeds) " + ($0.from == $0.to ? String(format: "at %.1f %%", $0.from) : String(format: "on %.1f–%.1f %%", $0.from, $0.to))
            }.joined(separator: ", ")
        }.joined(separator: "; ")
    }

    func curveFigure(_ sweeps: [SweepResult], title: String) -> CompressionCurveFigure? {
        guard let first = sweeps.first else { return nil }
        var series: [CurveSeries] = []
        var ends: [CurveEndPoint] = []
        for method in first.config.criteria {
            let name = method.displayName
            guard let averaged = averagedCurve(sweeps, method) else { continue }
            var line = self.series(name, averaged, seeds: sweeps.count)
            line.style = Self.fixedStyle(method, index: series.count)
            series.append(line)
            if let end = endPointMarker(sweeps, method, name: name) { ends.append(end) }
        }
        guard !series.isEmpty else { return nil }
        let seeds = sweeps.map { String($0.config.base.seed) }.joined(separator: ", ")
        let partial = series.contains(where: \.hasPartialCoverage)
            ? "; thin, faded: fewer seeds than all \(sweeps.count) (n=k from there on)" : ""
        return CompressionCurveFigure(
            series: series, endPoints: ends, title: "Accuracy vs compression, \(title)",
            subtitle: "post-training pruning, \(first.config.finetuneEpochs) fine-tuning epoch(s) per level\(first.config.resolvedProtocol == .released ? " (released protocol: one chain per criterion, Adam carried over, unshuffled data)" : ""); mean ± 1 std over seeds \(seeds), \(averagingCaption); markers: thresholdless end points\(partial)",
            zoom: ends.isEmpty ? nil : ZoomPanel())
    }

    /// Both curve protocols over each other (`curves.protocol: [ours, released]`): per
    /// criterion one colour, ours solid and released dashed, each with its end points.
    func protocolFigure(ours: [SweepResult], released: [SweepResult], title: String) -> CompressionCurveFigure? {
        guard let first = ours.first ?? released.first else { return nil }
        var series: [CurveSeries] = []
        var ends: [CurveEndPoint] = []
        for (index, method) in first.config.criteria.enumerated() {
            let colour = SeriesStyle.automatic(index).color
            for (sweeps, suffix, dash) in [(ours, "", DashPattern.solid), (released, " (released)", DashPattern.dashed)] {
                guard let averaged = averagedCurve(sweeps, method) else { continue }
                let name = method.displayName + suffix
                var line = self.series(name, averaged, seeds: sweeps.count, bands: false)
                line.style = SeriesStyle(color: colour, dash: dash, marker: SeriesStyle.automatic(index).marker)
                series.append(line)
                if let end = endPointMarker(sweeps, method, name: name) { ends.append(end) }
            }
        }
        guard !series.isEmpty else { return nil }
        let seeds = Set((ours + released).map(\.config.base.seed)).sorted().map(String.init).joined(separator: ", ")
        return CompressionCurveFigure(
            series: series, endPoints: ends, title: "Curve protocols, \(title)",
            subtitle: "solid: ours (each level fine-tuned alone, fresh Adam, shuffled data); dashed: released (one chain per criterion, Adam carried over, unshuffled, a point where the neuron compression changed); means over seeds \(seeds), \(averagingCaption)",
            zoom: ends.isEmpty ? nil : ZoomPanel())
    }

    /// The knee figure and its analysis (``KneeAnalysis``): the Pareto front of every
    /// criterion's mean curve, the knees of the SNR and L2 curves, and the distances of the
    /// thresholdless criteria's end points to both, on the part every seed covers.
    func kneeFigure(_ sweeps: [SweepResult], title: String) -> (KneeFigure, KneeAnalysis)? {
        guard let first = sweeps.first else { return nil }
        let seeds = sweeps.map(\.config.base.seed)
        var series: [CurveSeries] = []
        var fullCurves: [String: Analysis.Curve] = [:]
        var coverage: [String: [CurveCoverageSegment]] = [:]
        for method in first.config.criteria {
            guard let averaged = averagedCurve(sweeps, method) else { continue }
            fullCurves[method.description] = averaged.meanCurveCoveredByAll(sweeps.count)
            coverage[method.description] = averaged.coverageSegments
            var line = self.series(method.displayName, averaged, seeds: sweeps.count, bands: false)
            line.style = Self.fixedStyle(method, index: series.count)
            series.append(line)
        }
        guard !series.isEmpty else { return nil }
        let measured = first.config.criteria.filter(\.isThresholdless).map { ($0, endPoints(sweeps, $0)) }.filter { !$0.1.isEmpty }
        let samples = measured.map { method, pairs in
            KneeAnalysis.EndPointSample(criterion: method.description, seeds: pairs.map(\.seed),
                                        compression: pairs.map { $0.point.parameterCompression },
                                        accuracy: pairs.map { 100 * $0.point.testAccuracy })
        }
        let use = "the points of each criterion's mean curve that all \(seeds.count) seeds (\(seeds.map(String.init).joined(separator: ", "))) cover; "
            + "stretches with fewer seeds (past a seed's last point) are drawn but left out"
        let kneeCriteria: [PruningMethod] = [.snr, .l2]
        guard let analysis = KneeAnalysis(curves: fullCurves, coverage: coverage, kneeCriteria: kneeCriteria.map(\.description),
                                          endPoints: samples, seeds: seeds, frontAndKneesUse: use) else { return nil }
        let knees = kneeCriteria.compactMap { m in analysis.knees[m.description].map { KneePoint(label: "\(m.displayName) knee", x: $0[0], y: $0[1]) } }
        let ends = zip(measured, samples).map { m, sample -> CurveEndPoint in
            let x = Summary(sample.compression), y = Summary(sample.accuracy)
            return CurveEndPoint(name: m.0.displayName, xMean: x.mean, xStd: x.std, yMean: y.mean, yStd: y.std)
        }
        let figure = KneeFigure(series: series, front: analysis.front.map { DataPoint(x: $0[0], y: $0[1]) }, knees: knees, endPoints: ends,
                                title: "Pareto front and knee, \(title)",
                                subtitle: "mean curves over seeds; front and knees on the part every seed covers; distances in percentage points to the nearest front point")
        return (figure, analysis)
    }
}
