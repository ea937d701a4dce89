/// A text run as drawn, with its box.
public struct RecordedText: Hashable, Sendable {
    public var string: String
    public var font: Font
    public var color: Color
    public var anchor: TextAnchor
    public var placement: TextPlacement

    /// The (possibly rotated) ascent–descent box, four corners.
    public var corners: [Point] { placement.corners }
    /// Axis-aligned bounds of `corners`.
    public var bounds: Rect { placement.bounds }
    public var rotation: Double { placement.rotation }
    public var anchorPoint: Point { placement.anchorPoint }

    /// True when the boxes of the two runs overlap (rotation taken into account).
    public func overlaps(_ other: RecordedText, tolerance: Double = 0.01) -> Bool {
        convexPolygonsOverlap(corners, other.corners, tolerance: tolerance)
    }
}

/// One drawing command as recorded, with the names of the groups open at the time
/// (outermost first).
public struct RecordedCommand: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case line(from: Point, to: Point, style: StrokeStyle)
        case polyline([Point], style: StrokeStyle)
        case polygon([Point], color: Color)
        case fillRect(Rect, color: Color)
        case strokeRect(Rect, style: StrokeStyle)
        case marker(MarkerShape, center: Point, size: Double, fill: Color?, stroke: StrokeStyle?)
        case text(RecordedText)
        case pushClip(Rect)
        case popClip
    }

    public var kind: Kind
    public var groups: [String]
    /// The clip in force (intersection of the pushed rectangles), if any.
    public var clip: Rect?

    public func isIn(_ group: String) -> Bool { groups.contains(group) }

    /// The points the command touches (text: box corners; marker: its outline); empty for clips.
    public var points: [Point] {
        switch kind {
        case let .line(a, b, _): return [a, b]
        case let .polyline(p, _), let .polygon(p, _): return p
        case let .fillRect(r, _), let .strokeRect(r, _): return r.corners
        case let .marker(shape, c, s, _, _): return shape.outline(center: c, size: s)
        case let .text(t): return t.corners
        case .pushClip, .popClip: return []
        }
    }
}

/// A canvas that records commands instead of drawing, measuring text with a real measurer
/// (Cairo by default) so its layout is the one `CairoCanvas` draws.
public final class RecordingCanvas: Canvas {
    public let size: Size
    public private(set) var commands: [RecordedCommand] = []
    private let measurer: any TextMeasurer
    private var groupStack: [String] = []
    private var clipStack: [Rect] = []

    public init(size: Size, measurer: any TextMeasurer = CairoTextMeasurer()) {
        self.size = size
        self.measurer = measurer
    }

    /// The whole page as a rectangle.
    public var pageRect: Rect { Rect(x: 0, y: 0, width: size.width, height: size.height) }

    public func measure(_ text: String, font: Font) -> TextExtent {
        measurer.measure(text, font: font)
    }

    private func record(_ kind: RecordedCommand.Kind) {
        commands.append(RecordedCommand(kind: kind, groups: groupStack, clip: clipStack.last))
    }

    public func strokeLine(from start: Point, to end: Point, style: StrokeStyle) {
        record(.line(from: start, to: end, style: style))
    }

    public func strokePolyline(_ points: [Point], style: StrokeStyle) {
        guard points.count >= 2 else { return }
        record(.polyline(points, style: style))
    }

    public func fillPolygon(_ points: [Point], color: Color) {
        guard points.count >= 3 else { return }
        record(.polygon(points, color: color))
    }

    public func fillRect(_ rect: Rect, color: Color) { record(.fillRect(rect, color: color)) }

    public func strokeRect(_ rect: Rect, style: StrokeStyle) { record(.strokeRect(rect, style: style)) }

    public func drawMarker(_ shape: MarkerShape, at center: Point, size: Double, fill: Color?, stroke: StrokeStyle?) {
        record(.marker(shape, center: center, size: size, fill: fill, stroke: stroke))
    }

    public func drawText(_ text: String, at point: Point, font: Font, color: Color, anchor: TextAnchor, rotation: Double) {
        guard !text.isEmpty else { return }
        let placement = TextPlacement(extent: measure(text, font: font), at: point, anchor: anchor, rotation: rotation)
        record(.text(RecordedText(string: text, font: font, color: color, anchor: anchor, placement: placement)))
    }

    public func pushClip(_ rect: Rect) {
        let clip: Rect
        if let outer = clipStack.last {
            let x0 = max(outer.minX, rect.minX), y0 = max(outer.minY, rect.minY)
            clip = Rect(x: x0, y: y0, width: max(0, min(outer.maxX, rect.maxX) - x0),
                        height: max(0, min(outer.maxY, rect.maxY) - y0))
        } else {
            clip = rect
        }
        record(.pushClip(rect))
        clipStack.append(clip)
    }

    public func popClip() {
        precondition(!clipStack.isEmpty, "popClip without a matching pushClip")
        clipStack.removeLast()
        record(.popClip)
    }

    public func beginGroup(_ name: String) { groupStack.append(name) }

    public func endGroup() {
        precondition(!groupStack.isEmpty, "endGroup without a matching beginGroup")
        groupStack.removeLast()
    }

    // MARK: Queries for tests

    /// Every text run, in drawing order.
    public var texts: [RecordedText] {
        commands.compactMap { if case let .text(t) = $0.kind { return t } else { return nil } }
    }

    /// The text runs drawn inside `group`.
    public func texts(in group: String) -> [RecordedText] {
        commands.compactMap { c in
            if case let .text(t) = c.kind, c.isIn(group) { return t } else { return nil }
        }
    }

    /// The commands drawn inside `group`.
    public func commands(in group: String) -> [RecordedCommand] {
        commands.filter { $0.isIn(group) }
    }

    /// The bounds of everything drawn in `group`, ignoring clipping.
    public func bounds(of group: String) -> Rect? {
        Rect(bounding: commands(in: group).flatMap(\.points))
    }

    /// Pairs of text runs whose boxes overlap.
    public func overlappingTexts(tolerance: Double = 0.01) -> [(RecordedText, RecordedText)] {
        let all = texts
        var pairs: [(RecordedText, RecordedText)] = []
        for i in all.indices {
            for j in all.indices where j > i {
                let a = all[i], b = all[j]
                guard a.bounds.intersects(b.bounds, tolerance: tolerance) else { continue }
                if a.overlaps(b, tolerance: tolerance) { pairs.append((a, b)) }
            }
        }
        return pairs
    }

    /// Text runs whose box reaches outside the page.
    public func textsOutsidePage(tolerance: Double = 0.01) -> [RecordedText] {
        texts.filter { !pageRect.contains($0.bounds, tolerance: tolerance) }
    }
}
