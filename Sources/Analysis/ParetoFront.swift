// Compression–accuracy trade-off: Pareto front and distance to it.

/// The non-dominated points of a set, with x = compression and y = accuracy,
/// both to be maximised.
///
/// A point is dominated when another has x ≥ and y ≥ with at least one strict.
/// Identical points do not dominate each other; the front keeps one copy.
/// `points` is sorted by x ascending, so y is strictly decreasing along it.
public struct ParetoFront: Sendable, Equatable, Codable {
    /// The front, x ascending (y strictly descending).
    public var points: [CurvePoint]

    /// - Precondition: no NaN coordinates.
    public init(_ candidates: [CurvePoint]) {
        precondition(candidates.allSatisfy { !$0.x.isNaN && !$0.y.isNaN }, "ParetoFront: NaN coordinate")
        // Sweep from the largest x (highest y first within equal x): a point is on
        // the front iff its y beats every y seen so far.
        let sweep = candidates.sorted { ($0.x, $0.y) > ($1.x, $1.y) }
        var front: [CurvePoint] = []
        var bestY = -Double.infinity
        for point in sweep where point.y > bestY || front.isEmpty {
            front.append(point)
            bestY = point.y
        }
        self.points = front.reversed()
    }

    /// Euclidean distance from `point` to the front drawn as a polyline through its
    /// points (x ascending), measured after dividing x by `xScale` and y by `yScale`.
    ///
    /// Pass the ranges of x and y over the compared methods as scales to weigh
    /// compression % and accuracy % equally; the defaults (1, 1) use raw units.
    /// The polyline ends at the front's extreme points (no extension), a one-point
    /// front is that point, and the distance is unsigned (a point beyond the front
    /// also gets a positive distance). Points on the front get 0.
    ///
    /// - Precondition: a non-empty front; positive finite scales.
    public func distance(to point: CurvePoint, xScale: Double = 1, yScale: Double = 1) -> Double {
        precondition(!points.isEmpty, "ParetoFront.distance: empty front")
        precondition(xScale > 0 && xScale.isFinite && yScale > 0 && yScale.isFinite,
                     "ParetoFront.distance: scales must be positive and finite, got (\(xScale), \(yScale))")
        let px = point.x / xScale, py = point.y / yScale
        let vertices = points.map { (x: $0.x / xScale, y: $0.y / yScale) }
        func pointDistance(_ v: (x: Double, y: Double)) -> Double {
            ((px - v.x) * (px - v.x) + (py - v.y) * (py - v.y)).squareRoot()
        }
        var best = pointDistance(vertices[0])
        for k in vertices.indices.dropFirst() {
            let a = vertices[k - 1], b = vertices[k]
            let dx = b.x - a.x, dy = b.y - a.y
            let t = min(1, max(0, ((px - a.x) * dx + (py - a.y) * dy) / (dx * dx + dy * dy)))
            best = min(best, pointDistance((x: a.x + t * dx, y: a.y + t * dy)))
        }
        return best
    }
}
