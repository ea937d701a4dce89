/// 2×2 max pooling with stride 2 over H×W planes. Works on `.imageMajor` and
/// `.channelMajor` alike (both are a sequence of planes) and keeps the layout.
/// Ties go to the first maximum in row-major window order, as in PyTorch.
public final class MaxPool2d: Layer {
    public let channels, inHeight, inWidth: Int
    public var inputSize: Int { channels * inHeight * inWidth }
    public var outputSize: Int { channels * (inHeight / 2) * (inWidth / 2) }
    public var parameters: [Parameter] { [] }
    private var output = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)
    private var argmax: [UInt8] = []

    public init(channels: Int, inHeight: Int, inWidth: Int) {
        precondition(inHeight % 2 == 0 && inWidth % 2 == 0, "MaxPool2d needs even H, W; got \(inHeight)×\(inWidth)")
        self.channels = channels
        self.inHeight = inHeight
        self.inWidth = inWidth
    }

    public func allocate(maxBatch: Int) {
        output = FloatBuffer(count: maxBatch * outputSize)
        inputGradient = FloatBuffer(count: maxBatch * inputSize)
        argmax = [UInt8](repeating: 0, count: maxBatch * outputSize)
    }

    // x: P planes of (H, W) → y: P planes of (H/2, W/2); argmax ∈ {0,1,2,3} per output
    public func forward(_ x: UnsafePointer<Float>, batch: Int, context: inout StepContext) -> UnsafePointer<Float> {
        let planes = batch * channels, oh = inHeight / 2, ow = inWidth / 2, w = inWidth
        let y = output.pointer
        argmax.withUnsafeMutableBufferPointer { am in
            for p in 0..<planes {
                let src = x + p * inHeight * w
                let dst = y + p * oh * ow
                let idx = am.baseAddress! + p * oh * ow
                for oy in 0..<oh {
                    let r0 = src + 2 * oy * w, r1 = r0 + w
                    for ox in 0..<ow {
                        var best = r0[2 * ox], which: UInt8 = 0
                        if r0[2 * ox + 1] > best { best = r0[2 * ox + 1]; which = 1 }
                        if r1[2 * ox] > best { best = r1[2 * ox]; which = 2 }
                        if r1[2 * ox + 1] > best { best = r1[2 * ox + 1]; which = 3 }
                        dst[oy * ow + ox] = best
                        idx[oy * ow + ox] = which
                    }
                }
            }
        }
        return UnsafePointer(y)
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafePointer<Float>? {
        guard needInputGradient else { return nil }
        let planes = batch * channels, oh = inHeight / 2, ow = inWidth / 2, w = inWidth
        let dx = inputGradient.pointer
        argmax.withUnsafeBufferPointer { am in
            for p in 0..<planes {
                let dst = dx + p * inHeight * w
                let src = dy + p * oh * ow
                let idx = am.baseAddress! + p * oh * ow
                for oy in 0..<oh {
                    let r0 = dst + 2 * oy * w, r1 = r0 + w
                    for ox in 0..<ow {
                        let g = src[oy * ow + ox], which = idx[oy * ow + ox]
                        r0[2 * ox] = which == 0 ? g : 0
                        r0[2 * ox + 1] = which == 1 ? g : 0
                        r1[2 * ox] = which == 2 ? g : 0
                        r1[2 * ox + 1] = which == 3 ? g : 0
                    }
                }
            }
        }
        return UnsafePointer(dx)
    }
}
