import Foundation

/// One point of a seed-averaged curve: x (parameter compression %), mean and standard
/// deviation of y (test accuracy %) over seeds (SPEC §6).
public struct CurvePoint: Hashable, Sendable {
    public var x: Double
    public var mean: Double
    public var std: Double
    /// How many seeds the mean at this point averages, when known (nil: all of the series').
    public var seeds: Int?

    public init(x: Double, mean: Double, std: Double = 0, seeds: Int? = nil) {
        self.x = x
        self.mean = mean
        self.std = std
        self.seeds = seeds
    }
}

/// A named curve (one pruning criterion), drawn as a mean line with a ±1 std band.
///
/// With `seedCount` set, points whose `seeds` is smaller (a seed-averaged curve past one
/// seed's last point) are drawn so they cannot be taken for the full mean: a thinner,
/// faded line and band, labelled with the seed count ("n=1") where each such stretch starts,
/// and a legend entry says so.
public struct CurveSeries: Hashable, Sendable {
    public var name: String
    public var points: [CurvePoint]
    /// Overrides the automatic colour/dash/marker.
    public var style: SeriesStyle?
    /// The number of seeds of the full mean (nil: every point counts as full).
    public var seedCount: Int?

    public init(name: String, points: [CurvePoint], style: SeriesStyle? = nil, seedCount: Int? = nil) {
        self.name = name
        self.points = points
        self.style = style
        self.seedCount = seedCount
    }

    /// Whether `point` averages fewer seeds than the full mean.
    public func isPartial(_ point: CurvePoint) -> Bool {
        guard let seedCount, let seeds = point.seeds else { return false }
        return seeds < seedCount
    }

    /// Whether some point averages fewer seeds than the full mean.
    public var hasPartialCoverage: Bool { points.contains(where: isPartial) }

    /// The drawn stretches of the curve (points sorted by x, finite only): maximal runs of
    /// points with the same coverage (full, or `n` seeds). The step between two runs belongs
    /// to the one with fewer seeds, so a stretch with fewer seeds starts at the last point
    /// of the run before it (`seeds` nil: the full mean).
    public var coverageRuns: [(points: [CurvePoint], seeds: Int?)] {
        let pts = points.filter { $0.x.isFinite && $0.mean.isFinite }.sorted { $0.x < $1.x }
        func level(_ p: CurvePoint) -> Int { isPartial(p) ? p.seeds! : Int.max }
        var runs: [(points: [CurvePoint], level: Int)] = []
        for p in pts {
            if let last = runs.last, last.level == level(p) {
                runs[runs.count - 1].points.append(p)
            } else {
                runs.append(([p], level(p)))
            }
        }
        var drawn = runs.map(\.points)
        for k in runs.indices.dropFirst() {
            if runs[k].level < runs[k - 1].level {
                drawn[k].insert(runs[k - 1].points.last!, at: 0)
            } else {
                drawn[k - 1].append(runs[k].points.first!)
            }
        }
        return zip(drawn, runs).map { ($0, $1.level == Int.max ? nil : $1.level) }
    }
}

/// A thresholdless end point (mean ± std in both coordinates), e.g. where a BMRS
/// variant stops pruning on its own (SPEC §6). Shares the style of the series of the
/// same name, if any.
public struct CurveEndPoint: Hashable, Sendable {
    public var name: String
    public var xMean: Double
    public var xStd: Double
    public var yMean: Double
    public var yStd: Double

    public init(name: String, xMean: Double, xStd: Double = 0, yMean: Double, yStd: Double = 0) {
        self.name = name
        self.xMean = xMean
        self.xStd = xStd
        self.yMean = yMean
        self.yStd = yStd
    }
}

/// A point in data coordinates.
public struct DataPoint: Hashable, Sendable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// Styles for a set of series and end points: end points named like a series share its
/// style; others continue the automatic sequence.
struct CurveStyling {
    var seriesStyles: [SeriesStyle]
    var endPointStyles: [SeriesStyle]
    /// Indices of end points that have no series of their own.
    var standaloneEndPoints: [Int]

    init(series: [CurveSeries], endPoints: [CurveEndPoint]) {
        seriesStyles = series.enumerated().map { $0.element.style ?? .automatic($0.offset) }
        var next = series.count
        var styles: [SeriesStyle] = []
        var standalone: [Int] = []
        for (i, e) in endPoints.enumerated() {
            if let j = series.firstIndex(where: { $0.name == e.name }) {
                styles.append(seriesStyles[j])
            } else {
                styles.append(.automatic(next))
                next += 1
                standalone.append(i)
            }
        }
        endPointStyles = styles
        standaloneEndPoints = standalone
    }

    static let partialLegendLabel = "fewer seeds than all (n=…)"

    func legendEntries(series: [CurveSeries], endPoints: [CurveEndPoint], lineWidth: Double, bandAlpha: Double) -> [LegendEntry] {
        var entries: [LegendEntry] = []
        for (s, st) in zip(series, seriesStyles) {
            let hasEnd = endPoints.contains { $0.name == s.name }
            let hasBand = s.points.contains { $0.std > 0 }
            entries.append(LegendEntry(label: s.name,
                                       line: StrokeStyle(color: st.color, width: lineWidth, dash: st.dash),
                                       band: hasBand ? st.color.withAlpha(bandAlpha) : nil,
                                       marker: hasEnd ? st.marker : nil, markerColor: st.color))
        }
        for i in standaloneEndPoints {
            let st = endPointStyles[i]
            entries.append(LegendEntry(label: endPoints[i].name, line: nil, band: nil, marker: st.marker, markerColor: st.color))
        }
        if series.contains(where: \.hasPartialCoverage) {
            entries.append(LegendEntry(label: Self.partialLegendLabel,
                                       line: CurveRenderer.partialStroke(color: .gray(0.2), dash: .solid, lineWidth: lineWidth)))
        }
        return entries
    }
}

/// Draws curves, bands and end points into a plot frame (clipped to it).
struct CurveRenderer {
    var series: [CurveSeries]
    var endPoints: [CurveEndPoint]
    var styling: CurveStyling
    var style: FigureStyle
    /// Values y can take (e.g. 0…100 for an accuracy in %): bands and error bars are cut
    /// there, so a wide std near 0 % does not draw (or scale the axis to) negative accuracy.
    var yLimits: ClosedRange<Double>? = nil

    static let markerSize = 7.0
    static let capHalfWidth = 2.5
    /// Stretches of a mean curve with fewer seeds than all: line width and opacity relative
    /// to the full mean's, band opacity relative to the full band's.
    static let partialWidthFactor = 0.5
    static let partialAlpha = 0.45
    static let partialBandFactor = 0.5
    static let coverageLabelFont = Font(size: 7)

    static func partialStroke(color: Color, dash: DashPattern, lineWidth: Double) -> StrokeStyle {
        StrokeStyle(color: color.withAlpha(partialAlpha), width: lineWidth * partialWidthFactor, dash: dash)
    }

    /// The label at the start of a stretch averaged over `seeds` seeds.
    static func coverageLabel(seeds: Int) -> String { "n=\(seeds)" }

    /// The data range of everything drawn: mean ± std of curves and end points, except
    /// that end points' x error bars do not widen the x range (a compression spread
    /// around 0 would otherwise push the axis to −50 %); bars past the axis are clipped.
    static func dataRange(series: [CurveSeries], endPoints: [CurveEndPoint], yLimits: ClosedRange<Double>? = nil)
        -> (x: ClosedRange<Double>, y: ClosedRange<Double>)? {
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for p in s.points where p.x.isFinite && p.mean.isFinite {
                xs.append(p.x)
                let sd = p.std.isFinite ? p.std : 0
                ys.append(p.mean - sd); ys.append(p.mean + sd)
            }
        }
        for e in endPoints where e.xMean.isFinite && e.yMean.isFinite {
            let ysd = e.yStd.isFinite ? e.yStd : 0
            xs.append(e.xMean)
            ys.append(e.yMean - ysd); ys.append(e.yMean + ysd)
        }
        if let yLimits { ys = ys.map { yLimits.clamp($0) } }
        guard let x0 = xs.min(), let x1 = xs.max(), let y0 = ys.min(), let y1 = ys.max() else { return nil }
        return (x0...x1, y0...y1)
    }

    func limitY(_ y: Double) -> Double { yLimits?.clamp(y) ?? y }

    func drawCurves(in frame: PlotFrame, on canvas: any Canvas) {
        var placer = LabelPlacer(bounds: frame.rect.insetBy(dx: 2, dy: 2), occupied: [])
        canvas.withClip(frame.rect) {
            for (s, st) in zip(series, styling.seriesStyles) {
                let pts = s.points.filter { $0.x.isFinite && $0.mean.isFinite }.sorted { $0.x < $1.x }
                guard !pts.isEmpty else { continue }
                if s.hasPartialCoverage {
                    drawCoverageRuns(s, style: st, in: frame, on: canvas, placer: &placer)
                    continue
                }
                canvas.group("series:\(s.name)") {
                    if pts.contains(where: { $0.std > 0 }) {
                        let upper = pts.map { frame.point($0.x, limitY($0.mean + ($0.std.isFinite ? $0.std : 0))) }
                        let lower = pts.reversed().map { frame.point($0.x, limitY($0.mean - ($0.std.isFinite ? $0.std : 0))) }
                        canvas.group("band") {
                            canvas.fillPolygon(upper + lower, color: st.color.withAlpha(style.bandAlpha))
                        }
                    }
                    canvas.group("line") {
                        let line = StrokeStyle(color: st.color, width: style.lineWidth, dash: st.dash)
                        if pts.count == 1 {
                            canvas.drawMarker(.circle, at: frame.point(pts[0].x, pts[0].mean), size: 3, fill: st.color, stroke: nil)
                        } else {
                            canvas.strokePolyline(pts.map { frame.point($0.x, $0.mean) }, style: line)
                        }
                    }
                }
            }
        }
    }

    /// A series whose mean has stretches with fewer seeds: each stretch with its own band and
    /// line, thinner and faded where fewer seeds contribute, with "n=k" at its start.
    func drawCoverageRuns(_ s: CurveSeries, style st: SeriesStyle, in frame: PlotFrame, on canvas: any Canvas,
                          placer: inout LabelPlacer) {
        let runs = s.coverageRuns
        var labels: [(text: String, at: Point)] = []
        canvas.group("series:\(s.name)") {
            for run in runs {
                let pts = run.points
                let full = run.seeds == nil
                canvas.group(full ? "full" : "partial:n=\(run.seeds!)") {
                    if pts.contains(where: { $0.std > 0 }) {
                        let upper = pts.map { frame.point($0.x, limitY($0.mean + ($0.std.isFinite ? $0.std : 0))) }
                        let lower = pts.reversed().map { frame.point($0.x, limitY($0.mean - ($0.std.isFinite ? $0.std : 0))) }
                        canvas.group("band") {
                            canvas.fillPolygon(upper + lower, color: st.color.withAlpha(style.bandAlpha * (full ? 1 : Self.partialBandFactor)))
                        }
                    }
                    canvas.group("line") {
                        let line = full ? StrokeStyle(color: st.color, width: style.lineWidth, dash: st.dash)
                                        : Self.partialStroke(color: st.color, dash: st.dash, lineWidth: style.lineWidth)
                        if pts.count == 1 {
                            canvas.drawMarker(.circle, at: frame.point(pts[0].x, pts[0].mean), size: full ? 3 : 2,
                                              fill: line.color, stroke: nil)
                        } else {
                            canvas.strokePolyline(pts.map { frame.point($0.x, $0.mean) }, style: line)
                        }
                    }
                }
                if let seeds = run.seeds, let start = pts.first {
                    let p = frame.point(start.x, limitY(start.mean))
                    if frame.rect.contains(p, tolerance: 0.5) { labels.append((Self.coverageLabel(seeds: seeds), p)) }
                }
            }
            canvas.group("coverage-labels") {
                for label in labels {
                    let e = canvas.measure(label.text, font: Self.coverageLabelFont)
                    let box = placer.place(Size(width: e.width + 2, height: e.height), near: label.at, clearance: 3)
                    canvas.drawText(label.text, at: box.center, font: Self.coverageLabelFont,
                                    color: st.color.mixed(with: .black, fraction: 0.3), anchor: .center, rotation: 0)
                }
            }
        }
    }

    /// Error bars (±1 std, both directions; clipped to the plot) and markers (which may
    /// overhang the frame by half their size); returns the marker boxes.
    @discardableResult
    func drawEndPoints(in frame: PlotFrame, on canvas: any Canvas) -> [Rect] {
        let visible = zip(endPoints, styling.endPointStyles).filter { e, _ in
            e.xMean.isFinite && e.yMean.isFinite && frame.rect.contains(frame.point(e.xMean, e.yMean), tolerance: 0.5)
        }
        canvas.withClip(frame.rect) {
            for (e, st) in visible {
                let c = frame.point(e.xMean, e.yMean)
                canvas.group("endpoint:\(e.name)") {
                    let bar = StrokeStyle(color: st.color.mixed(with: .black, fraction: 0.35), width: 1)
                    if e.xStd > 0 {
                        let l = frame.px(e.xMean - e.xStd), r = frame.px(e.xMean + e.xStd)
                        canvas.strokeLine(from: Point(x: l, y: c.y), to: Point(x: r, y: c.y), style: bar)
                        for x in [l, r] {
                            canvas.strokeLine(from: Point(x: x, y: c.y - Self.capHalfWidth),
                                              to: Point(x: x, y: c.y + Self.capHalfWidth), style: bar)
                        }
                    }
                    if e.yStd > 0 {
                        let t = frame.py(limitY(e.yMean + e.yStd)), b = frame.py(limitY(e.yMean - e.yStd))
                        canvas.strokeLine(from: Point(x: c.x, y: t), to: Point(x: c.x, y: b), style: bar)
                        for y in [t, b] {
                            canvas.strokeLine(from: Point(x: c.x - Self.capHalfWidth, y: y),
                                              to: Point(x: c.x + Self.capHalfWidth, y: y), style: bar)
                        }
                    }
                }
            }
        }
        var boxes: [Rect] = []
        let centres = visible.map { frame.point($0.0.xMean, $0.0.yMean) }
        for (i, (e, st)) in visible.enumerated() {
            let c = centres[i]
            // End points that coincide (BMRS variants often stop at the same masks) are drawn
            // nested: each one larger than those drawn over it, so none hides another.
            let above = centres[(i + 1)...].filter { abs($0.x - c.x) < 2 && abs($0.y - c.y) < 2 }.count
            let size = Self.markerSize * (1 + 0.5 * Double(above))
            canvas.group("endpoint:\(e.name)") {
                canvas.drawMarker(st.marker, at: c, size: size, fill: st.color,
                                  stroke: StrokeStyle(color: .black, width: 0.7))
            }
            boxes.append(Rect(x: c.x - size / 2, y: c.y - size / 2, width: size, height: size))
        }
        return boxes
    }
}

extension ClosedRange where Bound == Double {
    func clamp(_ v: Double) -> Double { Swift.min(Swift.max(v, lowerBound), upperBound) }
}
