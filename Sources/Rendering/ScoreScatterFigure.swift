import Foundation

/// How data values map onto an axis.
public enum AxisScale: Hashable, Sendable {
    case linear
    /// log₁₀; values ≤ 0 cannot be shown.
    case logarithmic
    /// Symmetric log: linear on [−c, c], logarithmic beyond, so values from −1e17 to 1
    /// share one axis (t = x/c inside, ±(1 + log₁₀(|x|/c)) outside; continuous at ±c).
    case symmetricLog(linearWidth: Double)

    /// The axis coordinate of `value`, nil when the scale cannot show it (non-finite, or ≤ 0 on a log axis).
    public func transform(_ value: Double) -> Double? {
        guard value.isFinite else { return nil }
        switch self {
        case .linear: return value
        case .logarithmic: return value > 0 ? log10(value) : nil
        case .symmetricLog(let c):
            let r = abs(value) / c
            let t = r <= 1 ? r : 1 + log10(r)
            return value < 0 ? -t : t
        }
    }

    /// The tick rule for axis coordinates `domain` on `length` points.
    func tickRule(domain: ClosedRange<Double>, length: Double, font: Font, measurer: any TextMeasurer) -> TickRule {
        switch self {
        case .linear:
            var rule = TickRule.nice(domain).resolve(length: length) { labels in
                (labels.map { measurer.measure($0, font: font).width }.max() ?? 0) + 8
            }
            let inside = zip(rule.values, rule.labels).filter { domain.contains($0.0) }
            rule = AxisTicks(values: inside.map(\.0), labels: inside.map(\.1), domain: domain)
            return .fixed(values: rule.values, labels: rule.labels, domain: domain)
        case .logarithmic, .symmetricLog:
            // Ticks at whole axis units (decades), every `step`-th one so labels keep apart.
            let lo = Int(domain.lowerBound.rounded(.up)), hi = Int(domain.upperBound.rounded(.down))
            var chosen: [Int] = []
            for step in [1, 2, 3, 4, 5, 10, 20, 50] {
                let candidate = (lo...max(lo, hi)).filter { $0 % step == 0 && Double($0) <= domain.upperBound }
                guard candidate.count >= 2 else {
                    if chosen.isEmpty { chosen = candidate }
                    break
                }
                chosen = candidate
                let widest = chosen.map { measurer.measure(label($0), font: font).width }.max() ?? 0
                let spacing = length * Double(step) / (domain.upperBound - domain.lowerBound)
                if spacing >= widest + 6 { break }
            }
            if case .logarithmic = self, chosen.count < 3 {
                // Two decades or less: 1-2-5 steps inside them, printed plainly (0.05, 0.1, 0.2 …).
                for mantissas in [[1.0, 2, 5], [1.0, 2, 3, 4, 5, 6, 7, 8, 9]] {
                    let values = (Int(domain.lowerBound.rounded(.down))...Int(domain.upperBound.rounded(.up))).flatMap { e in
                        mantissas.map { log10($0) + Double(e) }
                    }.filter { domain.contains($0) }
                    if values.count >= 3 || mantissas.count == 9 {
                        let labels = values.map { v -> String in
                            let x = pow(10, v)
                            let decimals = max(0, Int(-floor(v + 1e-9)))
                            return NumberText.fixed(x, decimals: decimals)
                        }
                        return .fixed(values: values, labels: labels, domain: domain)
                    }
                }
            }
            return .fixed(values: chosen.map(Double.init), labels: chosen.map(label), domain: domain)
        }
    }

    /// The label of the whole axis unit k (log: 10^k; symlog: 0, ±c, ±c·10^(k−1)).
    func label(_ k: Int) -> String {
        switch self {
        case .linear:
            return NumberText.fixed(Double(k), decimals: 0)
        case .logarithmic:
            return Self.powerOfTen(k)
        case .symmetricLog(let c):
            if k == 0 { return "0" }
            let sign = k < 0 ? NumberText.minus : ""
            let magnitude = abs(k)
            let e = log10(c)
            if abs(e - e.rounded()) < 1e-12 {
                return sign + Self.powerOfTen(Int(e.rounded()) + magnitude - 1)
            }
            let v = c * pow(10, Double(magnitude - 1))
            return sign + String(format: "%g", v)
        }
    }

    /// "1", "10", "10²", "10⁻³".
    public static func powerOfTen(_ k: Int) -> String {
        if k == 0 { return "1" }
        if k == 1 { return "10" }
        let digits: [Character: Character] = ["0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷",
                                              "8": "⁸", "9": "⁹", "-": "⁻"]
        return "10" + String(String(k).map { digits[$0] ?? $0 })
    }
}

/// The points of one group (one layer) in a scatter.
public struct ScatterGroup: Hashable, Sendable {
    public var name: String
    public var points: [DataPoint]

    public init(name: String, points: [DataPoint]) {
        self.name = name
        self.points = points
    }
}

/// One panel of a scatter figure (e.g. one model).
public struct ScatterPanel: Hashable, Sendable {
    public var title: String
    public var groups: [ScatterGroup]

    public init(title: String, groups: [ScatterGroup]) {
        self.title = title
        self.groups = groups
    }
}

/// One score against another, one point per structure, groups (layers) coloured and
/// marked alike in every panel, with the rules' thresholds as reference lines. Panels
/// (e.g. the unpruned and the pruned model) share both axes so they compare directly.
public struct ScoreScatterFigure: Figure {
    public var panels: [ScatterPanel]
    public var title: String
    public var subtitle: String?
    public var xLabel: String
    public var yLabel: String
    public var xScale: AxisScale
    public var yScale: AxisScale
    /// Vertical lines at these x values.
    public var xThresholds: [ThresholdLine]
    /// Horizontal lines at these y values.
    public var yThresholds: [ThresholdLine]
    public var legendPlacement: LegendPlacement
    /// Requested page size; grown where the content needs more room.
    public var size: Size
    public var style: FigureStyle

    public init(panels: [ScatterPanel], title: String, subtitle: String? = nil, xLabel: String, yLabel: String,
                xScale: AxisScale = .linear, yScale: AxisScale = .linear, xThresholds: [ThresholdLine] = [],
                yThresholds: [ThresholdLine] = [], legendPlacement: LegendPlacement = .automatic,
                size: Size? = nil, style: FigureStyle = FigureStyle()) {
        self.panels = panels
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.xThresholds = xThresholds
        self.yThresholds = yThresholds
        self.legendPlacement = legendPlacement
        self.size = size ?? Size(width: 140 + 260 * Double(max(1, panels.count)), height: 360)
        self.style = style
    }

    public var documentTitle: String { title }

    public struct Layout: Hashable, Sendable {
        public var page: Size
        public var panels: [PanelLayout]
        public var legend: Rect?
    }

    static let markerSize = 4.6
    static let panelGap = 14.0

    /// Group names across panels, in order of appearance; the i-th gets style i.
    public var groupNames: [String] {
        var names: [String] = []
        for p in panels { for g in p.groups where !names.contains(g.name) { names.append(g.name) } }
        return names
    }

    public func groupStyle(_ name: String) -> SeriesStyle {
        SeriesStyle.automatic(groupNames.firstIndex(of: name) ?? 0)
    }

    var legend: Legend {
        var entries = groupNames.map { name in
            let st = groupStyle(name)
            return LegendEntry(label: name, line: nil, band: nil, marker: st.marker, markerColor: st.color)
        }
        var seen: Set<String> = []
        for line in xThresholds + yThresholds where !seen.contains(line.label) {
            seen.insert(line.label)
            entries.append(LegendEntry(label: line.label, line: line.stroke, band: nil, marker: nil, markerColor: nil))
        }
        return Legend(entries: entries, style: style)
    }

    /// Points in axis coordinates, and how many of each panel's points the scales cannot show.
    func transformed(_ panel: ScatterPanel) -> (groups: [(name: String, points: [DataPoint])], hidden: Int) {
        var hidden = 0
        let groups = panel.groups.map { g -> (name: String, points: [DataPoint]) in
            let pts = g.points.compactMap { p -> DataPoint? in
                guard let x = xScale.transform(p.x), let y = yScale.transform(p.y) else { hidden += 1; return nil }
                return DataPoint(x: x, y: y)
            }
            return (g.name, pts)
        }
        return (groups, hidden)
    }

    /// The shared axis-coordinate ranges: every shown point and every threshold, padded.
    var domains: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        let pts = panels.flatMap { transformed($0).groups.flatMap(\.points) }
        func range(_ values: [Double]) -> ClosedRange<Double> {
            guard var lo = values.min(), var hi = values.max() else { return 0...1 }
            if hi - lo < 1 { let mid = (lo + hi) / 2; lo = mid - 0.5; hi = mid + 0.5 }
            let pad = (hi - lo) * 0.04
            return (lo - pad)...(hi + pad)
        }
        return (range(pts.map(\.x) + xThresholds.compactMap { xScale.transform($0.value) }),
                range(pts.map(\.y) + yThresholds.compactMap { yScale.transform($0.value) }))
    }

    func caption(_ panel: ScatterPanel) -> String {
        let hidden = transformed(panel).hidden
        let n = panel.groups.reduce(0) { $0 + $1.points.count }
        return "\(panel.title) (\(n) structures" + (hidden > 0 ? ", \(hidden) not shown: outside the scale)" : ")")
    }

    struct Internal {
        var page: PageLayout
        var axes: [CartesianAxes]
        var layouts: [CartesianAxes.Layout]
        var captionHeight: Double
    }

    func makeLayout(size: Size, measurer: any TextMeasurer) -> Internal {
        let page = PageLayout(size: size, title: title, subtitle: subtitle, legend: legend, placement: legendPlacement,
                              style: style, measurer: measurer)
        let region = page.plotRegion
        let captionHeight = measurer.measure("Hg", font: style.tickFont).height + 4
        let n = Double(max(1, panels.count))
        let width = (region.width - (n - 1) * Self.panelGap) / n
        let d = domains
        let estimatedPlot = Size(width: max(40, width - 50), height: max(40, region.height - captionHeight - 40))
        let xRule = xScale.tickRule(domain: d.x, length: estimatedPlot.width, font: style.tickFont, measurer: measurer)
        let yRule = yScale.tickRule(domain: d.y, length: estimatedPlot.height, font: style.tickFont, measurer: measurer)
        var axes: [CartesianAxes] = [], layouts: [CartesianAxes.Layout] = []
        for i in panels.indices {
            let outer = Rect(x: region.minX + Double(i) * (width + Self.panelGap), y: region.minY + captionHeight,
                             width: width, height: region.height - captionHeight)
            let a = CartesianAxes(xTitle: xLabel, yTitle: i == 0 ? yLabel : "", xRule: xRule, yRule: yRule, style: style)
            axes.append(a)
            layouts.append(a.layout(in: outer, measurer: measurer))
        }
        // Equal plot widths: the first panel's y title takes room the others give to their plot.
        if layouts.count > 1 {
            let plotWidth = layouts.map(\.frame.rect.width).min()!
            for i in layouts.indices { layouts[i].frame.rect.width = plotWidth }
        }
        return Internal(page: page, axes: axes, layouts: layouts, captionHeight: captionHeight)
    }

    public func layout(for size: Size, measuring measurer: any TextMeasurer) -> Layout {
        let l = makeLayout(size: size, measurer: measurer)
        return Layout(page: size, panels: l.layouts.map(PanelLayout.init), legend: legend.isEmpty ? nil : l.page.legendRect)
    }

    public func canvasSize(measuring measurer: any TextMeasurer) -> Size {
        var page = size
        let minWidth = max(TitleBlock.minimumWidth(title: title, subtitle: subtitle, style: style, measurer: measurer),
                           legend.size(columns: 1, measurer: measurer).width) + 2 * style.margin
        page.width = max(page.width, minWidth)
        for _ in 0..<6 {
            let l = makeLayout(size: page, measurer: measurer)
            let captions = panels.map { measurer.measure(caption($0), font: style.tickFont).width }
            var needW = 0.0
            for (layout, c) in zip(l.layouts, captions) { needW = max(needW, (max(140, c) - layout.frame.rect.width) * Double(panels.count)) }
            var needH = max(0, 140 - (l.layouts.map(\.frame.rect.height).min() ?? 0))
            needH = max(needH, l.page.legendRect.maxY - (page.height - style.margin))
            if needW <= 0.5 && needH <= 0.5 { break }
            page.width += max(0, needW).rounded(.up)
            page.height += needH.rounded(.up)
        }
        return page
    }

    public func draw(on canvas: any Canvas) {
        let l = makeLayout(size: canvas.size, measurer: canvas)
        l.page.title.draw(on: canvas, centerX: canvas.size.width / 2, top: l.page.titleTop)
        for (i, panel) in panels.enumerated() {
            let layout = l.layouts[i], axes = l.axes[i], f = layout.frame
            canvas.group("panel:\(i)") {
                canvas.group("caption") {
                    canvas.drawText(caption(panel), at: Point(x: f.rect.midX, y: f.rect.minY - 3 - canvas.measure("0", font: style.tickFont).height / 2),
                                    font: style.tickFont, color: style.subtitleColor, anchor: .bottomCenter)
                }
                axes.drawGrid(layout, on: canvas)
                canvas.withClip(f.rect) {
                    for line in xThresholds {
                        guard let x = xScale.transform(line.value), f.x.contains(x) else { continue }
                        canvas.group("threshold:\(line.label)") {
                            canvas.strokeLine(from: Point(x: f.px(x), y: f.rect.minY), to: Point(x: f.px(x), y: f.rect.maxY), style: line.stroke)
                        }
                    }
                    for line in yThresholds {
                        guard let y = yScale.transform(line.value), f.y.contains(y) else { continue }
                        canvas.group("threshold:\(line.label)") {
                            canvas.strokeLine(from: Point(x: f.rect.minX, y: f.py(y)), to: Point(x: f.rect.maxX, y: f.py(y)), style: line.stroke)
                        }
                    }
                }
                for group in transformed(panel).groups {
                    let st = groupStyle(group.name)
                    canvas.group("group:\(group.name)") {
                        for p in group.points {
                            canvas.drawMarker(st.marker, at: f.point(p.x, p.y), size: Self.markerSize, fill: st.color.withAlpha(0.75),
                                              stroke: StrokeStyle(color: st.color.mixed(with: .black, fraction: 0.4), width: 0.4))
                        }
                    }
                }
                axes.drawAxes(layout, on: canvas)
            }
        }
        legend.draw(on: canvas, origin: l.page.legendOrigin, columns: l.page.legendColumns)
    }
}
