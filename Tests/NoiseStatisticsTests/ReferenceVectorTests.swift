// Checks every statistic of SPEC §1–2 against the 357 exact reference cases in
// Fixtures/bmrs_vectors.json (a copy of shared/reference/bmrs_vectors.json, computed in
// 120-digit arithmetic; see shared/reference/README.md).

import Foundation
import Testing
@testable import NoiseStatistics

/// A JSON number, or one of the strings "inf", "-inf", "nan" used by the reference file.
struct ReferenceNumber: Decodable {
    let value: Double

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            value = number
            return
        }
        let text = try container.decode(String.self)
        switch text {
        case "inf": value = .infinity
        case "-inf": value = -.infinity
        case "nan": value = .nan
        default:
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unexpected number string \(text)")
        }
    }
}

struct ReferenceCase: Decodable {
    let mu: Double
    let logsigma: Double
    let etheta: ReferenceNumber
    let variance: ReferenceNumber
    let snr: ReferenceNumber
    let kl: ReferenceNumber
    let dFN: ReferenceNumber
    let dFNReleased: ReferenceNumber
    let dFU8: ReferenceNumber
    let dFU4: ReferenceNumber
    let dFU2: ReferenceNumber
    let dFU12: ReferenceNumber
    let prune: [String: Bool]

    enum CodingKeys: String, CodingKey {
        case mu, logsigma, etheta, snr, kl, prune
        case variance = "var"
        case dFN = "dF_bmrs_n"
        case dFNReleased = "dF_bmrs_n_without_2pi"
        case dFU8 = "dF_bmrs_u_8"
        case dFU4 = "dF_bmrs_u_4"
        case dFU2 = "dF_bmrs_u_2"
        case dFU12 = "dF_bmrs_u_12"
    }
}

struct ReferenceFile: Decodable {
    let cases: [ReferenceCase]
}

enum ReferenceFixture {
    static func url() throws -> URL {
        let url = Bundle.module.url(forResource: "bmrs_vectors", withExtension: "json", subdirectory: "Fixtures")
        return try #require(url, "Fixtures/bmrs_vectors.json missing from the test bundle")
    }

    static func load() throws -> [ReferenceCase] {
        let data = try Data(contentsOf: try url())
        return try JSONDecoder().decode(ReferenceFile.self, from: data).cases
    }
}

/// How a field is compared with its exact value.
enum Tolerance {
    /// Relative 1e-6 only (positive, scale-free quantities: E[θ], Var, SNR).
    case relative
    /// Relative 1e-6, or absolute 1e-9 near 0 (KL, ΔF).
    case relativeOrAbsolute
    /// As `relativeOrAbsolute`, and −∞ is also accepted where the exact value is below −700
    /// (ΔF_U, whose mass may underflow in Float64 there; see reference README).
    case bmrsU
}

/// Relative error of `got` against `expected` (0 when both are the same infinity).
func relativeError(_ got: Double, _ expected: Double) -> Double {
    if expected.isInfinite || got.isInfinite { return got == expected ? 0 : .infinity }
    if got.isNaN || expected.isNaN { return .infinity }
    if expected == 0 { return abs(got) }
    return abs(got - expected) / abs(expected)
}

func withinTolerance(_ got: Double, _ expected: Double, _ tolerance: Tolerance) -> Bool {
    if got.isNaN || expected.isNaN { return false }
    if expected.isInfinite { return got == expected }
    if tolerance == .bmrsU && expected < -700 && got == -.infinity { return true }
    if got.isInfinite { return false }
    let error = abs(got - expected)
    switch tolerance {
    case .relative:
        return error <= 1e-6 * abs(expected)
    case .relativeOrAbsolute, .bmrsU:
        return error <= max(1e-6 * abs(expected), 1e-9)
    }
}

@Suite("Reference vectors (SPEC §1–2)")
struct ReferenceVectorTests {
    @Test("all 357 cases: statistics within 1e-6, identical prune decisions, no NaN")
    func referenceCases() throws {
        let cases = try ReferenceFixture.load()
        #expect(cases.count == 357)
        var maxRelative: [String: Double] = [:]
        var worstCase: [String: (Double, Double)] = [:]
        var maxAbsolute: [String: Double] = [:]
        var failures = 0

        for c in cases {
            let q = NoisePosterior(mu: c.mu, logSigma: c.logsigma)
            let fields: [(String, Double, ReferenceNumber, Tolerance)] = [
                ("etheta", q.expectedTheta, c.etheta, .relative),
                ("var", q.variance, c.variance, .relative),
                ("snr", q.snr, c.snr, .relative),
                ("kl", q.kl, c.kl, .relativeOrAbsolute),
                ("dF_bmrs_n", q.deltaFBMRSN(constant: .seed), c.dFN, .relativeOrAbsolute),
                ("dF_bmrs_n_without_2pi", q.deltaFBMRSN(constant: .released), c.dFNReleased, .relativeOrAbsolute),
                ("dF_bmrs_u_8", q.deltaFBMRSU(precisionBits: 8), c.dFU8, .bmrsU),
                ("dF_bmrs_u_4", q.deltaFBMRSU(precisionBits: 4), c.dFU4, .bmrsU),
                ("dF_bmrs_u_2", q.deltaFBMRSU(precisionBits: 2), c.dFU2, .bmrsU),
                ("dF_bmrs_u_12", q.deltaFBMRSU(precisionBits: 12), c.dFU12, .bmrsU),
            ]
            for (name, got, expected, tolerance) in fields {
                let ok = withinTolerance(got, expected.value, tolerance)
                if !ok { failures += 1 }
                #expect(ok, "μ=\(c.mu) logσ=\(c.logsigma) \(name): expected \(expected.value), got \(got)")
                if tolerance != .relative && got.isFinite && expected.value.isFinite {
                    maxAbsolute[name] = max(maxAbsolute[name, default: 0], abs(got - expected.value))
                }
                let error = relativeError(got, expected.value)
                if error > maxRelative[name, default: 0] {
                    maxRelative[name] = error
                    worstCase[name] = (c.mu, c.logsigma)
                }
            }

            // Nothing NaN anywhere (also the quantities without reference values).
            let gradient = q.klGradient
            let extras: [(String, Double)] = [
                ("secondMoment", q.secondMoment), ("sigma", q.sigma),
                ("klGradient.mu", gradient.mu), ("klGradient.logSigma", gradient.logSigma),
            ]
            for (name, value) in extras {
                #expect(!value.isNaN, "μ=\(c.mu) logσ=\(c.logsigma) \(name) is NaN")
            }
            #expect(gradient.mu.isFinite && gradient.logSigma.isFinite,
                    "μ=\(c.mu) logσ=\(c.logsigma) KL gradient not finite: \(gradient)")
            // E[θ²] = Var + E[θ]² (exact values from the reference).
            let expectedSecond = c.variance.value + c.etheta.value * c.etheta.value
            #expect(withinTolerance(q.secondMoment, expectedSecond, .relative),
                    "μ=\(c.mu) logσ=\(c.logsigma) secondMoment: expected \(expectedSecond), got \(q.secondMoment)")

            // Default rules of SPEC §2.
            let decisions: [(String, Bool)] = [
                ("snr", q.snr <= 1),
                ("etheta_0.1", q.expectedTheta <= 0.1),
                ("bmrs_n", q.deltaFBMRSN(constant: .seed) >= 0),
                ("bmrs_u_8", q.deltaFBMRSU(precisionBits: 8) >= 0),
                ("bmrs_u_4", q.deltaFBMRSU(precisionBits: 4) >= 0),
            ]
            for (rule, decision) in decisions {
                let expected = try #require(c.prune[rule] as Bool?, "reference has no prune decision \(rule)")
                #expect(decision == expected,
                        "μ=\(c.mu) logσ=\(c.logsigma) prune[\(rule)]: expected \(expected), got \(decision)")
            }
            #expect(c.prune.count == decisions.count)
        }

        print("NoiseStatistics reference grid: \(cases.count) cases, \(failures) field failures")
        for name in maxRelative.keys.sorted() {
            let (mu, logSigma) = worstCase[name] ?? (.nan, .nan)
            let absolute = maxAbsolute[name].map { " (max absolute error \($0))" } ?? ""
            print("  max relative error \(name): \(maxRelative[name]!) at μ=\(mu) logσ=\(logSigma)\(absolute)")
        }
    }

    @Test("the fixture is byte-identical to shared/reference/bmrs_vectors.json when present")
    func fixtureMatchesSharedCopy() throws {
        // Repository root: three levels above this file (Tests/NoiseStatisticsTests/<file>).
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let shared = root.deletingLastPathComponent()
            .appendingPathComponent("shared/reference/bmrs_vectors.json")
        guard FileManager.default.fileExists(atPath: shared.path) else {
            print("note: \(shared.path) not found; byte-identity check skipped")
            return
        }
        let original = try Data(contentsOf: shared)
        let fixture = try Data(contentsOf: try ReferenceFixture.url())
        #expect(original == fixture, "Fixtures/bmrs_vectors.json differs from \(shared.path)")
    }
}
