// Properties of the posterior statistics (SPEC §1–2), the KL gradient against finite
// differences, and off-grid posteriors against independent mpmath values.

import Foundation
import Testing
@testable import NoiseStatistics

@Suite("Noise posterior statistics")
struct NoisePosteriorTests {
    /// Off-grid posteriors (μ, log σ) → [E[θ], Var, SNR, KL, ∂KL/∂μ, ∂KL/∂log σ, ΔF_N (seed),
    /// ΔF_U-1, ΔF_U-8, ΔF_U-16, ΔF_U-22], computed with mpmath in python3 at mp.dps = 250
    /// from the closed forms of SPEC §1–2 (ΔF_N from the seed's first form, the gradient by
    /// mp.diff of the exact KL; the log σ derivative is set to 0 at the clamp boundaries).
    static let offGrid: [(Double, Double, [Double])] = [
        (-100.0, 0.0, [2.0872358724438463e-09, 6.974951494405583e-22, 79.0316291096006, 6.378071225310333, -0.012492196641185302, -1.9993757312948242, 7.377851267637146, -9.640792110402371, -9.257799858146265, -8.495659806099379, -6.591485168807351]),
        (-20.000001, -10.0, [2.0612275435020483e-09, 3.140448263887953e-27, 36781.557521796385, 12.278728016387793, -8786.710547831008, -1.0087867105568633, 12.78679824239159, -3993937694.6851563, -3993937694.302164, -3993937693.5400243, -3993937691.594114]),
        (-19.999999, -10.0, [2.061229041579921e-09, 3.224559599818059e-27, 36298.69808305624, 12.261153827681914, -8786.701543302903, -0.9912132984476647, 12.752422335688243, -3993935726.0893173, -3993935725.706325, -3993935724.944185, -3993935722.998275]),
        (-20.0, -20.0, [2.0611536258282543e-09, 6.558473111261449e-36, 804838960.5147216, 22.269940920909264, -193552909.42818844, 0.0, 16.585449354700923, -1.937719556587311e+18, -1.937719556587311e+18, -1.937719556587311e+18, -1.937719556587311e+18]),
        (0.0, -20.0, [0.9999999983554374, 1.5437679293643272e-18, 804838961.5099934, 22.269940920909264, 193552909.42818844, 0.0, -199999150332741.34, -5.6545780441893176e+16, -3.618929948281162e+18, -1.4475719793124649e+19, -2.736815773387629e+19]),
        (1e-06, -15.0, [0.9999999188755686, 5.8706160038266024e-15, 13051430.879363367, 18.3247562409046, 768681.5613307422, -1.768681561330742, -182886217321092.66, -2567174460441.4272, -164299165467334.0, -657196661869287.0, -1242512438846604.8]),
        (-7.3, 0.3, [0.001679993585838563, 1.4575713839083334e-05, 0.44004055822218757, 1.2767942532690069, 1.9931344459952467e-06, -0.9999854501185442, -42.48211505939207, 0.27120227973413347, 0.5523840803574052, -4.578017561721504, -16.73671973672881]),
        (-3.0, 4.9, [0.05010717864149638, 0.022541818059877917, 0.33373786224967117, 2.8489693193941566e-06, 7.164093039082303e-07, -1.1388200793210523e-05, -0.005732848743505519, 0.000959538316803465, 0.0003683848087477523, -0.0008404606458923482, -0.002120015719164087]),
        (-30.0, 5.0, [0.04953765722228882, 0.022298815520272897, 0.33173749920132584, 1.395323177662041e-05, -1.3724167718448812e-06, 0.0, 0.007552692943757294, -0.0005120526588974154, 0.000874441187142685, 0.002024302873275991, 0.002581783371302928]),
        (-21.0, -21.0, [2.061153622438558e-09, 7.667648073722e-53, 2.3538526683702e+17, 41.99573227355399, -1.0, 0.0, 16.585451478873537, -1.937719556587311e+18, -1.937719556587311e+18, -1.937719556587311e+18, -1.937719556587311e+18]),
        (1.5, -8.0, [0.9999999249765633, 5.628514643654817e-15, 13329168.780761238, 18.4011974816934, 0.6666665332916948, -1.9999997999375423, -2043787149.4704711, -2134686.878870048, -136619483.89534882, -546477907.6588274, -1033184784.332431]),
        (-16.0, -3.0, [1.1267473458962139e-07, 3.1508270224025105e-17, 20.07309144241104, 4.576793740349318, 0.0, -1.0, -3222.352266170023, -1.8195813272082892, -1.4365890749521835, -0.6744490229052867, 1.2714611261500266]),
        (-10.0, 2.5, [0.042294046493057444, 0.018739808374825126, 0.3089560226182555, 0.0048189129438730325, 0.0, -0.018807525500702953, -0.22953137565609164, 0.035411193201693086, 0.07562947854893687, 0.05966476271765576, 0.001766469730233873]),
        (-0.001, -6.0, [0.997616081585016, 2.8115578680938148e-06, 594.9629584608984, 8.110313041342302, 156.87493339446866, -0.8431250666055313, -32547688.782129455, -38991.14262503966, -2501378.0962585174, -10007294.40957863, -18920963.331623323]),
        (-19.9, -3.0, [2.2866154389573195e-09, 1.163649216199525e-20, 21.197375384706433, 4.6538537063075545, -2.803905778225761, -0.7196094221774199, 3.0822264327675297, -3164.396154792716, -3164.01316254046, -3163.251022488413, -3161.3051123393575]),
        (-15.6, -4.0, [1.679109145560381e-07, 9.459645156945451e-18, 54.59357118742963, 5.576793740349318, 0.0, -1.0, -28849.586024260323, 0.27120274077733947, 0.6541949930334453, 1.416335045080342, 3.3622451941356553]),
        (-40.0, -1.0, [2.075186401124221e-09, 1.9948114585705018e-22, 146.92854762889684, 6.992140366883536, -0.04993250349658689, -1.9986500699317378, 7.991684691299301, -63.19083146569062, -62.80783921343451, -62.04569916138762, -60.0997890124691]),
        (3.0, 1.0, [0.39662252370217627, 0.08328162711158416, 1.3743671711190328, 1.6924596587499645, 0.1309524436781638, -1.3928573310342722, -32.715979558916864, 0.04646700694830147, -2.5313759916693748, -8.591447897999636, -14.604061538363526]),
    ]

    @Test("off-grid posteriors agree with mpmath (1e-9 relative or 1e-11 absolute)")
    func offGridValues() {
        let names = ["etheta", "var", "snr", "kl", "dKL/dμ", "dKL/dlogσ", "dF_bmrs_n",
                     "dF_bmrs_u_1", "dF_bmrs_u_8", "dF_bmrs_u_16", "dF_bmrs_u_22"]
        for (mu, logSigma, expected) in Self.offGrid {
            let q = NoisePosterior(mu: mu, logSigma: logSigma)
            let gradient = q.klGradient
            let got = [q.expectedTheta, q.variance, q.snr, q.kl, gradient.mu, gradient.logSigma,
                       q.deltaFBMRSN(), q.deltaFBMRSU(precisionBits: 1), q.deltaFBMRSU(precisionBits: 8),
                       q.deltaFBMRSU(precisionBits: 16), q.deltaFBMRSU(precisionBits: 22)]
            for index in names.indices {
                // log σ = −20 or 5 exactly is a clamp boundary: the reference uses 0 there, the
                // implementation the interior (one-sided) derivative, as autograd through a clamp.
                if index == 5 && (logSigma == NoiseTruncation.logSigmaMin || logSigma == NoiseTruncation.logSigmaMax) {
                    continue
                }
                let scale = index == 1 || index == 0 || index == 2 ? abs(expected[index]) * 1e-9
                    : max(abs(expected[index]) * 1e-9, 1e-11)
                #expect(abs(got[index] - expected[index]) <= scale,
                        "μ=\(mu) logσ=\(logSigma) \(names[index]): expected \(expected[index]), got \(got[index])")
            }
        }
    }

    /// Central difference in Float64.
    static func finiteDifference(_ f: (Double) -> Double, at x: Double, step: Double = 1e-6) -> Double {
        (f(x + step) - f(x - step)) / (2 * step)
    }

    @Test("KL gradient matches central finite differences (1e-5 relative, step 1e-6)")
    func klGradientFiniteDifferences() {
        let mus = [-19.0, -15.0, -10.0, -5.0, -2.0, -1.0, -0.5, -19.9, -20.05, -0.02, -25.0, 1.0]
        let logSigmas = [-5.0, -4.5, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.5]
        var checked = 0
        for mu in mus {
            for logSigma in logSigmas {
                let q = NoisePosterior(mu: mu, logSigma: logSigma)
                let gradient = q.klGradient
                let fdMu = Self.finiteDifference({ NoisePosterior(mu: $0, logSigma: logSigma).kl }, at: mu)
                let fdLogSigma = Self.finiteDifference({ NoisePosterior(mu: mu, logSigma: $0).kl }, at: logSigma)
                // The absolute floor covers the rounding noise of the difference quotient
                // (≈ 1e-16·KL/1e-6 ≤ 1e-8) where a component is essentially 0.
                #expect(abs(gradient.mu - fdMu) <= 1e-5 * abs(fdMu) + 5e-8,
                        "μ=\(mu) logσ=\(logSigma) ∂KL/∂μ: finite difference \(fdMu), analytic \(gradient.mu)")
                #expect(abs(gradient.logSigma - fdLogSigma) <= 1e-5 * abs(fdLogSigma) + 5e-8,
                        "μ=\(mu) logσ=\(logSigma) ∂KL/∂logσ: finite difference \(fdLogSigma), analytic \(gradient.logSigma)")
                checked += 1
            }
        }
        #expect(checked == 108)
        // A case where both components are far from 0, so a sign error or a missing factor
        // of 2 could not hide under the absolute floor.
        let q = NoisePosterior(mu: -3, logSigma: 1.5)
        #expect(abs(q.klGradient.mu) > 1e-2 && abs(q.klGradient.logSigma) > 1e-2)
    }

    @Test("∂KL/∂log σ is 0 outside the clamp [−20, 5], and KL is flat there")
    func klGradientClamp() {
        for mu in [-25.0, -10.0, -0.5, 2.0] {
            for logSigma in [-22.0, -20.5, 5.5, 6.0] {
                let q = NoisePosterior(mu: mu, logSigma: logSigma)
                #expect(q.klGradient.logSigma == 0)
                #expect(q.kl == NoisePosterior(mu: mu, logSigma: logSigma + 0.1).kl)
                #expect(q.klGradient.mu.isFinite)
            }
        }
    }

    @Test("E[θ] ∈ (0, 1], Var ≥ 0, SNR > 0, KL ≥ 0 and nothing NaN on a dense grid beyond the reference range")
    func basicProperties() {
        var count = 0
        for mu in stride(from: -30.0, through: 4.0, by: 0.25) {
            for logSigma in stride(from: -23.0, through: 7.0, by: 0.5) {
                let q = NoisePosterior(mu: mu, logSigma: logSigma)
                let e = q.expectedTheta, v = q.variance, snr = q.snr, kl = q.kl
                let label = "μ=\(mu) logσ=\(logSigma)"
                #expect(e > 0 && e <= 1, "\(label) E[θ] = \(e)")
                #expect(v >= 0, "\(label) Var = \(v)")
                #expect(snr > 0 && !snr.isNaN, "\(label) SNR = \(snr)")
                #expect(kl >= 0 && kl.isFinite, "\(label) KL = \(kl)")
                #expect(q.secondMoment > 0 && q.secondMoment <= 1, "\(label) E[θ²] = \(q.secondMoment)")
                #expect(q.secondMoment >= e * e * (1 - 1e-12), "\(label) E[θ²] < E[θ]²")
                let g = q.klGradient
                #expect(g.mu.isFinite && g.logSigma.isFinite, "\(label) gradient \(g)")
                for constant in BMRSNConstant.allCases {
                    let dF = q.deltaFBMRSN(constant: constant)
                    #expect(!dF.isNaN && dF < .infinity, "\(label) ΔF_N(\(constant)) = \(dF)")
                }
                for p in 1...22 {
                    let dF = q.deltaFBMRSU(precisionBits: p)
                    #expect(!dF.isNaN && dF < .infinity, "\(label) ΔF_U-\(p) = \(dF)")
                }
                count += 1
            }
        }
        #expect(count == 137 * 61)
    }

    @Test("extreme finite inputs stay finite (no NaN), NaN inputs give NaN")
    func extremeInputs() {
        let mus = [-1e200, -1e12, -1e6, -1e3, -20.000000001, -20, -19.99999999, -1e-12, 0, 1e-12, 1e3, 1e6, 1e12, 1e200]
        let logSigmas = [-1e300, -1e3, -20.0, -10, 0, 5, 20, 700, 1e3, .infinity, -.infinity]
        for mu in mus {
            for logSigma in logSigmas {
                let q = NoisePosterior(mu: mu, logSigma: logSigma)
                let g = q.klGradient
                var values = [q.expectedTheta, q.variance, q.snr, q.kl, g.mu, g.logSigma, q.secondMoment,
                              q.deltaFBMRSN(), q.deltaFBMRSN(constant: .released)]
                for p in 1...22 { values.append(q.deltaFBMRSU(precisionBits: p)) }
                #expect(!values.contains { $0.isNaN }, "μ=\(mu) logσ=\(logSigma): \(values)")
                #expect(q.expectedTheta > 0 && q.expectedTheta <= 1 && q.variance >= 0 && q.snr > 0 && q.kl >= 0,
                        "μ=\(mu) logσ=\(logSigma)")
            }
        }
        let nanPosterior = NoisePosterior(mu: .nan, logSigma: 0)
        #expect(nanPosterior.expectedTheta.isNaN && nanPosterior.variance.isNaN && nanPosterior.snr.isNaN)
        #expect(nanPosterior.kl.isNaN && nanPosterior.klGradient.mu.isNaN && nanPosterior.deltaFBMRSN().isNaN)
        #expect(NoisePosterior(mu: -3, logSigma: .nan).deltaFBMRSU(precisionBits: 8).isNaN)
    }

    @Test("as σ → 0, E[θ] → exp(μ) (log-normal limit exp(μ + σ²/2)) and Var/E[θ]² → expm1(σ²) for μ inside (a, b)")
    func smallSigmaLimit() {
        for mu in [-19.0, -12.5, -10.0, -3.0, -1.0, -0.01] {
            for logSigma in [-20.0, -15.0, -10.0] {
                let q = NoisePosterior(mu: mu, logSigma: logSigma)
                let s = q.sigma
                // Log-normal limit: E[θ] = exp(μ + σ²/2), Var = E[θ]²·expm1(σ²) (truncation negligible).
                #expect(abs(q.expectedTheta / exp(mu + 0.5 * s * s) - 1) <= 1e-14, "μ=\(mu) logσ=\(logSigma)")
                #expect(abs(q.expectedTheta / exp(mu) - 1) <= s * s + 4e-16)
                let cv2 = q.variance / (q.expectedTheta * q.expectedTheta)
                #expect(abs(cv2 / expm1(s * s) - 1) <= 1e-12, "μ=\(mu) logσ=\(logSigma) Var/E² = \(cv2), σ² = \(s * s)")
                #expect(abs(q.snr * expm1(s * s).squareRoot() - 1) <= 1e-12)
            }
        }
    }

    @Test("ΔF_U-p increases with p for posteriors far below 2^-p")
    func bmrsUIncreasingInP() {
        // μ between log 2⁻²³ and log 2⁻²², and μ below log 2⁻²³: all the mass is below every 2⁻ᵖ.
        for (mu, logSigma) in [(-15.6, -4.0), (-15.6, -6.0), (-18.0, -3.0), (-19.5, -1.0), (-25.0, -2.0), (-17.0, -0.5)] {
            let q = NoisePosterior(mu: mu, logSigma: logSigma)
            var previous = -Double.infinity
            for p in 1...22 {
                let dF = q.deltaFBMRSU(precisionBits: p)
                #expect(dF > previous, "μ=\(mu) logσ=\(logSigma): ΔF_U-\(p) = \(dF) not above ΔF_U-\(p - 1) = \(previous)")
                previous = dF
            }
        }
        // Mass inside [2⁻²³, 2⁻²²]: ΔF_U-p = −log((23 − p)·log 2/20) up to the tiny outside mass.
        let inside = NoisePosterior(mu: -15.6, logSigma: -5)
        for p in [4, 8, 22] {
            let expected = -log(Double(23 - p) * log(2.0) / 20)
            #expect(abs(inside.deltaFBMRSU(precisionBits: p) - expected) <= 1e-12)
        }
    }

    @Test("released ΔF_N exceeds the seed ΔF_N by exactly ½·log(2π)")
    func releasedConstant() {
        let halfLog2Pi = 0.9189385332046728  // mpmath: log(2π)/2
        for mu in stride(from: -25.0, through: 2.0, by: 0.5) {
            for logSigma in stride(from: -22.0, through: 6.0, by: 1.0) {
                let q = NoisePosterior(mu: mu, logSigma: logSigma)
                let seed = q.deltaFBMRSN(constant: .seed)
                let released = q.deltaFBMRSN(constant: .released)
                #expect(abs((released - seed) - halfLog2Pi) <= 1e-13 + 2 * seed.ulp,
                        "μ=\(mu) logσ=\(logSigma): \(released) − \(seed)")
                #expect(q.deltaFBMRSN() == seed)
            }
        }
        #expect(BMRSNConstant(rawValue: "released") == .released)
        #expect(BMRSNConstant.allCases == [.seed, .released])
    }

    @Test("Var by quadrature and by the closed form agree where both are accurate")
    func varianceBranchesAgree() {
        // Around the switch D = log(1 + Var/E[θ]²) = 0.1 both forms are accurate to ~1e-13.
        for mu in [-25.0, -10.0, -0.2, 1.0] {
            for logSigma in stride(from: -2.0, through: 1.0, by: 0.25) {
                let q = NoisePosterior(mu: mu, logSigma: logSigma)
                let closed = q.secondMoment - q.expectedTheta * q.expectedTheta
                let quadrature = q.quadratureVariance()
                if closed > 1e-3 * q.secondMoment {
                    #expect(abs(quadrature - closed) <= 1e-10 * closed, "μ=\(mu) logσ=\(logSigma): \(quadrature) vs \(closed)")
                }
            }
        }
    }

    /// The training step's combined KL and gradient are the separate properties bit for bit,
    /// across every branch of the entropy (straddling, both far tails, narrow intervals, the
    /// log σ clamps, NaN).
    @Test("klWithGradient equals kl and klGradient bit for bit")
    func klWithGradientMatchesSeparateProperties() {
        var cases: [(Double, Double)] = Self.offGrid.map { ($0.0, $0.1) }
        for mu in stride(from: -26.0, through: 3.0, by: 0.37) {
            for logSigma in stride(from: -22.0, through: 6.0, by: 0.9) { cases.append((mu, logSigma)) }
        }
        cases += [(0, -5), (-1e-3, -5), (1e-3, -5), (-20, -5), (-20.000001, -12), (0, -20), (0, 5), (.nan, 0), (0, .nan)]
        for (mu, logSigma) in cases {
            let q = NoisePosterior(mu: mu, logSigma: logSigma)
            let both = q.klWithGradient, gradient = q.klGradient
            #expect(both.kl.bitPattern == q.kl.bitPattern, "μ=\(mu) logσ=\(logSigma): KL \(both.kl) vs \(q.kl)")
            #expect(both.mu.bitPattern == gradient.mu.bitPattern, "μ=\(mu) logσ=\(logSigma): ∂/∂μ")
            #expect(both.logSigma.bitPattern == gradient.logSigma.bitPattern, "μ=\(mu) logσ=\(logSigma): ∂/∂log σ")
        }
    }

    @Test("sigma applies the clamp of SPEC §1")
    func sigmaClamp() {
        #expect(NoisePosterior(mu: 0, logSigma: -25).sigma == exp(-20.0))
        #expect(NoisePosterior(mu: 0, logSigma: 7).sigma == exp(5.0))
        #expect(NoisePosterior(mu: 0, logSigma: -3).sigma == exp(-3.0))
        #expect(NoiseTruncation.a == -20 && NoiseTruncation.b == 0)
        #expect(NoiseTruncation.logSigmaMin == -20 && NoiseTruncation.logSigmaMax == 5)
    }
}
