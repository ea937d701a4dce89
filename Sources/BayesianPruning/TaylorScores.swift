import NeuralCore

/// First-order Taylor importance of every structure (Molchanov, Tyree, Karras, Aila, Kautz
/// 2017; Molchanov, Mallya, Tyree, Frosio, Kautz 2019): the gradient-based pruning that the
/// BMRS paper's appendix compares with, as a post-training criterion (`PruningMethod.taylor`).
///
/// **Structure parameters.** Structure s of a prunable group (as `Structures` groups them: a
/// unit of a dense layer or an output channel of a conv layer, one noise variable θ_s each)
/// owns the parameters of its producer layer that compute it:
///
///     P_s = { W[s, ·] (dense row s, or conv output channel s's whole C_in·k·k kernel), b_s }
///
/// the incoming weights whose norm is the L2 criterion's score, plus the structure's bias.
/// Not in P_s: μ_s and log σ_s (the noise posterior, scored by the other criteria), and the
/// outgoing weights in the consumer layer (inputs of the next layer's structures).
///
/// **Score.** With L the training objective's data term, the cross-entropy averaged over all
/// N examples of one pass of the training data (L = Σ_b (n_b/N)·L_b over batches b of n_b
/// examples, L_b the batch-mean cross-entropy; the KL term does not depend on P_s):
///
///     T_s = | Σ_b (n_b/N) · Σ_{p ∈ P_s} p · ∂L_b/∂p | = | Σ_{p ∈ P_s} p · ∂L/∂p |
///
/// The sum over the pass is taken before the absolute value (Molchanov's "|Σ over the pass
/// of Σ_params θ·g|", not a sum of per-batch absolute values). It is the first-order change
/// of L when the structure is removed: scaling P_s by α scales the structure's
/// pre-activation by α, d L/dα at α = 1 equals Σ_{p ∈ P_s} p·∂L/∂p, and removing the
/// structure is α = 0. Lowest T_s is pruned first; a pruned structure (mask 0) scores 0.
///
/// **Mode.** The network is scored as the other post-training criteria score it: the trained
/// posterior as it stands (masks as set; all kept for the curves' unpruned model), in
/// evaluation mode, θ = E[θ]·mask: deterministic, no noise drawn. The noise layers have no
/// backward pass after an evaluation forward, so the pass runs on `Compaction.compact`, in
/// which each E[θ] is folded into the consumer's input columns: the same function of the
/// inputs, and a rescaling of a weight leaves p·∂L/∂p unchanged, so T_s is that of the
/// network itself (tested against central differences of L(α) on it). The batching of the
/// pass does not change T_s apart from rounding; products are summed in Float64.
public enum TaylorScores {
    /// The signed first-order terms Σ_{p ∈ P_s} p·∂L/∂p per group, per structure (T_s is
    /// their absolute value), over `count` examples read in order from `images`
    /// (count × input size, the network's input layout) and `labels`, in batches of
    /// `batchSize`.
    ///
    /// - Precondition: `count ≥ 1`, `batchSize ≥ 1`, every group keeps at least one structure.
    public static func firstOrderTerms(_ network: Network, images: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                       count: Int, batchSize: Int) -> [[Double]] {
        precondition(count >= 1 && batchSize >= 1, "TaylorScores: \(count) examples in batches of \(batchSize)")
        for (g, group) in network.groups.enumerated() {
            precondition(group.noise.mask.contains { $0 != 0 }, "TaylorScores: group \(g) has every structure pruned")
        }
        let compact = Compaction.compact(network, maxBatch: batchSize)
        let weightLayers = network.layers.filter { $0 is Dense || $0 is Conv2d }
        let compactWeights = compact.layers.filter { $0 is Dense || $0 is Conv2d }
        precondition(weightLayers.count == compactWeights.count,
                     "TaylorScores: \(weightLayers.count) weight layers, \(compactWeights.count) after compaction")
        // Per group: the compacted producer and which structure each of its rows is.
        let producers = network.groups.map { group -> (layer: any Layer, kept: [Int]) in
            let index = weightLayers.firstIndex { $0 === group.producer }!
            return (compactWeights[index], (0..<group.noise.units).filter { group.noise.mask[$0] != 0 })
        }
        var terms = network.groups.map { [Double](repeating: 0, count: $0.noise.units) }
        let classes = compact.classes
        let logitGradient = UnsafeMutablePointer<Float>.allocate(capacity: batchSize * classes)
        defer { logitGradient.deallocate() }
        let inputSize = compact.layers[0].inputSize
        var context = StepContext.evaluation
        var start = 0
        while start < count {
            let n = min(batchSize, count - start)
            compact.zeroGradients()
            let logits = compact.forward(images + start * inputSize, batch: n, context: &context)
            _ = softmaxCrossEntropy(logits: logits, labels: labels + start, batch: n, classes: classes, gradient: logitGradient)
            compact.backward(UnsafePointer(logitGradient), batch: n)
            let share = Double(n) / Double(count)
            for (g, producer) in producers.enumerated() {
                let (weight, bias, fanIn) = parameters(of: producer.layer)
                let w = weight.value.pointer, dw = weight.gradient.pointer
                for (row, s) in producer.kept.enumerated() {
                    var sum = Double(bias.value[row]) * Double(bias.gradient[row])
                    for i in (row * fanIn)..<((row + 1) * fanIn) { sum += Double(w[i]) * Double(dw[i]) }
                    terms[g][s] += share * sum
                }
            }
            start += n
        }
        return terms
    }

    /// T_s = |Σ_{p ∈ P_s} p·∂L/∂p| per group, per structure (see the type's documentation).
    public static func scores(_ network: Network, images: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                              count: Int, batchSize: Int) -> [[Double]] {
        firstOrderTerms(network, images: images, labels: labels, count: count, batchSize: batchSize).map { $0.map(abs) }
    }

    /// `scores` over arrays (count = labels.count).
    public static func scores(_ network: Network, images: [Float], labels: [Int32], batchSize: Int) -> [[Double]] {
        images.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                scores(network, images: x.baseAddress!, labels: y.baseAddress!, count: labels.count, batchSize: batchSize)
            }
        }
    }

    /// Weight (rows = outputs), bias and fan-in of a Dense or Conv2d layer.
    static func parameters(of layer: any Layer) -> (weight: Parameter, bias: Parameter, fanIn: Int) {
        if let d = layer as? Dense { return (d.weight, d.bias, d.inputSize) }
        if let c = layer as? Conv2d { return (c.weight, c.bias, c.inChannels * c.kernel * c.kernel) }
        preconditionFailure("not a weight layer: \(type(of: layer))")
    }
}
