import Experiments

/// Published and reference numbers a report sets its own results beside:
/// the paper's table (SPEC §7: 10 seeds, mean, with a std where the paper gives one) and
/// the authors' released code run on this project's machine (SPEC §8: Fashion-MNIST, MLP
/// H = 50, D = 5, seed 1000). Values are percentages.
public enum PaperNumbers {
    public struct Entry: Sendable, Equatable {
        public var compression: Double
        public var accuracy: Double
        public var accuracyStd: Double?
    }

    /// Row labels of SPEC §7, in its order: the paper's methods by their one label
    /// (`PruningMethod.displayName`; the paper's None is plain training).
    public static let methods = [PruningMethod.plain, .l2, .etheta, .snr, .bmrsN, .bmrsU(precisionBits: 8), .bmrsU(precisionBits: 4)]
        .map(\.displayName)

    /// SPEC §7 for the default networks (MLP H = 50, D = 5; LeNet5), per data set, rows in
    /// `methods` order.
    static let paper: [NetworkSpec.Kind: [DatasetName: [Entry]]] = [
        .mlp: [
            .mnist: [e(0, 97.43, 0.14), e(43.11, 10.39), e(52.08, 96.88), e(58.57, 96.92), e(48.86, 96.95), e(48.73, 96.93), e(54.47, 96.99)],
            .fashionMNIST: [e(0, 88.17, 0.20), e(87.86, 18.23), e(91.76, 85.59), e(99.83, 10.00), e(93.20, 84.99), e(93.02, 85.01), e(91.57, 85.79)],
            .cifar10: [e(0, 44.94, 0.40), e(42.89, 10.00), e(77.99, 43.39), e(75.93, 43.97), e(76.36, 43.59), e(77.17, 43.45), e(76.63, 44.06)],
        ],
        .lenet5: [
            .mnist: [e(0, 99.07), e(83.42, 11.35), e(88.29, 51.30, 41.12), e(92.66, 62.70, 41.93), e(86.90, 95.59), e(86.11, 95.27), e(87.58, 96.66)],
            .fashionMNIST: [e(0, 89.16), e(83.62, 10.00), e(89.71, 50.93, 33.45), e(98.47, 17.01, 21.03), e(88.02, 77.90), e(87.61, 77.23), e(88.72, 81.10)],
            .cifar10: [e(0, 67.62), e(52.29, 10.00), e(66.19, 65.83), e(70.29, 67.68), e(62.87, 66.14), e(62.54, 66.28), e(68.07, 67.66)],
        ],
    ]

    /// SPEC §8: the released code here (MLP, Fashion-MNIST, seed 1000), by row label of
    /// this project's tables: parameter compression, test accuracy (neuron compression in
    /// `neurons`).
    static let releasedCodeHere: [String: (compression: Double, neurons: Double, accuracy: Double)] = [
        "None": (0, 0, 87.3), "L2": (0, 0, 84.9), "L2 (matched)": (41, 86, 10.0), "SNR": (74, 86, 85.1),
        "BMRS_N": (72, 86, 84.9), "BMRS_U-8": (72, 86, 85.2), "BMRS_U-4": (75, 87, 84.8),
    ]

    /// SPEC §7: the paper's Spearman rank correlations between criteria (one setting).
    public static let spearman: [(a: String, b: String, rho: Double)] = [
        ("SNR", "E[θ]", 1.00), ("SNR", "L2", 0.86), ("SNR", "BMRS_N", 0.95), ("SNR", "BMRS_U-8", 0.47),
        ("SNR", "BMRS_U-4", 0.27), ("L2", "BMRS_N", 0.81), ("L2", "BMRS_U-8", 0.33), ("L2", "BMRS_U-4", 0.21),
        ("BMRS_N", "BMRS_U-8", 0.49), ("BMRS_N", "BMRS_U-4", 0.32), ("BMRS_U-8", "BMRS_U-4", 0.80),
    ]

    private static func e(_ c: Double, _ a: Double, _ s: Double? = nil) -> Entry { Entry(compression: c, accuracy: a, accuracyStd: s) }

    /// Whether `network` is one of the paper's default networks.
    static func isPaperNetwork(_ network: NetworkSpec) -> Bool {
        network.kind == .lenet5 || (network.hidden == 50 && network.depth == 5)
    }

    static let releasedConstantRow = "BMRS_N (released const.)"

    /// The paper's cell for one of this project's row labels ("L2 (matched)" compares with
    /// the paper's L2 row, "E[θ] (matched)" with E[θ]; "None (noise)" has no counterpart).
    /// The paper's BMRS_N numbers came from the released code, whose constant omits the 2π
    /// (SPEC §8): both BMRS_N rows compare with them, so a reader sees which one reproduces.
    public static func paper(network: NetworkSpec, dataset: DatasetName, rowLabel: String) -> Entry? {
        guard isPaperNetwork(network) else { return nil }
        var label = rowLabel.hasSuffix(" (matched)") ? String(rowLabel.dropLast(" (matched)".count)) : rowLabel
        if label == releasedConstantRow { label = "BMRS_N" }
        guard let i = methods.firstIndex(of: label) else { return nil }
        return paper[network.kind]?[dataset]?[i]
    }

    /// SPEC §8's figure for a row label, where the released code was run here. Its BMRS_N
    /// used the released constant: it stands beside `BMRS_N (released const.)`, and beside
    /// `BMRS_N` only when that row used the released constant too (`exactConstantInForce`
    /// false: protocol released).
    public static func releasedCode(network: NetworkSpec, dataset: DatasetName, rowLabel: String, exactConstantInForce: Bool)
        -> (compression: Double, neurons: Double, accuracy: Double)? {
        guard network.kind == .mlp, isPaperNetwork(network), dataset == .fashionMNIST else { return nil }
        if rowLabel == releasedConstantRow { return releasedCodeHere["BMRS_N"] }
        if rowLabel == "BMRS_N" && exactConstantInForce { return nil }
        return releasedCodeHere[rowLabel]
    }
}
