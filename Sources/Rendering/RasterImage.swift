import CCairo
import Foundation

/// A decoded raster image (Cairo ARGB32, premultiplied), for comparing rendered figures
/// with golden images by pixels rather than bytes.
public struct RasterImage: Hashable, Sendable {
    public let width: Int
    public let height: Int
    /// Row-major pixels, `0xAARRGGBB` premultiplied.
    public let pixels: [UInt32]

    public init(width: Int, height: Int, pixels: [UInt32]) {
        precondition(pixels.count == width * height, "\(width)×\(height) image needs \(width * height) pixels, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Decodes PNG bytes with Cairo.
    public init(png bytes: [UInt8]) throws {
        let source = ByteSource(bytes)
        let surface = cairo_image_surface_create_from_png_stream({ closure, data, length in
            guard let closure, let data else { return CAIRO_STATUS_READ_ERROR }
            let source = Unmanaged<ByteSource>.fromOpaque(closure).takeUnretainedValue()
            let n = Int(length)
            guard source.offset + n <= source.bytes.count else { return CAIRO_STATUS_READ_ERROR }
            source.bytes.withUnsafeBufferPointer { buffer in
                data.update(from: buffer.baseAddress! + source.offset, count: n)
            }
            source.offset += n
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(source).toOpaque())
        defer { cairo_surface_destroy(surface) }
        try self.init(surface: surface, what: "decoding PNG")
    }

    /// Decodes a PNG file with Cairo.
    public init(contentsOf url: URL) throws {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: url))
        } catch {
            throw RenderingError.write(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        try self.init(png: bytes)
    }

    private init(surface: OpaquePointer?, what: String) throws {
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw RenderingError.cairo(what: what, status: String(cString: cairo_status_to_string(status)))
        }
        let image: OpaquePointer?
        // Convert whatever PNG format Cairo chose (RGB24 for opaque PNGs) to ARGB32.
        if cairo_image_surface_get_format(surface) == CAIRO_FORMAT_ARGB32 {
            image = cairo_surface_reference(surface)
        } else {
            image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, cairo_image_surface_get_width(surface),
                                               cairo_image_surface_get_height(surface))
            let cr = cairo_create(image)
            cairo_set_source_surface(cr, surface, 0, 0)
            cairo_paint(cr)
            cairo_destroy(cr)
        }
        defer { cairo_surface_destroy(image) }
        cairo_surface_flush(image)
        let w = Int(cairo_image_surface_get_width(image)), h = Int(cairo_image_surface_get_height(image))
        let stride = Int(cairo_image_surface_get_stride(image))
        guard let data = cairo_image_surface_get_data(image) else {
            throw RenderingError.cairo(what: what, status: "no pixel data")
        }
        var pixels = [UInt32](repeating: 0, count: w * h)
        for y in 0..<h {
            let row = UnsafeRawPointer(data + y * stride)
            for x in 0..<w { pixels[y * w + x] = row.loadUnaligned(fromByteOffset: 4 * x, as: UInt32.self) }
        }
        self.init(width: w, height: h, pixels: pixels)
    }

    /// Compares pixel by pixel: a pixel differs when any channel (A, R, G, B) differs by
    /// more than `channelTolerance` (0–255).
    public func difference(from other: RasterImage, channelTolerance: Int) -> ImageDifference {
        guard width == other.width, height == other.height else {
            return ImageDifference(sizesMatch: false, differingPixels: max(pixels.count, other.pixels.count),
                                   totalPixels: max(pixels.count, other.pixels.count), boundingBox: nil, maxChannelDelta: 255)
        }
        var count = 0, maxDelta = 0
        var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
        for y in 0..<height {
            for x in 0..<width {
                let a = pixels[y * width + x], b = other.pixels[y * width + x]
                guard a != b else { continue }
                var delta = 0
                for shift in stride(from: 0, through: 24, by: 8) {
                    delta = max(delta, abs(Int((a >> UInt32(shift)) & 0xFF) - Int((b >> UInt32(shift)) & 0xFF)))
                }
                maxDelta = max(maxDelta, delta)
                if delta > channelTolerance {
                    count += 1
                    minX = min(minX, x); maxX = max(maxX, x)
                    minY = min(minY, y); maxY = max(maxY, y)
                }
            }
        }
        let box = count > 0 ? PixelBox(minX: minX, minY: minY, maxX: maxX, maxY: maxY) : nil
        return ImageDifference(sizesMatch: true, differingPixels: count, totalPixels: pixels.count, boundingBox: box,
                               maxChannelDelta: maxDelta)
    }
}

/// An inclusive pixel rectangle.
public struct PixelBox: Hashable, Sendable, CustomStringConvertible {
    public var minX: Int
    public var minY: Int
    public var maxX: Int
    public var maxY: Int

    public init(minX: Int, minY: Int, maxX: Int, maxY: Int) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    public var description: String { "x \(minX)…\(maxX), y \(minY)…\(maxY) (\(maxX - minX + 1)×\(maxY - minY + 1) px)" }
}

/// The outcome of comparing two images.
public struct ImageDifference: Hashable, Sendable {
    public var sizesMatch: Bool
    public var differingPixels: Int
    public var totalPixels: Int
    /// The bounding box of the differing pixels.
    public var boundingBox: PixelBox?
    /// The largest channel difference seen, tolerated or not.
    public var maxChannelDelta: Int

    public var share: Double { totalPixels == 0 ? 0 : Double(differingPixels) / Double(totalPixels) }
}

private final class ByteSource {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }
}
