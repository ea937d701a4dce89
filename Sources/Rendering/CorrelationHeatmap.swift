import Foundation

/// An annotated correlation matrix (SPEC §6, "Rank correlation"): one cell per pair of
/// criteria coloured on a sequential colour-blind-safe map (viridis), the value printed in
/// each cell (black or white, whichever contrasts more with the cell), labels on both axes
/// (x labels turn 45° or 90° when they would not fit under their column) and a colour bar.
public struct CorrelationHeatmap: Figure {
    public var labels: [String]
    /// `matrix[row][column]`, n × n for n labels. NaN cells are grey and read "n/a".
    public var matrix: [[Double]]
    /// Should name the dataset, network and seeds, e.g. "… — MNIST, MLP, seeds 0–9".
    public var title: String
    public var subtitle: String?
    /// The value range of the colour map; `nil` uses 0…1, or −1…1 when a value is negative.
    public var valueRange: ClosedRange<Double>?
    public var colorMap: ColorMap
    public var decimals: Int
    public var colorBarLabel: String
    /// Requested page size in points; grown if the labels or annotations need more.
    public var size: Size
    public var style: FigureStyle

    public init(labels: [String], matrix: [[Double]], title: String, subtitle: String? = nil,
                valueRange: ClosedRange<Double>? = nil, colorMap: ColorMap = .viridis, decimals: Int = 2,
                colorBarLabel: String = "Spearman ρ", size: Size = Size(width: 360, height: 330),
                style: FigureStyle = FigureStyle()) {
        precondition(matrix.count == labels.count && matrix.allSatisfy { $0.count == labels.count },
                     "matrix must be \(labels.count)×\(labels.count) for \(labels.count) labels, got \(matrix.count)×\(matrix.map(\.count))")
        precondition(!labels.isEmpty, "a heatmap needs at least one label")
        self.labels = labels
        self.matrix = matrix
        self.title = title
        self.subtitle = subtitle
        self.valueRange = valueRange
        self.colorMap = colorMap
        self.decimals = decimals
        self.colorBarLabel = colorBarLabel
        self.size = size
        self.style = style
    }

    public var documentTitle: String { title }

    /// The colour map's value range in use.
    public var effectiveRange: ClosedRange<Double> {
        if let valueRange { return valueRange }
        let negative = matrix.joined().contains { $0.isFinite && $0 < 0 }
        return negative ? -1...1 : 0...1
    }

    /// The annotation printed in a cell.
    public func annotation(_ value: Double) -> String {
        value.isNaN ? "n/a" : NumberText.fixed(value, decimals: decimals)
    }

    /// The fill of a cell.
    public func cellColor(_ value: Double) -> Color {
        value.isNaN ? .gray(0.85) : colorMap.color(for: value, in: effectiveRange)
    }

    /// The heatmap's geometry on a page.
    public struct Layout: Hashable, Sendable {
        public var page: Size
        /// The n × n grid; cell (r, c) is at `grid.minX + c·cell`, `grid.minY + r·cell`.
        public var grid: Rect
        public var cell: Double
        public var colorBar: Rect
        public var colorBarTicks: [Double]
        /// Rotation of the x labels in degrees (0, 45 or 90).
        public var xLabelRotation: Double
        public var annotationFont: Font
        /// False when the page is too small for the content (use `canvasSize`).
        public var fits: Bool
    }

    static let labelPad = 4.0
    static let barGap = 10.0
    static let barWidth = 10.0
    static let minimumAnnotationSize = 6.0

    private var n: Int { labels.count }

    private func widestAnnotation(font: Font, measurer: any TextMeasurer) -> TextExtent {
        var widest = TextExtent(width: 0, ascent: 0, descent: 0)
        for v in matrix.joined() {
            let e = measurer.measure(annotation(v), font: font)
            if e.width > widest.width { widest = e }
        }
        return widest
    }

    public func layout(for size: Size, measuring measurer: any TextMeasurer) -> Layout {
        let m = style.margin
        let titleBlock = TitleBlock(title: title, subtitle: subtitle, width: size.width - 2 * m, style: style, measurer: measurer)
        let top = m + (titleBlock.height > 0 ? titleBlock.height + style.gap : 0)
        let labelFont = style.axisLabelFont
        let labelExtents = labels.map { measurer.measure($0, font: labelFont) }
        let labelWidth = labelExtents.map(\.width).max() ?? 0
        let labelHeight = labelExtents.first?.height ?? 0
        let yBlock = labelWidth + Self.labelPad

        let barTickHeight = measurer.measure("0", font: style.tickFont).height
        let range = effectiveRange
        // The bar's tick count depends on the grid height, chosen below: reserve the widest.
        let barTickWidth = (2...6).flatMap { NiceTicks(covering: range.lowerBound, range.upperBound, targetCount: $0).labels }
            .map { measurer.measure($0, font: style.tickFont).width }.max() ?? 0
        let barTitleHeight = colorBarLabel.isEmpty ? 0 : measurer.measure(colorBarLabel, font: style.axisLabelFont).height + 4
        let rightBlock = Self.barGap + Self.barWidth + CartesianAxes.tickLength + CartesianAxes.tickPad + barTickWidth + barTitleHeight

        let availableWidth = size.width - 2 * m - yBlock - rightBlock
        let availableHeight = size.height - m - top
        let sin45 = sin(Double.pi / 4)

        // Pick the first rotation whose labels fit under their columns.
        var chosen: (rotation: Double, cell: Double, bottom: Double, overhang: Double)?
        var minimumCell = labelHeight * 1.05
        for rotation in [0.0, 45.0, 90.0] {
            let bottom: Double, overhang: Double, needed: Double
            switch rotation {
            case 0:
                bottom = Self.labelPad + labelHeight
                overhang = 0
                needed = max(labelWidth + 4, labelHeight * 1.05)
            case 45:
                bottom = Self.labelPad + (labelWidth + labelHeight) * sin45
                overhang = labelWidth * sin45
                needed = labelHeight / sin45 * 1.05
            default:
                bottom = Self.labelPad + labelWidth
                overhang = 0
                needed = labelHeight * 1.05
            }
            let cell = min((availableWidth - max(0, overhang - yBlock)) / Double(n), (availableHeight - bottom) / Double(n))
            if cell >= needed || rotation == 90 {
                chosen = (rotation, cell, bottom, overhang)
                minimumCell = max(minimumCell, needed)
                break
            }
        }
        let pick = chosen!
        var cell = pick.cell

        // Annotations shrink to fit the cell, down to a floor; below that the page must grow.
        let base = style.annotationFont
        let widest = widestAnnotation(font: base, measurer: measurer)
        var fontSize = base.size
        if widest.width > 0 {
            fontSize = min(base.size, base.size * (cell - 4) / widest.width, base.size * (cell - 2) / widest.height)
        }
        let fits = fontSize >= Self.minimumAnnotationSize && cell >= minimumCell
        fontSize = max(fontSize, Self.minimumAnnotationSize)
        cell = max(cell, 1)

        let gridSide = cell * Double(n)
        let leftBlock = max(yBlock, pick.overhang)
        let contentWidth = leftBlock + gridSide + rightBlock
        let gridX = m + max(0, (size.width - 2 * m - contentWidth) / 2) + leftBlock
        let gridY = top + max(0, (availableHeight - gridSide - pick.bottom) / 2)
        let grid = Rect(x: gridX, y: gridY, width: gridSide, height: gridSide)
        let bar = Rect(x: grid.maxX + Self.barGap, y: grid.minY, width: Self.barWidth, height: gridSide)
        let barTicks = NiceTicks(covering: range.lowerBound, range.upperBound,
                                 targetCount: max(2, min(6, Int(gridSide / (barTickHeight * 1.6)))))
        return Layout(page: size, grid: grid, cell: cell, colorBar: bar,
                      colorBarTicks: barTicks.values.filter { range.contains($0) },
                      xLabelRotation: pick.rotation, annotationFont: base.sized(fontSize),
                      fits: fits && contentWidth <= size.width - 2 * m + 0.5)
    }

    public func canvasSize(measuring measurer: any TextMeasurer) -> Size {
        var page = size
        page.width = max(page.width, TitleBlock.minimumWidth(title: title, subtitle: subtitle, style: style,
                                                             measurer: measurer) + 2 * style.margin)
        for _ in 0..<40 where !layout(for: page, measuring: measurer).fits {
            page.width += 12
            page.height += 12
        }
        return page
    }

    public func draw(on canvas: any Canvas) {
        let l = layout(for: canvas.size, measuring: canvas)
        let titleBlock = TitleBlock(title: title, subtitle: subtitle, width: canvas.size.width - 2 * style.margin,
                                    style: style, measurer: canvas)
        titleBlock.draw(on: canvas, centerX: canvas.size.width / 2, top: style.margin)
        let grid = l.grid, cell = l.cell

        canvas.group("cells") {
            for r in 0..<n {
                for c in 0..<n {
                    let rect = Rect(x: grid.minX + Double(c) * cell, y: grid.minY + Double(r) * cell, width: cell, height: cell)
                    canvas.fillRect(rect.insetBy(dx: 0.4, dy: 0.4), color: cellColor(matrix[r][c]))
                }
            }
        }
        canvas.group("annotations") {
            for r in 0..<n {
                for c in 0..<n {
                    let v = matrix[r][c]
                    let center = Point(x: grid.minX + (Double(c) + 0.5) * cell, y: grid.minY + (Double(r) + 0.5) * cell)
                    canvas.drawText(annotation(v), at: center, font: l.annotationFont,
                                    color: v.isNaN ? .black : cellColor(v).contrastingTextColor, anchor: .center, rotation: 0)
                }
            }
        }
        canvas.group("y-labels") {
            for (r, label) in labels.enumerated() {
                canvas.drawText(label, at: Point(x: grid.minX - Self.labelPad, y: grid.minY + (Double(r) + 0.5) * cell),
                                font: style.axisLabelFont, color: .black, anchor: .trailingMiddle, rotation: 0)
            }
        }
        canvas.group("x-labels") {
            for (c, label) in labels.enumerated() {
                let x = grid.minX + (Double(c) + 0.5) * cell
                let y = grid.maxY + Self.labelPad
                switch l.xLabelRotation {
                case 0:
                    canvas.drawText(label, at: Point(x: x, y: y), font: style.axisLabelFont, color: .black,
                                    anchor: .topCenter, rotation: 0)
                case 45:
                    // The label's end edge is centred under the column with its top corner at
                    // `y`; the text runs down to the left from there.
                    let h = canvas.measure(label, font: style.axisLabelFont).height
                    let s = sin(Double.pi / 4)
                    canvas.drawText(label, at: Point(x: x, y: y + h * s / 2), font: style.axisLabelFont,
                                    color: .black, anchor: TextAnchor(.trailing, .middle), rotation: 45)
                default:
                    canvas.drawText(label, at: Point(x: x, y: y), font: style.axisLabelFont, color: .black,
                                    anchor: TextAnchor(.trailing, .middle), rotation: 90)
                }
            }
        }
        drawColorBar(l, on: canvas)
    }

    private func drawColorBar(_ l: Layout, on canvas: any Canvas) {
        let bar = l.colorBar, range = effectiveRange
        canvas.group("color-bar") {
            let slices = 96
            let sliceHeight = bar.height / Double(slices)
            for i in 0..<slices {
                // Slice i from the bottom; overlap by a hair so viewers show no seams.
                let t = (Double(i) + 0.5) / Double(slices)
                let y = bar.maxY - Double(i + 1) * sliceHeight
                canvas.fillRect(Rect(x: bar.minX, y: y - 0.25, width: bar.width, height: sliceHeight + 0.5),
                                color: colorMap.color(at: t))
            }
            let line = StrokeStyle(color: style.frameColor, width: 0.6)
            canvas.strokeRect(bar, style: line)
            var widest = 0.0
            for v in l.colorBarTicks {
                let y = bar.maxY - (v - range.lowerBound) / (range.upperBound - range.lowerBound) * bar.height
                canvas.strokeLine(from: Point(x: bar.maxX, y: y), to: Point(x: bar.maxX + CartesianAxes.tickLength, y: y), style: line)
                let ticks = NiceTicks(covering: range.lowerBound, range.upperBound, targetCount: l.colorBarTicks.count)
                let label = NumberText.fixed(v, decimals: ticks.decimals)
                widest = max(widest, canvas.measure(label, font: style.tickFont).width)
                canvas.drawText(label, at: Point(x: bar.maxX + CartesianAxes.tickLength + CartesianAxes.tickPad, y: y),
                                font: style.tickFont, color: .black, anchor: .leadingMiddle, rotation: 0)
            }
            if !colorBarLabel.isEmpty {
                let x = bar.maxX + CartesianAxes.tickLength + CartesianAxes.tickPad + widest + 4
                canvas.drawText(colorBarLabel, at: Point(x: x, y: bar.midY), font: style.axisLabelFont, color: .black,
                                anchor: TextAnchor(.center, .top), rotation: 90)
            }
        }
    }
}
