import Foundation
import NoiseStatistics

/// Every statistic and default decision for one (μ, log σ) pair, in the shape of
/// `shared/reference/bmrs_vectors.json` (what `bmrs scores` prints per case).
public struct PosteriorScores: Codable, Sendable, Equatable {
    public var mu: Double
    public var logsigma: Double
    public var etheta: Double
    public var variance: Double
    public var snr: Double
    public var kl: Double
    public var dFBMRSN: Double
    public var dFBMRSNWithout2pi: Double
    public var dFBMRSU8: Double
    public var dFBMRSU4: Double
    public var dFBMRSU2: Double
    public var dFBMRSU12: Double
    public var prune: Decisions

    public struct Decisions: Codable, Sendable, Equatable {
        public var snr: Bool
        public var etheta: Bool
        public var bmrsN: Bool
        public var bmrsU8: Bool
        public var bmrsU4: Bool
        enum CodingKeys: String, CodingKey {
            case snr, etheta = "etheta_0.1", bmrsN = "bmrs_n", bmrsU8 = "bmrs_u_8", bmrsU4 = "bmrs_u_4"
        }
    }

    enum CodingKeys: String, CodingKey {
        case mu, logsigma, etheta, variance = "var", snr, kl
        case dFBMRSN = "dF_bmrs_n", dFBMRSNWithout2pi = "dF_bmrs_n_without_2pi"
        case dFBMRSU8 = "dF_bmrs_u_8", dFBMRSU4 = "dF_bmrs_u_4", dFBMRSU2 = "dF_bmrs_u_2", dFBMRSU12 = "dF_bmrs_u_12"
        case prune
    }

    /// Scores with SPEC §2's default rules (SNR ≤ 1, E[θ] ≤ `ethetaThreshold`, ΔF ≥ 0).
    public init(_ q: NoisePosterior, settings: CriterionSettings = CriterionSettings()) {
        mu = q.mu
        logsigma = q.logSigma
        etheta = q.expectedTheta
        variance = q.variance
        snr = q.snr
        kl = q.kl
        dFBMRSN = q.deltaFBMRSN(constant: .seed)
        dFBMRSNWithout2pi = q.deltaFBMRSN(constant: .released)
        dFBMRSU8 = q.deltaFBMRSU(precisionBits: 8)
        dFBMRSU4 = q.deltaFBMRSU(precisionBits: 4)
        dFBMRSU2 = q.deltaFBMRSU(precisionBits: 2)
        dFBMRSU12 = q.deltaFBMRSU(precisionBits: 12)
        let structure = StructureStatistics(posterior: q, incomingNorm: 0)
        prune = Decisions(
            snr: SNRCriterion(threshold: settings.snrThreshold).prunes(structure),
            etheta: ExpectedThetaCriterion(threshold: settings.ethetaThreshold).prunes(structure),
            bmrsN: BMRSNCriterion(constant: settings.bmrsNConstant).prunes(structure),
            bmrsU8: dFBMRSU8 >= 0, bmrsU4: dFBMRSU4 >= 0)
    }

    /// Every Double of the record (to check none is NaN).
    public var values: [Double] {
        [etheta, variance, snr, kl, dFBMRSN, dFBMRSNWithout2pi, dFBMRSU8, dFBMRSU4, dFBMRSU2, dFBMRSU12]
    }
}

/// Reads the `{"cases": [{"mu": …, "logsigma": …}, …]}` input of `bmrs scores`.
public enum PosteriorCases {
    struct File: Decodable { var cases: [Case] }
    struct Case: Decodable { var mu: Double; var logsigma: Double }

    public static func load(_ url: URL) throws -> [NoisePosterior] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ScoreInputError(path: url.path, message: "cannot read: \(error.localizedDescription)")
        }
        do {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return try decoder.decode(File.self, from: data).cases.map { NoisePosterior(mu: $0.mu, logSigma: $0.logsigma) }
        } catch {
            throw ScoreInputError(path: url.path, message: "expected a JSON object with a \"cases\" array of {\"mu\": number, \"logsigma\": number}: \(error)")
        }
    }
}

public struct ScoreInputError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}
