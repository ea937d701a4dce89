// Branch-free Float32 approximations of log, exp, sqrt and the standard normal
// quantile, written as plain arithmetic on bit patterns so that loops over them
// auto-vectorise (a libm call such as sqrtf, or an overflow-checked integer op, in a
// loop body stops the vectoriser).
// The noise layers call them ~6,300 times per LeNet5 image per step (SPEC §1), where
// scalar libm calls would dominate the epoch. Accuracy is checked against Float64
// references in NeuralCoreTests (FastMathTests).

/// a·b + c, fused (one rounding) where the target has FMA: Haswell-class x86-64 builds
/// (BMRS_FMA, see Package.swift) and arm64. Elsewhere `addingProduct` would be a libm call
/// in the middle of a vectorised loop, so it stays an ordinary multiply-add.
@inline(__always)
func mad(_ a: Float, _ b: Float, _ c: Float) -> Float {
    #if BMRS_FMA || arch(arm64)
    c.addingProduct(a, b)
    #else
    a * b + c
    #endif
}

/// Natural log for finite x > 0 (normal range). Max relative error ≈ 2e-7.
@inline(__always)
public func fastLog(_ x: Float) -> Float {
    // x = m · 2^e with m ∈ [√½, √2); log m = 2·atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.1716.
    let bits = x.bitPattern
    var e = Int32(bitPattern: (bits >> 23) & 0xFF) &- 127
    var m = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000)  // [1, 2)
    let big = m > 1.41421356
    m = big ? m * 0.5 : m
    e = big ? e &+ 1 : e
    let t = (m - 1) / (m + 1)
    let t2 = t * t
    // 2·(t + t³/3 + t⁵/5 + t⁷/7 + t⁹/9)
    let p = 2 * t * mad(t2, mad(t2, mad(t2, mad(t2, 0.11111111, 0.14285714), 0.2), 0.33333333), 1)
    return mad(Float(e), 0.69314718, p)
}

/// e^x for x ∈ [-87, 88]. Max relative error ≈ 2e-7.
@inline(__always)
public func fastExp(_ x: Float) -> Float {
    // x = n·ln2 + r, |r| ≤ ln2/2; e^r by its Taylor series to degree 7.
    let shifter: Float = 12_582_912  // 1.5·2^23: adding it rounds to an integer
    let shifted = mad(x, 1.44269504, shifter)
    let kf = shifted - shifter
    let r = mad(kf, -1.42860677e-6, mad(kf, -0.693145752, x))
    // e^r = Σ r^k/k!, k ≤ 7, by Estrin's scheme (see erfinvCentral).
    let r2 = r * r, r4 = r2 * r2
    let p01 = 1 + r
    let p23 = mad(0.166666667, r, 0.5)
    let p45 = mad(0.00833333333, r, 0.0416666667)
    let p67 = mad(0.000198412698, r, 0.00138888889)
    let p = mad(mad(p67, r2, p45), r4, mad(p23, r2, p01))
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
    let w = normalQuantileW(gamma)
    let p = w < 5 ? erfinvCentral(w) : erfinvTail(w)
    return 1.41421356 * p * (2 * gamma - 1)
}

/// Φ⁻¹(γ) using only the central branch: exact to Float32 where
/// `normalQuantileNeedsTail(γ)` is false (|Φ⁻¹(γ)| ≲ 2.7), cheaper to vectorise.
@inline(__always)
public func fastNormalQuantileCentral(_ gamma: Float) -> Float {
    fastNormalQuantileCentral(gamma: gamma, w: normalQuantileW(gamma))
}

/// `fastNormalQuantileCentral(γ)` given w = `normalQuantileW(γ)`, for kernels that form w in
/// a pass of their own.
@inline(__always)
func fastNormalQuantileCentral(gamma: Float, w: Float) -> Float {
    1.41421356 * erfinvCentral(w) * (2 * gamma - 1)
}

/// Whether Φ⁻¹(γ) falls in the tail branch (w = −log(4γ(1−γ)) ≥ 5, i.e. γ < 0.00169 or
/// γ > 0.99831). Near the boundary both branches agree to Float32 precision.
@inline(__always)
public func normalQuantileNeedsTail(_ gamma: Float) -> Bool {
    4 * gamma * (1 - gamma) < 0.006737947  // e^-5
}

@inline(__always)
func normalQuantileW(_ gamma: Float) -> Float { -fastLog(4 * gamma * (1 - gamma)) }

@inline(__always)
func erfinvCentral(_ w0: Float) -> Float {
    // Estrin's scheme (independent pairs, then powers of w): a short dependency chain,
    // which is what limits this kernel (measured: Horner made the noise layer ~15 % slower).
    let w = w0 - 2.5
    let w2 = w * w, w4 = w2 * w2, w8 = w4 * w4
    let p01 = mad(0.246640727, w, 1.50140941)
    let p23 = mad(-0.00125372503, w, -0.00417768164)
    let p45 = mad(-4.39150654e-06, w, 0.00021858087)
    let p67 = mad(3.43273939e-07, w, -3.5233877e-06)
    let p03 = mad(p23, w2, p01)
    let p47 = mad(p67, w2, p45)
    return mad(2.81022636e-08, w8, mad(p47, w4, p03))
}

@inline(__always)
func erfinvTail(_ w0: Float) -> Float {
    let w = fastSqrt(w0) - 3
    var p: Float = -0.000200214257
    p = 0.000100950558 + p * w
    p = 0.00134934322 + p * w
    p = -0.00367342844 + p * w
    p = 0.00573950773 + p * w
    p = -0.0076224613 + p * w
    p = 0.00943887047 + p * w
    p = 1.00167406 + p * w
    p = 2.83297682 + p * w
    return p
}

/// tanh x = 1 − 2/(e^{2x} + 1), |x| clamped to 9 (where tanh is 1 in Float32).
/// Absolute error ≈ 1e-7.
@inline(__always)
public func fastTanh(_ x: Float) -> Float {
    let c = min(max(x, -9), 9)
    return 1 - 2 / (fastExp(2 * c) + 1)
}

/// √x for x ≥ 0 (0 gives 0): the classic inverse-square-root seed refined by three Newton
/// steps (relative error ≈ 1e-7), then x·(1/√x).
@inline(__always)
public func fastSqrt(_ x: Float) -> Float {
    var y = Float(bitPattern: 0x5F37_59DF &- (x.bitPattern >> 1))
    let h = 0.5 * x
    y = y * (1.5 - h * y * y)
    y = y * (1.5 - h * y * y)
    y = y * (1.5 - h * y * y)
    return x * y
}

public typealias Float8 = SIMD8<Float>

/// Loads `count` ≤ 8 floats into the low lanes (the rest 0).
@inline(__always)
func loadFloat8(_ p: UnsafePointer<Float>, count: Int = 8) -> Float8 {
    if count == 8 { return UnsafeRawPointer(p).loadUnaligned(as: Float8.self) }
    var v = Float8()
    for i in 0..<count { v[i] = p[i] }
    return v
}

/// Stores the low `count` ≤ 8 lanes.
@inline(__always)
func storeFloat8(_ v: Float8, _ p: UnsafeMutablePointer<Float>, count: Int = 8) {
    if count == 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Float8.self); return }
    for i in 0..<count { p[i] = v[i] }
}

/// Σ p[0..<count] with eight partial sums (a single accumulator is one long chain of
/// dependent adds that the compiler may not reorder).
@inline(__always)
public func sum(_ p: UnsafePointer<Float>, count: Int) -> Float {
    var acc = Float8()
    var i = 0
    while i + 8 <= count { acc += loadFloat8(p + i); i += 8 }
    var s = acc.sum()
    while i < count { s += p[i]; i += 1 }
    return s
}
