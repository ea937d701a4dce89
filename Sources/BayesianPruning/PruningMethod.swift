import NoiseStatistics

/// How a run treats its noise layers and which structures it prunes (SPEC §2, §5).
/// Written in configs and records as its string form (`none`, `plain`, `l2`, `etheta`,
/// `snr`, `bmrs-n`, `bmrs-n-released`, `bmrs-u-8`, `bmrs-u-4`, any `bmrs-u-<p>` with p in 1…22,
/// and the post-training-only criteria `taylor` and `random`).
public enum PruningMethod: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Noise layers trained (θ sampled, KL in the loss), nothing pruned.
    case none
    /// Noise layers off (θ ≡ 1, no KL): the authors' `--disable_pruning`, the paper's None row.
    case plain
    case l2, etheta, snr
    /// BMRS_N with SPEC §2's exact constant (under `--protocol released` the run uses the
    /// released constant instead; the record states the one used).
    case bmrsN
    /// BMRS_N with the released code's constant (no 2π: ΔF larger by ½·log 2π ≈ 0.919),
    /// whatever the protocol: the rule that prunes posteriors that went back to the prior.
    case bmrsNReleased
    case bmrsU(precisionBits: Int)
    /// First-order Taylor importance |Σ θ·∂L/∂θ| over one pass of the training data
    /// (`TaylorScores`): a post-training curve criterion only, not a training method.
    case taylor
    /// A seeded random pruning order (`RandomPruningOrder`), the floor every criterion
    /// must beat: a post-training curve criterion only, not a training method.
    case random

    /// The criteria of post-training curves by default: every pruning rule of `allMethods`.
    public static let curveCriteria: [PruningMethod] = [.l2, .etheta, .snr, .bmrsN, .bmrsNReleased, .bmrsU(precisionBits: 8), .bmrsU(precisionBits: 4)]
    /// The paper's methods plus BMRS_N with the released constant (the shipped profiles).
    public static let allMethods: [PruningMethod] = [.none, .plain, .l2, .etheta, .snr, .bmrsN, .bmrsNReleased, .bmrsU(precisionBits: 8), .bmrsU(precisionBits: 4)]
    /// Criteria of post-training curves only (opt-in in `curves.criteria` and `bmrs sweep
    /// --criteria`): their scores need the whole network and, for Taylor, the training data,
    /// and they have no default rule to prune by while training.
    public static let postTrainingCriteria: [PruningMethod] = [.taylor, .random]

    public init?(_ text: String) {
        switch text.lowercased() {
        case "none": self = .none
        case "plain": self = .plain
        case "l2": self = .l2
        case "etheta", "e-theta", "expected-theta": self = .etheta
        case "snr": self = .snr
        case "bmrs-n", "bmrsn", "bmrs_n": self = .bmrsN
        case "bmrs-n-released", "bmrs_n_released": self = .bmrsNReleased
        case "taylor": self = .taylor
        case "random": self = .random
        default:
            let t = text.lowercased().replacingOccurrences(of: "_", with: "-")
            guard t.hasPrefix("bmrs-u-"), let p = Int(t.dropFirst("bmrs-u-".count)),
                  BMRSUCriterion.precisions.contains(p) else { return nil }
            self = .bmrsU(precisionBits: p)
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .plain: "plain"
        case .l2: "l2"
        case .etheta: "etheta"
        case .snr: "snr"
        case .bmrsN: "bmrs-n"
        case .bmrsNReleased: "bmrs-n-released"
        case .bmrsU(let p): "bmrs-u-\(p)"
        case .taylor: "taylor"
        case .random: "random"
        }
    }

    /// Name as the paper writes it, for tables.
    public var displayName: String {
        switch self {
        case .none: "None (noise)"
        case .plain: "None"
        case .l2: "L2"
        case .etheta: "E[θ]"
        case .snr: "SNR"
        case .bmrsN: "BMRS_N"
        case .bmrsNReleased: "BMRS_N (released const.)"
        case .bmrsU(let p): "BMRS_U-\(p)"
        case .taylor: "Taylor (1st order)"
        case .random: "Random"
        }
    }

    public var usesNoise: Bool { self != .plain }
    public var prunes: Bool { self != .none && self != .plain }
    public var isThresholdless: Bool {
        switch self { case .bmrsN, .bmrsNReleased, .bmrsU: true; default: false }
    }
    /// A criterion of post-training curves that is no training method (`taylor`, `random`):
    /// a training config naming one is rejected.
    public var isPostTrainingOnly: Bool { self == .taylor || self == .random }

    /// The per-structure criterion with its default rule; nil for `none` and `plain`, and
    /// for `taylor` and `random`, whose scores are not a function of one structure's
    /// statistics (see `TaylorScores`, `RandomPruningOrder`; both prune lowest first).
    public func criterion(_ settings: CriterionSettings = CriterionSettings()) -> (any PruningCriterion)? {
        switch self {
        case .none, .plain, .taylor, .random: nil
        case .l2: L2Criterion(threshold: settings.l2Threshold)
        case .etheta: ExpectedThetaCriterion(threshold: settings.ethetaThreshold)
        case .snr: SNRCriterion(threshold: settings.snrThreshold)
        case .bmrsN: BMRSNCriterion(constant: settings.bmrsNConstant)
        case .bmrsNReleased: BMRSNCriterion(constant: .released)
        case .bmrsU(let p): BMRSUCriterion(precisionBits: p)
        }
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let method = PruningMethod(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "unknown method '\(text)': expected none, plain, l2, etheta, snr, bmrs-n, bmrs-n-released, bmrs-u-<1…22>, taylor or random"))
        }
        self = method
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Thresholds and constants of the criteria, overridable (SPEC §2 defaults).
public struct CriterionSettings: Codable, Hashable, Sendable {
    public var l2Threshold = 0.5
    public var ethetaThreshold = 0.1
    public var snrThreshold = 1.0
    public var bmrsNConstant: BMRSNConstant = .seed
    public init() {}
}

extension BMRSNConstant: Codable {}
