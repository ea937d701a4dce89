import Foundation

/// Axis ticks at multiples of a "nice" step (1, 2 or 5 × 10^k) that cover a data range.
public struct NiceTicks: Hashable, Sendable {
    public let values: [Double]
    public let step: Double
    /// Decimals needed to print every tick exactly.
    public let decimals: Int

    /// Ticks covering [lower, upper] with about `targetCount` values (never more than
    /// `targetCount + 1`, never fewer than 2). A degenerate range is widened around its value.
    public init(covering lower: Double, _ upper: Double, targetCount: Int = 6) {
        precondition(lower.isFinite && upper.isFinite, "tick range must be finite, got \(lower)…\(upper)")
        var lo = min(lower, upper), hi = max(lower, upper)
        if hi - lo <= 1e-12 * max(1, abs(lo)) {
            let pad = lo == 0 ? 0.5 : abs(lo) * 0.05
            lo -= pad
            hi += pad
        }
        let raw = (hi - lo) / Double(max(1, targetCount - 1))
        var exponent = floor(log10(raw))
        var step = 0.0
        search: while true {
            for m in [1.0, 2.0, 5.0] {
                let candidate = m * pow(10, exponent)
                if candidate >= raw * (1 - 1e-9) {
                    step = candidate
                    break search
                }
            }
            exponent += 1
        }
        // A hair of slack so that a bound already on a multiple of the step stays the end tick.
        let first = (lo / step + 1e-9).rounded(.down)
        let last = (hi / step - 1e-9).rounded(.up)
        let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        let scale = pow(10, Double(decimals))
        values = stride(from: first, through: last, by: 1).map { ($0 * step * scale).rounded() / scale }
        self.step = step
        self.decimals = decimals
    }

    public var domain: ClosedRange<Double> { values.first!...values.last! }

    public var labels: [String] { values.map { NumberText.fixed($0, decimals: decimals) } }

    /// True when `step` is 1, 2 or 5 times a power of ten.
    public static func isNiceStep(_ step: Double) -> Bool {
        guard step > 0, step.isFinite else { return false }
        let mantissa = step / pow(10, floor(log10(step) + 1e-12))
        return [1.0, 2.0, 5.0, 10.0].contains { abs(mantissa - $0) < 1e-6 }
    }
}

/// The ticks an axis shows: positions, their labels and the visible data range.
struct AxisTicks {
    var values: [Double]
    var labels: [String]
    var domain: ClosedRange<Double>

    init(nice: NiceTicks) {
        values = nice.values
        labels = nice.labels
        domain = nice.domain
    }

    init(values: [Double], labels: [String], domain: ClosedRange<Double>) {
        self.values = values
        self.labels = labels
        self.domain = domain
    }
}

/// How an axis chooses ticks.
enum TickRule {
    /// Nice ticks covering the data range, as many as the axis length allows.
    case nice(ClosedRange<Double>)
    /// Fixed positions and labels over a fixed domain (e.g. bit precisions 2…16).
    case fixed(values: [Double], labels: [String], domain: ClosedRange<Double>)

    /// The densest nice ticks whose labels keep `minSpacing(labels)` apart on `length` points.
    func resolve(length: Double, minSpacing: ([String]) -> Double) -> AxisTicks {
        switch self {
        case let .fixed(values, labels, domain):
            return AxisTicks(values: values, labels: labels, domain: domain)
        case let .nice(range):
            var fallback: AxisTicks?
            for target in stride(from: 8, through: 2, by: -1) {
                let ticks = AxisTicks(nice: NiceTicks(covering: range.lowerBound, range.upperBound, targetCount: target))
                fallback = ticks
                let spacing = length / Double(max(1, ticks.values.count - 1))
                if spacing >= minSpacing(ticks.labels) { return ticks }
            }
            return fallback!
        }
    }
}

/// Maps data coordinates into a plot rectangle (y up on the page).
struct PlotFrame {
    var rect: Rect
    var x: ClosedRange<Double>
    var y: ClosedRange<Double>

    func px(_ value: Double) -> Double {
        rect.minX + (value - x.lowerBound) / (x.upperBound - x.lowerBound) * rect.width
    }

    func py(_ value: Double) -> Double {
        rect.maxY - (value - y.lowerBound) / (y.upperBound - y.lowerBound) * rect.height
    }

    func point(_ xv: Double, _ yv: Double) -> Point { Point(x: px(xv), y: py(yv)) }
}

/// A Cartesian panel: frame, grid, ticks, tick labels and axis titles around a plot
/// rectangle whose margins come from the measured labels.
struct CartesianAxes {
    var xTitle: String
    var yTitle: String
    var xRule: TickRule
    var yRule: TickRule
    var showXTickLabels = true
    var showXTitle = true
    var style: FigureStyle

    static let tickLength = 3.0
    static let tickPad = 2.5
    static let titlePad = 4.0

    struct Layout {
        var frame: PlotFrame
        var xTicks: AxisTicks
        var yTicks: AxisTicks
        /// Left margin from the outer rectangle to the plot (for aligning stacked panels).
        var leftMargin: Double
    }

    /// Lays the panel out inside `outer`; `minimumLeftMargin` aligns stacked panels.
    func layout(in outer: Rect, measurer: any TextMeasurer, minimumLeftMargin: Double = 0) -> Layout {
        let tickHeight = measurer.measure("0", font: style.tickFont).height
        let titleHeight = measurer.measure("Hg", font: style.axisLabelFont).height
        let widest: ([String]) -> Double = { labels in
            labels.map { measurer.measure($0, font: style.tickFont).width }.max() ?? 0
        }
        var bottom = 0.0
        if showXTickLabels { bottom += Self.tickLength + Self.tickPad + tickHeight }
        if showXTitle && !xTitle.isEmpty { bottom += Self.titlePad + titleHeight }
        let top = tickHeight / 2
        let plotHeight = outer.height - top - bottom
        let yTicks = yRule.resolve(length: plotHeight) { _ in tickHeight * 1.4 }
        var left = Self.tickLength + Self.tickPad + widest(yTicks.labels)
        if !yTitle.isEmpty { left += Self.titlePad + titleHeight }
        left = max(left, minimumLeftMargin)

        var right = 0.0
        var xTicks = xRule.resolve(length: outer.width - left) { labels in widest(labels) + 8 }
        for _ in 0..<3 {
            let lastHalf = showXTickLabels ? measurer.measure(xTicks.labels.last ?? "", font: style.tickFont).width / 2 : 0
            let firstHalf = showXTickLabels ? measurer.measure(xTicks.labels.first ?? "", font: style.tickFont).width / 2 : 0
            right = lastHalf
            // The first x label must not reach left of the page area the y labels leave free.
            left = max(left, firstHalf)
            xTicks = xRule.resolve(length: outer.width - left - right) { labels in widest(labels) + 8 }
        }
        let plot = Rect(x: outer.minX + left, y: outer.minY + top,
                        width: max(1, outer.width - left - right), height: max(1, plotHeight))
        return Layout(frame: PlotFrame(rect: plot, x: xTicks.domain, y: yTicks.domain),
                      xTicks: xTicks, yTicks: yTicks, leftMargin: left)
    }

    /// Grid lines under the data.
    func drawGrid(_ layout: Layout, on canvas: any Canvas) {
        let f = layout.frame
        let grid = StrokeStyle(color: style.gridColor, width: 0.5)
        canvas.group("grid") {
            for v in layout.yTicks.values where v > f.y.lowerBound && v < f.y.upperBound {
                canvas.strokeLine(from: Point(x: f.rect.minX, y: f.py(v)), to: Point(x: f.rect.maxX, y: f.py(v)), style: grid)
            }
            for v in layout.xTicks.values where v > f.x.lowerBound && v < f.x.upperBound {
                canvas.strokeLine(from: Point(x: f.px(v), y: f.rect.minY), to: Point(x: f.px(v), y: f.rect.maxY), style: grid)
            }
        }
    }

    /// Frame, ticks, tick labels and axis titles over the data.
    func drawAxes(_ layout: Layout, on canvas: any Canvas) {
        let f = layout.frame
        let line = StrokeStyle(color: style.frameColor, width: 0.8)
        let textColor = Color.gray(0.1)
        canvas.group("axes") {
            canvas.strokeRect(f.rect, style: line)
            for (v, label) in zip(layout.yTicks.values, layout.yTicks.labels) {
                let y = f.py(v)
                canvas.strokeLine(from: Point(x: f.rect.minX - Self.tickLength, y: y), to: Point(x: f.rect.minX, y: y), style: line)
                canvas.group("y-tick-label") {
                    canvas.drawText(label, at: Point(x: f.rect.minX - Self.tickLength - Self.tickPad, y: y),
                                    font: style.tickFont, color: textColor, anchor: .trailingMiddle)
                }
            }
            for (v, label) in zip(layout.xTicks.values, layout.xTicks.labels) {
                let x = f.px(v)
                canvas.strokeLine(from: Point(x: x, y: f.rect.maxY), to: Point(x: x, y: f.rect.maxY + Self.tickLength), style: line)
                if showXTickLabels {
                    canvas.group("x-tick-label") {
                        canvas.drawText(label, at: Point(x: x, y: f.rect.maxY + Self.tickLength + Self.tickPad),
                                        font: style.tickFont, color: textColor, anchor: .topCenter)
                    }
                }
            }
            let tickHeight = canvas.measure("0", font: style.tickFont).height
            if showXTitle && !xTitle.isEmpty {
                var y = f.rect.maxY + Self.titlePad
                if showXTickLabels { y += Self.tickLength + Self.tickPad + tickHeight }
                canvas.group("x-title") {
                    canvas.drawText(xTitle, at: Point(x: f.rect.midX, y: y), font: style.axisLabelFont,
                                    color: .black, anchor: .topCenter)
                }
            }
            if !yTitle.isEmpty {
                let x = f.rect.minX - layout.leftMargin
                canvas.group("y-title") {
                    canvas.drawText(yTitle, at: Point(x: x, y: f.rect.midY), font: style.axisLabelFont, color: .black,
                                    anchor: TextAnchor(.center, .top), rotation: 90)
                }
            }
        }
    }

    /// The smallest outer size that leaves a usable plot: titles must fit along their axes.
    func minimumOuterSize(measurer: any TextMeasurer) -> Size {
        let xTitleWidth = measurer.measure(xTitle, font: style.axisLabelFont).width
        let yTitleWidth = measurer.measure(yTitle, font: style.axisLabelFont).width
        return Size(width: max(100, xTitleWidth), height: max(80, yTitleWidth))
    }
}
