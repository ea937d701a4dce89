import Foundation

/// Where one panel's plot area sits and what its axes show.
public struct PanelLayout: Hashable, Sendable {
    /// The plot area (inside the frame) in points.
    public var plot: Rect
    public var xDomain: ClosedRange<Double>
    public var yDomain: ClosedRange<Double>
    public var xTicks: [Double]
    public var yTicks: [Double]

    init(_ axes: CartesianAxes.Layout) {
        plot = axes.frame.rect
        xDomain = axes.frame.x
        yDomain = axes.frame.y
        xTicks = axes.xTicks.values
        yTicks = axes.yTicks.values
    }
}

/// A zoomed second panel, right of the main one, around some end points.
public struct ZoomPanel: Hashable, Sendable {
    /// The end points to frame (by name); `nil` frames all of them.
    public var endPointNames: [String]?
    /// Extra room around the framed points, as a fraction of their span on each side.
    public var padding: Double
    /// The least span shown on each axis (data units), so a tight cluster still reads.
    public var minimumSpan: Double
    /// The share of the plot region's width given to the zoom panel.
    public var widthFraction: Double

    public init(endPointNames: [String]? = nil, padding: Double = 0.3, minimumSpan: Double = 1,
                widthFraction: Double = 0.4) {
        precondition(widthFraction > 0 && widthFraction < 1, "widthFraction must be in (0, 1), got \(widthFraction)")
        self.endPointNames = endPointNames
        self.padding = padding
        self.minimumSpan = minimumSpan
        self.widthFraction = widthFraction
    }
}

/// Post-training pruning curves (SPEC §6): test accuracy % against parameter compression %,
/// one mean line with a translucent ±1 std band per criterion, and the thresholdless end
/// points (e.g. BMRS variants) as markers with ±1 std error bars in both directions.
///
/// Colours are Okabe–Ito and every series also has its own dash pattern, so curves stay
/// apart in greyscale and for colour-blind readers. The legend sits outside the plot.
public struct CompressionCurveFigure: Figure {
    public var series: [CurveSeries]
    public var endPoints: [CurveEndPoint]
    public var title: String
    /// A caption line under the title (e.g. "mean ± 1 std over 10 seeds; markers: thresholdless BMRS").
    public var subtitle: String?
    public var xLabel: String
    public var yLabel: String
    public var zoom: ZoomPanel?
    /// Values y can take (default 0…100: an accuracy in %); bands and bars stop there.
    public var yLimits: ClosedRange<Double>?
    public var legendPlacement: LegendPlacement
    /// Requested page size in points; grown if the content needs more.
    public var size: Size
    public var style: FigureStyle

    public init(series: [CurveSeries], endPoints: [CurveEndPoint] = [], title: String, subtitle: String? = nil,
                xLabel: String = "Parameter compression (%)", yLabel: String = "Test accuracy (%)",
                zoom: ZoomPanel? = nil, yLimits: ClosedRange<Double>? = 0...100, legendPlacement: LegendPlacement = .automatic,
                size: Size = Size(width: 468, height: 300), style: FigureStyle = FigureStyle()) {
        self.series = series
        self.endPoints = endPoints
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.zoom = zoom
        self.yLimits = yLimits
        self.legendPlacement = legendPlacement
        self.size = size
        self.style = style
    }

    public var documentTitle: String { title }

    /// The figure's geometry on a page of `size`.
    public struct Layout: Hashable, Sendable {
        public var page: Size
        public var main: PanelLayout
        public var zoom: PanelLayout?
        /// The legend box, `nil` when there is nothing to list.
        public var legend: Rect?
        /// The zoomed data window as drawn in the main panel.
        public var zoomWindow: Rect?
    }

    static let mainCaption = "Full range"
    static let zoomCaption = "Zoom (dashed box)"

    var styling: CurveStyling { CurveStyling(series: series, endPoints: endPoints) }

    var legend: Legend {
        Legend(entries: styling.legendEntries(series: series, endPoints: endPoints, lineWidth: style.lineWidth,
                                              bandAlpha: max(style.bandAlpha, 0.3)),
               style: style)
    }

    /// The data window of the zoom panel, before rounding to nice ticks.
    var zoomRange: (x: ClosedRange<Double>, y: ClosedRange<Double>)? {
        guard let zoom else { return nil }
        let chosen = endPoints.filter { zoom.endPointNames?.contains($0.name) ?? true }
        guard let r = CurveRenderer.dataRange(series: [], endPoints: chosen, yLimits: yLimits) else { return nil }
        func pad(_ range: ClosedRange<Double>) -> ClosedRange<Double> {
            let span = range.upperBound - range.lowerBound
            let extra = max(span * zoom.padding, (zoom.minimumSpan - span) / 2, 0)
            return (range.lowerBound - extra)...(range.upperBound + extra)
        }
        // Compression is a percentage: a window around an end point at 0 % must not show
        // negative compression (nor accuracy outside the y limits).
        func clamp(_ range: ClosedRange<Double>, to limits: ClosedRange<Double>?) -> ClosedRange<Double> {
            guard let limits, range.overlaps(limits) else { return range }
            return max(range.lowerBound, limits.lowerBound)...min(range.upperBound, limits.upperBound)
        }
        return (clamp(pad(r.x), to: 0...100), clamp(pad(r.y), to: yLimits))
    }

    /// Whether a zoom window shows less than half of the main panel's data area: end points
    /// spread over the whole range (e.g. one at 0 %, one at 100 % compression) leave nothing
    /// to magnify, and a "zoom" as large as the plot would only repeat it.
    static func zoomMagnifies(_ zoom: (x: ClosedRange<Double>, y: ClosedRange<Double>),
                              within main: (x: ClosedRange<Double>, y: ClosedRange<Double>)) -> Bool {
        func span(_ r: ClosedRange<Double>) -> Double { r.upperBound - r.lowerBound }
        guard span(main.x) > 0, span(main.y) > 0 else { return false }
        return min(span(zoom.x) / span(main.x), 1) * min(span(zoom.y) / span(main.y), 1) <= 0.5
    }

    struct Internal {
        var page: PageLayout
        var main: CartesianAxes
        var mainLayout: CartesianAxes.Layout
        var zoom: CartesianAxes?
        var zoomLayout: CartesianAxes.Layout?
    }

    func makeLayout(size: Size, measurer: any TextMeasurer) -> Internal {
        let page = PageLayout(size: size, title: title, subtitle: subtitle, legend: legend,
                              placement: legendPlacement, style: style, measurer: measurer)
        let range = CurveRenderer.dataRange(series: series, endPoints: endPoints, yLimits: yLimits) ?? (0...100, 0...100)
        let main = CartesianAxes(xTitle: xLabel, yTitle: yLabel, xRule: .nice(range.x), yRule: .nice(range.y), style: style)
        var region = page.plotRegion
        var zoomAxes: CartesianAxes?
        var zoomLayout: CartesianAxes.Layout?
        if let zoom, let zr = zoomRange, Self.zoomMagnifies(zr, within: range) {
            // A caption row over both panels says which one is the zoom.
            let caption = measurer.measure("Hg", font: style.tickFont).height + 3
            region.y += caption
            region.height -= caption
            let zoomWidth = (region.width - style.gap) * zoom.widthFraction
            let zoomRegion = Rect(x: region.maxX - zoomWidth, y: region.minY, width: zoomWidth, height: region.height)
            region.width -= zoomWidth + 2 * style.gap
            let axes = CartesianAxes(xTitle: xLabel, yTitle: "", xRule: .nice(zr.x), yRule: .nice(zr.y), style: style)
            zoomAxes = axes
            zoomLayout = axes.layout(in: zoomRegion, measurer: measurer)
        }
        return Internal(page: page, main: main, mainLayout: main.layout(in: region, measurer: measurer),
                        zoom: zoomAxes, zoomLayout: zoomLayout)
    }

    public func layout(for size: Size, measuring measurer: any TextMeasurer) -> Layout {
        let l = makeLayout(size: size, measurer: measurer)
        var window: Rect?
        if let z = l.zoomLayout {
            let f = l.mainLayout.frame
            // The zoom's rounded limits may reach past the main panel's: the box stays inside it.
            func inside(_ v: Double, _ r: ClosedRange<Double>) -> Double { min(max(v, r.lowerBound), r.upperBound) }
            window = Rect(bounding: [f.point(inside(z.frame.x.lowerBound, f.x), inside(z.frame.y.lowerBound, f.y)),
                                     f.point(inside(z.frame.x.upperBound, f.x), inside(z.frame.y.upperBound, f.y))])
        }
        return Layout(page: size, main: PanelLayout(l.mainLayout), zoom: l.zoomLayout.map(PanelLayout.init),
                      legend: legend.isEmpty ? nil : l.page.legendRect, zoomWindow: window)
    }

    public func canvasSize(measuring measurer: any TextMeasurer) -> Size {
        var page = size
        let minimum = CartesianAxes(xTitle: xLabel, yTitle: yLabel, xRule: .nice(0...1), yRule: .nice(0...1),
                                    style: style).minimumOuterSize(measurer: measurer)
        let minWidth = max(TitleBlock.minimumWidth(title: title, subtitle: subtitle, style: style, measurer: measurer),
                           legend.size(columns: 1, measurer: measurer).width) + 2 * style.margin
        page.width = max(page.width, minWidth)
        for _ in 0..<6 {
            let l = makeLayout(size: page, measurer: measurer)
            var needW = max(0, minimum.width - l.mainLayout.frame.rect.width)
            if let z = l.zoomLayout {
                // The zoom panel's x title may use the panel's left margin too (nothing else is below it).
                needW = max(needW, (minimum.width - z.frame.rect.width - z.leftMargin) / zoom!.widthFraction)
            }
            var needH = max(0, minimum.height - l.mainLayout.frame.rect.height)
            needH = max(needH, l.page.legendRect.maxY - (page.height - style.margin))
            if needW <= 0.5 && needH <= 0.5 { break }
            page.width += needW.rounded(.up)
            page.height += needH.rounded(.up)
        }
        return page
    }

    public func draw(on canvas: any Canvas) {
        let l = makeLayout(size: canvas.size, measurer: canvas)
        let renderer = CurveRenderer(series: series, endPoints: endPoints, styling: styling, style: style, yLimits: yLimits)
        l.page.title.draw(on: canvas, centerX: canvas.size.width / 2, top: l.page.titleTop)

        canvas.group("main-panel") {
            l.main.drawGrid(l.mainLayout, on: canvas)
            renderer.drawCurves(in: l.mainLayout.frame, on: canvas)
            renderer.drawEndPoints(in: l.mainLayout.frame, on: canvas)
            if let z = l.zoomLayout {
                let f = l.mainLayout.frame
                if let window = Rect(bounding: [f.point(z.frame.x.lowerBound, z.frame.y.lowerBound),
                                                f.point(z.frame.x.upperBound, z.frame.y.upperBound)]) {
                    canvas.group("zoom-window") {
                        canvas.strokeRect(window, style: StrokeStyle(color: .gray(0.35), width: 0.8, dash: .dashed))
                    }
                }
            }
            l.main.drawAxes(l.mainLayout, on: canvas)
        }
        if let zoom = l.zoom, let z = l.zoomLayout {
            canvas.group("panel-captions") {
                for (text, rect) in [(Self.mainCaption, l.mainLayout.frame.rect), (Self.zoomCaption, z.frame.rect)] {
                    canvas.drawText(text, at: Point(x: rect.midX, y: rect.minY - canvas.measure("0", font: style.tickFont).height / 2 - 3),
                                    font: style.tickFont, color: style.subtitleColor, anchor: .bottomCenter)
                }
            }
            canvas.group("zoom-panel") {
                zoom.drawGrid(z, on: canvas)
                renderer.drawCurves(in: z.frame, on: canvas)
                renderer.drawEndPoints(in: z.frame, on: canvas)
                zoom.drawAxes(z, on: canvas)
            }
        }
        legend.draw(on: canvas, origin: l.page.legendOrigin, columns: l.page.legendColumns)
    }
}
