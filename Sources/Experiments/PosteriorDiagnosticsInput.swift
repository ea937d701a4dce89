// From a trained network to the plain per-layer arrays of the posterior diagnostics
// (issue 14, item 1). It lives here, not in BayesianPruning, because Experiments already
// depends on both BayesianPruning and Analysis: no new edge between targets.

import Analysis
import BayesianPruning
import NeuralCore
import NoiseStatistics

public enum PosteriorDiagnosticsInput {
    /// Per noise layer, per structure: μ, log σ, ΔF of BMRS_N under both constants and of
    /// BMRS_U-8, E[θ], SNR (SPEC §1–2, Float64 from the Float32 parameters) and the incoming
    /// L2 norm, with the current mask. Layers are named after the weight layer producing
    /// their structures (`fc1`, `conv2`, …).
    public static func layers(of network: Network) -> [LayerPosteriorStatistics] {
        let statistics = Structures.statistics(network)
        let keep = Structures.keepFlags(network)
        return zip(network.groups, zip(statistics, keep)).enumerated().map { g, element in
            let (group, (structures, kept)) = element
            let posteriors = structures.map(\.posterior)
            return LayerPosteriorStatistics(
                name: layerName(group.producer, index: g),
                mu: posteriors.map(\.mu),
                logSigma: posteriors.map(\.logSigma),
                deltaFBMRSNExact: posteriors.map { $0.deltaFBMRSN(constant: .seed) },
                deltaFBMRSNReleased: posteriors.map { $0.deltaFBMRSN(constant: .released) },
                deltaFBMRSU8: posteriors.map { $0.deltaFBMRSU(precisionBits: 8) },
                expectedTheta: posteriors.map(\.expectedTheta),
                snr: posteriors.map(\.snr),
                incomingNorm: structures.map(\.incomingNorm),
                kept: kept)
        }
    }

    /// `fc1` from the producer's `fc1.weight`; `layer k` when the name is not of that form.
    static func layerName(_ layer: any Layer, index: Int) -> String {
        if let name = layer.parameters.first?.name, let dot = name.lastIndex(of: "."), dot > name.startIndex {
            return String(name[..<dot])
        }
        return "layer \(index + 1)"
    }

    /// The default rules with the thresholds of `settings` (its BMRS_N constant is unused:
    /// the diagnostics count both).
    public static func rules(_ settings: CriterionSettings) -> DiagnosticRules {
        var rules = DiagnosticRules()
        rules.l2Threshold = settings.l2Threshold
        rules.ethetaThreshold = settings.ethetaThreshold
        rules.snrThreshold = settings.snrThreshold
        return rules
    }
}

extension PosteriorDiagnostics {
    /// The diagnostics of `network`, labelled `model` (e.g. "unpruned model").
    public init(model: String, network: Network, rules: DiagnosticRules = DiagnosticRules(),
                binning: DiagnosticBinning = .standard) {
        self.init(model: model, layers: PosteriorDiagnosticsInput.layers(of: network), rules: rules, binning: binning)
    }
}
