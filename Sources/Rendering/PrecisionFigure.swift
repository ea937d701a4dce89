import Foundation

/// A mean with an interval around it (e.g. a 95 % interval over seeds).
public struct IntervalEstimate: Hashable, Sendable {
    public var mean: Double
    public var lower: Double
    public var upper: Double

    public init(mean: Double, lower: Double, upper: Double) {
        precondition(!(lower > upper), "interval lower \(lower) must not exceed upper \(upper)")
        self.mean = mean
        self.lower = lower
        self.upper = upper
    }
}

/// Results at one bit precision p (BMRS_U-p): parameter compression % and test accuracy %.
public struct PrecisionPoint: Hashable, Sendable {
    public var precision: Double
    public var compression: IntervalEstimate
    public var accuracy: IntervalEstimate

    public init(precision: Double, compression: IntervalEstimate, accuracy: IntervalEstimate) {
        self.precision = precision
        self.compression = compression
        self.accuracy = accuracy
    }
}

/// One setting (e.g. a dataset × network) across precisions.
public struct PrecisionSeries: Hashable, Sendable {
    public var name: String
    public var points: [PrecisionPoint]
    public var style: SeriesStyle?

    public init(name: String, points: [PrecisionPoint], style: SeriesStyle? = nil) {
        self.name = name
        self.points = points
        self.style = style
    }
}

/// A horizontal reference level in either panel (e.g. BMRS_N's compression and accuracy).
public struct ReferenceLevel: Hashable, Sendable {
    public var name: String
    public var compression: Double?
    public var accuracy: Double?

    public init(name: String, compression: Double? = nil, accuracy: Double? = nil) {
        self.name = name
        self.compression = compression
        self.accuracy = accuracy
    }
}

/// Compression and accuracy against the bit precision p of BMRS_U: two stacked panels
/// sharing the x axis (ticks at the precisions given), each point with its interval as
/// a whisker. Several series are dodged sideways so whiskers never overlap.
public struct PrecisionFigure: Figure {
    public var series: [PrecisionSeries]
    public var references: [ReferenceLevel]
    public var title: String
    public var subtitle: String?
    public var xLabel: String
    public var compressionLabel: String
    public var accuracyLabel: String
    public var legendPlacement: LegendPlacement
    public var size: Size
    public var style: FigureStyle

    public init(series: [PrecisionSeries], references: [ReferenceLevel] = [], title: String, subtitle: String? = nil,
                xLabel: String = "Bit precision p", compressionLabel: String = "Param. compression (%)",
                accuracyLabel: String = "Test accuracy (%)", legendPlacement: LegendPlacement = .automatic,
                size: Size = Size(width: 400, height: 380), style: FigureStyle = FigureStyle()) {
        self.series = series
        self.references = references
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.compressionLabel = compressionLabel
        self.accuracyLabel = accuracyLabel
        self.legendPlacement = legendPlacement
        self.size = size
        self.style = style
    }

    public var documentTitle: String { title }

    /// Geometry of the two panels (x domains and pixel positions of p agree).
    public struct Layout: Hashable, Sendable {
        public var page: Size
        public var compression: PanelLayout
        public var accuracy: PanelLayout
        public var legend: Rect?
    }

    static let dodge = 7.0
    static let capHalfWidth = 3.0
    static let markerSize = 5.5

    var styles: [SeriesStyle] { series.enumerated().map { $0.element.style ?? .automatic($0.offset) } }

    var referenceStyle: (Int) -> StrokeStyle {
        { i in StrokeStyle(color: .gray(0.3), width: 1, dash: DashPattern.seriesPatterns[(i + 1) % DashPattern.seriesPatterns.count]) }
    }

    var legend: Legend {
        var entries: [LegendEntry] = []
        if series.count > 1 || !references.isEmpty {
            for (s, st) in zip(series, styles) {
                entries.append(LegendEntry(label: s.name, line: StrokeStyle(color: st.color, width: 1, dash: st.dash),
                                           band: nil, marker: st.marker, markerColor: st.color))
            }
        }
        for (i, r) in references.enumerated() {
            entries.append(LegendEntry(label: r.name, line: referenceStyle(i), band: nil, marker: nil, markerColor: nil))
        }
        return Legend(entries: entries, style: style)
    }

    /// The distinct precisions, ascending.
    var precisions: [Double] {
        Array(Set(series.flatMap { $0.points.map(\.precision) }.filter(\.isFinite))).sorted()
    }

    var xRule: TickRule {
        let ps = precisions
        guard let lo = ps.first, let hi = ps.last else { return .nice(0...1) }
        let pad = max((hi - lo) * 0.06, 0.5)
        return .fixed(values: ps, labels: ps.map { NumberText.fixed($0, decimals: $0 == $0.rounded() ? 0 : 1) },
                      domain: (lo - pad)...(hi + pad))
    }

    func yRange(_ value: (PrecisionPoint) -> IntervalEstimate, _ reference: (ReferenceLevel) -> Double?) -> ClosedRange<Double> {
        var ys = series.flatMap { $0.points.flatMap { [value($0).lower, value($0).upper, value($0).mean] } }
        ys += references.compactMap(reference)
        ys = ys.filter(\.isFinite)
        guard let lo = ys.min(), let hi = ys.max() else { return 0...100 }
        return lo...hi
    }

    struct Internal {
        var page: PageLayout
        var top: CartesianAxes
        var topLayout: CartesianAxes.Layout
        var bottom: CartesianAxes
        var bottomLayout: CartesianAxes.Layout
    }

    func makeLayout(size: Size, measurer: any TextMeasurer) -> Internal {
        let page = PageLayout(size: size, title: title, subtitle: subtitle, legend: legend,
                              placement: legendPlacement, style: style, measurer: measurer)
        let region = page.plotRegion
        let top = CartesianAxes(xTitle: xLabel, yTitle: compressionLabel, xRule: xRule,
                                yRule: .nice(yRange({ $0.compression }, { $0.compression })),
                                showXTickLabels: false, showXTitle: false, style: style)
        let bottom = CartesianAxes(xTitle: xLabel, yTitle: accuracyLabel, xRule: xRule,
                                   yRule: .nice(yRange({ $0.accuracy }, { $0.accuracy })), style: style)
        // Equal plot heights: the bottom panel also carries the shared x labels.
        let tickHeight = measurer.measure("0", font: style.tickFont).height
        let titleHeight = measurer.measure("Hg", font: style.axisLabelFont).height
        let xBlock = CartesianAxes.tickLength + CartesianAxes.tickPad + tickHeight + CartesianAxes.titlePad + titleHeight
        let panelGap = style.gap + 2
        let plotShare = (region.height - panelGap - xBlock) / 2
        let topRect = Rect(x: region.minX, y: region.minY, width: region.width, height: plotShare)
        let bottomRect = Rect(x: region.minX, y: region.minY + plotShare + panelGap, width: region.width,
                              height: region.height - plotShare - panelGap)
        var topLayout = top.layout(in: topRect, measurer: measurer)
        var bottomLayout = bottom.layout(in: bottomRect, measurer: measurer)
        let left = max(topLayout.leftMargin, bottomLayout.leftMargin)
        topLayout = top.layout(in: topRect, measurer: measurer, minimumLeftMargin: left)
        bottomLayout = bottom.layout(in: bottomRect, measurer: measurer, minimumLeftMargin: left)
        // The top panel has no x labels, so it would otherwise extend further right.
        topLayout.frame.rect.width = bottomLayout.frame.rect.width
        return Internal(page: page, top: top, topLayout: topLayout, bottom: bottom, bottomLayout: bottomLayout)
    }

    public func layout(for size: Size, measuring measurer: any TextMeasurer) -> Layout {
        let l = makeLayout(size: size, measurer: measurer)
        return Layout(page: size, compression: PanelLayout(l.topLayout), accuracy: PanelLayout(l.bottomLayout),
                      legend: legend.isEmpty ? nil : l.page.legendRect)
    }

    public func canvasSize(measuring measurer: any TextMeasurer) -> Size {
        var page = size
        let minWidth = max(TitleBlock.minimumWidth(title: title, subtitle: subtitle, style: style, measurer: measurer),
                           legend.size(columns: 1, measurer: measurer).width) + 2 * style.margin
        page.width = max(page.width, minWidth)
        let labels = [compressionLabel, accuracyLabel].map { measurer.measure($0, font: style.axisLabelFont).width }
        let dodgeWidth = Double(max(1, series.count)) * Self.dodge + 8
        for _ in 0..<6 {
            let l = makeLayout(size: page, measurer: measurer)
            let spacing = zip(precisions, precisions.dropFirst()).map { l.bottomLayout.frame.px($1) - l.bottomLayout.frame.px($0) }.min() ?? .infinity
            var needW = max(0, 120 - l.bottomLayout.frame.rect.width)
            if spacing < dodgeWidth { needW = max(needW, (dodgeWidth - spacing) * Double(precisions.count)) }
            var needH = max(0, (labels.max() ?? 0) + 10 - min(l.topLayout.frame.rect.height, l.bottomLayout.frame.rect.height)) * 2
            needH = max(needH, l.page.legendRect.maxY - (page.height - style.margin))
            if needW <= 0.5 && needH <= 0.5 { break }
            page.width += needW.rounded(.up)
            page.height += needH.rounded(.up)
        }
        return page
    }

    public func draw(on canvas: any Canvas) {
        let l = makeLayout(size: canvas.size, measurer: canvas)
        l.page.title.draw(on: canvas, centerX: canvas.size.width / 2, top: l.page.titleTop)
        canvas.group("compression-panel") {
            drawPanel(l.top, l.topLayout, value: { $0.compression }, reference: { $0.compression }, on: canvas)
        }
        canvas.group("accuracy-panel") {
            drawPanel(l.bottom, l.bottomLayout, value: { $0.accuracy }, reference: { $0.accuracy }, on: canvas)
        }
        legend.draw(on: canvas, origin: l.page.legendOrigin, columns: l.page.legendColumns)
    }

    private func drawPanel(_ axes: CartesianAxes, _ layout: CartesianAxes.Layout, value: (PrecisionPoint) -> IntervalEstimate,
                           reference: (ReferenceLevel) -> Double?, on canvas: any Canvas) {
        let f = layout.frame
        axes.drawGrid(layout, on: canvas)
        canvas.withClip(f.rect) {
            for (i, r) in references.enumerated() {
                guard let v = reference(r), v.isFinite else { continue }
                canvas.group("reference:\(r.name)") {
                    canvas.strokeLine(from: Point(x: f.rect.minX, y: f.py(v)), to: Point(x: f.rect.maxX, y: f.py(v)),
                                      style: referenceStyle(i))
                }
            }
        }
        let k = Double(series.count)
        for (i, (s, st)) in zip(series, styles).enumerated() {
            let shift = (Double(i) - (k - 1) / 2) * Self.dodge
            // Points with a missing value (NaN) are left out of this panel only.
            let pts = s.points.filter { p in
                let v = value(p)
                return p.precision.isFinite && v.mean.isFinite && v.lower.isFinite && v.upper.isFinite
            }.sorted { $0.precision < $1.precision }
            canvas.group("series:\(s.name)") {
                canvas.withClip(f.rect) {
                    let line = StrokeStyle(color: st.color.withAlpha(0.8), width: 1, dash: st.dash)
                    canvas.strokePolyline(pts.map { Point(x: f.px($0.precision) + shift, y: f.py(value($0).mean)) }, style: line)
                    let whisker = StrokeStyle(color: st.color.mixed(with: .black, fraction: 0.3), width: 1.1)
                    for p in pts {
                        let x = f.px(p.precision) + shift, v = value(p)
                        let top = f.py(v.upper), bottom = f.py(v.lower)
                        canvas.group("whisker") {
                            canvas.strokeLine(from: Point(x: x, y: top), to: Point(x: x, y: bottom), style: whisker)
                            for y in [top, bottom] {
                                canvas.strokeLine(from: Point(x: x - Self.capHalfWidth, y: y),
                                                  to: Point(x: x + Self.capHalfWidth, y: y), style: whisker)
                            }
                        }
                    }
                }
                for p in pts {
                    canvas.drawMarker(st.marker, at: Point(x: f.px(p.precision) + shift, y: f.py(value(p).mean)),
                                      size: Self.markerSize, fill: st.color, stroke: StrokeStyle(color: .black, width: 0.6))
                }
            }
        }
        axes.drawAxes(layout, on: canvas)
    }
}
