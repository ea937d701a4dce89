import Foundation
import Rendering
import Testing

/// Mean curves whose later points average fewer seeds than all (a BMRS curve past one
/// seed's end point) are drawn apart from the full mean.
@Suite struct SeedCoverageDrawingTests {
    /// Three seeds: all cover 0…40, two cover 40…60, one covers 60…80.
    static let partial = CurveSeries(name: "BMRS_N", points: stride(from: 0.0, through: 80, by: 10).map { x in
        CurvePoint(x: x, mean: 97 - x / 40, std: x <= 60 ? 0.3 : 0, seeds: x <= 40 ? 3 : x <= 60 ? 2 : 1)
    }, seedCount: 3)
    static let full = CurveSeries(name: "SNR", points: stride(from: 0.0, through: 100, by: 10).map { x in
        CurvePoint(x: x, mean: 97 - x / 20, std: 0.2, seeds: 3)
    }, seedCount: 3)
    static let figure = CompressionCurveFigure(series: [full, partial], title: "coverage", subtitle: "fixture")

    @Test func runsSplitWhereTheSeedCountDrops() {
        let runs = Self.partial.coverageRuns
        #expect(runs.map(\.seeds) == [nil, 2, 1])
        // The step into fewer seeds belongs to the stretch with fewer seeds.
        #expect(runs.map { $0.points.map(\.x) } == [[0, 10, 20, 30, 40], [40, 50, 60], [60, 70, 80]])
        #expect(Self.partial.hasPartialCoverage && !Self.full.hasPartialCoverage)
        #expect(Self.full.coverageRuns.count == 1 && Self.full.coverageRuns[0].seeds == nil)
        // Without a seed count every point is the full mean.
        #expect(!CurveSeries(name: "x", points: Self.partial.points).hasPartialCoverage)
    }

    @Test func partialStretchesAreThinnerFadedAndLabelled() {
        let canvas = Self.figure.recording()
        let style = FigureStyle()
        let main = canvas.commands(in: "series:BMRS_N")
        let full = main.filter { $0.isIn("full") && $0.isIn("line") }
        let two = main.filter { $0.isIn("partial:n=2") && $0.isIn("line") }
        let one = main.filter { $0.isIn("partial:n=1") && $0.isIn("line") }
        #expect(full.count == 1 && two.count == 1 && one.count == 1)
        guard case let .polyline(fullPoints, fullStyle) = full[0].kind,
              case let .polyline(twoPoints, twoStyle) = two[0].kind,
              case let .polyline(onePoints, oneStyle) = one[0].kind else {
            Issue.record("coverage stretches are not polylines")
            return
        }
        #expect(fullStyle.width == style.lineWidth && fullStyle.color.alpha == 1)
        for s in [twoStyle, oneStyle] {
            #expect(s.width < fullStyle.width && s.color.alpha < 0.6)
            #expect(s.dash == fullStyle.dash)
            #expect(s.color.withAlpha(1) == fullStyle.color)
        }
        // Consecutive stretches meet: each starts where the one before ends.
        #expect(fullPoints.count == 5 && twoPoints.count == 3 && onePoints.count == 3)
        #expect(twoPoints.first == fullPoints.last && onePoints.first == twoPoints.last)
        // Bands: full opacity where all seeds are, half where fewer are (one seed's band only
        // tapers from the two-seed std at the joint to 0).
        let bands = main.filter { $0.isIn("band") }.compactMap { c -> Color? in
            if case let .polygon(_, color) = c.kind { return color } else { return nil }
        }
        #expect(bands.map(\.alpha) == [style.bandAlpha, style.bandAlpha / 2, style.bandAlpha / 2])
        // A seed count at the start of each partial stretch, near it.
        let labels = canvas.texts(in: "coverage-labels")
        #expect(labels.map(\.string) == ["n=2", "n=1"])
        for (label, start) in zip(labels, [twoPoints[0], onePoints[0]]) {
            #expect(hypot(label.bounds.midX - start.x, label.bounds.midY - start.y) < 30, "\(label.string) far from \(start)")
        }
        // The full series is drawn as before: one band, one line, no coverage groups or labels.
        let snr = canvas.commands(in: "series:SNR")
        #expect(!snr.contains { $0.groups.contains { $0 == "full" || $0.hasPrefix("partial:") || $0 == "coverage-labels" } })
        #expect(snr.filter { $0.isIn("line") }.count == 1 && snr.filter { $0.isIn("band") }.count == 1)
        // The legend says what the thin, faded lines are.
        #expect(canvas.texts(in: "legend").map(\.string) == ["SNR", "BMRS_N", "fewer seeds than all (n=…)"])
        expectCleanLayout(canvas, "coverage figure")
    }

    @Test func sameDrawingAsBeforeWithoutPartialPoints() {
        // Seed counts everywhere full change nothing in the drawing commands.
        let plain = CompressionCurveFigure(series: [CurveSeries(name: "SNR", points: Self.full.points.map {
            CurvePoint(x: $0.x, mean: $0.mean, std: $0.std)
        })], title: "coverage", subtitle: "fixture")
        let counted = CompressionCurveFigure(series: [Self.full], title: "coverage", subtitle: "fixture")
        #expect(plain.recording().commands == counted.recording().commands)
    }

    @Test func kneeFigureDrawsCoverageToo() {
        let knee = KneeFigure(series: [Self.full, Self.partial], front: [DataPoint(x: 0, y: 97), DataPoint(x: 40, y: 96)],
                              knees: [], title: "knee", subtitle: "fixture")
        let canvas = knee.recording()
        #expect(canvas.texts(in: "coverage-labels").map(\.string) == ["n=2", "n=1"])
        #expect(canvas.texts(in: "legend").map(\.string).contains("fewer seeds than all (n=…)"))
    }
}
