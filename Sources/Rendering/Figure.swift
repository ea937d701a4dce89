import Foundation
import FileOutput

/// A figure: plain values in, drawing commands out.
///
/// `draw(on:)` lays the figure out for the canvas's size from text measurements; the size a
/// figure asks for (`canvasSize(measuring:)`) is its requested size, grown where the content
/// (long labels, many entries) needs more room so nothing overlaps or is clipped.
public protocol Figure: Sendable {
    /// The page size in points this figure needs, measured with `measurer`.
    func canvasSize(measuring measurer: any TextMeasurer) -> Size
    /// Draws the whole figure, laid out for `canvas.size`.
    func draw(on canvas: any Canvas)
    /// The title written into PDF metadata.
    var documentTitle: String { get }
}

extension Figure {
    /// Renders into memory: PNG bytes (raster at the format's DPI) or one-page PDF bytes.
    public func render(_ format: CairoCanvas.Format) throws -> [UInt8] {
        let size = canvasSize(measuring: CairoTextMeasurer())
        let canvas = try CairoCanvas(size: size, format: format, title: documentTitle)
        draw(on: canvas)
        return try canvas.encoded()
    }

    /// Writes the figure as a PNG at `dpi` and/or a vector PDF, each file atomically
    /// (a temporary file in the same directory, then a rename).
    public func write(png: URL? = nil, pdf: URL? = nil, dpi: Double = CairoCanvas.defaultDPI) throws {
        if let png { try AtomicFile.write(try render(.png(dpi: dpi)), to: png) }
        if let pdf { try AtomicFile.write(try render(.pdf), to: pdf) }
    }

    /// Draws onto a `RecordingCanvas` of the figure's own size (Cairo-measured text).
    public func recording() -> RecordingCanvas {
        let measurer = CairoTextMeasurer()
        let canvas = RecordingCanvas(size: canvasSize(measuring: measurer), measurer: measurer)
        draw(on: canvas)
        return canvas
    }
}

/// Fonts, spacing and line weights shared by the figure kinds; the defaults suit a figure
/// set at its natural size in a two-column paper (8–10 pt text).
public struct FigureStyle: Hashable, Sendable {
    public var titleFont = Font(size: 10, weight: .bold)
    public var subtitleFont = Font(size: 8.5)
    public var axisLabelFont = Font(size: 9)
    public var tickFont = Font(size: 8)
    public var legendFont = Font(size: 8)
    public var annotationFont = Font(size: 8)
    /// Empty space around the page edge.
    public var margin: Double = 8
    /// Space between blocks (title, plot, legend).
    public var gap: Double = 8
    public var lineWidth: Double = 1.4
    public var frameColor = Color.gray(0.15)
    public var gridColor = Color.gray(0.88)
    public var subtitleColor = Color.gray(0.3)
    /// Opacity of ±1 std bands.
    public var bandAlpha: Double = 0.18

    public init() {}
}

/// Number formatting for figures: fixed decimals, a true minus sign (U+2212), no "−0.00".
public enum NumberText {
    public static let minus = "\u{2212}"

    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "∞" : "\(minus)∞") }
        var text = String(format: "%.\(max(0, decimals))f", value)
        if text.hasPrefix("-") {
            let magnitude = text.dropFirst()
            text = magnitude.allSatisfy { $0 == "0" || $0 == "." } ? String(magnitude) : minus + magnitude
        }
        return text
    }
}

/// Greedy word wrapping by measured width. A word wider than `maxWidth` gets a line of its own.
func wrapText(_ text: String, font: Font, maxWidth: Double, measurer: any TextMeasurer) -> [String] {
    var lines: [String] = []
    for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var line = ""
        for word in paragraph.split(separator: " ") {
            let candidate = line.isEmpty ? String(word) : line + " " + word
            if line.isEmpty || measurer.measure(candidate, font: font).width <= maxWidth {
                line = candidate
            } else {
                lines.append(line)
                line = String(word)
            }
        }
        lines.append(line)
    }
    return lines.filter { !$0.isEmpty }
}

/// The widest single word of `text`, so a page can be made at least that wide.
func widestWord(_ text: String, font: Font, measurer: any TextMeasurer) -> Double {
    text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        .map { measurer.measure(String($0), font: font).width }.max() ?? 0
}

/// A title and an optional subtitle, wrapped to the page width, at the top of a figure.
struct TitleBlock {
    var titleLines: [String]
    var subtitleLines: [String]
    var style: FigureStyle
    var lineHeight: (title: Double, subtitle: Double)

    init(title: String, subtitle: String?, width: Double, style: FigureStyle, measurer: any TextMeasurer) {
        self.style = style
        titleLines = wrapText(title, font: style.titleFont, maxWidth: width, measurer: measurer)
        subtitleLines = subtitle.map { wrapText($0, font: style.subtitleFont, maxWidth: width, measurer: measurer) } ?? []
        lineHeight = (measurer.measure("Hg", font: style.titleFont).height * 1.05,
                      measurer.measure("Hg", font: style.subtitleFont).height * 1.05)
    }

    var height: Double {
        let t = Double(titleLines.count) * lineHeight.title
        let s = Double(subtitleLines.count) * lineHeight.subtitle
        return t + s + (titleLines.isEmpty || subtitleLines.isEmpty ? 0 : 2)
    }

    /// Needed width: the widest word, since lines wrap at spaces only.
    static func minimumWidth(title: String, subtitle: String?, style: FigureStyle, measurer: any TextMeasurer) -> Double {
        max(widestWord(title, font: style.titleFont, measurer: measurer),
            widestWord(subtitle ?? "", font: style.subtitleFont, measurer: measurer))
    }

    /// Draws the lines centred on `centerX`, starting at `top`.
    func draw(on canvas: any Canvas, centerX: Double, top: Double) {
        canvas.group("title") {
            var y = top
            for line in titleLines {
                canvas.drawText(line, at: Point(x: centerX, y: y), font: style.titleFont, color: .black, anchor: .topCenter)
                y += lineHeight.title
            }
            if !titleLines.isEmpty && !subtitleLines.isEmpty { y += 2 }
            for line in subtitleLines {
                canvas.drawText(line, at: Point(x: centerX, y: y), font: style.subtitleFont,
                                color: style.subtitleColor, anchor: .topCenter)
                y += lineHeight.subtitle
            }
        }
    }
}
