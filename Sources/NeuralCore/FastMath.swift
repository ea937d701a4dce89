// Branch-free Float32 approximations of log, exp and the standard normal quantile,
// written as plain arithmetic on bit patterns so that loops over them vectorise.
// The noise layers call them ~6,300 times per LeNet5 image per step (SPEC §1), where
// scalar libm calls would dominate the epoch. Accuracy is checked against Float64
// references in NeuralCoreTests (FastMathTests).

/// Natural log for finite x > 0 (normal range). Max relative error ≈ 2e-7.
@inline(__always)
public func fastLog(_ x: Float) -> Float {
    // x = m · 2^e with m ∈ [√½, √2); log m = 2·atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.1716.
    let bits = x.bitPattern
    var e = Int32(bitPattern: (bits >> 23) & 0xFF) - 127
    var m = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000)  // [1, 2)
    let big = m > 1.41421356
    m = big ? m * 0.5 : m
    e = big ? e + 1 : e
    let t = (m - 1) / (m + 1)
    let t2 = t * t
    // 2·(t + t³/3 + t⁵/5 + t⁷/7 + t⁹/9)
    let p = 2 * t * (1 + t2 * (0.33333333 + t2 * (0.2 + t2 * (0.14285714 + t2 * 0.11111111))))
    return Float(e) * 0.69314718 + p
}

/// e^x for x ∈ [-87, 88]. Max relative error ≈ 2e-7.
@inline(__always)
public func fastExp(_ x: Float) -> Float {
    // x = n·ln2 + r, |r| ≤ ln2/2; e^r by its Taylor series to degree 7.
    let shifter: Float = 12_582_912  // 1.5·2^23: adding it rounds to an integer
    let shifted = x * 1.44269504 + shifter
    let kf = shifted - shifter
    let r = (x - kf * 0.693145752) - kf * 1.42860677e-6
    let p = 1 + r * (1 + r * (0.5 + r * (0.166666667 + r * (0.0416666667
        + r * (0.00833333333 + r * (0.00138888889 + r * 0.000198412698))))))
    // The low mantissa bits of `shifted` hold n; build 2^n from them without a
    // (trapping, non-vectorising) Float → Int conversion.
    let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) << 23)
    return p * scale
}

/// Φ⁻¹(γ), the standard normal quantile, for γ ∈ [1e-7, 1 − 1e-7], via
/// Φ⁻¹(γ) = √2·erfinv(2γ − 1) with Giles' single-precision erfinv polynomials
/// ("Approximating the erfinv function", 2010). w = −log(4γ(1−γ)) is formed from γ
/// directly so that 1 ± (2γ − 1) does not cancel near the tails.
@inline(__always)
public func fastNormalQuantile(_ gamma: Float) -> Float {
    let x = 2 * gamma - 1
    let w = -fastLog(4 * gamma * (1 - gamma))
    // Central branch (w < 5).
    let wc = w - 2.5
    var pc: Float = 2.81022636e-08
    pc = 3.43273939e-07 + pc * wc
    pc = -3.5233877e-06 + pc * wc
    pc = -4.39150654e-06 + pc * wc
    pc = 0.00021858087 + pc * wc
    pc = -0.00125372503 + pc * wc
    pc = -0.00417768164 + pc * wc
    pc = 0.246640727 + pc * wc
    pc = 1.50140941 + pc * wc
    // Tail branch (w ≥ 5).
    let wt = w.squareRoot() - 3
    var pt: Float = -0.000200214257
    pt = 0.000100950558 + pt * wt
    pt = 0.00134934322 + pt * wt
    pt = -0.00367342844 + pt * wt
    pt = 0.00573950773 + pt * wt
    pt = -0.0076224613 + pt * wt
    pt = 0.00943887047 + pt * wt
    pt = 1.00167406 + pt * wt
    pt = 2.83297682 + pt * wt
    let p = w < 5 ? pc : pt
    return 1.41421356 * p * x
}
