import Foundation
import Testing
import BayesianPruning
import NeuralCore
@testable import Experiments
import SeededRandom

@Suite struct PosteriorDiagnosticsInputTests {
    /// The builder reads every structure of every noise layer, names layers after their
    /// producer, and computes the scores the criteria compute.
    @Test func layersOfANetwork() throws {
        for spec in [NetworkSpec.mlp(hidden: 6, depth: 1), .lenet5()] {
            var rng = Xoshiro256(seed: 11)
            let network = Network(spec: spec, maxBatch: 2, rng: &rng)
            // One posterior back at the prior (exact ΔF ≈ 0⁻, released > 0), one pruned by mask.
            network.groups[0].noise.mu.value[1] = -10
            network.groups[0].noise.logSigma.value[1] = 5
            network.groups[0].noise.mask[2] = 0
            let layers = PosteriorDiagnosticsInput.layers(of: network)
            #expect(layers.map(\.name) == (spec.kind == .mlp ? ["fc1", "fc2"] : ["conv1", "conv2", "fc1", "fc2"]))
            #expect(layers.map(\.count) == network.groups.map(\.noise.units))
            let statistics = Structures.statistics(network)
            for (layer, structures) in zip(layers, statistics) {
                for (s, st) in structures.enumerated() {
                    #expect(layer.mu[s] == st.posterior.mu && layer.logSigma[s] == st.posterior.logSigma)
                    #expect(layer.deltaFBMRSNExact[s] == BMRSNCriterion().score(st))
                    #expect(layer.deltaFBMRSNReleased[s] == BMRSNCriterion(constant: .released).score(st))
                    #expect(layer.deltaFBMRSU8[s] == BMRSUCriterion(precisionBits: 8).score(st))
                    #expect(layer.expectedTheta[s] == ExpectedThetaCriterion().score(st))
                    #expect(layer.snr[s] == SNRCriterion().score(st))
                    #expect(layer.incomingNorm[s] == st.incomingNorm)
                }
            }
            #expect(layers[0].kept.filter { !$0 }.count == 1 && !layers[0].kept[2])
            // The posterior at the prior sits on the exact constant's knife edge (Float32 μ, log σ).
            let atPrior = layers[0].deltaFBMRSNExact[1]
            #expect(atPrior < 0 && atPrior > -0.05, "\(atPrior)")
            #expect(layers[0].deltaFBMRSNReleased[1] > 0.9)
        }
    }
}
