import Foundation

/// Where a legend goes. It is always outside the plot area, so it never covers data.
public enum LegendPlacement: Hashable, Sendable {
    /// Right of the plot when it is narrow enough (at most a third of the page), else below.
    case automatic
    /// One column right of the plot.
    case right
    /// As many columns as fit, below the plot.
    case below
}

/// The visual identity of one series: colour, dash pattern and marker.
public struct SeriesStyle: Hashable, Sendable {
    public var color: Color
    public var dash: DashPattern
    public var marker: MarkerShape

    public init(color: Color, dash: DashPattern, marker: MarkerShape) {
        self.color = color
        self.dash = dash
        self.marker = marker
    }

    /// The style of the `index`-th series: Okabe–Ito colours (7) and dash patterns (5)
    /// cycle together, so the first 35 series differ in colour–dash pair.
    public static func automatic(_ index: Int) -> SeriesStyle {
        let colors = OkabeIto.lineColors, dashes = DashPattern.seriesPatterns, markers = MarkerShape.allCases
        return SeriesStyle(color: colors[index % colors.count], dash: dashes[index % dashes.count],
                           marker: markers[index % markers.count])
    }
}

/// One legend row: a sample (line, band and/or marker) and a label.
struct LegendEntry {
    var label: String
    var line: StrokeStyle?
    var band: Color?
    var marker: MarkerShape?
    var markerColor: Color?
}

struct Legend {
    var entries: [LegendEntry]
    var style: FigureStyle

    static let sampleWidth = 26.0
    static let sampleGap = 5.0
    static let padding = 5.0
    static let columnGap = 12.0
    static let rowGap = 3.0

    var isEmpty: Bool { entries.isEmpty }

    func entryWidth(_ measurer: any TextMeasurer) -> Double {
        Self.sampleWidth + Self.sampleGap + (entries.map { measurer.measure($0.label, font: style.legendFont).width }.max() ?? 0)
    }

    func rowHeight(_ measurer: any TextMeasurer) -> Double {
        max(measurer.measure("Hg", font: style.legendFont).height, 9) + Self.rowGap
    }

    func rows(columns: Int) -> Int { (entries.count + columns - 1) / max(1, columns) }

    func size(columns: Int, measurer: any TextMeasurer) -> Size {
        guard !isEmpty else { return Size(width: 0, height: 0) }
        let cols = min(columns, entries.count)
        let width = Double(cols) * entryWidth(measurer) + Double(cols - 1) * Self.columnGap + 2 * Self.padding
        let height = Double(rows(columns: cols)) * rowHeight(measurer) - Self.rowGap + 2 * Self.padding
        return Size(width: width, height: height)
    }

    /// The most columns that fit in `width` (at least one).
    func columns(fitting width: Double, measurer: any TextMeasurer) -> Int {
        let w = entryWidth(measurer)
        let n = Int(((width - 2 * Self.padding + Self.columnGap) / (w + Self.columnGap)).rounded(.down))
        return max(1, min(entries.count, n))
    }

    /// Draws the legend box with its top-left corner at `origin`; entries fill rows first.
    func draw(on canvas: any Canvas, origin: Point, columns: Int) {
        guard !isEmpty else { return }
        let cols = min(columns, entries.count)
        let box = size(columns: cols, measurer: canvas)
        let entryW = entryWidth(canvas), rowH = rowHeight(canvas)
        canvas.group("legend") {
            let frame = Rect(x: origin.x, y: origin.y, width: box.width, height: box.height)
            canvas.fillRect(frame, color: .white)
            canvas.strokeRect(frame, style: StrokeStyle(color: .gray(0.75), width: 0.6))
            for (i, entry) in entries.enumerated() {
                let col = i % cols, row = i / cols
                let x = origin.x + Self.padding + Double(col) * (entryW + Self.columnGap)
                let midY = origin.y + Self.padding + Double(row) * rowH + (rowH - Self.rowGap) / 2
                let sample = Rect(x: x, y: midY - 4, width: Self.sampleWidth, height: 8)
                if let band = entry.band { canvas.fillRect(sample, color: band) }
                if let line = entry.line {
                    canvas.strokeLine(from: Point(x: sample.minX, y: midY), to: Point(x: sample.maxX, y: midY), style: line)
                }
                if let marker = entry.marker {
                    canvas.drawMarker(marker, at: Point(x: sample.midX, y: midY), size: 6,
                                      fill: entry.markerColor ?? .black, stroke: StrokeStyle(color: .black, width: 0.6))
                }
                canvas.drawText(entry.label, at: Point(x: sample.maxX + Self.sampleGap, y: midY), font: style.legendFont,
                                color: .black, anchor: .leadingMiddle)
            }
        }
    }
}

/// Where the plot region and the legend go on a page, below a title block.
struct PageLayout {
    var title: TitleBlock
    var titleTop: Double
    /// The region for panels (axes with their labels).
    var plotRegion: Rect
    var legendOrigin: Point
    var legendColumns: Int
    var legendSize: Size

    /// Splits the page: margins, title on top, legend right or below per `placement`.
    init(size: Size, title: String, subtitle: String?, legend: Legend, placement: LegendPlacement,
         style: FigureStyle, measurer: any TextMeasurer) {
        let m = style.margin
        let inner = Rect(x: m, y: m, width: size.width - 2 * m, height: size.height - 2 * m)
        self.title = TitleBlock(title: title, subtitle: subtitle, width: inner.width, style: style, measurer: measurer)
        titleTop = inner.minY
        let top = inner.minY + (self.title.height > 0 ? self.title.height + style.gap : 0)
        let region = Rect(x: inner.minX, y: top, width: inner.width, height: inner.maxY - top)

        let single = legend.size(columns: 1, measurer: measurer)
        let useRight: Bool
        switch placement {
        case .right: useRight = true
        case .below: useRight = false
        case .automatic: useRight = single.width <= size.width / 3 && single.height <= region.height
        }
        if legend.isEmpty {
            plotRegion = region
            legendOrigin = Point(x: region.maxX, y: region.maxY)
            legendColumns = 1
            legendSize = Size(width: 0, height: 0)
        } else if useRight {
            legendColumns = 1
            legendSize = single
            plotRegion = Rect(x: region.minX, y: region.minY, width: region.width - single.width - style.gap,
                              height: region.height)
            legendOrigin = Point(x: region.maxX - single.width, y: region.minY)
        } else {
            legendColumns = legend.columns(fitting: region.width, measurer: measurer)
            legendSize = legend.size(columns: legendColumns, measurer: measurer)
            plotRegion = Rect(x: region.minX, y: region.minY, width: region.width,
                              height: region.height - legendSize.height - style.gap)
            legendOrigin = Point(x: region.midX - legendSize.width / 2, y: region.maxY - legendSize.height)
        }
    }

    var legendRect: Rect {
        Rect(x: legendOrigin.x, y: legendOrigin.y, width: legendSize.width, height: legendSize.height)
    }
}
