import NoiseStatistics

/// Multiplicative log-normal noise on structures (SPEC §1): h_i = θ_i · x_i, with one
/// posterior q(θ_i) = LogN_[a,b](μ_i, σ_i²) per structure (a dense unit or a conv channel).
///
/// - Training: θ is drawn for every activation element by the reparameterisation
///   γ = clamp(Φ(α) + u·Z, ε, 1−ε), log θ = clamp(μ + σ·Φ⁻¹(γ), a, b), with gradients to
///   μ and log σ through γ, Φ⁻¹ and the clamps (zero where a clamp is active).
/// - Evaluation: θ = E[θ] (Float64 closed form), recomputed on every call: no stale cache.
/// - A mask (1 keep, 0 prune) multiplies θ in both modes.
/// - `enabled == false` fixes θ ≡ 1 (the `plain` baseline, SPEC §5); the mask still acts.
///
/// μ and log σ are Float32 parameters (init 0 and −5); the per-structure statistics
/// (α, β, Φ(α), Z, φ terms, E[θ], KL) are computed in Float64.
public final class NoiseLayer: Layer {
    /// Truncation bounds and clamps of SPEC §1.
    public static let lower = Float(NoiseTruncation.a), upper = Float(NoiseTruncation.b)
    public static let gammaEpsilon: Float = 1e-5
    /// Elements per all-zero test in the backward pass (a multiple of 8).
    static let backwardChunk = 32

    public let units: Int
    /// Elements per structure per example: 1 for dense units, H·W for a conv channel.
    public let planeSize: Int
    public let layout: ActivationLayout
    public let mu: Parameter
    public let logSigma: Parameter
    /// 1 keeps a structure, 0 prunes it (θ forced to 0).
    public var mask: [Float]
    public var enabled = true
    /// Set when the layer's input comes straight from a ReLU. Then an input element that
    /// is exactly 0 gives y = 0 and no μ/σ gradient whatever θ is, and its dL/dx is
    /// discarded by the ReLU's backward pass; so runs of zero inputs skip the sampling
    /// (θ and dL/dx are stored as 0 there). Results are identical; only work is saved.
    public var inputIsRectified = false

    public var inputSize: Int { units * planeSize }
    public var outputSize: Int { inputSize }
    public var parameters: [Parameter] { enabled ? [mu, logSigma] : [] }

    private var output = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)
    // Per element, from the last training forward: u, θ and q = Φ⁻¹(γ).
    private var uniforms = FloatBuffer(count: 0)
    private var theta = FloatBuffer(count: 0)
    private var quantile = FloatBuffer(count: 0)
    // Scratch of the backward pass: gradient factors of one row (dense layout) or terms of one chunk.
    private var rowFactors = FloatBuffer(count: 0)
    // Per-structure μ and σ gradient sums of one backward pass (padded to 8 lanes).
    private var structureSums = FloatBuffer(count: 0)

    private var lastInput: UnsafePointer<Float>?
    private var lastTraining = false
    /// Float32 sampling coefficients per structure, refreshed by every training forward
    /// (also by `RectifiedNoisePool`, which samples this layer's noise itself).
    private(set) var coefficients = StructureCoefficients(count: 0)
    private var tailFlags = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 8)

    public init(units: Int, planeSize: Int = 1, layout: ActivationLayout, name: String = "noise") {
        precondition(layout == .rows ? planeSize == 1 : layout == .channelMajor,
                     "NoiseLayer: rows layout needs planeSize 1, conv noise needs channelMajor")
        self.units = units
        self.planeSize = planeSize
        self.layout = layout
        mu = Parameter(name: "\(name).mu", shape: [units])
        logSigma = Parameter(name: "\(name).logsigma", shape: [units])
        mask = [Float](repeating: 1, count: units)
        for i in 0..<units { logSigma.value[i] = -5 }
    }

    public func allocate(maxBatch: Int) {
        let n = maxBatch * inputSize
        output = FloatBuffer(count: n)
        inputGradient = FloatBuffer(count: n)
        uniforms = FloatBuffer(count: n)
        theta = FloatBuffer(count: n)
        quantile = FloatBuffer(count: n)
        rowFactors = FloatBuffer(count: 2 * max(units.roundedUpToMultiple(of: 8), Self.backwardChunk))
        structureSums = FloatBuffer(count: 2 * units.roundedUpToMultiple(of: 8))
        tailFlags.deallocate()
        tailFlags = .allocate(capacity: (layout == .rows ? n : 0) + 8)
    }

    deinit { tailFlags.deallocate() }

    /// The Float64 posterior of structure `i`.
    public func posterior(_ i: Int) -> NoisePosterior {
        NoisePosterior(mu: Double(mu.value[i]), logSigma: Double(logSigma.value[i]))
    }

    public var posteriors: [NoisePosterior] { (0..<units).map(posterior) }

    /// E[θ]·mask per structure, the evaluation-time multiplier.
    public func expectedThetaMasked() -> [Float] {
        (0..<units).map { Float(posterior($0).expectedTheta) * mask[$0] }
    }

    /// The deterministic per-structure multiplier of a forward pass that samples nothing:
    /// E[θ]·mask in evaluation, the mask when noise is disabled, nil when that is all ones
    /// (θ ≡ 1: the input is passed on as it is).
    func deterministicScale(training: Bool) -> [Float]? {
        guard enabled else { return mask.contains(0) ? mask : nil }
        precondition(!training, "deterministicScale: a training pass with noise enabled samples θ")
        return expectedThetaMasked()
    }

    /// Recomputes the sampling coefficients from the current μ, log σ and mask.
    func updateCoefficients() { coefficients.update(self) }

    /// Adds structure s's sums Σ g·θ·∂logθ/∂μ and Σ g·θ·∂logθ/∂σ to the μ and log σ gradients:
    /// d/dlogσ = σ·d/dσ where log σ is inside its clamp, else 0.
    @inline(__always)
    func accumulateStructureGradient(_ s: Int, mu dMu: Float, sigma dSigma: Float) {
        mu.gradient[s] += dMu
        let ls = logSigma.value[s]
        if ls >= Float(NoiseTruncation.logSigmaMin) && ls <= Float(NoiseTruncation.logSigmaMax) {
            logSigma.gradient[s] += dSigma * coefficients.sigma[s]
        }
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, context: inout StepContext) -> UnsafePointer<Float> {
        lastInput = x
        lastTraining = context.training
        let y = output.pointer
        let count = batch * inputSize
        guard enabled else {
            // θ ≡ 1: only the mask acts.
            if mask.contains(0) { scaleByStructure(x, y, mask, batch: batch) } else { y.update(from: x, count: count) }
            return UnsafePointer(y)
        }
        guard context.training else {
            let scale = expectedThetaMasked()
            scaleByStructure(x, y, scale, batch: batch)
            return UnsafePointer(y)
        }
        coefficients.update(self)
        context.noise.fill(uniforms.pointer, count: count)
        let b = sampleBuffers(x: x)
        coefficients.withPointers { c in
            switch layout {
            case .rows:
                for n in 0..<batch { sampleNoiseRow(offset: n * units, units: units, batchCount: count, c, b) }
            default:
                let block = batch * planeSize
                for s in 0..<units {
                    sampleNoiseBlock(offset: s * block, count: block, structure: s, c, b,
                                     skipZeroRuns: inputIsRectified)
                }
            }
        }
        return UnsafePointer(y)
    }

    private func sampleBuffers(x: UnsafePointer<Float>) -> SampleBuffers {
        SampleBuffers(uniforms: uniforms.pointer, theta: theta.pointer, quantile: quantile.pointer, x: x, y: output.pointer,
                      flags: tailFlags.baseAddress!)
    }

    private func scaleByStructure(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ scale: [Float], batch: Int) {
        scale.withUnsafeBufferPointer { sc in
            switch layout {
            case .rows:
                for n in 0..<batch {
                    let o = n * units
                    for s in 0..<units { y[o + s] = x[o + s] * sc[s] }
                }
            default:
                for s in 0..<units {
                    let start = s * batch * planeSize
                    for e in start..<(start + batch * planeSize) { y[e] = x[e] * sc[s] }
                }
            }
        }
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafePointer<Float>? {
        guard let x = lastInput else { preconditionFailure("NoiseLayer.backward before forward") }
        let dx = inputGradient.pointer
        guard enabled else {
            guard needInputGradient else { return nil }
            if mask.contains(0) { scaleByStructure(dy, dx, mask, batch: batch) } else { dx.update(from: dy, count: batch * inputSize) }
            return UnsafePointer(dx)
        }
        precondition(lastTraining, "NoiseLayer.backward after an evaluation forward")
        let t = theta.pointer, u = uniforms.pointer, q = quantile.pointer
        // g_e = dy_e·x_e; dμ_s = Σ_e g_e·θ_e·∂logθ/∂μ; dσ_s likewise; dx_e = dy_e·θ_e.
        let stride = units.roundedUpToMultiple(of: 8)
        let dMu = structureSums.pointer, dSigma = dMu + stride
        structureSums.zero()
        let b = sampleBuffers(x: x)
        coefficients.withPointers { c in
            switch layout {
            case .rows:
                let count = batch * units
                let fm = rowFactors.pointer, fs = fm + stride
                for n in 0..<batch {
                    let o = n * units
                    // dy and x are not ours: whole groups only where they stay inside the batch
                    // (lanes past `units` then add to unused sums and write the next row's dx,
                    // which that row rewrites); the last row loads its remainder lane by lane.
                    let whole = o + stride <= count
                    do {
                        // Factors for whole 8-lane groups (own buffers have slack past their end).
                        let u = u + o, q = q + o, t = t + o  // (row pointers: no overflow-checked index math in the loop)
                        for j in 0..<stride { fm[j] = noiseExpHalfQSquared(q[j]) }  // (own pass: shorter chains)
                        for j in 0..<stride {
                            let f = noiseDerivatives(u: u[j], q: q[j], expHalfQSquared: fm[j], theta: t[j], mu: c.mu[j], sigma: c.sigma[j],
                                                     cdfAlpha: c.cdfAlpha[j], z: c.z[j], phiAlpha: c.phiAlphaOverSigma[j],
                                                     phiBeta: c.phiBetaOverSigma[j], alphaPhiAlpha: c.alphaPhiAlphaOverSigma[j],
                                                     betaPhiBeta: c.betaPhiBetaOverSigma[j])
                            fm[j] = f.dMu; fs[j] = f.dSigma
                        }
                    }
                    for j in Swift.stride(from: 0, to: units, by: 8) {
                        let lanes = whole ? 8 : min(8, units - j)
                        let dyv = loadFloat8(dy + o + j, count: lanes)
                        let g = dyv * loadFloat8(x + o + j, count: lanes)
                        storeFloat8(loadFloat8(dMu + j) + g * loadFloat8(fm + j, count: lanes), dMu + j)
                        storeFloat8(loadFloat8(dSigma + j) + g * loadFloat8(fs + j, count: lanes), dSigma + j)
                        storeFloat8(dyv * loadFloat8(t + o + j, count: lanes), dx + o + j, count: lanes)
                    }
                }
            default:
                let block = batch * planeSize
                for s in 0..<units {
                    let sums = accumulateNoiseBlockGradient(offset: s * block, count: block, structure: s, c, b, dy: dy, dx: dx,
                                                            scratch: rowFactors.pointer)
                    dMu[s] = sums.mu
                    dSigma[s] = sums.sigma
                }
            }
        }
        for s in 0..<units { accumulateStructureGradient(s, mu: dMu[s], sigma: dSigma[s]) }
        return needInputGradient ? UnsafePointer(dx) : nil
    }

    /// Σ_s KL(q_s‖p) over this layer's structures (SPEC §1), Float64.
    public func klSum() -> Double {
        (0..<units).reduce(0) { $0 + posterior($1).kl }
    }

    /// `klSum()` and `accumulateKLGradient(scale:)` in one pass over the structures (each
    /// structure's KL and gradient share one evaluation of the posterior's entropy): the
    /// same sum and the same gradient updates, in the same order.
    public func klSumAccumulatingGradient(scale: Double) -> Double {
        var sum = 0.0
        for s in 0..<units {
            let k = posterior(s).klWithGradient
            sum = sum + k.kl
            mu.gradient[s] += Float(scale * k.mu)
            logSigma.gradient[s] += Float(scale * k.logSigma)
        }
        return sum
    }

    /// Adds `scale`·∂KL_s/∂(μ_s, log σ_s) to the parameter gradients.
    public func accumulateKLGradient(scale: Double) {
        for s in 0..<units {
            let g = posterior(s).klGradient
            mu.gradient[s] += Float(scale * g.mu)
            logSigma.gradient[s] += Float(scale * g.logSigma)
        }
    }
}

struct SampleBuffers {
    let uniforms: UnsafePointer<Float>
    let theta, quantile: UnsafeMutablePointer<Float>
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    /// One byte per element (+ 8): which elements need Φ⁻¹'s tail branch (dense layout).
    let flags: UnsafeMutablePointer<UInt8>
}

/// One element of the reparameterised draw (SPEC §1), given its uniform u and its
/// structure's coefficients: θ (masked) and q = Φ⁻¹(γ), from which `noiseDerivatives`
/// recomputes the gradient factors in the backward pass. `tails: false` uses the central
/// branch of Φ⁻¹ only; the kernels below run that vectorised over every element, then
/// redo the ~0.7 % of elements in the tails.
@inline(__always)
func noiseDraw(u: Float, mu: Float, sigma: Float, cdfAlpha: Float, z: Float, mask: Float, tails: Bool)
    -> (theta: Float, q: Float) {
    let gamma = noiseGamma(u, cdfAlpha, z)
    let q = tails ? fastNormalQuantile(gamma) : fastNormalQuantileCentral(gamma)
    return (noiseTheta(logTheta: noiseLogTheta(q: q, mu: mu, sigma: sigma), mask: mask), q)
}

/// log θ = clamp(μ + σ·q, a, b), as `noiseDraw` forms it.
@inline(__always)
func noiseLogTheta(q: Float, mu: Float, sigma: Float) -> Float {
    min(max(mad(sigma, q, mu), NoiseLayer.lower), NoiseLayer.upper)
}

/// θ = e^{log θ}·mask, as `noiseDraw` forms it.
@inline(__always)
func noiseTheta(logTheta: Float, mask: Float) -> Float { fastExp(logTheta) * mask }

/// `noiseDraw(tails: false)` for `count` elements of one structure: θ, q and y = x·θ.
///
/// Written as four passes over L1-sized pieces instead of one loop: one element's draw is a
/// chain of ~35 dependent operations, so the one-loop form is bound by how many elements the
/// out-of-order window holds at once (measured ~1.8× slower); each pass is a short chain.
/// Every element goes through the same operations: results are bit-identical to `noiseDraw`.
/// γ and w pass through y and θ, which are then overwritten.
func drawCentral(u: UnsafePointer<Float>, x: UnsafePointer<Float>, theta: UnsafeMutablePointer<Float>,
                 quantile: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, count: Int,
                 mu: Float, sigma: Float, cdfAlpha: Float, z: Float, mask: Float) {
    let piece = 512
    var start = 0
    while start < count {
        let n = min(piece, count - start)
        let u = u + start, x = x + start, theta = theta + start, quantile = quantile + start, y = y + start
        for e in 0..<n { y[e] = noiseGamma(u[e], cdfAlpha, z) }
        for e in 0..<n { theta[e] = normalQuantileW(y[e]) }
        for e in 0..<n { quantile[e] = fastNormalQuantileCentral(gamma: y[e], w: theta[e]) }
        for e in 0..<n {
            let t = noiseTheta(logTheta: noiseLogTheta(q: quantile[e], mu: mu, sigma: sigma), mask: mask)
            theta[e] = t
            y[e] = x[e] * t
        }
        start += n
    }
}

/// θ·∂logθ/∂μ and θ·∂logθ/∂σ of one element drawn by `noiseDraw` (zero where a clamp is
/// active). Computed in the backward pass, and only where dL/dy·x ≠ 0: behind a max-pool
/// three elements in four get no gradient, so most of this work is skipped there.
@inline(__always)
func noiseDerivatives(u: Float, q: Float, theta t: Float, mu: Float, sigma: Float, cdfAlpha: Float, z: Float,
                      phiAlpha: Float, phiBeta: Float, alphaPhiAlpha: Float, betaPhiBeta: Float)
    -> (dMu: Float, dSigma: Float) {
    noiseDerivatives(u: u, q: q, expHalfQSquared: noiseExpHalfQSquared(q), theta: t, mu: mu, sigma: sigma,
                     cdfAlpha: cdfAlpha, z: z, phiAlpha: phiAlpha, phiBeta: phiBeta,
                     alphaPhiAlpha: alphaPhiAlpha, betaPhiBeta: betaPhiBeta)
}

/// e^{q²/2}, the part of `noiseDerivatives` a kernel may compute in a pass of its own (shorter
/// dependency chains, see `drawCentral`).
@inline(__always)
func noiseExpHalfQSquared(_ q: Float) -> Float { fastExp(0.5 * q * q) }

/// `noiseDerivatives` given e^{q²/2} = `noiseExpHalfQSquared(q)`.
@inline(__always)
func noiseDerivatives(u: Float, q: Float, expHalfQSquared: Float, theta t: Float, mu: Float, sigma: Float,
                      cdfAlpha: Float, z: Float, phiAlpha: Float, phiBeta: Float,
                      alphaPhiAlpha: Float, betaPhiBeta: Float) -> (dMu: Float, dSigma: Float) {
    let eps = NoiseLayer.gammaEpsilon
    let gammaRaw = mad(u, z, cdfAlpha)
    let gammaFree: Float = (gammaRaw >= eps && gammaRaw <= 1 - eps) ? 1 : 0
    let logThetaRaw = mad(sigma, q, mu)
    let thetaFree: Float = (logThetaRaw >= NoiseLayer.lower && logThetaRaw <= NoiseLayer.upper) ? 1 : 0
    // dΦ⁻¹/dγ = 1/φ(q) = √(2π)·e^{q²/2}
    let inversePdf = 2.50662827 * expHalfQSquared * gammaFree
    // dγ/dμ = −((1−u)φ(α) + uφ(β))/σ,  dγ/dσ = −((1−u)αφ(α) + uβφ(β))/σ  (φ terms pre-divided by σ)
    let dGammaDMu = -mad(1 - u, phiAlpha, u * phiBeta)
    let dGammaDSigma = -mad(1 - u, alphaPhiAlpha, u * betaPhiBeta)
    let sigmaInv = sigma * inversePdf
    let tf = t * thetaFree
    return (tf * mad(sigmaInv, dGammaDMu, 1), tf * mad(sigmaInv, dGammaDSigma, q))
}

// One example's row of a dense noise layer: elements offset..<offset+units, structure j =
// element j. Writes θ, q and y = x·θ as `noiseDraw` computes them: the central branch in passes
// (see `drawCentral`), then the rare elements that need Φ⁻¹'s tail branch, if any. The passes on
// our own buffers run whole 8-lane groups, past `units` into the next row (which rewrites
// those slots) while that stays inside the batch's `batchCount` elements; only y = x·θ reads x.
func sampleNoiseRow(offset: Int, units: Int, batchCount: Int, _ c: StructureCoefficients.Pointers, _ b: SampleBuffers) {
    let u = b.uniforms + offset, theta = b.theta + offset, quantile = b.quantile + offset
    let x = b.x + offset, y = b.y + offset
    let padded = units.roundedUpToMultiple(of: 8)
    let lanes = offset + padded <= batchCount ? padded : units
    // γ (through y), and a flag per element that needs Φ⁻¹'s tail branch.
    let flags = b.flags + offset
    for j in 0..<lanes {
        let gamma = noiseGamma(u[j], c.cdfAlpha[j], c.z[j])
        y[j] = gamma
        flags[j] = normalQuantileNeedsTail(gamma) ? 1 : 0
    }
    for j in 0..<lanes { theta[j] = normalQuantileW(y[j]) }
    for j in 0..<lanes { quantile[j] = fastNormalQuantileCentral(gamma: y[j], w: theta[j]) }
    for j in 0..<lanes {
        theta[j] = noiseTheta(logTheta: noiseLogTheta(q: quantile[j], mu: c.mu[j], sigma: c.sigma[j]), mask: c.mask[j])
    }
    for j in 0..<units { y[j] = x[j] * theta[j] }
    forEachFlagged(UnsafePointer(flags), count: units) { j in
        let r = noiseDraw(u: u[j], mu: c.mu[j], sigma: c.sigma[j], cdfAlpha: c.cdfAlpha[j], z: c.z[j],
                          mask: c.mask[j], tails: true)
        theta[j] = r.theta; quantile[j] = r.q
        y[j] = x[j] * r.theta
    }
}

/// Calls `body(e)`, in increasing e, for every e < count with flags[e] ≠ 0, testing eight flags
/// at a time (the flagged elements are rare).
@inline(__always)
func forEachFlagged(_ flags: UnsafePointer<UInt8>, count: Int, _ body: (Int) -> Void) {
    var g = 0
    while g + 8 <= count {
        if UnsafeRawPointer(flags + g).loadUnaligned(as: UInt64.self) != 0 {
            for e in g..<(g + 8) where flags[e] != 0 { withoutVectorizing { body(e) } }
        }
        g += 8
    }
    for e in g..<count where flags[e] != 0 { withoutVectorizing { body(e) } }
}

// One conv channel's block (all examples, all positions) sharing structure s's coefficients.
// With `skipZeroRuns`, chunks whose inputs are all exactly 0 are written as zeros (see
// `NoiseLayer.inputIsRectified`).
func sampleNoiseBlock(offset: Int, count: Int, structure s: Int, _ c: StructureCoefficients.Pointers,
                      _ b: SampleBuffers, skipZeroRuns: Bool) {
    let u = b.uniforms + offset, theta = b.theta + offset, quantile = b.quantile + offset
    let x = b.x + offset, y = b.y + offset
    let mu = c.mu[s], sigma = c.sigma[s], cdfAlpha = c.cdfAlpha[s], z = c.z[s], mask = c.mask[s]
    @inline(__always) func element(_ e: Int, tails: Bool) {
        let r = noiseDraw(u: u[e], mu: mu, sigma: sigma, cdfAlpha: cdfAlpha, z: z, mask: mask, tails: tails)
        theta[e] = r.theta; quantile[e] = r.q
        y[e] = x[e] * r.theta
    }
    @inline(__always) func central(_ start: Int, _ end: Int) {
        drawCentral(u: u + start, x: x + start, theta: theta + start, quantile: quantile + start, y: y + start,
                    count: end - start, mu: mu, sigma: sigma, cdfAlpha: cdfAlpha, z: z, mask: mask)
    }
    if skipZeroRuns {
        let chunk = 64
        @inline(__always) func zero(_ start: Int) -> Bool {
            var bits: UInt32 = 0
            for e in start..<min(start + chunk, count) { bits |= x[e].bitPattern }
            return bits == 0
        }
        var start = 0
        while start < count {
            var end = min(start + chunk, count)
            if zero(start) {
                for e in start..<end { theta[e] = 0; quantile[e] = 0; y[e] = 0 }
            } else {
                // A run of non-zero chunks at once (each pass of `drawCentral` then runs long).
                while end < count && !zero(end) { end = min(end + chunk, count) }
                central(start, end)
            }
            start = end
        }
    } else {
        central(0, count)
    }
    // Tails: γ = Φ(α) + u·Z is increasing in u, so γ < g₀ or γ > 1 − g₀ is u outside
    // [uLow, uHigh]; a cheap scan on u (widened by a margin, the exact test decides).
    let (uLow, uHigh) = tailBounds(cdfAlpha: cdfAlpha, z: z)
    for e in 0..<count where (u[e] < uLow || u[e] > uHigh) && normalQuantileNeedsTail(noiseGamma(u[e], cdfAlpha, z)) {
        withoutVectorizing { element(e, tails: true) }
    }
}

/// Structure s's block in the backward pass: dx = dy·θ everywhere, and the μ and σ
/// gradient sums Σ g·θ·∂logθ/∂(μ, σ) with g = dy·x, skipping 16-element chunks where
/// g is all zero (their terms are exactly 0). Returns (Σ_μ, Σ_σ).
func accumulateNoiseBlockGradient(offset: Int, count: Int, structure s: Int, _ c: StructureCoefficients.Pointers,
                                  _ b: SampleBuffers, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                  scratch: UnsafeMutablePointer<Float>) -> (mu: Float, sigma: Float) {
    let u = b.uniforms + offset, theta = UnsafePointer(b.theta + offset), quantile = UnsafePointer(b.quantile + offset)
    let x = b.x + offset, dy = dy + offset, dx = dx + offset
    let mu = c.mu[s], sigma = c.sigma[s], cdfAlpha = c.cdfAlpha[s], z = c.z[s]
    let pa = c.phiAlphaOverSigma[s], pb = c.phiBetaOverSigma[s]
    let apa = c.alphaPhiAlphaOverSigma[s], bpb = c.betaPhiBetaOverSigma[s]
    let chunk = NoiseLayer.backwardChunk
    let tm = scratch, ts = scratch + chunk
    var accMu = Float8(), accSigma = Float8()
    // Indexing pointers advanced to the chunk (not start + i, whose overflow check would
    // keep the loops scalar).
    @inline(__always) func terms(_ start: Int, _ i: Int) {
        let u = u + start, quantile = quantile + start, theta = theta + start, dy = dy + start, x = x + start
        let f = noiseDerivatives(u: u[i], q: quantile[i], theta: theta[i], mu: mu, sigma: sigma,
                                 cdfAlpha: cdfAlpha, z: z, phiAlpha: pa, phiBeta: pb,
                                 alphaPhiAlpha: apa, betaPhiBeta: bpb)
        let g = dy[i] * x[i]
        tm[i] = g * f.dMu; ts[i] = g * f.dSigma
    }
    var start = 0
    while start < count {
        let n = min(chunk, count - start)
        var bits: UInt32 = 0
        let dyc = dy + start, xc = x + start, tc = theta + start, dxc = dx + start
        for i in 0..<n {
            dxc[i] = dyc[i] * tc[i]
            bits |= (dyc[i] * xc[i]).bitPattern & 0x7FFF_FFFF
        }
        if bits != 0 {
            if n == chunk {
                for i in 0..<NoiseLayer.backwardChunk { terms(start, i) }
            } else {
                for i in 0..<n { terms(start, i) }
                for i in n..<chunk { tm[i] = 0; ts[i] = 0 }
            }
            // Added 8 lanes at a time in order: the same sums as one 8-lane pass over the block.
            for j in Swift.stride(from: 0, to: chunk, by: 8) {
                accMu += loadFloat8(tm + j)
                accSigma += loadFloat8(ts + j)
            }
        }
        start += n
    }
    return (accMu.sum(), accSigma.sum())
}

/// The u interval inside which γ = clamp(Φ(α) + u·Z) is surely in Φ⁻¹'s central branch.
@inline(__always)
func tailBounds(cdfAlpha: Float, z: Float) -> (Float, Float) {
    guard z > 1e-6 else { return (2, -1) }  // degenerate Z: scan every element exactly
    let g0: Float = 0.0018  // slightly above the branch point γ ≈ 0.001687 (w = 5), as a margin
    return ((g0 - cdfAlpha) / z, (1 - g0 - cdfAlpha) / z)
}

/// Runs `body` behind a call the optimiser cannot inline, so that the rare-path loops
/// above stay scalar scans: if-converted and vectorised, they would compute the full
/// element for every lane and double the cost of the layer (measured).
@inline(never)
func withoutVectorizing(_ body: () -> Void) { body() }

/// γ = clamp(Φ(α) + u·Z, ε, 1 − ε), exactly as `noiseElement` forms it.
@inline(__always)
func noiseGamma(_ u: Float, _ cdfAlpha: Float, _ z: Float) -> Float {
    min(max(mad(u, z, cdfAlpha), NoiseLayer.gammaEpsilon), 1 - NoiseLayer.gammaEpsilon)
}

/// Per-structure Float32 coefficients of the sampling step, computed in Float64 once per
/// forward (structure-of-arrays so the element loop vectorises).
struct StructureCoefficients {
    var mu, sigma, cdfAlpha, z, mask: [Float]
    var phiAlphaOverSigma, phiBetaOverSigma, alphaPhiAlphaOverSigma, betaPhiBetaOverSigma: [Float]

    /// Arrays are padded to a multiple of 8 so that 8-lane loads never run past the end.
    init(count: Int) {
        let zeros = [Float](repeating: 0, count: count.roundedUpToMultiple(of: 8))
        mu = zeros; sigma = zeros; cdfAlpha = zeros; z = zeros; mask = zeros
        phiAlphaOverSigma = zeros; phiBetaOverSigma = zeros
        alphaPhiAlphaOverSigma = zeros; betaPhiBetaOverSigma = zeros
    }

    mutating func update(_ layer: NoiseLayer) {
        if mu.count != layer.units.roundedUpToMultiple(of: 8) { self = StructureCoefficients(count: layer.units) }
        for s in 0..<layer.units {
            let m = Double(layer.mu.value[s])
            let sg = NoisePosterior(mu: m, logSigma: Double(layer.logSigma.value[s])).sigma
            let alpha = (NoiseTruncation.a - m) / sg, beta = (NoiseTruncation.b - m) / sg
            let pa = normalPDF(alpha), pb = normalPDF(beta)
            let ca = normalCDF(alpha, pdf: pa)  // (φ(α) is 0 for most structures: see there)
            mu[s] = Float(m)
            sigma[s] = Float(sg)
            cdfAlpha[s] = Float(ca)
            z[s] = Float(normalCDF(beta, pdf: pb) - ca)
            mask[s] = layer.mask[s]
            phiAlphaOverSigma[s] = Float(pa / sg)
            phiBetaOverSigma[s] = Float(pb / sg)
            // α·φ(α) → 0 as |α| → ∞; guard the 0·∞ that φ underflow could give.
            alphaPhiAlphaOverSigma[s] = pa == 0 ? 0 : Float(alpha * pa / sg)
            betaPhiBetaOverSigma[s] = pb == 0 ? 0 : Float(beta * pb / sg)
        }
    }

    struct Pointers {
        let mu, sigma, cdfAlpha, z, mask: UnsafePointer<Float>
        let phiAlphaOverSigma, phiBetaOverSigma, alphaPhiAlphaOverSigma, betaPhiBetaOverSigma: UnsafePointer<Float>

    }

    /// The arrays are not mutated while the pointers live; they outlive the call.
    func withPointers<R>(_ body: (Pointers) -> R) -> R {
        mu.withUnsafeBufferPointer { a in sigma.withUnsafeBufferPointer { b in
        cdfAlpha.withUnsafeBufferPointer { c in z.withUnsafeBufferPointer { d in
        mask.withUnsafeBufferPointer { e in phiAlphaOverSigma.withUnsafeBufferPointer { f in
        phiBetaOverSigma.withUnsafeBufferPointer { g in alphaPhiAlphaOverSigma.withUnsafeBufferPointer { h in
        betaPhiBetaOverSigma.withUnsafeBufferPointer { i in
            body(Pointers(mu: a.baseAddress!, sigma: b.baseAddress!, cdfAlpha: c.baseAddress!, z: d.baseAddress!,
                          mask: e.baseAddress!, phiAlphaOverSigma: f.baseAddress!, phiBetaOverSigma: g.baseAddress!,
                          alphaPhiAlphaOverSigma: h.baseAddress!, betaPhiBetaOverSigma: i.baseAddress!))
        } } } } } } } } }
    }
}

extension Int {
    func roundedUpToMultiple(of m: Int) -> Int { (self + m - 1) / m * m }
}
