// The truncated log-normal posterior of one structure and its pruning statistics
// (SPEC §1: E[θ], E[θ²], Var, SNR, KL and its gradient; SPEC §2: ΔF of BMRS_N and BMRS_U-p).

import Foundation

/// Truncation and clamps of SPEC §1: log θ ∈ [a, b] = [−20, 0]; log σ is clamped to
/// [logSigmaMin, logSigmaMax] = [−20, 5] wherever σ is used (BMRS_U only clamps from below).
public enum NoiseTruncation {
    public static let a = -20.0, b = 0.0, logSigmaMin = -20.0, logSigmaMax = 5.0
}

/// The constant of the BMRS_N log-evidence difference (SPEC §2).
///
/// - `seed`: the SPEC formula, ΔF = log(Z_q̃(b−a)/(Z_p̃Z_q)) − ½·log(2π(v+s²)) − (μ−m_p)²/(2(v+s²)).
/// - `released`: the authors' released code, which omits the 2π inside the log, so its ΔF
///   is larger by exactly ½·log(2π) ≈ 0.919 (it prunes more).
public enum BMRSNConstant: String, Sendable, CaseIterable {
    case seed, released
}

/// One structure's variational posterior q(θ) = LogN_[a,b](μ, σ²): log θ ~ N(μ, σ²) truncated
/// to [a, b] (SPEC §1).
///
/// All statistics are computed in Float64 and stay finite (never NaN) for μ ∈ [−25, 2] and
/// log σ ∈ [−22, 6] and well beyond: masses of the truncated normal are kept in the scaled
/// form φ(x₀)·S (see `ScaledMass`) so that the huge Gaussian exponents (up to ~1e19 for
/// σ = e⁻²⁰) cancel analytically rather than numerically.
public struct NoisePosterior: Sendable, Hashable {
    /// Location μ of log θ (before truncation).
    public var mu: Double
    /// log σ before clamping.
    public var logSigma: Double

    /// Creates a posterior from its raw parameters (log σ is clamped only when used).
    public init(mu: Double, logSigma: Double) {
        self.mu = mu
        self.logSigma = logSigma
    }

    /// log σ clamped to [−20, 5] (SPEC §1).
    public var clampedLogSigma: Double {
        min(max(logSigma, NoiseTruncation.logSigmaMin), NoiseTruncation.logSigmaMax)
    }

    /// True if μ or log σ is NaN (every statistic is then NaN; on finite inputs none is).
    var hasNaN: Bool { mu.isNaN || logSigma.isNaN }

    /// σ = exp(clamp(log σ, −20, 5)) (SPEC §1).
    public var sigma: Double { exp(clampedLogSigma) }

    /// α = (a − μ)/σ.
    var alpha: Double { (NoiseTruncation.a - mu) / sigma }
    /// β = (b − μ)/σ.
    var beta: Double { (NoiseTruncation.b - mu) / sigma }
    /// β − α = (b − a)/σ, exact even where α and β are rounded (|μ| ≫ b − a).
    var width: Double { (NoiseTruncation.b - NoiseTruncation.a) / sigma }

    // MARK: Moments

    /// log E[θᵏ] = kμ + k²σ²/2 + log M(α − kσ, β − kσ) − log M(α, β) (SPEC §1), with the
    /// Gaussian exponents combined exactly: when both intervals have their mode at the same
    /// end point e ∈ {α, β}, μ + σe is that end of [a, b], so the exponent is k·a or k·b.
    func logRawMoment(_ k: Double) -> Double {
        let s = sigma
        let al = alpha, be = beta
        let w = width
        let base = ScaledMass(al, be, width: w)
        let shifted = ScaledMass(al - k * s, be - k * s, width: w)
        let exponent: Double
        switch shifted.kind {
        case .lower:
            // mode of the shifted interval at α − kσ: exponent = k(μ + σα) − α²/2 + x₀²/2
            exponent = base.kind == .lower
                ? k * NoiseTruncation.a
                : k * NoiseTruncation.a - 0.5 * al * al + 0.5 * base.x0 * base.x0
        case .upper:
            exponent = base.kind == .upper
                ? k * NoiseTruncation.b
                : k * NoiseTruncation.b - 0.5 * be * be + 0.5 * base.x0 * base.x0
        case .straddle:
            exponent = k * mu + 0.5 * k * k * s * s + 0.5 * base.x0 * base.x0
        }
        return exponent + shifted.logS - base.logS
    }

    /// E[θ] = exp(μ + σ²/2)·(Φ(σ−α) − Φ(σ−β))/Z (SPEC §1), in the stable scaled form
    /// (Mills ratio via erfcx in the tails). Always in [e^a, e^b] = [e⁻²⁰, 1].
    public var expectedTheta: Double {
        if hasNaN { return .nan }
        let value = exp(logRawMoment(1))
        return min(max(value, exp(NoiseTruncation.a)), exp(NoiseTruncation.b))
    }

    /// E[θ²] = exp(2μ + 2σ²)·(Φ(2σ−α) − Φ(2σ−β))/Z (SPEC §1), stable scaled form.
    public var secondMoment: Double {
        if hasNaN { return .nan }
        let value = exp(logRawMoment(2))
        return min(max(value, exp(2 * NoiseTruncation.a)), exp(2 * NoiseTruncation.b))
    }

    /// D = log E[θ²] − 2·log E[θ] = log(1 + Var/E[θ]²).
    var logSecondOverFirstSquared: Double { logRawMoment(2) - 2 * logRawMoment(1) }

    /// Var[θ] = E[θ²] − E[θ]² (SPEC §1), ≥ 0.
    ///
    /// When the squared coefficient of variation is not small (D > 0.1) it is
    /// E[θ]²·expm1(D). Otherwise the difference would cancel (the reference values go
    /// down to 1e-54 against E[θ]² ≈ 1e-17), and Var is integrated directly: with x₀ the
    /// mode of the truncated standard normal and c = μ + σx₀, θ = e^c·e^{σu}, and
    /// Var = e^{2c}·E[(expm1(σu) − m)²], m = E[expm1(σu)], by composite 16-point
    /// Gauss–Legendre over the region that holds all but e⁻⁵⁰ of the (tilted) mass.
    public var variance: Double {
        if hasNaN { return .nan }
        let d = logSecondOverFirstSquared
        if d > 0.1 {
            return exp(2 * logRawMoment(1)) * expm1(d)
        }
        return quadratureVariance()
    }

    /// E[θ]/√Var (SPEC §1). +∞ if Var underflows to 0; never NaN for finite μ, log σ.
    public var snr: Double {
        if hasNaN { return .nan }
        let d = logSecondOverFirstSquared
        if d > 0.1 {
            return 1 / expm1(d).squareRoot()
        }
        let v = quadratureVariance()
        if v <= 0 { return .infinity }
        return expectedTheta / v.squareRoot()
    }

    /// Var[θ] by quadrature (see `variance`).
    func quadratureVariance() -> Double {
        let s = sigma
        let al = alpha, be = beta
        let z0: Double
        let c: Double
        if al >= 0 {
            z0 = al; c = NoiseTruncation.a
        } else if be <= 0 {
            z0 = be; c = NoiseTruncation.b
        } else {
            z0 = 0; c = mu
        }
        // u = z − z₀ ∈ [α − z₀, β − z₀]; log-weight g₀(u) = −z₀u − u²/2 ≤ 0 (max at u = 0).
        // (β − α is taken as (b − a)/σ, exact even when |μ| ≫ b − a.)
        var uLo = al >= 0 ? 0 : (be <= 0 ? -width : al)
        var uHi = al >= 0 ? width : (be <= 0 ? 0 : be)
        let cutoff = 50.0
        if uLo < 0 {
            // g₀(u) < −cutoff left of this point (z₀ ≤ 0 here).
            let v = 2 * cutoff / (abs(z0) + (z0 * z0 + 2 * cutoff).squareRoot())
            uLo = max(uLo, -v)
        }
        if uHi > 0 {
            // z₀ ≥ 0 here. Untilted weight, and the weight tilted by e^{2σu} (the integrand
            // grows like e^{2σu}): g₂(u) = −(z₀ − 2σ)u − u²/2.
            let r0 = z0
            let right0 = 2 * cutoff / (r0 + (r0 * r0 + 2 * cutoff).squareRoot())
            let r2 = z0 - 2 * s
            let right2 = r2 >= 0
                ? 2 * cutoff / (r2 + (r2 * r2 + 2 * cutoff).squareRoot())
                : -r2 + (2 * cutoff).squareRoot()
            uHi = min(uHi, max(right0, right2))
        }
        let length = uHi - uLo
        if !(length > 0) { return 0 }
        // Panels on which the log-integrand changes by at most ~4 and that are at most 1 wide.
        let slope = abs(z0) + max(abs(uLo), abs(uHi)) + 2 * s + 1
        let width = min(1, 4 / slope)
        let panels = max(1, min(4000, Int((length / width).rounded(.up))))
        let h = length / Double(panels)
        let rule = GaussLegendreRule.sixteen
        var weights = [Double]()
        var values = [Double]()
        weights.reserveCapacity(panels * rule.nodes.count)
        values.reserveCapacity(panels * rule.nodes.count)
        var total = 0.0
        var first = 0.0
        for panel in 0..<panels {
            let start = uLo + Double(panel) * h
            for (node, weight) in zip(rule.nodes, rule.weights) {
                let u = start + node * h
                let wgt = weight * exp(-z0 * u - 0.5 * u * u)
                let value = expm1(s * u)
                weights.append(wgt)
                values.append(value)
                total += wgt
                first += wgt * value
            }
        }
        let mean = first / total
        var central = 0.0
        for (wgt, value) in zip(weights, values) {
            let d = value - mean
            central += wgt * d * d
        }
        return exp(2 * c) * central / total
    }

    // MARK: KL

    /// KL(q‖p) of one structure against the log-uniform prior on [a, b] (SPEC §1):
    /// −log σ − log Z − ½·log(2πe) + log(b−a) − (α·φ(α) − β·φ(β))/(2Z), ≥ 0.
    ///
    /// Computed as log(b−a) − log σ − H(α, β), with H the entropy of the standard normal
    /// truncated to [α, β] in the scaled form (φ(α)/Z = exp(logφ(α) − log Z) etc.; in the
    /// far tails the cancelling α²/2 terms are removed analytically through the Mills-ratio
    /// derivatives P and T), so it stays exact when Z underflows.
    public var kl: Double {
        if hasNaN { return .nan }
        let entropy = truncatedStandardNormalEntropy(alpha, beta, width: width)
        return max(0, log(NoiseTruncation.b - NoiseTruncation.a) - clampedLogSigma - entropy.h)
    }

    /// (∂KL/∂μ, ∂KL/∂log σ), derived analytically (SPEC §1):
    /// ∂KL/∂μ = (∂H/∂α + ∂H/∂β)/σ and ∂KL/∂log σ = −1 + α·∂H/∂α + β·∂H/∂β, with
    /// ∂H/∂α = (λ_α/2)(−1 − α² + αλ_α − βλ_β), ∂H/∂β = (λ_β/2)(1 + β² − αλ_α + βλ_β),
    /// λ_x = φ(x)/Z. ∂/∂log σ is 0 where log σ is outside [−20, 5] (the clamp); exactly on
    /// the boundary the interior derivative is returned (as autograd through a clamp does).
    public var klGradient: (mu: Double, logSigma: Double) {
        if hasNaN { return (.nan, .nan) }
        let s = sigma
        let al = alpha, be = beta
        let entropy = truncatedStandardNormalEntropy(al, be, width: width)
        let dMu = (entropy.dAlpha + entropy.dBeta) / s
        let clamped = logSigma < NoiseTruncation.logSigmaMin || logSigma > NoiseTruncation.logSigmaMax
        let dLogSigma = clamped ? 0 : -1 + al * entropy.dAlpha + be * entropy.dBeta
        return (dMu, dLogSigma)
    }

    /// `kl` and `klGradient` together, as a training step needs them for every structure:
    /// σ and the truncated-normal entropy they share are computed once, by the same
    /// expressions, so the three values are those of the two properties bit for bit.
    public var klWithGradient: (kl: Double, mu: Double, logSigma: Double) {
        if hasNaN { return (.nan, .nan, .nan) }
        let s = sigma
        let al = (NoiseTruncation.a - mu) / s, be = (NoiseTruncation.b - mu) / s
        let entropy = truncatedStandardNormalEntropy(al, be, width: (NoiseTruncation.b - NoiseTruncation.a) / s)
        let kl = max(0, log(NoiseTruncation.b - NoiseTruncation.a) - clampedLogSigma - entropy.h)
        let dMu = (entropy.dAlpha + entropy.dBeta) / s
        let clamped = logSigma < NoiseTruncation.logSigmaMin || logSigma > NoiseTruncation.logSigmaMax
        let dLogSigma = clamped ? 0 : -1 + al * entropy.dAlpha + be * entropy.dBeta
        return (kl, dMu, dLogSigma)
    }

    // MARK: BMRS

    /// ΔF of BMRS_N (SPEC §2): the log-evidence change when the log-uniform prior is reduced
    /// to N(m_p, s²) truncated to [a, b], with m_p = a and s = `priorStd` (default 1e-6).
    /// Prune if ΔF ≥ 0.
    ///
    /// Uses the stable form ΔF = log(Z_q̃(b−a)/(Z_p̃Z_q)) − ½log(2π(v+s²)) − (μ−m_p)²/(2(v+s²))
    /// in Float64, v = σ² (σ clamped). The log-masses are kept scaled, and the Gaussian
    /// exponents combined exactly: they cancel to 0 when μ ≤ a and to −(b−a)²/(2s²) when both
    /// q and q̃ have their mode at b. `constant: .released` adds ½·log(2π) (authors' code).
    public func deltaFBMRSN(constant: BMRSNConstant = .seed, priorStd: Double = 1e-6) -> Double {
        if hasNaN || priorStd.isNaN { return .nan }
        let a = NoiseTruncation.a, b = NoiseTruncation.b
        let mp = a
        let sd = sigma
        let v = sd * sd
        let s2 = priorStd * priorStd
        let vs = v + s2
        // Reduced posterior q̃ = N(m̃, ṽ), ṽ = v s²/(v + s²), m̃ = (μ s² + m_p v)/(v + s²);
        // x − m̃ = ((x − μ)s² + (x − m_p)v)/(v + s²) without cancellation.
        let sTilde = priorStd * sd / vs.squareRoot()
        let alTilde = ((a - mu) * s2 + (a - mp) * v) / vs / sTilde
        let beTilde = ((b - mu) * s2 + (b - mp) * v) / vs / sTilde
        let q = ScaledMass(alpha, beta, width: width)
        let qTilde = ScaledMass(alTilde, beTilde, width: (b - a) / sTilde)
        let logZPrior = logNormalMass(from: (a - mp) / priorStd, to: (b - mp) / priorStd)
        let d = mu - mp
        // x₀²/2 − x̃₀²/2 − (μ − m_p)²/(2(v + s²)), the exponents of log Z_q, log Z_q̃ and the
        // Gaussian term. Exact cases (m_p = a): both modes at a → 0; both at b → −(b−a)²/(2s²).
        let exponent: Double
        if q.kind == .lower && qTilde.kind == .lower {
            exponent = 0
        } else if q.kind == .upper && qTilde.kind == .upper {
            exponent = -(b - a) * (b - a) / (2 * s2)
        } else {
            exponent = 0.5 * q.x0 * q.x0 - 0.5 * qTilde.x0 * qTilde.x0 - d * d / (2 * vs)
        }
        var deltaF = log(b - a) - logZPrior - 0.5 * log(2 * Double.pi * vs)
            + exponent + qTilde.logS - q.logS
        if constant == .released {
            deltaF += NormalConstants.halfLog2Pi
        }
        return deltaF
    }

    /// ΔF of BMRS_U-p (SPEC §2): reduced prior log-uniform on [a′, b′] = [log 2⁻²³, log 2⁻ᵖ],
    /// ΔF = log q(a′ ≤ log θ ≤ b′) − log((b′−a′)/(b−a)), with μ clamped to [a, b] and
    /// log σ clamped only from below (at −20; numerically capped at 600, see the code). Prune if ΔF ≥ 0.
    ///
    /// - Parameter p: precision bits, 1...22 (the paper uses 8 and 4).
    /// - Returns: ΔF; −∞ only if the mass underflows even in log space (never NaN).
    public func deltaFBMRSU(precisionBits p: Int) -> Double {
        precondition((1...22).contains(p), "BMRS_U precision must be in 1...22, got \(p)")
        if hasNaN { return .nan }
        let a = NoiseTruncation.a, b = NoiseTruncation.b
        let muC = min(max(mu, a), b)
        // log σ is clamped only from below. Above e⁶⁰⁰ the posterior is uniform on [a, b] to
        // far below double precision (corrections ~ ((b−a)/σ)²), so σ is capped there only
        // to keep (x − μ)/σ normal numbers (and σ = +∞ out of 0/0).
        let s = exp(min(max(logSigma, NoiseTruncation.logSigmaMin), 600))
        let ln2 = log(2.0)
        let aPrime = -23 * ln2
        let bPrime = -Double(p) * ln2
        let logInside = logNormalMass(from: (aPrime - muC) / s, to: (bPrime - muC) / s)
        let logZ = logNormalMass(from: (a - muC) / s, to: (b - muC) / s)
        return logInside - logZ - log(Double(23 - p) * ln2 / (b - a))
    }
}

// MARK: - Entropy of the truncated standard normal

/// Entropy H of N(0,1) truncated to [α, β] and its partial derivatives:
/// H = ½·log(2πe) + log Z + (αφ(α) − βφ(β))/(2Z) (so KL = log(b−a) − log σ − H, SPEC §1).
///
/// Uses H(α, β) = H(−β, −α) to work with 0 ≤ α in the tails, where with S = Z/φ(α),
/// e = φ(β)/φ(α) and the Mills-ratio functions R, P = 1 − tR, T = (1+t²)R − t:
///   H = ½ + log S + (αP(α) + e(T(β) − (1 + β² − α²)R(β)))/(2S),
///   ∂H/∂α = (−T(α) + e(T(β) − (β²−α²)R(β)))/(2S²),
///   ∂H/∂β = e(T(α) + (β²−α²)R(α) − eT(β))/(2S²),
/// all free of the α²/2-sized cancellations of the textbook form.
func truncatedStandardNormalEntropy(_ al: Double, _ be: Double, width: Double? = nil)
    -> (h: Double, dAlpha: Double, dBeta: Double) {
    if al >= 0 {
        return tailEntropy(TailMass(l: al, h: be, width: width))
    }
    if be <= 0 {
        let r = tailEntropy(TailMass(l: -be, h: -al, width: width))
        return (r.h, -r.dBeta, -r.dAlpha)
    }
    let mass = ScaledMass(al, be)
    let s = exp(mass.logS)  // √(2π)·Z, between ~0.1 and √(2π)
    let ea = al.isInfinite ? 0 : expNegHalfSquare(al)
    let eb = be.isInfinite ? 0 : expNegHalfSquare(be)
    let la = ea / s, lb = eb / s
    let xa = ea == 0 ? 0 : al * la
    let xb = eb == 0 ? 0 : be * lb
    let h = 0.5 + mass.logS + 0.5 * (xa - xb)
    let dA = la == 0 ? 0 : 0.5 * la * (-1 - al * al + xa - xb)
    let dB = lb == 0 ? 0 : 0.5 * lb * (1 + be * be - xa + xb)
    return (h, dA, dB)
}

/// Entropy and gradient for 0 ≤ α = tail.l < β = tail.h (see `truncatedStandardNormalEntropy`).
private func tailEntropy(_ tail: TailMass) -> (h: Double, dAlpha: Double, dBeta: Double) {
    let al = tail.l, be = tail.h
    let s = tail.s, e = tail.e
    if tail.narrow {
        // Narrow interval: S ≈ w, no large cancellations (α(1 − αS) stays O(α)).
        let la = 1 / s, lb = e / s
        let h = 0.5 + log(s) + (al * (1 - al * s) - be * e) / (2 * s)
        let dA = 0.5 * la * (-1 - al * al + al * la - be * lb)
        let dB = 0.5 * lb * (1 + be * be - al * la + be * lb)
        return (h, dA, dB)
    }
    // Wide interval: S = R(α) − e·R(β), e < e⁻². Everything is formed from ratios
    // (ρ = R(α)/S, K₁, K₂/S, e/S) so that nothing underflows even for α ~ 1e200.
    let rl = tail.rl
    let rho = rl / s
    let (k1, k2) = millsFractions(al, r: rl)
    let pOverS = rho * k1                  // P(α)/S
    let tOverS2 = 2 * rho * k1 * (k2 / s)  // T(α)/S²
    if e == 0 {
        return (0.5 + log(s) + 0.5 * al * pOverS, -0.5 * tOverS2, 0)
    }
    let rh = tail.rh
    let (m1, m2) = millsFractions(be, r: rh)
    let eOverS = e / s
    let rhOverS = rh / s
    let d2 = 2 * tail.w * (al + 0.5 * tail.w)  // β² − α²
    // e(α²R(β) − β) = e(T(β) − (1 + β² − α²)R(β)), T(β) = 2R(β)M₁M₂.
    let h = 0.5 + log(s) + 0.5 * (al * pOverS + eOverS * rh * (2 * m1 * m2 - 1 - d2))
    let dA = 0.5 * (-tOverS2 + eOverS * rhOverS * (2 * m1 * m2 - d2))
    let dB = 0.5 * eOverS * (2 * rho * k1 * k2 + d2 * rho - e * rhOverS * 2 * m1 * m2)
    return (h, dA, dB)
}
