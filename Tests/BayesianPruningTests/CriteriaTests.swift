import Foundation
import Testing
import NeuralCore
import NoiseStatistics
@testable import BayesianPruning

/// The reference cases of shared/reference (a byte-identical copy lives in the
/// NoiseStatistics test fixtures; the NoiseStatistics suite checks the values).
func referenceCases() throws -> [[String: Any]] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("NoiseStatisticsTests/Fixtures/bmrs_vectors.json")
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    return object["cases"] as! [[String: Any]]
}

@Suite("Criteria and decisions")
struct CriteriaTests {
    @Test func scoresReproduceEveryReferenceDecision() throws {
        let cases = try referenceCases()
        #expect(cases.count == 357)
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        for c in cases {
            let q = NoisePosterior(mu: (c["mu"] as! NSNumber).doubleValue, logSigma: (c["logsigma"] as! NSNumber).doubleValue)
            let scores = PosteriorScores(q)
            let expected = c["prune"] as! [String: Bool]
            let json = try JSONSerialization.jsonObject(with: encoder.encode(scores)) as! [String: Any]
            let got = json["prune"] as! [String: Bool]
            #expect(got == expected, "μ \(q.mu), log σ \(q.logSigma)")
            #expect(!scores.values.contains { $0.isNaN })
            // The criteria types agree with the score record.
            let s = StructureStatistics(posterior: q, incomingNorm: 1)
            #expect(SNRCriterion().prunes(s) == expected["snr"])
            #expect(ExpectedThetaCriterion().prunes(s) == expected["etheta_0.1"])
            #expect(BMRSNCriterion().prunes(s) == expected["bmrs_n"])
            #expect(BMRSUCriterion(precisionBits: 8).prunes(s) == expected["bmrs_u_8"])
            #expect(BMRSUCriterion(precisionBits: 4).prunes(s) == expected["bmrs_u_4"])
            for key in ["etheta", "kl", "dF_bmrs_n", "dF_bmrs_u_8"] {
                if let want = (c[key] as? NSNumber)?.doubleValue, let have = (json[key] as? NSNumber)?.doubleValue {
                    #expect(abs(have - want) <= max(1e-6 * abs(want), 1e-9), "\(key) at μ \(q.mu), log σ \(q.logSigma)")
                }
            }
        }
    }

    @Test func methodNamesRoundTrip() throws {
        for name in ["none", "plain", "l2", "etheta", "snr", "bmrs-n", "bmrs-u-8", "bmrs-u-4", "bmrs-u-1", "bmrs-u-22"] {
            let m = try #require(PruningMethod(name))
            #expect(m.description == name)
            let data = try JSONEncoder().encode(m)
            #expect(try JSONDecoder().decode(PruningMethod.self, from: data) == m)
        }
        #expect(PruningMethod("bmrs-u-23") == nil)
        #expect(PruningMethod("bmrs-u-0") == nil)
        #expect(PruningMethod("magnitude") == nil)
        #expect(PruningMethod("random") == .random && PruningMethod("taylor") == .taylor)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PruningMethod.self, from: Data("\"bogus\"".utf8)) }
        #expect(PruningMethod.bmrsN.criterion() is BMRSNCriterion)
        #expect(PruningMethod.plain.criterion() == nil)
    }

    @Test func releasedConstantPrunesMore() {
        // ΔF_released = ΔF_seed + ½ log 2π: a posterior between the two thresholds.
        var found = false
        for mu in stride(from: -20.0, through: 0, by: 0.05) {
            let q = NoisePosterior(mu: mu, logSigma: 0)
            let seed = q.deltaFBMRSN(constant: .seed), released = q.deltaFBMRSN(constant: .released)
            #expect(abs(released - seed - 0.5 * Foundation.log(2 * Double.pi)) < 1e-9)
            if seed < 0 && released >= 0 { found = true }
        }
        #expect(found)
    }

    @Test func percentileRule() {
        // lowest first: prune the 2 smallest of 5 (ties by index).
        #expect(percentileMask(scores: [3, 1, 2, 1, 5], order: .lowestFirst, fraction: 0.4) == [true, false, true, false, true])
        // highest first: prune the largest, but never a negative ΔF.
        #expect(percentileMask(scores: [0.5, -1, 2, -0.1], order: .highestFirst, fraction: 1) == [false, true, false, true])
        #expect(percentileMask(scores: [0.5, -1, 2, -0.1], order: .highestFirst, fraction: 0.25) == [true, true, false, true])
        #expect(percentileMask(scores: [1, 2], order: .lowestFirst, fraction: 0) == [true, true])
        #expect(percentileMask(scores: [-.infinity, .infinity, 0], order: .highestFirst, fraction: 1) == [true, false, false])
    }
}
