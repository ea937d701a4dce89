import CCairo
import Foundation
import FileOutput

/// Errors from rendering or writing a figure.
public enum RenderingError: Error, CustomStringConvertible, Equatable {
    /// Cairo reported an error status (`what` says during which step).
    case cairo(what: String, status: String)
    /// Writing or renaming a file failed.
    case write(path: String, reason: String)
    /// The canvas was used after its output had been encoded.
    case finished

    public var description: String {
        switch self {
        case let .cairo(what, status): return "Cairo error while \(what): \(status)"
        case let .write(path, reason): return "cannot write \(path): \(reason)"
        case .finished: return "the canvas was already encoded; create a new one to draw again"
        }
    }
}

/// Cairo font options shared by measuring and drawing. Hinted metrics would round advances
/// to device pixels, so a 200 DPI PNG, a PDF and a recording would lay out differently.
private func applyLayoutFontOptions(_ cr: OpaquePointer) {
    let options = cairo_font_options_create()
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
    cairo_set_font_options(cr, options)
    cairo_font_options_destroy(options)
}

private func selectFont(_ font: Font, on cr: OpaquePointer) {
    cairo_select_font_face(cr, Font.family,
                           font.slant == .oblique ? CAIRO_FONT_SLANT_OBLIQUE : CAIRO_FONT_SLANT_NORMAL,
                           font.weight == .bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
    cairo_set_font_size(cr, font.size)
}

/// Measures text with Cairo's toy API (DejaVu Sans, unhinted metrics) on a 1×1 scratch
/// surface, caching results. Not thread-safe: use one per thread.
public final class CairoTextMeasurer: TextMeasurer {
    private struct Key: Hashable {
        var text: String
        var font: Font
    }

    private let surface: OpaquePointer
    private let cr: OpaquePointer
    private var cache: [Key: TextExtent] = [:]

    public init() {
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1)
        cr = cairo_create(surface)
        applyLayoutFontOptions(cr)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    public func measure(_ text: String, font: Font) -> TextExtent {
        let key = Key(text: text, font: font)
        if let hit = cache[key] { return hit }
        selectFont(font, on: cr)
        var fontExtents = cairo_font_extents_t()
        cairo_font_extents(cr, &fontExtents)
        var textExtents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &textExtents)
        let extent = TextExtent(width: textExtents.x_advance, ascent: fontExtents.ascent,
                                descent: fontExtents.descent)
        cache[key] = extent
        return extent
    }
}

/// Bytes written by a Cairo stream callback.
private final class ByteSink {
    var bytes: [UInt8] = []
}

private let appendToSink: cairo_write_func_t = { closure, data, length in
    guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
    let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
    return CAIRO_STATUS_SUCCESS
}

/// A canvas rendered by Cairo into a PNG (raster at `dpi`) or a one-page vector PDF with
/// embedded (subset) fonts. The size is in points either way, so one drawing routine
/// serves both; encode with `encoded()` or write atomically with `write(to:)`.
public final class CairoCanvas: Canvas {
    public enum Format: Hashable, Sendable {
        /// A raster image with `dpi` pixels per inch (a point is 1/72 inch).
        case png(dpi: Double)
        /// A single-page vector PDF.
        case pdf
    }

    /// The PNG resolution figures are written at unless told otherwise.
    public static let defaultDPI = 200.0

    public let size: Size
    public let format: Format
    private let surface: OpaquePointer
    private let cr: OpaquePointer
    private let sink = ByteSink()
    private let measurer = CairoTextMeasurer()
    private var clipDepth = 0
    private var isFinished = false

    /// A blank white page of `size` points. `title` goes into the PDF metadata.
    public init(size: Size, format: Format, title: String? = nil) throws {
        precondition(size.width > 0 && size.height > 0 && size.width.isFinite && size.height.isFinite,
                     "canvas size must be positive and finite, got \(size)")
        self.size = size
        self.format = format
        switch format {
        case let .png(dpi):
            precondition(dpi > 0 && dpi <= 2400, "dpi must be in (0, 2400], got \(dpi)")
            let scale = dpi / 72
            let w = Int32((size.width * scale).rounded(.up)), h = Int32((size.height * scale).rounded(.up))
            surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h)
            cr = cairo_create(surface)
            cairo_scale(cr, scale, scale)
        case .pdf:
            surface = cairo_pdf_surface_create_for_stream(appendToSink, Unmanaged.passUnretained(sink).toOpaque(),
                                                          size.width, size.height)
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "bmrs-swift Rendering")
            if let title { cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title) }
            cr = cairo_create(surface)
        }
        let status = cairo_status(cr)
        guard status == CAIRO_STATUS_SUCCESS else {
            cairo_destroy(cr)
            cairo_surface_destroy(surface)
            throw RenderingError.cairo(what: "creating a \(size) canvas", status: String(cString: cairo_status_to_string(status)))
        }
        applyLayoutFontOptions(cr)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    public func measure(_ text: String, font: Font) -> TextExtent {
        measurer.measure(text, font: font)
    }

    private func setSource(_ color: Color) {
        cairo_set_source_rgba(cr, color.red, color.green, color.blue, color.alpha)
    }

    private func apply(_ style: StrokeStyle) {
        setSource(style.color)
        cairo_set_line_width(cr, style.width)
        if style.dash.isSolid {
            cairo_set_dash(cr, nil, 0, 0)
        } else {
            cairo_set_dash(cr, style.dash.segments, Int32(style.dash.segments.count), 0)
        }
        switch style.cap {
        case .butt: cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT)
        case .round: cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND)
        case .square: cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE)
        }
    }

    private func tracePolygon(_ points: [Point]) {
        guard let first = points.first else { return }
        cairo_move_to(cr, first.x, first.y)
        for p in points.dropFirst() { cairo_line_to(cr, p.x, p.y) }
        cairo_close_path(cr)
    }

    public func strokeLine(from start: Point, to end: Point, style: StrokeStyle) {
        strokePolyline([start, end], style: style)
    }

    public func strokePolyline(_ points: [Point], style: StrokeStyle) {
        guard points.count >= 2, !isFinished else { return }
        apply(style)
        cairo_move_to(cr, points[0].x, points[0].y)
        for p in points.dropFirst() { cairo_line_to(cr, p.x, p.y) }
        cairo_stroke(cr)
    }

    public func fillPolygon(_ points: [Point], color: Color) {
        guard points.count >= 3, !isFinished else { return }
        setSource(color)
        tracePolygon(points)
        cairo_fill(cr)
    }

    public func fillRect(_ rect: Rect, color: Color) {
        guard !isFinished else { return }
        setSource(color)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_fill(cr)
    }

    public func strokeRect(_ rect: Rect, style: StrokeStyle) {
        guard !isFinished else { return }
        apply(style)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_stroke(cr)
    }

    public func drawMarker(_ shape: MarkerShape, at center: Point, size: Double, fill: Color?, stroke: StrokeStyle?) {
        guard !isFinished else { return }
        if shape == .circle {
            cairo_new_sub_path(cr)
            cairo_arc(cr, center.x, center.y, size / 2, 0, 2 * .pi)
            cairo_close_path(cr)
        } else {
            tracePolygon(shape.outline(center: center, size: size))
        }
        if let fill {
            setSource(fill)
            if stroke != nil { cairo_fill_preserve(cr) } else { cairo_fill(cr) }
        }
        if let stroke {
            apply(stroke)
            cairo_stroke(cr)
        }
        cairo_new_path(cr)
    }

    public func drawText(_ text: String, at point: Point, font: Font, color: Color, anchor: TextAnchor, rotation: Double) {
        guard !text.isEmpty, !isFinished else { return }
        let placement = TextPlacement(extent: measure(text, font: font), at: point, anchor: anchor, rotation: rotation)
        cairo_save(cr)
        cairo_translate(cr, point.x, point.y)
        cairo_rotate(cr, -rotation * .pi / 180)
        selectFont(font, on: cr)
        setSource(color)
        cairo_move_to(cr, placement.baselineOffset.x, placement.baselineOffset.y)
        cairo_show_text(cr, text)
        cairo_new_path(cr)
        cairo_restore(cr)
    }

    public func pushClip(_ rect: Rect) {
        guard !isFinished else { return }
        cairo_save(cr)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_clip(cr)
        clipDepth += 1
    }

    public func popClip() {
        precondition(clipDepth > 0, "popClip without a matching pushClip")
        guard !isFinished else { return }
        cairo_restore(cr)
        clipDepth -= 1
    }

    public func beginGroup(_ name: String) {}
    public func endGroup() {}

    /// Finishes the page and returns the PNG or PDF bytes. The canvas accepts no drawing after.
    public func encoded() throws -> [UInt8] {
        guard !isFinished else { throw RenderingError.finished }
        isFinished = true
        let drawStatus = cairo_status(cr)
        guard drawStatus == CAIRO_STATUS_SUCCESS else {
            throw RenderingError.cairo(what: "drawing", status: String(cString: cairo_status_to_string(drawStatus)))
        }
        switch format {
        case .png:
            cairo_surface_flush(surface)
            let status = cairo_surface_write_to_png_stream(surface, appendToSink, Unmanaged.passUnretained(sink).toOpaque())
            guard status == CAIRO_STATUS_SUCCESS else {
                throw RenderingError.cairo(what: "encoding PNG", status: String(cString: cairo_status_to_string(status)))
            }
        case .pdf:
            cairo_surface_finish(surface)
            let status = cairo_surface_status(surface)
            guard status == CAIRO_STATUS_SUCCESS else {
                throw RenderingError.cairo(what: "finishing PDF", status: String(cString: cairo_status_to_string(status)))
            }
        }
        return sink.bytes
    }

    /// Encodes the page and writes it atomically to `url` (temporary file, then rename).
    public func write(to url: URL) throws {
        try AtomicFile.write(try encoded(), to: url)
    }
}
