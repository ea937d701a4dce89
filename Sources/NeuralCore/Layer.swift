/// What a forward pass needs besides its input: whether it is a training step (noise is
/// sampled) or an evaluation (θ is replaced by E[θ]), and the noise stream to draw from.
public struct StepContext {
    public var training: Bool
    public var noise: UniformStream

    public init(training: Bool, noise: UniformStream) {
        self.training = training
        self.noise = noise
    }

    /// An evaluation context: deterministic, draws nothing.
    public static var evaluation: StepContext { StepContext(training: false, noise: UniformStream(key: 0)) }
}

/// How a layer's activations are laid out in memory for a batch of N examples.
public enum ActivationLayout: Sendable {
    /// N × F, one row per example (dense layers).
    case rows
    /// N × C × H × W (the network's image input).
    case imageMajor
    /// C × N × H × W: every channel of the whole batch contiguous, so a convolution is
    /// one GEMM `W[OC×K]·cols[K×N·OH·OW]` and a channel's noise parameters apply to one block.
    case channelMajor
}

/// A layer with a hand-written backward pass. Layers own their output and
/// input-gradient buffers (allocated once for the largest batch) and remember what
/// backward needs from the last forward call.
public protocol Layer: AnyObject {
    /// Elements per example going in and coming out.
    var inputSize: Int { get }
    var outputSize: Int { get }
    var parameters: [Parameter] { get }
    /// Allocates every buffer for batches of up to `maxBatch` examples.
    func allocate(maxBatch: Int)
    /// Returns a pointer to this layer's output buffer (valid until the next forward).
    func forward(_ x: UnsafePointer<Float>, batch: Int, context: inout StepContext) -> UnsafePointer<Float>
    /// Accumulates parameter gradients and, when `needInputGradient`, returns dL/dx.
    func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafePointer<Float>?
}
