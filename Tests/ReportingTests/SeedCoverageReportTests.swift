import Foundation
import Testing
import Analysis
import Rendering
@testable import Experiments
@testable import Reporting
import FileOutput

/// Sweep results whose seeds end at different compressions, built by hand: BMRS_N ends at
/// 0 %, 40 % and 70 % (seeds 100, 1000, 1001), SNR's third seed stops at 60 % (the other two fall off a cliff past 64 %, so leaving
/// their two-seed tail out moves the knee), L2 covers
/// 0…80 % in every seed.
enum CoverageFixture {
    static let seeds: [UInt64] = [100, 1000, 1001]
    static let levels = Array(0...8).map { Double($0) * 12.5 }

    /// (compression %, accuracy %) per level for a criterion and seed.
    static func curve(_ criterion: String, seed: UInt64) -> [(x: Double, y: Double)] {
        let k = seeds.firstIndex(of: seed)!
        switch criterion {
        case "bmrs-n":
            let end = [0.0, 40, 70][k]
            return levels.map { level in let x = min(level, end); return (x, 88 - x / 20 + Double(k) * 0.2) }
        case "snr":
            if k == 2 { return levels.map { level in let x = min(level, 60); return (x, x <= 30 ? 90 : 90 - (x - 30)) } }
            return levels.map { level in let x = level * 0.8; return (x, x <= 64 ? 90 - x / 50 : 88.72 - (x - 64) * 3) }
        default:
            return levels.map { level in let x = level * 0.8; return (x, max(10, 90 - x * x / 60)) }
        }
    }

    static func sweep(seed: UInt64) -> SweepResult {
        var base = TrainingConfig()
        base.seed = seed
        base.network = .mlp(hidden: 8, depth: 1)
        var config = SweepConfig(base: base)
        config.criteria = [.l2, .snr, .bmrsN]
        config.levels = levels.count
        var points: [SweepPoint] = []
        func point(_ criterion: String, _ level: Double?, _ x: Double, _ y: Double) -> SweepPoint {
            SweepPoint(criterion: criterion, level: level, endPoint: level == nil, unit: "\(criterion)-\(seed)-\(x)",
                       neuronCompression: x, parameterCompression: x, testAccuracy: y / 100, layerCollapsed: false,
                       keptPerLayer: [8, 8], status: .finished, failure: nil)
        }
        for criterion in ["l2", "snr", "bmrs-n"] {
            for (level, p) in zip(levels, curve(criterion, seed: seed)) { points.append(point(criterion, level, p.x, p.y)) }
        }
        let end = curve("bmrs-n", seed: seed).last!
        points.append(point("bmrs-n", nil, end.x, end.y))
        return SweepResult(config: config, model: "model-\(seed)", modelTestAccuracy: 0.9, points: points,
                           unitsComputed: 0, unitsReused: points.count)
    }

    static var sweeps: [SweepResult] { seeds.map(sweep) }

    static var grid: GridConfig {
        var curves = GridConfig.Curves()
        curves.levels = levels.count
        curves.criteria = [.l2, .snr, .bmrsN]
        let grid = GridConfig(name: "coverage", datasets: [.fashionMNIST], networks: [.init(kind: .mlp, hidden: 8, depth: 1)],
                              methods: [.none], matched: nil, seeds: seeds, epochs: 1, finetuneEpochs: 1,
                              batchSize: 16, learningRate: 1e-3, trainLimit: nil, validationLimit: nil, protocolVariant: .standard,
                              precisions: nil, curves: curves, slurm: nil)
        return grid
    }

    static var figures: CurveFigures { CurveFigures(grid) }
}

@Suite("Seed coverage in curves, knees and the report")
struct SeedCoverageReportTests {
    /// Seeds present at grid x for a seed curve that covers 0…end.
    func expectedCounts(_ grid: [Double], ends: [Double]) -> [Int] {
        grid.map { x in ends.filter { x <= $0 }.count }
    }

    @Test func coverageCountsPerPoint() throws {
        let figures = CoverageFixture.figures
        let sweeps = CoverageFixture.sweeps
        let bmrs = try #require(figures.averagedCurve(sweeps, .bmrsN))
        #expect(bmrs.points.map(\.y.count) == expectedCounts(bmrs.points.map(\.x), ends: [0, 40, 70]))
        #expect(bmrs.coverageSegments.map(\.seeds) == [3, 2, 1])
        #expect(bmrs.coverageSegments.map(\.to) == [0, bmrs.points.last { $0.x <= 40 }!.x, 70])
        let snr = try #require(figures.averagedCurve(sweeps, .snr))
        #expect(snr.points.map(\.y.count) == expectedCounts(snr.points.map(\.x), ends: [80, 80, 60]))
        let l2 = try #require(figures.averagedCurve(sweeps, .l2))
        #expect(l2.points.allSatisfy { $0.y.count == 3 })

        // The figure carries the counts and the full seed number; its drawing sets the
        // partial stretches apart and labels them.
        let figure = try #require(figures.curveFigure(sweeps, title: "fixture"))
        let series = try #require(figure.series.first { $0.name == "BMRS_N" })
        #expect(series.seedCount == 3)
        #expect(series.points.map(\.seeds) == bmrs.points.map { $0.y.count })
        #expect(!figure.series.first { $0.name == "L2" }!.hasPartialCoverage)
        #expect(figure.subtitle?.contains("thin, faded: fewer seeds than all 3") == true)
        let canvas = figure.recording()
        let main = canvas.commands(in: "main-panel")
        func lineStyles(_ group: String) -> [StrokeStyle] {
            main.filter { $0.isIn("series:BMRS_N") && $0.isIn(group) && $0.isIn("line") }.compactMap {
                if case let .polyline(_, style) = $0.kind { return style } else { return nil }
            }
        }
        let full = lineStyles("full"), two = lineStyles("partial:n=2"), one = lineStyles("partial:n=1")
        #expect(two.count == 1 && one.count == 1)
        #expect(full.isEmpty, "the all-seed part of BMRS_N is the single point at 0 %: a dot, not a line")
        #expect(two.allSatisfy { $0.width < FigureStyle().lineWidth && $0.color.alpha < 1 })
        let labels = main.filter { $0.isIn("series:BMRS_N") && $0.isIn("coverage-labels") }.compactMap {
            if case let .text(t) = $0.kind { return t.string } else { return nil }
        }
        #expect(labels == ["n=2", "n=1"])
        let snrLabels = main.filter { $0.isIn("series:SNR") && $0.isIn("coverage-labels") }.compactMap {
            if case let .text(t) = $0.kind { return t.string } else { return nil }
        }
        #expect(snrLabels == ["n=2"])
        #expect(canvas.texts(in: "legend").map(\.string).last == "fewer seeds than all (n=…)")
    }

    @Test func kneeAndFrontUseTheAllSeedPart() throws {
        let figures = CoverageFixture.figures
        let sweeps = CoverageFixture.sweeps
        let (figure, analysis) = try #require(figures.kneeFigure(sweeps, title: "fixture"))
        let snr = try #require(figures.averagedCurve(sweeps, .snr))
        let allSeeds = snr.meanCurveCoveredByAll(3)
        #expect(allSeeds.points.last!.x <= 60)
        let knee = try #require(Kneedle.knee(of: allSeeds))
        #expect(analysis.knees["snr"] == [knee.x, knee.y])
        let whole = try #require(Kneedle.knee(of: Analysis.Curve(points: snr.points.map { Analysis.CurvePoint(x: $0.x, y: $0.y.mean) })))
        #expect(whole.x != knee.x, "the fixture should move the knee when the two-seed tail is left out")
        #expect(analysis.kneeSeeds?["snr"] == CoverageFixture.seeds)
        // Every front point lies on the all-seed part of some mean curve.
        var covered: [Analysis.CurvePoint] = []
        for method in [PruningMethod.l2, .snr, .bmrsN] {
            covered += try #require(figures.averagedCurve(sweeps, method)).meanCurveCoveredByAll(3).points
        }
        #expect(analysis.front.allSatisfy { f in covered.contains { $0.x == f[0] && $0.y == f[1] } })
        #expect(figure.front.count == analysis.front.count)
        // Seed 1001's BMRS_N end point (70 %) is no longer measured against its own one-seed tail.
        let bmrsEnd = try #require(analysis.endPoints.first { $0.criterion == "bmrs-n" })
        #expect(bmrsEnd.seeds == CoverageFixture.seeds)
        let front = ParetoFront(covered)
        for (k, (x, y)) in zip(bmrsEnd.compression, bmrsEnd.accuracy).enumerated() {
            #expect(bmrsEnd.distanceToFront[k] == front.distance(to: Analysis.CurvePoint(x: x, y: y)))
        }
        #expect(bmrsEnd.distanceToFront[2] > 0)
        // The JSON states what the numbers use.
        let json = try JSONSerialization.jsonObject(with: JSONCoding.encode(analysis)) as! [String: Any]
        #expect((json["front_and_knees_use"] as? String)?.contains("all 3 seeds (100, 1000, 1001)") == true)
        #expect((json["knee_seeds"] as? [String: [Int]])?["snr"] == [100, 1000, 1001])
        let coverage = try #require(json["curve_coverage"] as? [String: [[String: Any]]])
        #expect(coverage["bmrs-n"]?.map { $0["seeds"] as? Int } == [3, 2, 1])
        #expect(coverage["l2"]?.map { $0["seeds"] as? Int } == [3])
        // The knee figure draws the partial stretches as the curve figure does.
        #expect(figure.recording().texts(in: "coverage-labels").map(\.string).sorted() == ["n=1", "n=2", "n=2"])
    }

    @Test func reportTextSaysWhereFewerSeedsContribute() throws {
        let figures = CoverageFixture.figures
        let note = try #require(figures.coverageNote(CoverageFixture.sweeps))
        #expect(note.hasPrefix("SNR n=3 on 0.0–"), "\(note)")
        #expect(note.contains("BMRS_N n=3 at 0.0 %, n=2 on 0.7–"), "\(note)")
        #expect(note.contains(", n=1 on ") && note.contains("–70.0 %"), "\(note)")
        #expect(!note.contains("L2"))
        let report = ReportSetup(grid: CoverageFixture.grid, records: [], gridWallSeconds: nil, coverageNotes: ["Fixture: \(note)"]).text
        #expect(report.contains("Seed coverage: where fewer seeds than all contribute to a mean curve"))
        #expect(report.contains("the Pareto front, the knees and the end points' distances to them use only the part of each mean curve that every seed covers"))
        #expect(report.contains("Stretches by seed count: Fixture: SNR n=3"))
        // Every curve complete: no stretches to list.
        let complete = [CoverageFixture.sweep(seed: 100)]
        #expect(figures.coverageNote(complete) == nil)
    }
}

@Suite("Taylor and random criteria in the report")
struct PostTrainingCriteriaReportTests {
    @Test func heatmapCurvesAndKneeIncludeThem() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-report-taylor-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let results = try ReportFixture.results()
        let grid = results.grid
        let builder = ReportBuilder(results: results, templates: try ReportFixture.templates(), output: root.appendingPathComponent("report"))
        let sweeps = results.sweeps
        #expect(sweeps.count == 2 && sweeps.allSatisfy { $0.structureScores?.keys.sorted() == ["random", "taylor"] })
        let records = results.records
        let noneRuns = records.filter { $0.config.method == .none }
        let models = ModelFigures(results: results), figures = CurveFigures(grid)
        let (mean, heatmap) = try #require(models.correlationFigure(noneRuns, curveModels: grid.sweepConfigs(), sweeps: sweeps, title: "t"))
        #expect(mean.labels == ["SNR", "E[θ]", "L2", "BMRS_N", "BMRS_U-8", "BMRS_U-4", "Taylor (1st order)", "Random"])
        #expect(heatmap.labels == mean.labels)
        let i = mean.labels.firstIndex(of: "Random")!
        #expect(mean.values[i][i] == 1 && mean.values.allSatisfy { $0.allSatisfy { $0.isFinite && abs($0) <= 1 } })
        // Without the sweeps' scores the heatmap keeps the paper's criteria.
        let plain = try #require(models.correlationFigure(noneRuns, curveModels: grid.sweepConfigs(), title: "t"))
        #expect(plain.mean.labels == Array(mean.labels.prefix(6)))
        let figure = try #require(figures.curveFigure(sweeps, title: "t"))
        #expect(figure.series.map(\.name) == ["SNR", "BMRS_N", "Taylor (1st order)", "Random"])
        #expect(figure.endPoints.map(\.name) == ["BMRS_N"])
        let (_, analysis) = try #require(figures.kneeFigure(sweeps, title: "t"))
        #expect(analysis.curveCoverage?.keys.sorted() == ["bmrs-n", "random", "snr", "taylor"])
        _ = try builder.build()
        let report = try String(contentsOf: root.appendingPathComponent("report/report.md"), encoding: .utf8)
        #expect(report.contains("Taylor (1st order): |Σ θ·∂L/∂θ| per structure"))
        #expect(report.contains("Random: a uniformly random pruning order seeded from each curve's seed"))
    }
}

/// `curves.protocol: [ours, released]`: one colour per criterion, ours solid, released dashed.
@Suite("Curve protocols figure")
struct CurveProtocolsFigureTests {
    @Test func bothProtocolsAreDrawnOverEachOtherInOneColourPerCriterion() throws {
        let ours = CoverageFixture.sweeps
        let released = ours.map { s -> SweepResult in
            var r = s
            r.config.curveProtocol = .released
            r.points = r.points.map { var p = $0; p.testAccuracy -= 0.01; return p }
            return r
        }
        let figure = try #require(CurveFigures(CoverageFixture.grid).protocolFigure(ours: ours, released: released, title: "t"))
        #expect(figure.series.map(\.name) == ["L2", "L2 (released)", "SNR", "SNR (released)", "BMRS_N", "BMRS_N (released)"])
        for pair in stride(from: 0, to: figure.series.count, by: 2) {
            let a = try #require(figure.series[pair].style), b = try #require(figure.series[pair + 1].style)
            #expect(a.color == b.color && a.dash == .solid && b.dash == .dashed)
        }
        #expect(Set(figure.series.map { $0.style!.color }).count == 3)
        #expect(figure.endPoints.map(\.name) == ["BMRS_N", "BMRS_N (released)"])
        // The released means are the ours means less one point of accuracy.
        let o = figure.series[2].points, r = figure.series[3].points
        #expect(o.count == r.count && zip(o, r).allSatisfy { abs($0.mean - $1.mean - 1) < 1e-9 })
    }
}
