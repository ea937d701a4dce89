import SeededRandom
/// 2-D convolution, stride 1, no padding, square kernel, as im2col + one GEMM per batch:
/// y[OC × N·OH·OW] = W[OC × K]·cols[K × N·OH·OW] + b, K = IC·k·k (weights first: measured
/// faster than cols·Wᵀ for LeNet5's shapes, see FACTS.md). Input `.imageMajor` (the
/// network's images) or `.channelMajor`; output always `.channelMajor`. Layers with few
/// input planes and wide rows (LeNet5's conv1) use `DirectConvolution` for the output and
/// dW instead (measured faster there); `algorithm` forces either.
public final class Conv2d: Layer {
    public enum Algorithm: Sendable { case automatic, im2col, direct }

    public let inChannels, outChannels, kernel, inHeight, inWidth: Int
    public let inputLayout: ActivationLayout
    public var outHeight: Int { inHeight - kernel + 1 }
    public var outWidth: Int { inWidth - kernel + 1 }
    public var inputSize: Int { inChannels * inHeight * inWidth }
    public var outputSize: Int { outChannels * outHeight * outWidth }
    public let weight: Parameter
    public let bias: Parameter
    // The column matrix, with `ConvGeometry.columnSlack` zeroed floats before and after it
    // (col2im's 8-lane loads may start or end a little outside a row; those lanes are masked).
    private var columnStorage = FloatBuffer(count: 0)
    private var columns: UnsafeMutablePointer<Float> { columnStorage.pointer + ConvGeometry.columnSlack }
    private var output = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)
    /// True when the forward pass and dW use `DirectConvolution`.
    public let usesDirectKernel: Bool
    private var packedWeights = FloatBuffer(count: 0)
    private var directAccumulators: UnsafeMutableBufferPointer<Float8>
    private var lastInput: UnsafePointer<Float>?

    public init(inChannels: Int, outChannels: Int, kernel: Int, inHeight: Int, inWidth: Int,
                inputLayout: ActivationLayout, name: String = "conv", algorithm: Algorithm = .automatic) {
        precondition(inputLayout != .rows, "Conv2d input must be an image layout")
        precondition(kernel <= inHeight && kernel <= inWidth, "Conv2d kernel \(kernel) larger than input \(inHeight)×\(inWidth)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.inHeight = inHeight
        self.inWidth = inWidth
        self.inputLayout = inputLayout
        weight = Parameter(name: "\(name).weight", shape: [outChannels, inChannels, kernel, kernel])
        bias = Parameter(name: "\(name).bias", shape: [outChannels])
        let outWidth = inWidth - kernel + 1
        switch algorithm {
        case .automatic: usesDirectKernel = DirectConvolution.suits(inChannels: inChannels, kernel: kernel, outWidth: outWidth)
        case .im2col: usesDirectKernel = false
        case .direct:
            precondition(outWidth >= 8, "Conv2d: the direct kernel needs output rows of ≥ 8, got \(outWidth)")
            usesDirectKernel = true
        }
        let rows = inChannels * kernel * kernel
        directAccumulators = .allocate(capacity: usesDirectKernel ? rows * DirectConvolution.channelBlock : 0)
        if usesDirectKernel { packedWeights = FloatBuffer(count: rows * DirectConvolution.channelBlock) }
    }

    deinit { directAccumulators.deallocate() }

    public var parameters: [Parameter] { [weight, bias] }

    /// PyTorch's default init: bound 1/√fan_in, fan_in = IC·k·k (SPEC §3).
    public func initialize(using rng: inout Xoshiro256) {
        let bound = 1 / Float(inChannels * kernel * kernel).squareRoot()
        for i in 0..<weight.count { weight.value[i] = rng.nextFloat(in: -bound, bound) }
        for i in 0..<bias.count { bias.value[i] = rng.nextFloat(in: -bound, bound) }
    }

    public func allocate(maxBatch: Int) {
        let k = inChannels * kernel * kernel
        columnStorage = FloatBuffer(count: k * maxBatch * outHeight * outWidth + 2 * ConvGeometry.columnSlack)
        output = FloatBuffer(count: maxBatch * outputSize)
        inputGradient = FloatBuffer(count: maxBatch * inputSize)
    }

    private func geometry(batch: Int) -> ConvGeometry {
        ConvGeometry(batch: batch, inChannels: inChannels, height: inHeight, width: inWidth,
                     kernel: kernel, channelMajor: inputLayout == .channelMajor)
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, context: inout StepContext) -> UnsafePointer<Float> {
        let g = geometry(batch: batch)
        lastInput = x
        if usesDirectKernel {
            DirectConvolution(g: g, outChannels: outChannels)
                .forward(x: x, weight: weight.value.pointer, bias: bias.value.pointer, y: output.pointer, packed: packedWeights.pointer)
            return UnsafePointer(output.pointer)
        }
        im2col(x, columns, g)
        let m = batch * g.outHeight * g.outWidth
        for c in 0..<outChannels { (output.pointer + c * m).update(repeating: bias.value[c], count: m) }
        guard g.rows > 0, outChannels > 0 else { return UnsafePointer(output.pointer) }
        BLAS.gemm(m: outChannels, n: m, k: g.rows, a: weight.value.pointer, lda: g.rows,
                  b: columns, ldb: m, beta: 1, c: output.pointer, ldc: m)
        return UnsafePointer(output.pointer)
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafePointer<Float>? {
        let g = geometry(batch: batch)
        let m = batch * g.outHeight * g.outWidth
        if usesDirectKernel {
            guard let x = lastInput else { preconditionFailure("Conv2d.backward before forward") }
            DirectConvolution(g: g, outChannels: outChannels)
                .accumulateWeightGradient(x: x, dy: dy, dW: weight.gradient.pointer, accumulators: directAccumulators.baseAddress!)
        } else {
            // dW += dy[OC×M]·colsᵀ
            BLAS.gemm(transB: true, m: outChannels, n: g.rows, k: m, a: dy, lda: m,
                      b: columns, ldb: m, beta: 1, c: weight.gradient.pointer, ldc: g.rows)
        }
        for c in 0..<outChannels { bias.gradient[c] += sum(dy + c * m, count: m) }
        guard needInputGradient else { return nil }
        // dcols = Wᵀ·dy, reusing the columns buffer (its forward content is no longer needed).
        BLAS.gemm(transA: true, m: g.rows, n: m, k: outChannels, a: weight.value.pointer, lda: g.rows,
                  b: dy, ldb: m, beta: 0, c: columns, ldc: m)
        col2im(UnsafePointer(columns), inputGradient.pointer, g)
        return UnsafePointer(inputGradient.pointer)
    }
}

/// Shapes and strides of one im2col problem.
struct ConvGeometry {
    /// Zeroed floats kept before and after a column matrix (see `col2im`).
    static let columnSlack = 16
    let batch, inChannels, height, width, kernel: Int
    let channelMajor: Bool
    var outHeight: Int { height - kernel + 1 }
    var outWidth: Int { width - kernel + 1 }
    var rows: Int { inChannels * kernel * kernel }
    /// Offset of the (c, n) plane in the input.
    @inline(__always) func plane(_ c: Int, _ n: Int) -> Int {
        channelMajor ? (c * batch + n) * height * width : (n * inChannels + c) * height * width
    }
}

// x: (C,N,H,W) or (N,C,H,W) → cols: (C·k·k, N·OH·OW), row (c,ky,kx), column (n,oy,ox)
func im2col(_ x: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
    let oh = g.outHeight, ow = g.outWidth, k = g.kernel
    let columnsPerRow = g.batch * oh * ow
    for c in 0..<g.inChannels {
        for n in 0..<g.batch {
            // One input plane (in L1) to its k·k rows.
            let plane = x + g.plane(c, n)
            for ky in 0..<k {
                for kx in 0..<k {
                    let src = plane + ky * g.width + kx
                    let dst = cols + ((c * k + ky) * k + kx) * columnsPerRow + n * oh * ow
                    if ow > 8 && ow <= 16 {
                        // A row as two 8-float pieces, the second ending at the row's end (a plain
                        // copy: the overlap is written twice with the same values).
                        let tail = ow - 8
                        var s = src, d = dst
                        for _ in 0..<oh {
                            let a = loadFloat8(s), b = loadFloat8(s + tail)
                            storeFloat8(a, d); storeFloat8(b, d + tail)
                            s += g.width; d += ow
                        }
                    } else {
                        for oy in 0..<oh { copyShortRow(src + oy * g.width, dst + oy * ow, count: ow) }
                    }
                }
            }
        }
    }
}

// dcols: (C·k·k, N·OH·OW) → dx: input layout, summed over overlapping windows
//
// Each dx element is the sum of its contributions in (ky, kx) order, starting from 0, as a
// scatter over the rows adds them. Rows of ≥ 8 are summed in registers, 8 lanes at a time:
// for chunk [x0, x0+8) of dx row y, contribution (ky, kx) is dcols row (c,ky,kx) at
// (n, y−ky, x0−kx …), with the lanes where x−kx falls outside [0, OW) masked to +0 (adding
// +0 leaves a sum unchanged; these sums start at +0 and are never −0). Those loads may reach
// `ConvGeometry.columnSlack` floats before or after the matrix.
func col2im(_ cols: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
    let oh = g.outHeight, ow = g.outWidth, k = g.kernel, w = g.width
    let columnsPerRow = g.batch * oh * ow
    guard w >= 8, k <= 8, g.kernel + 8 <= ConvGeometry.columnSlack else {
        col2imScatter(cols, dx, g)
        return
    }
    // Chunk starts of a dx row (the last shifted back to end at the row's end) and, per chunk
    // and kx, the lanes x with 0 ≤ x − kx < OW.
    var starts = Array(stride(from: 0, to: w - 7, by: 8))
    if w % 8 != 0 { starts.append(w - 8) }
    var masks = [SIMD8<UInt32>](repeating: SIMD8(), count: starts.count * k)
    for (i, x0) in starts.enumerated() {
        for kx in 0..<k {
            for lane in 0..<8 where x0 + lane - kx >= 0 && x0 + lane - kx < ow { masks[i * k + kx][lane] = .max }
        }
    }
    // (Pointer steps and wrapping arithmetic in the loops: overflow checks cost more than the adds.)
    let kxStep = columnsPerRow - 1, kyStep = k * columnsPerRow - ow
    masks.withUnsafeBufferPointer { maskBuffer in
        for c in 0..<g.inChannels {
            for n in 0..<g.batch {
                let plane = dx + g.plane(c, n)
                let base = cols + c * k * k * columnsPerRow + n * oh * ow
                for y in 0..<g.height {
                    let kyLow = max(0, y - oh + 1), kyHigh = min(k - 1, y)
                    for (i, x0) in starts.enumerated() {
                        let mask = maskBuffer.baseAddress! + i * k
                        var acc = Float8()
                        var row = base + kyLow * k * columnsPerRow + (y - kyLow) * ow + x0
                        var ky = kyLow
                        while ky <= kyHigh {
                            var p = row
                            for kx in 0..<k {
                                let bits = unsafeBitCast(loadFloat8(p), to: SIMD8<UInt32>.self) & mask[kx]
                                acc += unsafeBitCast(bits, to: Float8.self)
                                p += kxStep
                            }
                            row += kyStep
                            ky &+= 1
                        }
                        storeFloat8(acc, plane + y * w + x0)
                    }
                }
            }
        }
    }
}

/// `col2im` as a scatter: rows added into dx one by one (any shape).
func col2imScatter(_ cols: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
    dx.update(repeating: 0, count: g.batch * g.inChannels * g.height * g.width)
    let oh = g.outHeight, ow = g.outWidth, k = g.kernel
    let columnsPerRow = g.batch * oh * ow
    for c in 0..<g.inChannels {
        for ky in 0..<k {
            for kx in 0..<k {
                let row = cols + ((c * k + ky) * k + kx) * columnsPerRow
                for n in 0..<g.batch {
                    let dst = dx + g.plane(c, n) + ky * g.width + kx
                    let src = row + n * oh * ow
                    for oy in 0..<oh { addShortRow(src + oy * ow, dst + oy * g.width, count: ow) }
                }
            }
        }
    }
}

/// Copies a short row (28 or 10 floats in LeNet5) in 8-lane pieces: cheaper than a
/// memmove call per row, and than a scalar loop the vectoriser guards with alias checks.
@inline(__always)
func copyShortRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count { storeFloat8(loadFloat8(src + i), dst + i); i += 8 }
    while i < count { dst[i] = src[i]; i += 1 }
}

/// dst[0..<count] += src[0..<count] in 8-lane pieces (see `copyShortRow`).
@inline(__always)
func addShortRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count { storeFloat8(loadFloat8(dst + i) + loadFloat8(src + i), dst + i); i += 8 }
    while i < count { dst[i] += src[i]; i += 1 }
}
