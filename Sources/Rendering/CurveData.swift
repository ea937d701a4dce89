import Foundation

/// One point of a seed-averaged curve: x (parameter compression %), mean and standard
/// deviation of y (test accuracy %) over seeds (SPEC §6).
public struct CurvePoint: Hashable, Sendable {
    public var x: Double
    public var mean: Double
    public var std: Double

    public init(x: Double, mean: Double, std: Double = 0) {
        self.x = x
        self.mean = mean
        self.std = std
    }
}

/// A named curve (one pruning criterion), drawn as a mean line with a ±1 std band.
public struct CurveSeries: Hashable, Sendable {
    public var name: String
    public var points: [CurvePoint]
    /// Overrides the automatic colour/dash/marker.
    public var style: SeriesStyle?

    public init(name: String, points: [CurvePoint], style: SeriesStyle? = nil) {
        self.name = name
        self.points = points
        self.style = style
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
        canvas.withClip(frame.rect) {
            for (s, st) in zip(series, styling.seriesStyles) {
                let pts = s.points.filter { $0.x.isFinite && $0.mean.isFinite }.sorted { $0.x < $1.x }
                guard !pts.isEmpty else { continue }
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
