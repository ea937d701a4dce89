import NoiseStatistics

/// Multiplicative log-normal noise on structures (SPEC §1): h_i = θ_i · x_i, with one
/// posterior q(θ_i) = LogN_[a,b](μ_i, σ_i²) per structure (a dense unit or a conv channel).
///
/// - Training: θ is drawn for every activation element by the reparameterisation
///   γ = clamp(Φ(α) + u·Z, ε, 1−ε), log θ = clamp(μ + σ·Φ⁻¹(γ), a, b), with gradients to
///   μ and log σ through γ, Φ⁻¹ and the clamps (zero where a clamp is active).
/// - Evaluation: θ = E[θ] (Float64 closed form), recomputed on every call: no stale cache.
/// - A mask (1 keep, 0 prune) multiplies θ in both modes.
/// - `enabled == false` makes the layer the identity (the `plain` baseline, SPEC §5).
///
/// μ and log σ are Float32 parameters (init 0 and −5); the per-structure statistics
/// (α, β, Φ(α), Z, φ terms, E[θ], KL) are computed in Float64.
public final class NoiseLayer: Layer {
    /// Truncation bounds and clamps of SPEC §1.
    public static let lower = Float(NoiseTruncation.a), upper = Float(NoiseTruncation.b)
    public static let gammaEpsilon: Float = 1e-5

    public let units: Int
    /// Elements per structure per example: 1 for dense units, H·W for a conv channel.
    public let planeSize: Int
    public let layout: ActivationLayout
    public let mu: Parameter
    public let logSigma: Parameter
    /// 1 keeps a structure, 0 prunes it (θ forced to 0).
    public var mask: [Float]
    public var enabled = true

    public var inputSize: Int { units * planeSize }
    public var outputSize: Int { inputSize }
    public var parameters: [Parameter] { enabled ? [mu, logSigma] : [] }

    private var output = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)
    // Per element, from the last training forward: θ, θ·∂logθ/∂μ, θ·∂logθ/∂σ.
    private var theta = FloatBuffer(count: 0)
    private var thetaDMu = FloatBuffer(count: 0)
    private var thetaDSigma = FloatBuffer(count: 0)
    private var lastInput: UnsafePointer<Float>?
    private var lastTraining = false
    private var sigmaUsed: [Float] = []
    private var coefficients = StructureCoefficients(count: 0)

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
        theta = FloatBuffer(count: n)
        thetaDMu = FloatBuffer(count: n)
        thetaDSigma = FloatBuffer(count: n)
    }

    /// The Float64 posterior of structure `i`.
    public func posterior(_ i: Int) -> NoisePosterior {
        NoisePosterior(mu: Double(mu.value[i]), logSigma: Double(logSigma.value[i]))
    }

    public var posteriors: [NoisePosterior] { (0..<units).map(posterior) }

    /// E[θ]·mask per structure, the evaluation-time multiplier.
    public func expectedThetaMasked() -> [Float] {
        (0..<units).map { Float(posterior($0).expectedTheta) * mask[$0] }
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, context: inout StepContext) -> UnsafePointer<Float> {
        lastInput = x
        lastTraining = context.training
        let y = output.pointer
        let count = batch * inputSize
        guard enabled else {
            y.update(from: x, count: count)
            return UnsafePointer(y)
        }
        guard context.training else {
            let scale = expectedThetaMasked()
            scaleByStructure(x, y, scale, batch: batch)
            return UnsafePointer(y)
        }
        coefficients.update(self)
        // Uniform draws go into the θ buffer first; the kernel overwrites them with θ.
        context.noise.fill(theta.pointer, count: count)
        let out = SampleBuffers(theta: theta.pointer, thetaDMu: thetaDMu.pointer,
                                thetaDSigma: thetaDSigma.pointer, x: x, y: y)
        switch layout {
        case .rows:
            coefficients.withPointers { c in
                for n in 0..<batch {
                    let o = n * units
                    for s in 0..<units { sampleNoiseElement(o + s, s, c, out) }
                }
            }
        default:
            coefficients.withPointers { c in
                for s in 0..<units {
                    let start = s * batch * planeSize
                    for e in start..<(start + batch * planeSize) { sampleNoiseElement(e, s, c, out) }
                }
            }
        }
        return UnsafePointer(y)
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
            if needInputGradient { dx.update(from: dy, count: batch * inputSize) }
            return needInputGradient ? UnsafePointer(dx) : nil
        }
        precondition(lastTraining, "NoiseLayer.backward after an evaluation forward")
        let t = theta.pointer, tm = thetaDMu.pointer, ts = thetaDSigma.pointer
        // Gradient of θ_e: g_e = dy_e·x_e; dμ_s = Σ g_e·θ_e·∂logθ/∂μ; dσ_s likewise.
        var dMu = [Double](repeating: 0, count: units)
        var dSigma = [Double](repeating: 0, count: units)
        switch layout {
        case .rows:
            var accMu = [Float](repeating: 0, count: units)
            var accSigma = [Float](repeating: 0, count: units)
            for n in 0..<batch {
                let o = n * units
                for s in 0..<units {
                    let g = dy[o + s] * x[o + s]
                    accMu[s] += g * tm[o + s]
                    accSigma[s] += g * ts[o + s]
                    dx[o + s] = dy[o + s] * t[o + s]
                }
            }
            for s in 0..<units { dMu[s] = Double(accMu[s]); dSigma[s] = Double(accSigma[s]) }
        default:
            for s in 0..<units {
                let start = s * batch * planeSize
                var am: Float = 0, asg: Float = 0
                for e in start..<(start + batch * planeSize) {
                    let g = dy[e] * x[e]
                    am += g * tm[e]
                    asg += g * ts[e]
                    dx[e] = dy[e] * t[e]
                }
                dMu[s] = Double(am); dSigma[s] = Double(asg)
            }
        }
        for s in 0..<units {
            mu.gradient[s] += Float(dMu[s])
            // d/dlogσ = σ·d/dσ where logσ is inside its clamp, else 0.
            let ls = logSigma.value[s]
            if ls >= Float(NoiseTruncation.logSigmaMin) && ls <= Float(NoiseTruncation.logSigmaMax) {
                logSigma.gradient[s] += Float(dSigma[s]) * coefficients.sigma[s]
            }
        }
        return needInputGradient ? UnsafePointer(dx) : nil
    }

    /// Σ_s KL(q_s‖p) over this layer's structures (SPEC §1), Float64.
    public func klSum() -> Double {
        (0..<units).reduce(0) { $0 + posterior($1).kl }
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
    let theta, thetaDMu, thetaDSigma: UnsafeMutablePointer<Float>
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
}

/// One element of the reparameterised draw (SPEC §1). On entry `theta[e]` holds the
/// uniform u; on exit θ_e, θ_e·∂logθ/∂μ, θ_e·∂logθ/∂σ and y_e = x_e·θ_e.
@inline(__always)
func sampleNoiseElement(_ e: Int, _ s: Int, _ c: StructureCoefficients.Pointers, _ b: SampleBuffers) {
    let u = b.theta[e]
    let gammaRaw = c.cdfAlpha[s] + u * c.z[s]
    let eps = NoiseLayer.gammaEpsilon
    let gamma = min(max(gammaRaw, eps), 1 - eps)
    let gammaFree: Float = (gammaRaw >= eps && gammaRaw <= 1 - eps) ? 1 : 0
    let q = fastNormalQuantile(gamma)
    let logThetaRaw = c.mu[s] + c.sigma[s] * q
    let logTheta = min(max(logThetaRaw, NoiseLayer.lower), NoiseLayer.upper)
    let thetaFree: Float = (logThetaRaw >= NoiseLayer.lower && logThetaRaw <= NoiseLayer.upper) ? 1 : 0
    let t = fastExp(logTheta) * c.mask[s]
    // dΦ⁻¹/dγ = 1/φ(q) = √(2π)·e^{q²/2}
    let inversePdf = 2.50662827 * fastExp(0.5 * q * q) * gammaFree
    // dγ/dμ = −((1−u)φ(α) + uφ(β))/σ,  dγ/dσ = −((1−u)αφ(α) + uβφ(β))/σ
    let dGammaDMu = -((1 - u) * c.phiAlphaOverSigma[s] + u * c.phiBetaOverSigma[s])
    let dGammaDSigma = -((1 - u) * c.alphaPhiAlphaOverSigma[s] + u * c.betaPhiBetaOverSigma[s])
    let sigmaInv = c.sigma[s] * inversePdf
    b.theta[e] = t
    b.thetaDMu[e] = t * thetaFree * (1 + sigmaInv * dGammaDMu)
    b.thetaDSigma[e] = t * thetaFree * (q + sigmaInv * dGammaDSigma)
    b.y[e] = b.x[e] * t
}

/// Per-structure Float32 coefficients of the sampling step, computed in Float64 once per
/// forward (structure-of-arrays so the element loop vectorises).
struct StructureCoefficients {
    var mu, sigma, cdfAlpha, z, mask: [Float]
    var phiAlphaOverSigma, phiBetaOverSigma, alphaPhiAlphaOverSigma, betaPhiBetaOverSigma: [Float]

    init(count: Int) {
        let zeros = [Float](repeating: 0, count: count)
        mu = zeros; sigma = zeros; cdfAlpha = zeros; z = zeros; mask = zeros
        phiAlphaOverSigma = zeros; phiBetaOverSigma = zeros
        alphaPhiAlphaOverSigma = zeros; betaPhiBetaOverSigma = zeros
    }

    mutating func update(_ layer: NoiseLayer) {
        if mu.count != layer.units { self = StructureCoefficients(count: layer.units) }
        for s in 0..<layer.units {
            let m = Double(layer.mu.value[s])
            let sg = NoisePosterior(mu: m, logSigma: Double(layer.logSigma.value[s])).sigma
            let alpha = (NoiseTruncation.a - m) / sg, beta = (NoiseTruncation.b - m) / sg
            let ca = normalCDF(alpha)
            let pa = normalPDF(alpha), pb = normalPDF(beta)
            mu[s] = Float(m)
            sigma[s] = Float(sg)
            cdfAlpha[s] = Float(ca)
            z[s] = Float(normalCDF(beta) - ca)
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
