// Gauss–Legendre quadrature on [0, 1], used for Var[θ] where the closed form
// E[θ²] − E[θ]² would cancel catastrophically (SPEC §1).

import Foundation

/// An n-point Gauss–Legendre rule mapped to [0, 1] (nodes increasing, weights summing to 1).
struct GaussLegendreRule: Sendable {
    let nodes: [Double]
    let weights: [Double]

    /// Computes the rule by Newton iteration on the Legendre polynomial Pₙ.
    init(points n: Int) {
        var nodes = [Double](repeating: 0, count: n)
        var weights = [Double](repeating: 0, count: n)
        for i in 0..<n {
            // Initial guess (Tricomi), then Newton on Pₙ(x).
            var x = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                var p0 = 1.0
                var p1 = x
                if n > 1 {
                    for k in 2...n {
                        let p2 = ((2 * Double(k) - 1) * x * p1 - (Double(k) - 1) * p0) / Double(k)
                        p0 = p1
                        p1 = p2
                    }
                }
                // p1 = Pₙ(x), p0 = Pₙ₋₁(x)
                derivative = Double(n) * (x * p1 - p0) / (x * x - 1)
                let dx = p1 / derivative
                x -= dx
                if abs(dx) < 1e-17 { break }
            }
            let w = 2 / ((1 - x * x) * derivative * derivative)
            // x runs from near +1 downwards; store increasing on [0, 1].
            nodes[n - 1 - i] = 0.5 * (1 + x)
            weights[n - 1 - i] = 0.5 * w
        }
        self.nodes = nodes
        self.weights = weights
    }

    /// The 16-point rule used by the variance quadrature.
    static let sixteen = GaussLegendreRule(points: 16)
}
