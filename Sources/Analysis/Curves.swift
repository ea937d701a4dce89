// Pruning curves (accuracy vs compression) and their average over seeds
// (SPEC §6 "Post-training pruning curves").

/// One point of a curve.
public struct CurvePoint: Sendable, Equatable, Hashable, Codable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A curve given by its points, in the order they were recorded (one seed's
/// accuracy-vs-compression curve, for example).
public struct Curve: Sendable, Equatable, Codable {
    public var points: [CurvePoint]

    public init(points: [CurvePoint]) {
        self.points = points
    }

    /// - Precondition: `x` and `y` have the same length.
    public init(x: [Double], y: [Double]) {
        precondition(x.count == y.count, "Curve: \(x.count) x values but \(y.count) y values")
        self.points = zip(x, y).map { CurvePoint(x: $0, y: $1) }
    }

    /// The curve as a function of x: points sorted by x (stable), and points with
    /// exactly equal x merged into one whose y is the mean of their y.
    ///
    /// - Precondition: no NaN coordinates.
    public func sortedMergingDuplicateX() -> Curve {
        precondition(points.allSatisfy { !$0.x.isNaN && !$0.y.isNaN }, "Curve: NaN coordinate")
        let sorted = points.enumerated()
            .sorted { ($0.element.x, $0.offset) < ($1.element.x, $1.offset) }
            .map(\.element)
        var merged: [CurvePoint] = []
        var start = 0
        while start < sorted.count {
            var end = start + 1
            while end < sorted.count && sorted[end].x == sorted[start].x { end += 1 }
            let ys = sorted[start..<end].map(\.y)
            merged.append(CurvePoint(x: sorted[start].x, y: Analysis.mean(ys)))
            start = end
        }
        return Curve(points: merged)
    }

    /// Linear interpolation of `sortedMergingDuplicateX()` at `x`; nil outside the
    /// curve's own x range (no extrapolation) or for an empty curve.
    ///
    /// For many queries, call `sortedMergingDuplicateX()` once and use
    /// `interpolatedSorted(at:)` on the result.
    public func interpolated(at x: Double) -> Double? {
        sortedMergingDuplicateX().interpolatedSorted(at: x)
    }

    /// Linear interpolation at `x` for a curve already sorted by strictly increasing x
    /// (as returned by `sortedMergingDuplicateX()`); nil outside [first x, last x].
    /// At a knot the knot's y is returned exactly.
    public func interpolatedSorted(at x: Double) -> Double? {
        guard let first = points.first, let last = points.last,
              x >= first.x, x <= last.x else { return nil }
        // Largest index whose x ≤ query (binary search).
        var low = 0, high = points.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if points[middle].x <= x { low = middle } else { high = middle - 1 }
        }
        let left = points[low]
        if left.x == x || low == points.count - 1 { return left.y }
        let right = points[low + 1]
        let slope = (right.y - left.y) / (right.x - left.x)
        return slope * (x - left.x) + left.y
    }
}

/// A point of a curve averaged over seeds.
public struct AveragedCurvePoint: Sendable, Equatable, Codable {
    /// Grid x (grid averaging), or the mean x of the seeds at this list position
    /// (position averaging).
    public var x: Double
    /// Spread of x over the seeds: 0 on a grid; the std of x at this list position
    /// (same convention as `y`) for position averaging.
    public var xStd: Double
    /// Mean, std and number of seeds present at this point.
    public var y: Summary

    public init(x: Double, xStd: Double, y: Summary) {
        self.x = x
        self.xStd = xStd
        self.y = y
    }
}

/// A curve averaged over seeds: mean ± std band with the seed count per point.
public struct AveragedCurve: Sendable, Equatable, Codable {
    public var points: [AveragedCurvePoint]

    public init(points: [AveragedCurvePoint]) {
        self.points = points
    }
}

/// `count` evenly spaced values from `start` to `end` inclusive (numpy `linspace`).
///
/// - Precondition: `count ≥ 1`; with `count == 1` the result is `[start]`.
public func evenlySpacedGrid(from start: Double, to end: Double, count: Int) -> [Double] {
    precondition(count >= 1, "evenlySpacedGrid: count \(count) < 1")
    guard count > 1 else { return [start] }
    let step = (end - start) / Double(count - 1)
    var grid = (0..<count).map { Double($0) * step + start }
    grid[count - 1] = end
    return grid
}

/// Averages seed curves on a common x grid (this project's default, SPEC §6).
///
/// Each seed's curve is sorted by x, points with equal x are merged (mean y),
/// and it is linearly interpolated at each grid x inside its own
/// [min x, max x]; outside that range the seed is absent (no extrapolation).
/// At each grid x the mean and std (population by default) are taken over the
/// seeds present, and `y.count` says how many. Grid values where no seed is
/// present are left out of the result; the rest keep the grid's order.
public func averageOnGrid(_ curves: [Curve], grid: [Double],
                          convention: StandardDeviationConvention = .population) -> AveragedCurve {
    let prepared = curves.map { $0.sortedMergingDuplicateX() }
    var points: [AveragedCurvePoint] = []
    for x in grid {
        let present = prepared.compactMap { $0.interpolatedSorted(at: x) }
        guard !present.isEmpty else { continue }
        points.append(AveragedCurvePoint(x: x, xStd: 0, y: Summary(present, convention: convention)))
    }
    return AveragedCurve(points: points)
}

/// Averages seed curves by list position (the authors' way, SPEC §6).
///
/// The i-th point of the result averages the i-th recorded point of every seed
/// that has at least i + 1 points ("average where present"): x is the mean of
/// their x (with `xStd` its std), y their mean ± std, `y.count` the number of
/// seeds. Points are taken in recorded order, not sorted. The result is as long
/// as the longest curve.
public func averageByPosition(_ curves: [Curve],
                              convention: StandardDeviationConvention = .population) -> AveragedCurve {
    let length = curves.map(\.points.count).max() ?? 0
    var points: [AveragedCurvePoint] = []
    for position in 0..<length {
        let present = curves.compactMap { $0.points.count > position ? $0.points[position] : nil }
        let xs = present.map(\.x)
        points.append(AveragedCurvePoint(
            x: mean(xs),
            xStd: standardDeviation(xs, convention: convention),
            y: Summary(present.map(\.y), convention: convention)))
    }
    return AveragedCurve(points: points)
}

/// A stretch of an averaged curve over which the same number of seeds contributes: from
/// the point at `from` to the point at `to` (both included), `seeds` seeds at each.
public struct CurveCoverageSegment: Sendable, Equatable, Codable {
    public var seeds: Int
    /// x of the stretch's first and last point.
    public var from: Double
    public var to: Double
    /// Indices of its points in the curve.
    public var firstPoint: Int
    public var lastPoint: Int

    public init(seeds: Int, from: Double, to: Double, firstPoint: Int, lastPoint: Int) {
        self.seeds = seeds
        self.from = from
        self.to = to
        self.firstPoint = firstPoint
        self.lastPoint = lastPoint
    }
}

extension AveragedCurve {
    /// Maximal runs of consecutive points with the same seed count (`y.count`), in point
    /// order. Past a seed's last compression (a BMRS curve past that seed's end point) the
    /// count drops, and so does the tail of a position average where the shorter seeds end.
    public var coverageSegments: [CurveCoverageSegment] {
        var segments: [CurveCoverageSegment] = []
        for (i, point) in points.enumerated() {
            if let last = segments.last, last.seeds == point.y.count {
                segments[segments.count - 1].to = point.x
                segments[segments.count - 1].lastPoint = i
            } else {
                segments.append(CurveCoverageSegment(seeds: point.y.count, from: point.x, to: point.x, firstPoint: i, lastPoint: i))
            }
        }
        return segments
    }

    /// The points to which all `seeds` seeds contribute: the part of the curve that is a
    /// mean over every seed (Pareto fronts and knees are taken on it).
    public func coveredByAll(_ seeds: Int) -> AveragedCurve {
        AveragedCurve(points: points.filter { $0.y.count >= seeds })
    }

    /// The mean curve (x, mean y) of the points to which all `seeds` seeds contribute.
    public func meanCurveCoveredByAll(_ seeds: Int) -> Curve {
        Curve(points: coveredByAll(seeds).points.map { CurvePoint(x: $0.x, y: $0.y.mean) })
    }
}
