import Foundation

/// A point in canvas coordinates: points (1/72 inch), origin top left, y growing downwards.
public struct Point: Hashable, Sendable, CustomStringConvertible {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    public static let zero = Point(x: 0, y: 0)

    public var description: String { "(\(x), \(y))" }

    func offset(dx: Double = 0, dy: Double = 0) -> Point { Point(x: x + dx, y: y + dy) }

    func distance(to other: Point) -> Double { hypot(other.x - x, other.y - y) }
}

/// A width and height in points.
public struct Size: Hashable, Sendable, CustomStringConvertible {
    public var width: Double
    public var height: Double

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)×\(height)" }
}

/// An axis-aligned rectangle in canvas coordinates (y grows downwards, so `minY` is the top edge).
public struct Rect: Hashable, Sendable, CustomStringConvertible {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The smallest rectangle holding all `points`; `nil` when there are none.
    public init?(bounding points: [Point]) {
        guard let first = points.first else { return nil }
        var lo = first, hi = first
        for p in points.dropFirst() {
            lo.x = min(lo.x, p.x); lo.y = min(lo.y, p.y)
            hi.x = max(hi.x, p.x); hi.y = max(hi.y, p.y)
        }
        self.init(x: lo.x, y: lo.y, width: hi.x - lo.x, height: hi.y - lo.y)
    }

    public var minX: Double { x }
    public var minY: Double { y }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
    public var midX: Double { x + width / 2 }
    public var midY: Double { y + height / 2 }
    public var center: Point { Point(x: midX, y: midY) }
    public var corners: [Point] {
        [Point(x: minX, y: minY), Point(x: maxX, y: minY), Point(x: maxX, y: maxY), Point(x: minX, y: maxY)]
    }

    /// Shrinks the rectangle by `dx` on the left and right and `dy` on top and bottom.
    public func insetBy(dx: Double, dy: Double) -> Rect {
        Rect(x: x + dx, y: y + dy, width: width - 2 * dx, height: height - 2 * dy)
    }

    /// True when the interiors overlap by more than `tolerance` in both directions.
    public func intersects(_ other: Rect, tolerance: Double = 1e-6) -> Bool {
        min(maxX, other.maxX) - max(minX, other.minX) > tolerance
            && min(maxY, other.maxY) - max(minY, other.minY) > tolerance
    }

    /// True when `other` lies inside this rectangle, allowing `tolerance` points of slack.
    public func contains(_ other: Rect, tolerance: Double = 1e-6) -> Bool {
        other.minX >= minX - tolerance && other.maxX <= maxX + tolerance
            && other.minY >= minY - tolerance && other.maxY <= maxY + tolerance
    }

    public func contains(_ p: Point, tolerance: Double = 1e-6) -> Bool {
        p.x >= minX - tolerance && p.x <= maxX + tolerance && p.y >= minY - tolerance && p.y <= maxY + tolerance
    }

    public func union(_ other: Rect) -> Rect {
        let x0 = min(minX, other.minX), y0 = min(minY, other.minY)
        return Rect(x: x0, y: y0, width: max(maxX, other.maxX) - x0, height: max(maxY, other.maxY) - y0)
    }

    public var description: String { "[x \(x)…\(maxX), y \(y)…\(maxY)]" }
}

/// Convex polygons (text boxes, possibly rotated) overlap when no separating axis exists.
/// Touching edges (overlap ≤ `tolerance`) do not count.
public func convexPolygonsOverlap(_ a: [Point], _ b: [Point], tolerance: Double = 1e-6) -> Bool {
    for polygon in [a, b] {
        for i in polygon.indices {
            let p = polygon[i], q = polygon[(i + 1) % polygon.count]
            let axis = Point(x: -(q.y - p.y), y: q.x - p.x)
            let length = hypot(axis.x, axis.y)
            guard length > 0 else { continue }
            func project(_ pts: [Point]) -> (Double, Double) {
                var lo = Double.infinity, hi = -Double.infinity
                for v in pts {
                    let d = (v.x * axis.x + v.y * axis.y) / length
                    lo = min(lo, d); hi = max(hi, d)
                }
                return (lo, hi)
            }
            let (aLo, aHi) = project(a), (bLo, bHi) = project(b)
            if min(aHi, bHi) - max(aLo, bLo) <= tolerance { return false }
        }
    }
    return true
}
