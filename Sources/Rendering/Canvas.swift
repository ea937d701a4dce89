import Foundation

/// A font of the one family every figure uses, DejaVu Sans (Cairo's toy text API).
public struct Font: Hashable, Sendable {
    public enum Weight: Hashable, Sendable { case regular, bold }
    public enum Slant: Hashable, Sendable { case upright, oblique }

    /// The family passed to `cairo_select_font_face`.
    public static let family = "DejaVu Sans"

    /// Size in points (the em height).
    public var size: Double
    public var weight: Weight
    public var slant: Slant

    public init(size: Double, weight: Weight = .regular, slant: Slant = .upright) {
        precondition(size > 0 && size.isFinite, "font size must be positive, got \(size)")
        self.size = size
        self.weight = weight
        self.slant = slant
    }

    public var bold: Font { Font(size: size, weight: .bold, slant: slant) }
    public func sized(_ size: Double) -> Font { Font(size: size, weight: weight, slant: slant) }
}

/// The measured size of a run of text set on one baseline.
///
/// `width` is the advance width; `ascent` and `descent` are the font's (not the glyphs')
/// extents, so every string of a font has the same height and one baseline per row.
public struct TextExtent: Hashable, Sendable {
    public var width: Double
    public var ascent: Double
    public var descent: Double

    public init(width: Double, ascent: Double, descent: Double) {
        self.width = width
        self.ascent = ascent
        self.descent = descent
    }

    public var height: Double { ascent + descent }
}

/// Measures text. Figures lay out from measurements only, so every canvas that measures
/// with the same measurer (Cairo, hint metrics off) produces the same layout.
public protocol TextMeasurer: AnyObject {
    func measure(_ text: String, font: Font) -> TextExtent
}

/// Where the anchor point sits on a text's box (before rotation).
public struct TextAnchor: Hashable, Sendable {
    public enum Horizontal: Hashable, Sendable { case leading, center, trailing }
    /// `middle` centres the ascent–descent box, which for DejaVu Sans is within 2 % of the
    /// middle of the capitals and digits.
    public enum Vertical: Hashable, Sendable { case top, middle, baseline, bottom }

    public var horizontal: Horizontal
    public var vertical: Vertical

    public init(_ horizontal: Horizontal, _ vertical: Vertical) {
        self.horizontal = horizontal
        self.vertical = vertical
    }

    public static let center = TextAnchor(.center, .middle)
    public static let topLeading = TextAnchor(.leading, .top)
    public static let topCenter = TextAnchor(.center, .top)
    public static let bottomCenter = TextAnchor(.center, .bottom)
    public static let leadingMiddle = TextAnchor(.leading, .middle)
    public static let trailingMiddle = TextAnchor(.trailing, .middle)
}

/// The geometry of one placed text run: shared by the Cairo canvas (to draw) and the
/// recording canvas (to report boxes), so recorded boxes are where the glyphs land.
public struct TextPlacement: Hashable, Sendable {
    /// The anchor point in canvas coordinates.
    public var anchorPoint: Point
    /// Rotation in degrees, counter-clockwise as seen on the page (90 reads bottom to top).
    public var rotation: Double
    /// The start of the baseline relative to the anchor, in the text's own unrotated frame.
    public var baselineOffset: Point
    public var extent: TextExtent

    public init(extent: TextExtent, at anchorPoint: Point, anchor: TextAnchor, rotation: Double) {
        self.extent = extent
        self.anchorPoint = anchorPoint
        self.rotation = rotation
        let dx: Double
        switch anchor.horizontal {
        case .leading: dx = 0
        case .center: dx = -extent.width / 2
        case .trailing: dx = -extent.width
        }
        let dy: Double
        switch anchor.vertical {
        case .top: dy = extent.ascent
        case .middle: dy = (extent.ascent - extent.descent) / 2
        case .baseline: dy = 0
        case .bottom: dy = -extent.descent
        }
        baselineOffset = Point(x: dx, y: dy)
    }

    /// Maps a point of the text's own frame (origin at the anchor) to the canvas.
    func toCanvas(_ local: Point) -> Point {
        let theta = rotation * .pi / 180
        let c = cos(theta), s = sin(theta)
        return Point(x: anchorPoint.x + local.x * c + local.y * s,
                     y: anchorPoint.y - local.x * s + local.y * c)
    }

    /// The four corners of the ascent–descent box, in drawing order.
    public var corners: [Point] {
        let o = baselineOffset, e = extent
        return [Point(x: o.x, y: o.y - e.ascent), Point(x: o.x + e.width, y: o.y - e.ascent),
                Point(x: o.x + e.width, y: o.y + e.descent), Point(x: o.x, y: o.y + e.descent)]
            .map(toCanvas)
    }

    /// The axis-aligned bounds of the (possibly rotated) box.
    public var bounds: Rect { Rect(bounding: corners)! }
}

/// A line's dash pattern: alternating on/off lengths in points; empty is solid.
public struct DashPattern: Hashable, Sendable {
    public var segments: [Double]

    public init(_ segments: [Double]) {
        precondition(segments.allSatisfy { $0 >= 0 }, "dash lengths must be ≥ 0: \(segments)")
        self.segments = segments
    }

    public static let solid = DashPattern([])
    public static let dashed = DashPattern([5, 2.5])
    public static let dotted = DashPattern([1.2, 2])
    public static let dashDot = DashPattern([6, 2, 1.2, 2])
    public static let longDash = DashPattern([10, 3])
    public static let dashDotDot = DashPattern([6, 2, 1.2, 2, 1.2, 2])

    /// Patterns assigned to series in order; five against seven colours gives 35 distinct pairs.
    public static let seriesPatterns: [DashPattern] = [solid, dashed, dashDot, longDash, dashDotDot]

    public var isSolid: Bool { segments.isEmpty || segments.allSatisfy { $0 == 0 } }
}

/// How a line is stroked.
public struct StrokeStyle: Hashable, Sendable {
    public enum Cap: Hashable, Sendable { case butt, round, square }

    public var color: Color
    public var width: Double
    public var dash: DashPattern
    public var cap: Cap

    public init(color: Color, width: Double = 1, dash: DashPattern = .solid, cap: Cap = .butt) {
        self.color = color
        self.width = width
        self.dash = dash
        self.cap = cap
    }
}

/// Marker shapes for data points; `size` is the diameter of the circumscribing circle.
public enum MarkerShape: CaseIterable, Hashable, Sendable {
    case circle, square, diamond, triangleUp, triangleDown, pentagon, hexagon

    /// The outline as a polygon around `center` (the circle is approximated for geometry only).
    public func outline(center: Point, size: Double) -> [Point] {
        let r = size / 2
        func regular(_ n: Int, rotation: Double, radius: Double) -> [Point] {
            (0..<n).map { k in
                let a = rotation + 2 * Double.pi * Double(k) / Double(n)
                return Point(x: center.x + radius * cos(a), y: center.y - radius * sin(a))
            }
        }
        switch self {
        case .circle: return regular(24, rotation: 0, radius: r)
        case .square: return regular(4, rotation: .pi / 4, radius: r * 0.9)
        case .diamond: return regular(4, rotation: .pi / 2, radius: r * 1.05)
        case .triangleUp: return regular(3, rotation: .pi / 2, radius: r * 1.1)
        case .triangleDown: return regular(3, rotation: -.pi / 2, radius: r * 1.1)
        case .pentagon: return regular(5, rotation: .pi / 2, radius: r)
        case .hexagon: return regular(6, rotation: 0, radius: r)
        }
    }
}

/// A surface figures draw on. Coordinates are points with the origin top left.
///
/// `CairoCanvas` renders to PNG or PDF; `RecordingCanvas` keeps the commands so tests can
/// check geometry and text without pixels. Groups name parts of a figure ("legend",
/// "plot", …) for the recording; drawing ignores them.
public protocol Canvas: TextMeasurer {
    /// The page size in points.
    var size: Size { get }

    func strokeLine(from start: Point, to end: Point, style: StrokeStyle)
    func strokePolyline(_ points: [Point], style: StrokeStyle)
    func fillPolygon(_ points: [Point], color: Color)
    func fillRect(_ rect: Rect, color: Color)
    func strokeRect(_ rect: Rect, style: StrokeStyle)
    func drawMarker(_ shape: MarkerShape, at center: Point, size: Double, fill: Color?, stroke: StrokeStyle?)
    /// Draws `text` on one baseline, placed by `anchor` at `point`, rotated `rotation`
    /// degrees counter-clockwise about `point`.
    func drawText(_ text: String, at point: Point, font: Font, color: Color, anchor: TextAnchor, rotation: Double)
    /// Intersects the clip with `rect` until the matching `popClip`.
    func pushClip(_ rect: Rect)
    func popClip()
    func beginGroup(_ name: String)
    func endGroup()
}

extension Canvas {
    public func drawText(_ text: String, at point: Point, font: Font, color: Color = .black,
                         anchor: TextAnchor = .topLeading) {
        drawText(text, at: point, font: font, color: color, anchor: anchor, rotation: 0)
    }

    /// Runs `body` with the clip narrowed to `rect`.
    public func withClip(_ rect: Rect, _ body: () -> Void) {
        pushClip(rect)
        body()
        popClip()
    }

    /// Runs `body` inside the named group.
    public func group(_ name: String, _ body: () -> Void) {
        beginGroup(name)
        body()
        endGroup()
    }
}
