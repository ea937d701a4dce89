import Foundation

/// Places short labels next to points inside a plot without covering each other or the
/// marked points: tries positions around the point at growing distances, first fit wins;
/// when nothing fits, takes the position with the least overlap.
struct LabelPlacer {
    var bounds: Rect
    var occupied: [Rect]

    /// Directions tried in order: right-up first, as annotations conventionally sit.
    static let directions: [(Double, Double)] = [(1, -1), (-1, -1), (1, 1), (-1, 1), (0, -1), (0, 1), (1, 0), (-1, 0)]

    /// The label box for a label of `size` near `point`, at least `clearance` away.
    mutating func place(_ size: Size, near point: Point, clearance: Double) -> Rect {
        var best: (Rect, Double)?
        for distance in [clearance, clearance + 8, clearance + 18, clearance + 32, clearance + 50] {
            for (dx, dy) in Self.directions {
                let norm = hypot(dx, dy)
                let edge = Point(x: point.x + dx / norm * distance, y: point.y + dy / norm * distance)
                let cx = edge.x + dx * size.width / 2, cy = edge.y + dy * size.height / 2
                let box = Rect(x: cx - size.width / 2, y: cy - size.height / 2, width: size.width, height: size.height)
                guard bounds.contains(box) else { continue }
                let overlap = occupied.reduce(0.0) { total, r in
                    let w = min(r.maxX, box.maxX) - max(r.minX, box.minX), h = min(r.maxY, box.maxY) - max(r.minY, box.minY)
                    return total + (w > 0 && h > 0 ? w * h : 0)
                }
                if overlap == 0 {
                    occupied.append(box)
                    return box
                }
                if best == nil || overlap < best!.1 { best = (box, overlap) }
            }
        }
        let box = best?.0 ?? Rect(x: min(max(point.x + clearance, bounds.minX), bounds.maxX - size.width),
                                  y: min(max(point.y - clearance - size.height, bounds.minY), bounds.maxY - size.height),
                                  width: size.width, height: size.height)
        occupied.append(box)
        return box
    }
}

/// The point of `rect` nearest to `p` (for leader lines).
func nearestPoint(on rect: Rect, to p: Point) -> Point {
    Point(x: min(max(p.x, rect.minX), rect.maxX), y: min(max(p.y, rect.minY), rect.maxY))
}
