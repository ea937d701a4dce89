import Foundation

/// Adam (Kingma & Ba), PyTorch's formulation: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
/// p ← p − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε). Weight decay 0 (SPEC §5).
public final class Adam {
    public struct Settings: Codable, Sendable, Hashable {
        public var learningRate: Float = 1e-3
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        public var epsilon: Float = 1e-8
        public init(learningRate: Float = 1e-3) { self.learningRate = learningRate }
    }

    public let settings: Settings
    public let parameters: [Parameter]
    private let moments1: [FloatBuffer]
    private let moments2: [FloatBuffer]
    public private(set) var step = 0

    public init(parameters: [Parameter], settings: Settings = Settings()) {
        self.settings = settings
        self.parameters = parameters
        moments1 = parameters.map { FloatBuffer(count: $0.count) }
        moments2 = parameters.map { FloatBuffer(count: $0.count) }
    }

    /// First and second moments per parameter, and the step count: the optimizer's whole
    /// state, to save a run in flight.
    public var state: (step: Int, moments1: [[Float]], moments2: [[Float]]) {
        (step, moments1.map(\.array), moments2.map(\.array))
    }

    /// Continues from a saved `state` (shapes must match the parameters).
    public func restore(step: Int, moments1 m1: [[Float]], moments2 m2: [[Float]]) {
        precondition(m1.count == moments1.count && m2.count == moments2.count, "Adam.restore: parameter count differs")
        for i in moments1.indices {
            precondition(m1[i].count == moments1[i].count && m2[i].count == moments2[i].count, "Adam.restore: shape differs")
            moments1[i].copy(from: m1[i])
            moments2[i].copy(from: m2[i])
        }
        self.step = step
    }

    /// Applies one update from the accumulated gradients (which it leaves in place).
    /// √v uses `fastSqrt` (relative error ≈ 1e-7) so the loop vectorises.
    public func update() {
        step += 1
        let b1 = settings.beta1, b2 = settings.beta2, eps = settings.epsilon
        let correction1 = 1 - Float(Foundation.pow(Double(b1), Double(step)))
        let correction2Sqrt = Float(Foundation.sqrt(1 - Foundation.pow(Double(b2), Double(step))))
        let stepSize = settings.learningRate / correction1
        for (i, p) in parameters.enumerated() {
            let w = p.value.pointer, g = p.gradient.pointer
            let m = moments1[i].pointer, v = moments2[i].pointer
            for j in 0..<p.count {
                m[j] = b1 * m[j] + (1 - b1) * g[j]
                v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j]
                w[j] -= stepSize * m[j] / (fastSqrt(v[j]) / correction2Sqrt + eps)
            }
        }
    }
}
