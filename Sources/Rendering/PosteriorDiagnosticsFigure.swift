import Foundation

/// Counts in fixed bins, with what fell outside them (a histogram as plain values).
public struct BinnedCounts: Hashable, Sendable {
    /// `counts.count + 1` ascending edges; bin i is [edges[i], edges[i+1]).
    public var edges: [Double]
    public var counts: [Int]
    /// Values left of the first edge, and at or right of the last.
    public var below: Int
    public var above: Int
    /// The smallest and largest finite value, shown when every value lies outside the window.
    public var finiteRange: ClosedRange<Double>?

    public init(edges: [Double], counts: [Int], below: Int = 0, above: Int = 0, finiteRange: ClosedRange<Double>? = nil) {
        precondition(edges.count == counts.count + 1, "BinnedCounts: \(edges.count) edges for \(counts.count) bins")
        precondition(zip(edges, edges.dropFirst()).allSatisfy { $0 < $1 }, "BinnedCounts: edges must ascend")
        self.edges = edges
        self.counts = counts
        self.below = below
        self.above = above
        self.finiteRange = finiteRange
    }

    /// Every value counted: in a bin, below or above.
    public var total: Int { counts.reduce(0, +) + below + above }
}

/// A vertical (or, in the scatter, horizontal) reference line: a rule's threshold.
public struct ThresholdLine: Hashable, Sendable {
    public var value: Double
    /// The legend label; lines with the same label share one legend entry.
    public var label: String
    public var color: Color
    public var dash: DashPattern

    public init(value: Double, label: String, color: Color = .gray(0.1), dash: DashPattern = .solid) {
        self.value = value
        self.label = label
        self.color = color
        self.dash = dash
    }

    var stroke: StrokeStyle { StrokeStyle(color: color, width: 1.1, dash: dash) }
}

/// One column of the diagnostics grid: a quantity histogrammed over the same window in
/// every row, with the thresholds drawn on it.
public struct DiagnosticsColumn: Hashable, Sendable {
    /// Header over the column (wrapped to its width).
    public var title: String
    /// Axis title under the bottom row.
    public var axisLabel: String
    /// The x window (the histogram window: bins outside it are not drawn).
    public var range: ClosedRange<Double>
    public var thresholds: [ThresholdLine]

    public init(title: String, axisLabel: String, range: ClosedRange<Double>, thresholds: [ThresholdLine] = []) {
        self.title = title
        self.axisLabel = axisLabel
        self.range = range
        self.thresholds = thresholds
    }
}

/// One layer of one model: a histogram per column and the values of the counts table.
public struct DiagnosticsLayer: Hashable, Sendable {
    public var name: String
    public var structures: Int
    /// One per column of the figure, in order.
    public var histograms: [BinnedCounts]
    /// One per `countLabels` entry of the figure, in order.
    public var counts: [Int]

    public init(name: String, structures: Int, histograms: [BinnedCounts], counts: [Int]) {
        self.name = name
        self.structures = structures
        self.histograms = histograms
        self.counts = counts
    }
}

/// One model's layers (e.g. the unpruned model, or the final model of continuous BMRS_N).
public struct DiagnosticsModel: Hashable, Sendable {
    /// Legend label, e.g. "unpruned model".
    public var name: String
    /// Counts-table header, e.g. "unpruned".
    public var shortName: String
    public var layers: [DiagnosticsLayer]
    /// Overrides the automatic colour (Okabe–Ito blue, vermillion, …).
    public var color: Color?

    public init(name: String, shortName: String, layers: [DiagnosticsLayer], color: Color? = nil) {
        self.name = name
        self.shortName = shortName
        self.layers = layers
        self.color = color
    }
}

/// Per-layer distributions of posterior quantities, one row per layer and one column per
/// quantity (e.g. ΔF of BMRS_N under both constants, ΔF of BMRS_U-8, log σ, μ), each with
/// its rule's threshold as a vertical line, and a small counts table at the end of each row.
///
/// Several models are overlaid in every panel (translucent bars and a step outline per
/// model, each in its own colour) so their distributions can be compared bin by bin. What
/// lies outside a column's window is not dropped: "◀ n" and "n ▶" above the panel count it.
public struct PosteriorDiagnosticsFigure: Figure {
    public var models: [DiagnosticsModel]
    public var columns: [DiagnosticsColumn]
    /// Row labels of the counts table (e.g. "L2 ≤ 0.5", "BMRS_N ΔF ≥ 0").
    public var countLabels: [String]
    public var countsTitle: String
    public var title: String
    public var subtitle: String?
    /// Size of each histogram's plot area in points (grown where a counts table needs more height).
    public var plotSize: Size
    public var style: FigureStyle

    public init(models: [DiagnosticsModel], columns: [DiagnosticsColumn], countLabels: [String] = [],
                countsTitle: String = "Structures", title: String, subtitle: String? = nil,
                plotSize: Size = Size(width: 118, height: 62), style: FigureStyle = FigureStyle()) {
        for model in models {
            for layer in model.layers {
                precondition(layer.histograms.count == columns.count,
                             "\(model.name) \(layer.name): \(layer.histograms.count) histograms for \(columns.count) columns")
                precondition(layer.counts.count == countLabels.count,
                             "\(model.name) \(layer.name): \(layer.counts.count) counts for \(countLabels.count) labels")
            }
        }
        self.models = models
        self.columns = columns
        self.countLabels = countLabels
        self.countsTitle = countsTitle
        self.title = title
        self.subtitle = subtitle
        self.plotSize = plotSize
        self.style = style
    }

    public var documentTitle: String { title }

    /// The layer names of the rows: the first model's order, then any other model's extra layers.
    public var rowNames: [String] {
        var names: [String] = []
        for model in models { for layer in model.layers where !names.contains(layer.name) { names.append(layer.name) } }
        return names
    }

    public var modelColors: [Color] {
        models.enumerated().map { $0.element.color ?? OkabeIto.lineColors[$0.offset % OkabeIto.lineColors.count] }
    }

    /// Where each panel and table went.
    public struct Layout: Hashable, Sendable {
        public var page: Size
        /// [row][column] histogram panels.
        public var panels: [[PanelLayout]]
        /// Per row, the counts table's box.
        public var tables: [Rect]
        public var legend: Rect?
    }

    static let columnGap = 10.0
    static let rowGap = 6.0
    static let tableGap = 12.0

    var legend: Legend {
        var entries = zip(models, modelColors).map { model, color in
            LegendEntry(label: model.name, line: StrokeStyle(color: color, width: 1), band: color.withAlpha(Self.barAlpha(models.count)),
                        marker: nil, markerColor: nil)
        }
        var seen: Set<String> = []
        for line in columns.flatMap(\.thresholds) where !seen.contains(line.label) {
            seen.insert(line.label)
            entries.append(LegendEntry(label: line.label, line: line.stroke, band: nil, marker: nil, markerColor: nil))
        }
        return Legend(entries: entries, style: style)
    }

    static func barAlpha(_ models: Int) -> Double { models > 1 ? 0.3 : 0.45 }

    /// Fonts and measures every part of the layout depends on.
    struct Metrics {
        var tickHeight: Double
        var noteHeight: Double
        var headerLineHeight: Double
        var axisTitleHeight: Double
        var countLineHeight: Double

        init(style: FigureStyle, measurer: any TextMeasurer) {
            tickHeight = measurer.measure("0", font: style.tickFont).height
            noteHeight = measurer.measure("Hg", font: PosteriorDiagnosticsFigure.noteFont(style)).height
            headerLineHeight = measurer.measure("Hg", font: style.axisLabelFont).height * 1.05
            axisTitleHeight = measurer.measure("Hg", font: style.axisLabelFont).height
            countLineHeight = measurer.measure("Hg", font: style.tickFont).height * 1.1
        }
    }

    static func noteFont(_ style: FigureStyle) -> Font { style.tickFont.sized(7) }

    /// Three significant digits, powers of ten beyond 10⁴ (ΔF reaches −1e17).
    static func short(_ v: Double) -> String {
        guard v.isFinite, abs(v) >= 1e4 else { return NumberText.fixed(v, decimals: v == v.rounded() ? 0 : (abs(v) >= 100 ? 0 : (abs(v) >= 10 ? 1 : 2))) }
        let e = Int(floor(log10(abs(v))))
        let mantissa = v / pow(10, Double(e))
        return NumberText.fixed(mantissa, decimals: 1) + "·" + AxisScale.powerOfTen(e)
    }

    /// Whether any panel has values outside its window (then each panel keeps a strip for "◀ n").
    var hasOutOfRange: Bool {
        models.contains { $0.layers.contains { $0.histograms.contains { $0.below > 0 || $0.above > 0 } } }
    }

    struct Internal {
        var page: Size
        var title: TitleBlock
        var headerTops: Double
        var headerLines: [[String]]
        var axes: [[CartesianAxes]]
        var layouts: [[CartesianAxes.Layout]]
        var panelOuter: [[Rect]]
        var tables: [Rect]
        var tableColumns: [Double]
        var axisTitleTop: Double
        var legendOrigin: Point
        var legendColumns: Int
        var legendSize: Size
    }

    func layer(_ model: DiagnosticsModel, _ name: String) -> DiagnosticsLayer? { model.layers.first { $0.name == name } }

    /// Nice ticks inside a fixed window (the window stays the histogram's, not the ticks').
    static func ticks(within range: ClosedRange<Double>, length: Double, style: FigureStyle, measurer: any TextMeasurer) -> TickRule {
        var best: (values: [Double], labels: [String])?
        for target in stride(from: 8, through: 2, by: -1) {
            let nice = NiceTicks(covering: range.lowerBound, range.upperBound, targetCount: target)
            let inside = zip(nice.values, nice.labels).filter { range.contains($0.0) }
            let values = inside.map(\.0), labels = inside.map(\.1)
            best = (values, labels)
            guard values.count >= 2 else { continue }
            let widest = labels.map { measurer.measure($0, font: style.tickFont).width }.max() ?? 0
            let spacing = length * (values[1] - values[0]) / (range.upperBound - range.lowerBound)
            if spacing >= widest + 6 { break }
        }
        return .fixed(values: best?.values ?? [], labels: best?.labels ?? [], domain: range)
    }

    func yRule(row name: String, column c: Int) -> TickRule {
        let top = max(1, models.compactMap { layer($0, name)?.histograms[c].counts.max() }.max() ?? 0)
        // Counts are whole numbers: small ranges get a tick per count, not 0.2 steps.
        if top <= 4 { return .fixed(values: (0...top).map(Double.init), labels: (0...top).map { "\($0)" }, domain: 0...Double(top)) }
        return .nice(0...Double(top))
    }

    func yTitle(row name: String) -> String {
        let n = models.compactMap { layer($0, name)?.structures }.max() ?? 0
        return "\(name) (\(n))"
    }

    func countsTableSize(_ metrics: Metrics, measurer: any TextMeasurer) -> (size: Size, columns: [Double]) {
        let font = style.tickFont
        let labelWidth = (countLabels + [countsTitle]).map { measurer.measure($0, font: font).width }.max() ?? 0
        var columns = [labelWidth]
        for (m, model) in models.enumerated() {
            let values = rowNames.compactMap { layer(model, $0) }.flatMap(\.counts).map { String($0) }
            columns.append(max(values.map { measurer.measure($0, font: font).width }.max() ?? 0,
                               measurer.measure(model.shortName, font: font.bold).width) + (m == 0 ? 10 : 8))
        }
        let height = Double(countLabels.count + 1) * metrics.countLineHeight
        return (Size(width: columns.reduce(0, +), height: height), columns)
    }

    func makeLayout(measurer: any TextMeasurer) -> Internal {
        let metrics = Metrics(style: style, measurer: measurer)
        let rows = rowNames
        let m = style.margin
        let strip = hasOutOfRange ? Double(models.count) * metrics.noteHeight + 1 : 0
        let table = countLabels.isEmpty ? (size: Size(width: 0, height: 0), columns: [Double]()) : countsTableSize(metrics, measurer: measurer)
        let axisTop = metrics.tickHeight / 2
        let axisBottom = CartesianAxes.tickLength + CartesianAxes.tickPad + metrics.tickHeight
        // A counts table taller than a panel makes every plot taller, so rows stay aligned.
        let plotHeight = max(plotSize.height, table.size.height - strip - axisTop - axisBottom)
        let rowHeight = strip + axisTop + plotHeight + axisBottom
        let xRules = columns.map { Self.ticks(within: $0.range, length: plotSize.width, style: style, measurer: measurer) }
        func axes(row: String, column c: Int) -> CartesianAxes {
            CartesianAxes(xTitle: "", yTitle: c == 0 ? yTitle(row: row) : "", xRule: xRules[c], yRule: yRule(row: row, column: c),
                          showXTickLabels: true, showXTitle: false, style: style)
        }
        // Each column's left margin is the widest over its rows, so plots align in columns.
        let probe = Rect(x: 0, y: 0, width: plotSize.width + 400, height: rowHeight - strip)
        var left = [Double](repeating: 0, count: columns.count), right = left
        for c in columns.indices {
            for row in rows {
                let l = axes(row: row, column: c).layout(in: probe, measurer: measurer)
                left[c] = max(left[c], l.leftMargin)
                right[c] = max(right[c], probe.maxX - l.frame.rect.maxX)
            }
        }
        let widths = columns.indices.map { left[$0] + plotSize.width + right[$0] }
        let gridWidth = widths.reduce(0, +) + Double(max(0, columns.count - 1)) * Self.columnGap
        let tablePart = countLabels.isEmpty ? 0 : Self.tableGap + table.size.width
        let legend = self.legend
        var pageWidth = gridWidth + tablePart + 2 * m
        pageWidth = max(pageWidth, TitleBlock.minimumWidth(title: title, subtitle: subtitle, style: style, measurer: measurer) + 2 * m,
                        legend.size(columns: 1, measurer: measurer).width + 2 * m)
        let titleBlock = TitleBlock(title: title, subtitle: subtitle, width: pageWidth - 2 * m, style: style, measurer: measurer)
        var y = m + (titleBlock.height > 0 ? titleBlock.height + style.gap : 0)
        // Column headers over the plot areas, wrapped to the plot width.
        var xs: [Double] = []
        var x = m
        for w in widths { xs.append(x); x += w + Self.columnGap }
        let tableX = m + gridWidth + Self.tableGap
        let headerLines = columns.indices.map { c in
            wrapText(columns[c].title, font: style.axisLabelFont, maxWidth: plotSize.width + 8, measurer: measurer)
        }
        let headerTop = y
        y += Double(headerLines.map(\.count).max() ?? 0) * metrics.headerLineHeight + 4
        var outers: [[Rect]] = [], allAxes: [[CartesianAxes]] = [], layouts: [[CartesianAxes.Layout]] = [], tables: [Rect] = []
        for row in rows {
            var rowOuter: [Rect] = [], rowAxes: [CartesianAxes] = [], rowLayouts: [CartesianAxes.Layout] = []
            for c in columns.indices {
                let outer = Rect(x: xs[c], y: y, width: widths[c], height: rowHeight)
                let a = axes(row: row, column: c)
                let axesRect = Rect(x: outer.minX, y: outer.minY + strip, width: outer.width, height: outer.height - strip)
                rowOuter.append(outer)
                rowAxes.append(a)
                rowLayouts.append(a.layout(in: axesRect, measurer: measurer, minimumLeftMargin: left[c]))
            }
            let plotTop = rowLayouts.first?.frame.rect.minY ?? y
            tables.append(Rect(x: tableX, y: max(y, plotTop + plotHeight / 2 - table.size.height / 2), width: table.size.width,
                               height: table.size.height))
            outers.append(rowOuter)
            allAxes.append(rowAxes)
            layouts.append(rowLayouts)
            y += rowHeight + Self.rowGap
        }
        let axisTitleTop = y - Self.rowGap + CartesianAxes.titlePad
        y = axisTitleTop + metrics.axisTitleHeight + style.gap
        let legendColumns = legend.columns(fitting: pageWidth - 2 * m, measurer: measurer)
        let legendSize = legend.size(columns: legendColumns, measurer: measurer)
        let legendOrigin = Point(x: pageWidth / 2 - legendSize.width / 2, y: y)
        y += legendSize.height + m
        return Internal(page: Size(width: pageWidth.rounded(.up), height: y.rounded(.up)), title: titleBlock, headerTops: headerTop,
                        headerLines: headerLines, axes: allAxes, layouts: layouts, panelOuter: outers, tables: tables,
                        tableColumns: table.columns, axisTitleTop: axisTitleTop, legendOrigin: legendOrigin,
                        legendColumns: legendColumns, legendSize: legendSize)
    }

    public func canvasSize(measuring measurer: any TextMeasurer) -> Size { makeLayout(measurer: measurer).page }

    public func layout(measuring measurer: any TextMeasurer) -> Layout {
        let l = makeLayout(measurer: measurer)
        return Layout(page: l.page, panels: l.layouts.map { $0.map(PanelLayout.init) }, tables: l.tables,
                      legend: legend.isEmpty ? nil : Rect(x: l.legendOrigin.x, y: l.legendOrigin.y,
                                                          width: l.legendSize.width, height: l.legendSize.height))
    }

    public func draw(on canvas: any Canvas) {
        let l = makeLayout(measurer: canvas)
        let metrics = Metrics(style: style, measurer: canvas)
        let colors = modelColors
        l.title.draw(on: canvas, centerX: canvas.size.width / 2, top: l.title.style.margin)
        canvas.group("column-headers") {
            for (c, lines) in l.headerLines.enumerated() {
                guard let plot = l.layouts.first?[c].frame.rect else { continue }
                for (i, line) in lines.enumerated() {
                    canvas.drawText(line, at: Point(x: plot.midX, y: l.headerTops + Double(i) * metrics.headerLineHeight),
                                    font: style.axisLabelFont, color: .black, anchor: .topCenter)
                }
            }
            if !countLabels.isEmpty, let first = l.tables.first {
                canvas.drawText(countsTitle, at: Point(x: first.minX, y: l.headerTops), font: style.axisLabelFont, color: .black,
                                anchor: .topLeading)
            }
        }
        for (r, row) in rowNames.enumerated() {
            canvas.group("row:\(row)") {
                for c in columns.indices {
                    canvas.group("panel:\(c)") {
                        drawPanel(row: row, column: c, axes: l.axes[r][c], layout: l.layouts[r][c], outer: l.panelOuter[r][c],
                                  colors: colors, metrics: metrics, on: canvas)
                    }
                }
                if !countLabels.isEmpty {
                    canvas.group("counts") { drawCounts(row: row, in: l.tables[r], columns: l.tableColumns, colors: colors, metrics: metrics, on: canvas) }
                }
            }
        }
        canvas.group("x-titles") {
            for c in columns.indices {
                guard let plot = l.layouts.last?[c].frame.rect else { continue }
                canvas.drawText(columns[c].axisLabel, at: Point(x: plot.midX, y: l.axisTitleTop), font: style.axisLabelFont,
                                color: .black, anchor: .topCenter)
            }
        }
        legend.draw(on: canvas, origin: l.legendOrigin, columns: l.legendColumns)
    }

    private func drawPanel(row: String, column c: Int, axes: CartesianAxes, layout: CartesianAxes.Layout, outer: Rect,
                           colors: [Color], metrics: Metrics, on canvas: any Canvas) {
        let f = layout.frame
        axes.drawGrid(layout, on: canvas)
        let alpha = Self.barAlpha(models.count)
        canvas.withClip(f.rect) {
            for (m, model) in models.enumerated() {
                guard let histogram = layer(model, row)?.histograms[c] else { continue }
                canvas.group("model:\(model.name)") {
                    let e = histogram.edges
                    canvas.group("bars") {
                        for (i, n) in histogram.counts.enumerated() where n > 0 {
                            let x0 = f.px(e[i]), x1 = f.px(e[i + 1])
                            canvas.fillRect(Rect(x: x0, y: f.py(Double(n)), width: x1 - x0, height: f.py(0) - f.py(Double(n))),
                                            color: colors[m].withAlpha(alpha))
                        }
                    }
                    // The step outline keeps overlaid models apart where their bars overlap.
                    var outline = [f.point(e[0], 0)]
                    for (i, n) in histogram.counts.enumerated() {
                        outline.append(f.point(e[i], Double(n)))
                        outline.append(f.point(e[i + 1], Double(n)))
                    }
                    outline.append(f.point(e[e.count - 1], 0))
                    canvas.group("outline") {
                        canvas.strokePolyline(outline, style: StrokeStyle(color: colors[m], width: 0.9))
                    }
                }
            }
            for line in columns[c].thresholds where f.x.contains(line.value) {
                canvas.group("threshold:\(line.label)") {
                    canvas.strokeLine(from: Point(x: f.px(line.value), y: f.rect.minY), to: Point(x: f.px(line.value), y: f.rect.maxY),
                                      style: line.stroke)
                }
            }
        }
        axes.drawAxes(layout, on: canvas)
        let histograms = models.map { layer($0, row)?.histograms[c] }
        let panelHasBars = histograms.contains { $0?.counts.contains { $0 > 0 } ?? false }
        let font = Self.noteFont(style)
        func rangeText(_ h: BinnedCounts) -> String? {
            h.finiteRange.map { $0.lowerBound == $0.upperBound ? Self.short($0.lowerBound) : "\(Self.short($0.lowerBound)) … \(Self.short($0.upperBound))" }
        }
        // A panel with nothing inside its window would read as "no data": say in its middle
        // where the values are. (Only when no model has bars there, so no bar is covered.)
        canvas.group("empty-note") {
            guard !panelHasBars else { return }
            let notes = zip(histograms, colors).compactMap { h, color -> ([String], Color)? in
                guard let h, h.total > 0 else { return nil }
                let side = h.below > 0 && h.above == 0 ? "left of" : (h.above > 0 && h.below == 0 ? "right of" : "outside")
                return (["all \(h.total) \(side) the window"] + (rangeText(h).map { [$0] } ?? []), color)
            }
            let lh = metrics.noteHeight * 1.15
            let total = notes.reduce(0) { $0 + $1.0.count }
            var top = f.rect.midY - Double(total) * lh / 2
            for note in notes {
                let lines = note.0
                defer { top += Double(lines.count) * lh }
                for (j, line) in lines.enumerated() {
                    // A white box so the threshold lines do not cut through the words.
                    let w = canvas.measure(line, font: font).width + 4
                    canvas.fillRect(Rect(x: f.rect.midX - w / 2, y: top + Double(j) * lh - 0.5, width: w, height: lh),
                                    color: Color.white.withAlpha(0.9))
                    canvas.drawText(line, at: Point(x: f.rect.midX, y: top + Double(j) * lh), font: font, color: note.1, anchor: .topCenter)
                }
            }
        }
        // Values outside the window, per model, on the strip above the plot.
        canvas.group("out-of-range") {
            guard panelHasBars else { return }
            let window = columns[c].range
            for (m, h) in histograms.enumerated() {
                guard let h else { continue }
                let y = outer.minY + (Double(m) + 0.5) * metrics.noteHeight
                if h.counts.allSatisfy({ $0 == 0 }) && h.total > 0 {
                    // This model is all outside while another has bars: one line, with its range if it fits.
                    let left = h.above == 0
                    let base = left ? "◀ all \(h.total) < \(Self.short(window.lowerBound))" : "all \(h.total) outside ▶"
                    var text = base
                    if let r = rangeText(h), canvas.measure(base + ": " + r, font: font).width <= f.rect.width { text = base + ": " + r }
                    canvas.drawText(text, at: Point(x: left ? f.rect.minX : f.rect.maxX, y: y), font: font, color: colors[m],
                                    anchor: left ? .leadingMiddle : .trailingMiddle)
                    continue
                }
                if h.below > 0 {
                    canvas.drawText("◀ \(h.below) < \(Self.short(window.lowerBound))", at: Point(x: f.rect.minX, y: y), font: font,
                                    color: colors[m], anchor: .leadingMiddle)
                }
                if h.above > 0 {
                    canvas.drawText("\(h.above) ≥ \(Self.short(window.upperBound)) ▶", at: Point(x: f.rect.maxX, y: y), font: font,
                                    color: colors[m], anchor: .trailingMiddle)
                }
            }
        }
    }

    private func drawCounts(row: String, in rect: Rect, columns widths: [Double], colors: [Color], metrics: Metrics, on canvas: any Canvas) {
        let font = style.tickFont
        let lh = metrics.countLineHeight
        var x = rect.minX + widths[0]
        for (m, model) in models.enumerated() {
            x += widths[m + 1]
            canvas.drawText(model.shortName, at: Point(x: x, y: rect.minY + lh / 2), font: font.bold, color: colors[m], anchor: .trailingMiddle)
        }
        for (i, label) in countLabels.enumerated() {
            let y = rect.minY + (Double(i) + 1.5) * lh
            canvas.drawText(label, at: Point(x: rect.minX, y: y), font: font, color: .gray(0.1), anchor: .leadingMiddle)
            var x = rect.minX + widths[0]
            for (m, model) in models.enumerated() {
                x += widths[m + 1]
                let text = layer(model, row).map { String($0.counts[i]) } ?? "–"
                canvas.drawText(text, at: Point(x: x, y: y), font: font, color: colors[m], anchor: .trailingMiddle)
            }
        }
    }
}
