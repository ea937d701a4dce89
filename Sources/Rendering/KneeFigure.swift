import Foundation

/// A labelled knee of the Pareto front (chosen by the caller's analysis).
public struct KneePoint: Hashable, Sendable {
    public var label: String
    public var x: Double
    public var y: Double

    public init(label: String, x: Double, y: Double) {
        self.label = label
        self.x = x
        self.y = y
    }
}

/// Curves with their Pareto front (higher compression and higher accuracy are both
/// better), the front's knee point(s), and each end point joined by a dotted segment to
/// its nearest front point, labelled with that distance.
///
/// The front is drawn as the boundary of the region it dominates: from each front point
/// straight down to the next point's accuracy, then across to it. Distances are Euclidean
/// in data units (percentage points on both axes) to the nearest front vertex.
public struct KneeFigure: Figure {
    public var series: [CurveSeries]
    /// Non-dominated (compression %, accuracy %) points, any order.
    public var front: [DataPoint]
    public var knees: [KneePoint]
    public var endPoints: [CurveEndPoint]
    public var title: String
    public var subtitle: String?
    public var xLabel: String
    public var yLabel: String
    public var distanceDecimals: Int
    public var legendPlacement: LegendPlacement
    public var size: Size
    public var style: FigureStyle

    public init(series: [CurveSeries], front: [DataPoint], knees: [KneePoint], endPoints: [CurveEndPoint] = [],
                title: String, subtitle: String? = nil, xLabel: String = "Parameter compression (%)",
                yLabel: String = "Test accuracy (%)", distanceDecimals: Int = 2,
                legendPlacement: LegendPlacement = .automatic, size: Size = Size(width: 468, height: 320),
                style: FigureStyle = FigureStyle()) {
        self.series = series
        self.front = front
        self.knees = knees
        self.endPoints = endPoints
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.distanceDecimals = distanceDecimals
        self.legendPlacement = legendPlacement
        self.size = size
        self.style = style
    }

    public var documentTitle: String { title }

    public struct Layout: Hashable, Sendable {
        public var page: Size
        public var panel: PanelLayout
        public var legend: Rect?
    }

    /// The front sorted by compression, as the step line's vertices.
    public var sortedFront: [DataPoint] {
        front.filter { $0.x.isFinite && $0.y.isFinite }.sorted { ($0.x, -$0.y) < ($1.x, -$1.y) }
    }

    /// The step polyline through the front (each point, then down to the next point's level).
    public var frontStepLine: [DataPoint] {
        let f = sortedFront
        guard var out = f.first.map({ [$0] }) else { return [] }
        for (a, b) in zip(f, f.dropFirst()) {
            out.append(DataPoint(x: a.x, y: b.y))
            out.append(b)
        }
        return out
    }

    /// For each end point, the nearest front point and the distance to it.
    public var endPointDistances: [(endPoint: CurveEndPoint, nearest: DataPoint, distance: Double)] {
        let f = sortedFront
        return endPoints.compactMap { e in
            let nearest = f.min { hypot($0.x - e.xMean, $0.y - e.yMean) < hypot($1.x - e.xMean, $1.y - e.yMean) }
            return nearest.map { (e, $0, hypot($0.x - e.xMean, $0.y - e.yMean)) }
        }
    }

    public func distanceLabel(_ d: Double) -> String { "d = " + NumberText.fixed(d, decimals: distanceDecimals) }

    var styling: CurveStyling { CurveStyling(series: series, endPoints: endPoints) }

    static let frontStyle = StrokeStyle(color: .black, width: 1.2)
    static let kneeMarker = MarkerShape.diamond

    var legend: Legend {
        var entries = styling.legendEntries(series: series, endPoints: endPoints, lineWidth: style.lineWidth,
                                            bandAlpha: max(style.bandAlpha, 0.3))
        if !front.isEmpty { entries.append(LegendEntry(label: "Pareto front", line: Self.frontStyle)) }
        if !knees.isEmpty {
            entries.append(LegendEntry(label: knees.count == 1 ? "Knee" : "Knees", marker: Self.kneeMarker, markerColor: .white))
        }
        return Legend(entries: entries, style: style)
    }

    func makeLayout(size: Size, measurer: any TextMeasurer) -> (PageLayout, CartesianAxes, CartesianAxes.Layout) {
        let page = PageLayout(size: size, title: title, subtitle: subtitle, legend: legend,
                              placement: legendPlacement, style: style, measurer: measurer)
        var range = CurveRenderer.dataRange(series: series, endPoints: endPoints)
        let extra = front.map { ($0.x, $0.y) } + knees.map { ($0.x, $0.y) }
        for (x, y) in extra where x.isFinite && y.isFinite {
            if let r = range {
                range = (min(r.x.lowerBound, x)...max(r.x.upperBound, x), min(r.y.lowerBound, y)...max(r.y.upperBound, y))
            } else {
                range = (x...x, y...y)
            }
        }
        let r = range ?? (0...100, 0...100)
        let axes = CartesianAxes(xTitle: xLabel, yTitle: yLabel, xRule: .nice(r.x), yRule: .nice(r.y), style: style)
        return (page, axes, axes.layout(in: page.plotRegion, measurer: measurer))
    }

    public func layout(for size: Size, measuring measurer: any TextMeasurer) -> Layout {
        let (page, _, l) = makeLayout(size: size, measurer: measurer)
        return Layout(page: size, panel: PanelLayout(l), legend: legend.isEmpty ? nil : page.legendRect)
    }

    public func canvasSize(measuring measurer: any TextMeasurer) -> Size {
        var page = size
        let minimum = CartesianAxes(xTitle: xLabel, yTitle: yLabel, xRule: .nice(0...1), yRule: .nice(0...1),
                                    style: style).minimumOuterSize(measurer: measurer)
        let minWidth = max(TitleBlock.minimumWidth(title: title, subtitle: subtitle, style: style, measurer: measurer),
                           legend.size(columns: 1, measurer: measurer).width) + 2 * style.margin
        page.width = max(page.width, minWidth)
        for _ in 0..<6 {
            let (p, _, l) = makeLayout(size: page, measurer: measurer)
            let needW = max(0, minimum.width - l.frame.rect.width)
            let needH = max(max(0, minimum.height - l.frame.rect.height), p.legendRect.maxY - (page.height - style.margin))
            if needW <= 0.5 && needH <= 0.5 { break }
            page.width += needW.rounded(.up)
            page.height += needH.rounded(.up)
        }
        return page
    }

    public func draw(on canvas: any Canvas) {
        let (page, axes, layout) = makeLayout(size: canvas.size, measurer: canvas)
        let f = layout.frame
        let renderer = CurveRenderer(series: series, endPoints: endPoints, styling: styling, style: style)
        page.title.draw(on: canvas, centerX: canvas.size.width / 2, top: page.titleTop)
        axes.drawGrid(layout, on: canvas)
        renderer.drawCurves(in: f, on: canvas)

        let distances = endPointDistances
        canvas.withClip(f.rect) {
            canvas.group("front") {
                canvas.strokePolyline(frontStepLine.map { f.point($0.x, $0.y) }, style: Self.frontStyle)
            }
            canvas.group("distance-segments") {
                for d in distances {
                    canvas.strokeLine(from: f.point(d.endPoint.xMean, d.endPoint.yMean), to: f.point(d.nearest.x, d.nearest.y),
                                      style: StrokeStyle(color: .gray(0.25), width: 1, dash: .dotted, cap: .round))
                }
            }
        }
        var placer = LabelPlacer(bounds: f.rect.insetBy(dx: 2, dy: 2), occupied: [])
        placer.occupied += renderer.drawEndPoints(in: f, on: canvas)
        let kneeSize = 9.0
        canvas.group("knees") {
            for k in knees where k.x.isFinite && k.y.isFinite {
                let c = f.point(k.x, k.y)
                canvas.drawMarker(Self.kneeMarker, at: c, size: kneeSize, fill: .white, stroke: StrokeStyle(color: .black, width: 1.3))
                placer.occupied.append(Rect(x: c.x - kneeSize / 2, y: c.y - kneeSize / 2, width: kneeSize, height: kneeSize))
            }
        }
        let labelFont = style.annotationFont
        func drawLabel(_ text: String, near p: Point, group: String) {
            let e = canvas.measure(text, font: labelFont)
            let pad = 1.5
            let box = placer.place(Size(width: e.width + 2 * pad, height: e.height + 2 * pad), near: p, clearance: 5)
            canvas.group(group) {
                let attach = nearestPoint(on: box, to: p)
                if attach.distance(to: p) > 9 {
                    canvas.strokeLine(from: p, to: attach, style: StrokeStyle(color: .gray(0.45), width: 0.6))
                }
                canvas.fillRect(box, color: Color.white.withAlpha(0.85))
                canvas.drawText(text, at: box.center, font: labelFont, color: .black, anchor: .center, rotation: 0)
            }
        }
        for k in knees where k.x.isFinite && k.y.isFinite {
            drawLabel(k.label, near: f.point(k.x, k.y), group: "knee-label")
        }
        for d in distances {
            let a = f.point(d.endPoint.xMean, d.endPoint.yMean), b = f.point(d.nearest.x, d.nearest.y)
            drawLabel(distanceLabel(d.distance), near: Point(x: (a.x + b.x) / 2, y: (a.y + b.y) / 2), group: "distance-label")
        }
        axes.drawAxes(layout, on: canvas)
        legend.draw(on: canvas, origin: page.legendOrigin, columns: page.legendColumns)
    }
}
