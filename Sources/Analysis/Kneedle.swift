// Knee of a curve by Kneedle (Satopää, Albrecht, Irwin, Raghavan 2011).

/// The shape of a curve, which tells Kneedle how to orient it.
public enum KneeCurveShape: String, Sendable, Codable, CaseIterable {
    /// y falls slowly, then steeply as x grows: accuracy vs compression. The default.
    case concaveDecreasing
    /// y rises steeply, then levels off.
    case concaveIncreasing
    /// y falls steeply, then levels off.
    case convexDecreasing
    /// y rises slowly, then steeply.
    case convexIncreasing
}

/// Offline Kneedle without smoothing: the knee is the maximum of the difference curve.
///
/// Steps:
/// 1. Sort the curve by x and merge equal x (mean y): `Curve.sortedMergingDuplicateX()`.
/// 2. Normalise to the unit square: xₙ = (x − min x)/(max x − min x), likewise yₙ.
/// 3. Reflect so every shape becomes concave increasing, the case of the paper,
///    and take the difference curve D = y′ − x′:
///    - concave increasing: D = yₙ − xₙ
///    - concave decreasing: x′ = 1 − xₙ, so D = yₙ − (1 − xₙ) = yₙ + xₙ − 1
///    - convex decreasing:  y′ = 1 − yₙ, so D = (1 − yₙ) − xₙ
///    - convex increasing:  both reflected, D = (1 − yₙ) − (1 − xₙ) = xₙ − yₙ
///    (a reflection of x, not kneed's reversal of the y array, so uneven x
///    spacing is handled exactly).
/// 4. The knee is the point with the largest D (the first, by x, on a tie).
///    The paper's online threshold/sensitivity S is not used.
public enum Kneedle {
    /// The difference curve D(xₙ) on the normalised, sorted, merged curve
    /// (x of the result is xₙ before reflection); nil when it is undefined:
    /// fewer than three distinct x, or constant y.
    public static func differenceCurve(_ curve: Curve,
                                       shape: KneeCurveShape = .concaveDecreasing) -> Curve? {
        precondition(curve.points.allSatisfy { $0.x.isFinite && $0.y.isFinite },
                     "Kneedle: coordinates must be finite")
        let sorted = curve.sortedMergingDuplicateX().points
        guard sorted.count >= 3 else { return nil }
        let xs = sorted.map(\.x), ys = sorted.map(\.y)
        let xMin = xs.min()!, xMax = xs.max()!, yMin = ys.min()!, yMax = ys.max()!
        guard yMax > yMin else { return nil }
        return Curve(points: sorted.map { point in
            let xn = (point.x - xMin) / (xMax - xMin)
            let yn = (point.y - yMin) / (yMax - yMin)
            let difference: Double = switch shape {
            case .concaveIncreasing: yn - xn
            case .concaveDecreasing: yn + xn - 1
            case .convexDecreasing: (1 - yn) - xn
            case .convexIncreasing: xn - yn
            }
            return CurvePoint(x: xn, y: difference)
        })
    }

    /// The knee in original coordinates: the (x, y) of the sorted, merged curve
    /// where the difference curve is largest; nil when undefined (see
    /// `differenceCurve`).
    public static func knee(of curve: Curve, shape: KneeCurveShape = .concaveDecreasing) -> CurvePoint? {
        guard let difference = differenceCurve(curve, shape: shape) else { return nil }
        var best = 0
        for k in difference.points.indices where difference.points[k].y > difference.points[best].y {
            best = k
        }
        return curve.sortedMergingDuplicateX().points[best]
    }
}
