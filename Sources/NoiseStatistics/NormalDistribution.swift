// Standard normal distribution in Float64: Φ, φ, Φ⁻¹, erfcx and log-masses of intervals.
//
// These are the numerical building blocks of the truncated log-normal posterior of SPEC §1
// and the ΔF formulas of SPEC §2. Everything is written so that far tails (|x| up to ~1e10
// and beyond) neither underflow nor cancel: interval masses are represented as
// φ(x₀)·S with x₀ the point of the interval closest to 0 (see `ScaledMass`), so that the
// huge Gaussian exponent −x₀²/2 can be cancelled analytically by the callers.

import Foundation

/// Numerical constants used throughout the module.
enum NormalConstants {
    static let sqrt2 = 2.0.squareRoot()
    static let invSqrt2 = 1.0 / 2.0.squareRoot()
    /// 1/√(2π)
    static let invSqrt2Pi = 1.0 / (2.0 * Double.pi).squareRoot()
    /// √(2π)
    static let sqrt2Pi = (2.0 * Double.pi).squareRoot()
    /// ½·log(2π)
    static let halfLog2Pi = 0.5 * log(2.0 * Double.pi)
    /// √(π/2): the Mills ratio at 0.
    static let sqrtHalfPi = (0.5 * Double.pi).squareRoot()
    /// 1/√π
    static let invSqrtPi = 1.0 / Double.pi.squareRoot()
}

// MARK: - Elementary pieces

/// exp(−x²/2) with x² split exactly (x² = h + l, Dekker/FMA), so that the result keeps
/// full relative accuracy even where x²/2 is several hundred.
@inline(__always)
func expNegHalfSquare(_ x: Double) -> Double {
    if x.isNaN { return x }
    if abs(x) > 39 { return 0 }  // exp(−760) underflows anyway
    let h = x * x
    let l = (-h).addingProduct(x, x)  // exact rounding error of x*x
    return exp(-0.5 * h) * (1 - 0.5 * l)
}

/// exp(x²) with x² split exactly (x² = h + l), for |x| ≤ ~26.6.
@inline(__always)
func expSquare(_ x: Double) -> Double {
    let h = x * x
    let l = (-h).addingProduct(x, x)
    return exp(h) * (1 + l)
}

/// Standard normal density φ(x) = exp(−x²/2)/√(2π) (SPEC §1 notation).
///
/// Computed with an exact split of x² so that the relative error stays at a few ulps
/// in the tails (until the result underflows, beyond |x| ≈ 38.6).
public func normalPDF(_ x: Double) -> Double {
    NormalConstants.invSqrt2Pi * expNegHalfSquare(x)
}

/// Scaled complementary error function erfcx(x) = exp(x²)·erfc(x).
///
/// Stable for large positive x (asymptotic series, ≈ 1/(x√π)) and large negative x
/// (≈ 2·exp(x²), +∞ once that overflows, below x ≈ −26.6). Used for the stable forms of
/// E[θ] and of the far-tail masses (SPEC §1).
public func erfcx(_ x: Double) -> Double {
    if x.isNaN { return x }
    if x < -26.7 { return .infinity }
    if x < 12 {
        // erfc is accurate to a few ulps here (libm); exp(x²) uses the exact split of x².
        return expSquare(x) * erfc(x)
    }
    if x == .infinity { return 0 }
    // Asymptotic series: erfcx(x) = 1/(x√π) · Σ_k (−1)^k (2k−1)!! / (2x²)^k.
    // For x ≥ 12 the terms fall below 1e-18 of the sum before k = 14 (the series is
    // divergent only beyond k ≈ x² ≥ 144).
    let inv2x2 = 1.0 / (2 * x * x)
    var term = 1.0
    var sum = 1.0
    for k in 1...20 {
        term *= -Double(2 * k - 1) * inv2x2
        sum += term
        if abs(term) < 1e-18 * sum { break }
    }
    return NormalConstants.invSqrtPi / x * sum
}

/// Standard normal cdf Φ(x), accurate in both tails.
///
/// For x < −3 it is computed as φ(x)·R(−x) with the Mills ratio R from `erfcx`, which keeps
/// full relative accuracy down to the underflow threshold; otherwise ½·erfc(−x/√2).
/// Φ(x) for large positive x rounds to 1 (use `normalCDF(-x)` for the upper tail).
public func normalCDF(_ x: Double) -> Double {
    if x.isNaN { return x }
    if x < -3 {
        return normalPDF(x) * millsRatio(-x)
    }
    return 0.5 * erfc(-x * NormalConstants.invSqrt2)
}

/// `normalCDF(x)` for a caller that already has `pdf` = `normalPDF(x)`, bit for bit: below −3,
/// where Φ(x) = φ(x)·R(−x) with a finite Mills ratio, a φ(x) of +0 (|x| > 39) gives +0
/// without evaluating the ratio. The noise layers' sampling coefficients need Φ(α) and φ(α)
/// for every structure at every step, and α = (a − μ)/σ is below −39 whenever σ is small.
@inline(__always)
public func normalCDF(_ x: Double, pdf: Double) -> Double {
    x < -3 && pdf == 0 ? 0 : normalCDF(x)
}

/// log Φ(x), accurate for all x (log-space asymptotics in the lower tail, log1p in the
/// upper tail). Returns −∞ only for x = −∞.
public func logNormalCDF(_ x: Double) -> Double {
    if x.isNaN { return x }
    if x < -1 {
        // Φ(x) = φ(x)·R(−x)
        return -0.5 * x * x - NormalConstants.halfLog2Pi + log(millsRatio(-x))
    }
    if x <= 0 { return log(normalCDF(x)) }
    return log1p(-normalCDF(-x))
}

/// Mills ratio R(t) = Q(t)/φ(t) = (1 − Φ(t))/φ(t) = √(π/2)·erfcx(t/√2), for t ≥ 0
/// (also valid for t < 0, where it grows like exp(t²/2)).
@inline(__always)
func millsRatio(_ t: Double) -> Double {
    NormalConstants.sqrtHalfPi * erfcx(t * NormalConstants.invSqrt2)
}

/// For t ≥ 0, the first two tails of Laplace's continued fraction for the Mills ratio,
/// R = K₀, Kₙ = 1/(t + (n+1)·Kₙ₊₁). They give, without cancellation,
///   P(t) = 1 − t·R(t) = −R′(t) = R·K₁   and   T(t) = (1 + t²)·R(t) − t = R″(t) = 2R·K₁·K₂,
/// the functions the far-tail entropy and KL gradient need (their direct forms cancel to
/// relative order 1/t² and 1/t³). For t < 2 K₁ = P/R and K₂ = T/(2P) come from the direct
/// forms, which lose at most a few ulps there (P(2) ≈ 0.16, T(2) ≈ 0.11).
func millsFractions(_ t: Double, r: Double) -> (k1: Double, k2: Double) {
    if t < 2 {
        let p = 1 - t * r
        let tt = (1 + t * t) * r - t
        return (p / r, tt / (2 * p))
    }
    if t == .infinity { return (0, 0) }
    // Backward evaluation; depth chosen so that the truncation error is < 1e-17 (checked
    // against mpmath for t = 2, 3, 4, 5, 8, 20).
    let depth = t < 3 ? 160 : (t < 5 ? 70 : 45)
    var k = 0.0
    var k1 = 0.0
    var k2 = 0.0
    for n in stride(from: depth, through: 1, by: -1) {
        k = 1.0 / (t + Double(n + 1) * k)
        if n == 2 { k2 = k }
        if n == 1 { k1 = k }
    }
    return (k1, k2)
}

// MARK: - Quantile

/// Standard normal quantile Φ⁻¹(p) for p ∈ (0, 1), to full double accuracy.
///
/// A rational starting value (Abramowitz & Stegun 26.2.23, error < 4.5e-4) is refined by
/// Halley steps on a residual that keeps relative accuracy: ½·erf(x/√2) − (p − ½) near the
/// centre, log Φ(x) − log p in the tail. For p > ½ the symmetry Φ⁻¹(p) = −Φ⁻¹(1 − p) is
/// used (1 − p is exact there). Returns −∞ for p = 0, +∞ for p = 1 and NaN outside [0, 1].
public func normalQuantile(_ p: Double) -> Double {
    if p.isNaN || p < 0 || p > 1 { return .nan }
    if p == 0 { return -.infinity }
    if p == 1 { return .infinity }
    if p > 0.5 { return -lowerNormalQuantile(1 - p) }
    return lowerNormalQuantile(p)
}

/// Φ⁻¹(p) for p ∈ (0, ½].
private func lowerNormalQuantile(_ p: Double) -> Double {
    if p == 0.5 { return 0 }
    // Abramowitz & Stegun 26.2.23.
    let t = (-2 * log(p)).squareRoot()
    let num = 2.515517 + t * (0.802853 + t * 0.010328)
    let den = 1 + t * (1.432788 + t * (0.189269 + t * 0.001308))
    var x = -(t - num / den)
    if p > 0.2 {
        // Central region: f(x) = ½·erf(x/√2) − (p − ½), f′ = φ(x), f″ = −x·φ(x).
        let r = p - 0.5  // exact (Sterbenz)
        for _ in 0..<6 {
            let f = 0.5 * erf(x * NormalConstants.invSqrt2) - r
            let d = normalPDF(x)
            let newton = f / d
            let step = newton / (1 + 0.5 * x * newton)
            x -= step
            if abs(step) <= 1e-16 * abs(x) { break }
        }
    } else {
        // Tail: g(x) = log Φ(x) − log p, g′ = λ = φ/Φ, g″ = −λ(x + λ).
        let logP = log(p)
        for _ in 0..<8 {
            let g = logNormalCDF(x) - logP
            let lambda = x < -1 ? 1 / millsRatio(-x) : normalPDF(x) / normalCDF(x)
            let g2 = -lambda * (x + lambda)
            let newton = g / lambda
            let step = newton / (1 - 0.5 * newton * g2 / lambda)
            x -= step
            if abs(step) <= 1e-16 * abs(x) { break }
        }
    }
    return x
}

// MARK: - Interval masses

/// Where the point of [lo, hi] closest to 0 lies.
enum MassKind: Sendable {
    /// lo ≥ 0: x₀ = lo (the interval lies in the upper half-line).
    case lower
    /// hi ≤ 0: x₀ = hi (the interval lies in the lower half-line).
    case upper
    /// lo < 0 < hi: x₀ = 0.
    case straddle
}

/// Mass of N(0,1) on [l, h] with 0 ≤ l < h ≤ ∞, written as M = φ(l)·s.
///
/// Wide intervals (w·m > 2 with w = h − l, m = (l + h)/2): s = R(l) − e·R(h), e = φ(h)/φ(l)
/// = exp(−w·m) < e⁻², so there is no cancellation. Narrow intervals: Taylor series of Φ
/// around m, M = w·φ(m)·Σ_{j even} Heⱼ(m)(w/2)ʲ/(j+1)!, which converges fast because
/// (w/2)·m ≤ 1 and w/2 ≤ 1 there.
struct TailMass: Sendable {
    let l: Double
    let h: Double
    /// h − l.
    let w: Double
    /// M/φ(l), > 0 unless the mass underflows even in this scaled form.
    let s: Double
    /// φ(h)/φ(l) = exp(−(h² − l²)/2).
    let e: Double
    /// True when the Taylor branch was used.
    let narrow: Bool
    /// R(l) and R(h) (only filled in for the wide branch).
    let rl: Double
    let rh: Double

    /// - Parameter width: h − l when known more accurately than the difference of the
    ///   rounded end points (e.g. (b − a)/σ while l ≈ 1e12); nil to use h − l.
    init(l: Double, h: Double, width: Double? = nil) {
        self.l = l
        self.h = h
        if h == .infinity {
            let r = millsRatio(l)
            self.w = .infinity
            self.s = r; self.e = 0; self.narrow = false; self.rl = r; self.rh = 0
            return
        }
        let w = width ?? (h - l)
        self.w = w
        let m = l + 0.5 * w
        if w * m <= 2 {
            // Scaled Hermite polynomials hⱼ = Heⱼ(m)·tʲ, t = w/2:
            // hⱼ₊₁ = t·m·hⱼ − j·t²·hⱼ₋₁.
            let t = 0.5 * w
            let tm = t * m
            let t2 = t * t
            var hPrev = 1.0   // h₀
            var hCur = tm     // h₁
            var sum = 1.0     // h₀/1!
            var invFact = 1.0 // 1/(n+1)! for n = 0
            // Fixed length: with t·m ≤ 1 and t ≤ 1, |hₙ|/(n+1)! < 1e-20 well before n = 44
            // (|Heₙ(x)| ≤ 1.09·√n!·e^{x²/4}); a fixed count avoids stopping early at an
            // accidental near-zero of Heₙ(m).
            for n in 1...44 {
                invFact /= Double(n + 1)
                if n > 1 {
                    let hNext = tm * hCur - Double(n - 1) * t2 * hPrev
                    hPrev = hCur
                    hCur = hNext  // = hₙ
                }
                if n % 2 == 0 {
                    let term = hCur * invFact
                    sum += term
                }
            }
            self.s = w * exp(-0.25 * w * (m + l)) * sum
            self.e = exp(-w * m)
            self.narrow = true
            self.rl = .nan
            self.rh = .nan
        } else {
            let rl = millsRatio(l)
            let rh = millsRatio(h)
            let e = exp(-w * m)
            self.s = e == 0 ? rl : rl - e * rh
            self.e = e
            self.narrow = false
            self.rl = rl
            self.rh = rh
        }
    }
}

/// Mass of N(0,1) on [lo, hi] as M = φ(x₀)·S (so log M = −x₀²/2 − ½log 2π + log S), with
/// x₀ the point of the interval closest to 0 (the mode of the truncated density).
struct ScaledMass: Sendable {
    let kind: MassKind
    /// The mode x₀ ∈ {lo, hi, 0}.
    let x0: Double
    /// log S = log M − log φ(x₀).
    let logS: Double
    /// For `.lower` the tail mass on [lo, hi]; for `.upper` on the reflected [−hi, −lo].
    let tail: TailMass?

    /// - Parameter width: hi − lo when known more accurately than the difference of the
    ///   rounded end points (see `TailMass`); nil to use hi − lo.
    init(_ lo: Double, _ hi: Double, width: Double? = nil) {
        if lo >= 0 {
            let t = TailMass(l: lo, h: hi, width: width)
            self.kind = .lower; self.x0 = lo; self.logS = log(t.s); self.tail = t
        } else if hi <= 0 {
            let t = TailMass(l: -hi, h: -lo, width: width)
            self.kind = .upper; self.x0 = hi; self.logS = log(t.s); self.tail = t
        } else {
            // Straddles 0: no cancellation with erf (both terms positive) or, when the
            // mass is close to 1, with log1p of the two tail masses.
            let complement = 0.5 * (erfc(-lo * NormalConstants.invSqrt2) + erfc(hi * NormalConstants.invSqrt2))
            let logM: Double
            if complement < 0.5 {
                logM = log1p(-complement)
            } else {
                logM = log(0.5 * (erf(hi * NormalConstants.invSqrt2) - erf(lo * NormalConstants.invSqrt2)))
            }
            self.kind = .straddle; self.x0 = 0; self.logS = logM + NormalConstants.halfLog2Pi; self.tail = nil
        }
    }

    /// log M.
    var logMass: Double { -0.5 * x0 * x0 - NormalConstants.halfLog2Pi + logS }
}

/// log(Φ(hi) − Φ(lo)) for lo < hi, without cancellation or underflow (SPEC §1–2: log Z,
/// log Z_q, log Z_q̃, the BMRS_U mass).
///
/// Intervals in the upper half-line are reflected to the lower one; far tails use the
/// Mills ratio (erfcx) in log space, narrow intervals a Taylor series around the midpoint,
/// intervals containing 0 erf/erfc sums. Infinite bounds are allowed. Returns −∞ when
/// lo ≥ hi, and otherwise only if the true value underflows Double (|x₀| ≳ 1.9e154).
public func logNormalMass(from lo: Double, to hi: Double) -> Double {
    if lo.isNaN || hi.isNaN { return .nan }
    if !(lo < hi) { return -.infinity }
    return ScaledMass(lo, hi).logMass
}
