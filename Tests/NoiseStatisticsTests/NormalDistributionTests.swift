// Tests of the standard-normal building blocks against independent values computed with
// mpmath in python3 (mp.dps = 60–80), e.g.
//   erfcx(x)      = mp.exp(x*x) * mp.erfc(x)
//   Φ(x)          = mp.ncdf(x)
//   Φ⁻¹(p)        = mp.findroot(lambda t: mp.log(mp.ncdf(t)) - mp.log(p), start)  (p ≤ ½; −Φ⁻¹(1−p) above)
//   log mass      = mp.log(mp.ncdf(hi) - mp.ncdf(lo))   (upper-tail form when lo ≥ 0)
// with the inputs taken as exact doubles.

import Foundation
import Testing
@testable import NoiseStatistics

@Suite("Standard normal functions")
struct NormalDistributionTests {
    /// (x, erfcx(x)) from mpmath.
    static let erfcxValues: [(Double, Double)] = [
        (-26.0, 7.657724931490568e+293),
        (-10.0, 5.376234283632271e+43),
        (-5.0, 144009798674.66104),
        (-1.0, 5.008980080762283),
        (-0.5, 1.952360489182557),
        (0.0, 1.0),
        (0.3, 0.7345993345676551),
        (1.0, 0.427583576155807),
        (2.0, 0.25539567631050575),
        (5.0, 0.11070463773306863),
        (10.0, 0.05614099274382259),
        (11.9, 0.04724523248408767),
        (12.0, 0.04685422101489376),
        (12.1, 0.04646960733983501),
        (20.0, 0.02817434874105132),
        (26.0, 0.021683584850562907),
        (30.0, 0.01879588886141675),
        (100.0, 0.005641613782989433),
        (10000.0, 5.641895807268084e-05),
        (100000000.0, 5.641895835477562e-09),
    ]

    /// (x, Φ(x)) from mpmath.
    static let cdfValues: [(Double, Double)] = [
        (-37.0, 5.725571222524577e-300),
        (-30.0, 4.906713927148187e-198),
        (-20.0, 2.7536241186062337e-89),
        (-10.0, 7.619853024160525e-24),
        (-5.0, 2.866515718791939e-07),
        (-3.0001, 0.0013494549132607172),
        (-2.999, 0.0013543365337271062),
        (-1.0, 0.15865525393145705),
        (0.0, 0.5),
        (1.0, 0.8413447460685429),
        (5.0, 0.9999997133484281),
    ]

    /// (p, Φ⁻¹(p)) from mpmath.
    static let quantileValues: [(Double, Double)] = [
        (1e-300, -37.0470962993612),
        (1e-100, -21.273453560965326),
        (1e-20, -9.262340089798407),
        (1e-10, -6.361340902404057),
        (1e-05, -4.264890793922825),
        (0.01, -2.326347874040841),
        (0.1, -1.2815515655446004),
        (0.2, -0.8416212335729142),
        (0.2000001, -0.8416208763815333),
        (0.3, -0.5244005127080408),
        (0.49, -0.025068908258711057),
        (0.4999999, -2.5066282747031063e-07),
        (0.5, 0.0),
        (0.6, 0.2533471031357997),
        (0.9, 1.2815515655446006),
        (0.99, 2.3263478740408408),
        (0.9999999999, 6.361340889697422),
        (0.9999999999999999, 8.209536151601387),
    ]

    /// (lo, hi, log(Φ(hi) − Φ(lo))) from mpmath.
    static let logMassValues: [(Double, Double, Double)] = [
        (-.infinity, .infinity, 0.0),
        (-1.0, 1.0, -0.38171514630212605),
        (-1e-08, 1e-08, -18.646472096597094),
        (0.0, 1e-08, -19.339619277157038),
        (5.0, 5.001, -20.329192936978384),
        (30.0, 30.0000001, -467.0370356724765),
        (1000000000.0, 1000000001.0, -5e+17),
        (-1000000001.0, -1000000000.0, -5e+17),
        (2400000000.0, 12000000000.0, -2.88e+18),
        (-40.0, -39.0, -765.0831565643775),
        (10.0, 12.0, -53.231285150745606),
        (-3.0, .infinity, -0.0013508099647481938),
        (3.0, .infinity, -6.607726221510349),
        (0.5, 0.6, -3.373064226942796),
        (-0.6, -0.5, -3.373064226942796),
        (0.001, 0.002, -7.826694978853382),
        (8.0, 8.01, -37.56385840089457),
        (-20.0, 0.0001, -0.6930673952869275),
        (1.0, 3.0, -1.8495664205476083),
        (2.0, 2.05, -5.964660392718821),
        (0.0, 20000000.0, -0.6931471805599453),
        (-.infinity, -50.0, -1254.8313611394199),
        (1.5, 2.9, -2.734270139445693),
        (0.7, 2.0, -1.5177090457242204),
        (100.0, 100.02, -5005.669559568877),
        (-8.0, -7.9, -34.79700182019995),
    ]

    @Test("erfcx: known values (including the brief's 0, ±1, 10) to 1e-14")
    func erfcxKnownValues() {
        #expect(erfcx(0) == 1)
        #expect(abs(erfcx(1) - 0.4275835761558070) <= 1e-15)
        #expect(abs(erfcx(10) - 0.05614099274382259) <= 1e-16)
        #expect(abs(erfcx(-1) - 5.00898008076228) <= 1e-13)
        for (x, expected) in Self.erfcxValues {
            let got = erfcx(x)
            #expect(abs(got - expected) <= 1e-14 * expected, "erfcx(\(x)): expected \(expected), got \(got)")
        }
        #expect(erfcx(-30) == .infinity)
        #expect(erfcx(.infinity) == 0)
        #expect(erfcx(.nan).isNaN)
    }

    @Test("normalCDF(x, pdf:) is normalCDF(x) bit for bit, including where φ(x) underflows")
    func cdfGivenPDF() {
        var xs: [Double] = [-.infinity, -1e300, -3000, -40, -39.0000001, -39, -38.6, -38, -26.7, -12, -3.0000001, -3, -2.99, -1,
                            0, 0.5, 3, 8, 40, .infinity, .nan]
        xs += stride(from: -45.0, through: 5.0, by: 0.173).map { $0 }
        for x in xs {
            let got = normalCDF(x, pdf: normalPDF(x)), expected = normalCDF(x)
            #expect(got.bitPattern == expected.bitPattern || (got.isNaN && expected.isNaN), "x = \(x): \(got) vs \(expected)")
        }
    }

    @Test("Φ and φ: tails to 1e-13 relative")
    func cdfValues() {
        for (x, expected) in Self.cdfValues {
            let got = normalCDF(x)
            #expect(abs(got - expected) <= 1e-13 * expected, "Φ(\(x)): expected \(expected), got \(got)")
        }
        #expect(normalCDF(-.infinity) == 0)
        #expect(normalCDF(.infinity) == 1)
        // φ(x) = exp(−x²/2)/√(2π); mpmath: npdf(30) = 1.4736461348785475e-196
        #expect(abs(normalPDF(30) - 1.4736461348785475e-196) <= 1e-14 * 1.4736461348785475e-196)
        #expect(abs(normalPDF(0) - 0.3989422804014327) <= 1e-16)
        #expect(normalPDF(-50) == 0)
        // log Φ agrees with log of Φ where the latter is representable.
        for x in stride(from: -37.0, through: 8.0, by: 0.25) {
            let direct = log(normalCDF(x))
            #expect(abs(logNormalCDF(x) - direct) <= 1e-13 * max(1, abs(direct)), "log Φ(\(x))")
        }
    }

    @Test("normalQuantile: mpmath values to 1e-14 relative")
    func quantileValues() {
        for (p, expected) in Self.quantileValues {
            let got = normalQuantile(p)
            #expect(abs(got - expected) <= 1e-14 * abs(expected) + 1e-300,
                    "Φ⁻¹(\(p)): expected \(expected), got \(got)")
        }
        #expect(normalQuantile(0) == -.infinity)
        #expect(normalQuantile(1) == .infinity)
        #expect(normalQuantile(-0.1).isNaN)
        #expect(normalQuantile(1.1).isNaN)
    }

    @Test("normalQuantile(normalCDF(x)) ≈ x for x in [-8, 8]")
    func quantileRoundTrip() {
        for x in stride(from: -8.0, through: 8.0, by: 1.0 / 64) {
            let p = normalCDF(x)
            let back = normalQuantile(p)
            // Φ(x) is rounded to a double; for x > 0 that rounding (ulp of p near 1) limits how
            // well x can be recovered: |Δx| ≲ ulp(p)/φ(x). Below 0 the round trip is tight.
            let conditioning = p.ulp / normalPDF(x)
            let tolerance = 4e-15 * max(1, abs(x)) + 2 * conditioning
            #expect(abs(back - x) <= tolerance, "x=\(x): Φ⁻¹(Φ(x)) = \(back)")
        }
    }

    @Test("logNormalMass: far tails, narrow and wide intervals against mpmath")
    func logMassValues() {
        for (lo, hi, expected) in Self.logMassValues {
            let got = logNormalMass(from: lo, to: hi)
            #expect(abs(got - expected) <= 1e-13 * max(1, abs(expected)),
                    "log mass [\(lo), \(hi)]: expected \(expected), got \(got)")
            // Reflection symmetry.
            let mirrored = logNormalMass(from: -hi, to: -lo)
            #expect(abs(mirrored - got) <= 1e-15 * max(1, abs(got)), "mirror of [\(lo), \(hi)]")
        }
        #expect(logNormalMass(from: 1, to: 1) == -.infinity)
        #expect(logNormalMass(from: 2, to: 1) == -.infinity)
        #expect(logNormalMass(from: .nan, to: 1).isNaN)
        // Continuity across the narrow/wide switch (w·m = 2) and the straddle boundary.
        for m in [0.5, 1.0, 2.0, 4.0, 10.0, 100.0] {
            let w = 2 / m
            let below = logNormalMass(from: m - w / 2 * (1 - 1e-12), to: m + w / 2 * (1 - 1e-12))
            let above = logNormalMass(from: m - w / 2 * (1 + 1e-12), to: m + w / 2 * (1 + 1e-12))
            #expect(abs(below - above) <= 1e-10, "switch at m=\(m): \(below) vs \(above)")
        }
        let justAbove = logNormalMass(from: 1e-300, to: 1)
        let justBelow = logNormalMass(from: -1e-300, to: 1)
        #expect(abs(justAbove - justBelow) <= 1e-15)
    }

    @Test("Gauss–Legendre rule integrates polynomials up to degree 31 exactly")
    func gaussLegendre() {
        let rule = GaussLegendreRule.sixteen
        #expect(abs(rule.weights.reduce(0, +) - 1) <= 1e-15)
        for degree in [1, 5, 17, 31] {
            let integral = zip(rule.nodes, rule.weights).reduce(0.0) { $0 + $1.1 * pow($1.0, Double(degree)) }
            #expect(abs(integral - 1 / Double(degree + 1)) <= 1e-15, "degree \(degree)")
        }
    }
}
