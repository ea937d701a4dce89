import Foundation
import Testing
@testable import NeuralCore
@testable import BayesianPruning
import SeededRandom

/// Mean cross-entropy over the images, in Float64, of the network in evaluation mode
/// (θ = E[θ]·mask) with structure `s` of group `g` scaled by α: its pre-activation (the
/// producer's output row s, or output channel s) times α, which is the same as its incoming
/// weights and bias times α.
func scaledLoss(_ net: Network, group g: Int, structure s: Int, alpha: Double,
                images: [Float], labels: [Int32]) -> Double {
    let producer = net.groups[g].producer
    let inputSize = net.layers[0].inputSize
    var total = 0.0
    for n in 0..<labels.count {
        var x = (0..<inputSize).map { Double(images[n * inputSize + $0]) }
        for layer in net.layers {
            x = Float64Reference.forward(layer, x)
            if layer === producer {
                let plane = x.count / net.groups[g].noise.units
                for e in (s * plane)..<((s + 1) * plane) { x[e] *= alpha }
            }
        }
        let top = x.max()!
        let logSum = log(x.reduce(0) { $0 + exp($1 - top) }) + top
        total += logSum - x[Int(labels[n])]
    }
    return total / Double(labels.count)
}

func randomData(_ count: Int, channels: Int = 1, seed: UInt64) -> (images: [Float], labels: [Int32]) {
    var rng = Xoshiro256(seed: seed)
    let images = (0..<(count * channels * 1024)).map { _ in rng.nextFloat(in: -1, 1) }
    let labels = (0..<count).map { _ in Int32(rng.next() % 10) }
    return (images, labels)
}

/// Posteriors away from θ ≡ 1, so E[θ] enters the scores, and one pruned structure.
func spreadPosteriors(_ net: Network, seed: UInt64) {
    var rng = Xoshiro256(seed: seed)
    for layer in net.noiseLayers {
        for s in 0..<layer.units {
            layer.mu.value[s] = rng.nextFloat(in: -1.5, 0)
            layer.logSigma.value[s] = rng.nextFloat(in: -3, -0.5)
        }
    }
    net.noiseLayers[0].mask[1] = 0
}

@Suite("Taylor scores and the random order")
struct TaylorAndRandomTests {
    /// d L(α)/dα at α = 1 by central differences equals Σ_{p ∈ P_s} p·∂L/∂p, for every
    /// structure of a tiny MLP (tanh) and for a sample of LeNet5's (ReLU, max-pool, conv
    /// channels; scaling a channel is exact through ReLU and pooling, so L(α) is smooth).
    @Test(arguments: [(NetworkSpec.mlp(hidden: 6, depth: 2), 3), (.lenet5(), 3)])
    func firstOrderTermsMatchCentralDifferences(spec: NetworkSpec, perGroup: Int) {
        let net = network(spec, seed: 11)
        spreadPosteriors(net, seed: 12)
        let (images, labels) = randomData(spec.kind == .mlp ? 40 : 6, seed: 13)
        // Batches of 7 (a partial last one): the batch weights n_b/N must be right.
        let terms = images.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                TaylorScores.firstOrderTerms(net, images: x.baseAddress!, labels: y.baseAddress!, count: labels.count, batchSize: 7)
            }
        }
        #expect(terms.map(\.count) == net.groups.map(\.noise.units))
        let largest = terms.flatMap { $0 }.map(abs).max()!
        #expect(largest > 1e-4, "terms too small to test: \(terms)")
        let h = 1e-5
        var checked = 0
        for (g, group) in net.groups.enumerated() {
            let sample = spec.kind == .mlp ? Array(0..<group.noise.units)
                                           : Array(stride(from: 0, to: group.noise.units, by: max(1, group.noise.units / perGroup)))
            for s in sample {
                let plus = scaledLoss(net, group: g, structure: s, alpha: 1 + h, images: images, labels: labels)
                let minus = scaledLoss(net, group: g, structure: s, alpha: 1 - h, images: images, labels: labels)
                let numeric = (plus - minus) / (2 * h)
                checked += 1
                #expect(abs(numeric - terms[g][s]) <= 2e-3 * largest + 1e-7,
                        "group \(g) structure \(s): central difference \(numeric), Taylor term \(terms[g][s])")
            }
        }
        #expect(checked >= 10)
        // The pruned structure contributes nothing to the loss: its term is exactly 0.
        #expect(terms[0][1] == 0)
        let scores = TaylorScores.scores(net, images: images, labels: labels, batchSize: 7)
        // Equal up to BLAS rounding: tests run in parallel and some set OpenBLAS's (process-wide)
        // thread count, which changes the last bits of sgemm between the two passes.
        #expect(zip(scores.flatMap { $0 }, terms.flatMap { $0 }).allSatisfy { abs($0 - abs($1)) <= 1e-5 * largest })
        // The batching changes the sum only by rounding.
        let whole = TaylorScores.scores(net, images: images, labels: labels, batchSize: 40)
        for (a, b) in zip(whole.flatMap { $0 }, scores.flatMap { $0 }) { #expect(abs(a - b) <= 1e-4 * largest) }
    }

    @Test func scoringLeavesTheNetworkUntouched() {
        let net = network(.mlp(hidden: 5, depth: 1), seed: 3)
        spreadPosteriors(net, seed: 4)
        let before = net.allParameters.map(\.value.array)
        let masks = net.noiseLayers.map(\.mask)
        let (images, labels) = randomData(10, seed: 5)
        _ = TaylorScores.scores(net, images: images, labels: labels, batchSize: 4)
        #expect(net.allParameters.map(\.value.array) == before)
        #expect(net.noiseLayers.map(\.mask) == masks)
        #expect(net.noiseEnabled)
    }

    /// The shared `fisherYatesShuffle` (with Lemire's rejection step) gives the order the
    /// committed random curves were drawn with, when RandomPruningOrder had its own loop
    /// (multiply-high without rejection), for the networks' structure counts and the seeds
    /// of the shipped grids.
    @Test func randomOrderIsTheOneItWasBeforeTheSharedShuffle() {
        func previous(count: Int, seed: UInt64) -> [Int] {
            var rng = Xoshiro256(seed: seed ^ RandomPruningOrder.streamTag)
            var order = Array(0..<count)
            var i = count - 1
            while i > 0 {
                let j = Int(rng.next().multipliedFullWidth(by: UInt64(i + 1)).high)
                order.swapAt(i, j)
                i -= 1
            }
            var rank = [Int](repeating: 0, count: count)
            for (step, structure) in order.enumerated() { rank[structure] = step }
            return rank
        }
        for count in [0, 1, 2, 16, 58, 226, 250, 260, 1000, 4096] {
            for seed in Array(UInt64(0)..<12) + (1000..<1012).map(UInt64.init) + [50, 66, 100, 666, 744, 2001, 5000] {
                #expect(RandomPruningOrder.ranks(count: count, seed: seed) == previous(count: count, seed: seed),
                        "count \(count), seed \(seed)")
            }
        }
    }

    @Test func randomOrderIsASeededPermutation() {
        for n in [0, 1, 2, 7, 300] {
            let ranks = RandomPruningOrder.ranks(count: n, seed: 1000)
            #expect(ranks.sorted() == Array(0..<n), "not a permutation of 0..<\(n)")
            #expect(RandomPruningOrder.ranks(count: n, seed: 1000) == ranks, "not deterministic in its seed")
        }
        let a = RandomPruningOrder.ranks(count: 300, seed: 100), b = RandomPruningOrder.ranks(count: 300, seed: 1000)
        #expect(a != b)
        // Far from the identity and from each other (about one agreement expected by chance).
        #expect(zip(a, Array(0..<300)).filter { $0 == $1 }.count < 10)
        #expect(zip(a, b).filter { $0 == $1 }.count < 10)
        // Split per group in structure order, as scores.
        let grouped = RandomPruningOrder.scores(groupSizes: [200, 100], seed: 100)
        #expect(grouped.map(\.count) == [200, 100])
        #expect(grouped.flatMap { $0 } == a.map(Double.init))
        let net = network(.mlp(hidden: 4, depth: 1))
        #expect(RandomPruningOrder.scores(net, seed: 100) == RandomPruningOrder.scores(groupSizes: [4, 4], seed: 100))
    }

    @Test func randomLevelsAreNestedAndPruneTheirShare() {
        let scores = RandomPruningOrder.scores(groupSizes: [30, 20], seed: 7)
        var previous: [[Bool]] = []
        for level in stride(from: 0.0, through: 1.0, by: 0.1) {
            let keep = PruningDecision(scores: scores, order: .lowestFirst, fraction: level).keep
            #expect(keep.flatMap { $0 }.filter { !$0 }.count == Int((level * 50).rounded()))
            if !previous.isEmpty {
                #expect(zip(previous.flatMap { $0 }, keep.flatMap { $0 }).allSatisfy { !$1 || $0 }, "a pruned structure came back at \(level)")
            }
            previous = keep
        }
    }

    @Test func methodsParseAndArePostTrainingOnly() {
        #expect(PruningMethod("taylor") == .taylor)
        #expect(PruningMethod("random") == .random)
        #expect(PruningMethod.taylor.displayName == "Taylor (1st order)")
        #expect(PruningMethod.random.displayName == "Random")
        #expect(PruningMethod.postTrainingCriteria.allSatisfy { $0.isPostTrainingOnly && $0.prunes && !$0.isThresholdless })
        #expect(PruningMethod.taylor.criterion() == nil && PruningMethod.random.criterion() == nil)
        #expect(!PruningMethod.curveCriteria.contains { $0.isPostTrainingOnly })
        #expect(!PruningMethod.allMethods.contains { $0.isPostTrainingOnly })
        // The existing path through PruningDecision is unchanged by the scores initialiser.
        let statistics = Structures.statistics(network(.mlp(hidden: 5, depth: 1), seed: 2))
        let viaCriterion = PruningDecision(criterion: L2Criterion(), statistics: statistics, fraction: 0.4)
        let viaScores = PruningDecision(scores: statistics.map { $0.map(\.incomingNorm) }, order: .lowestFirst, fraction: 0.4)
        #expect(viaCriterion.keep == viaScores.keep && viaCriterion.scores == viaScores.scores)
    }
}
