import NeuralCore

/// How removed parameters are counted (SPEC §6).
public enum ParameterCounting: String, Codable, Sendable, CaseIterable {
    /// This project's count: a pruned structure removes its incoming weights, its bias,
    /// its outgoing weights in the next layer (including conv → flatten → dense columns),
    /// and its μ and log σ. A weight between two pruned structures is counted once.
    case standard
    /// The released code's count: 2 per pruned structure (μ, log σ) plus every weight that
    /// is exactly zero after zeroing pruned rows and those pruned columns whose next
    /// weight matrix has one input per unit (so not conv → flatten → dense); biases never.
    case released
}

/// Neuron and parameter compression of a masked network (SPEC §6).
public struct CompressionReport: Codable, Sendable, Equatable {
    public var structures: Int
    public var prunedStructures: Int
    public var parameters: Int
    public var removedParameters: Int
    /// Kept structures per noise layer.
    public var keptPerLayer: [Int]
    public var counting: ParameterCounting

    /// Pruned structures / all structures, in %.
    public var neuronCompression: Double { structures == 0 ? 0 : 100 * Double(prunedStructures) / Double(structures) }
    /// Removed parameters / all trainable parameters (weights, biases, μ, log σ), in %.
    public var parameterCompression: Double { parameters == 0 ? 0 : 100 * Double(removedParameters) / Double(parameters) }
    /// True when some noise layer has no structure left (a global percentile can empty one).
    public var layerCollapsed: Bool { keptPerLayer.contains(0) }

    public init(structures: Int, prunedStructures: Int, parameters: Int, removedParameters: Int,
                keptPerLayer: [Int], counting: ParameterCounting) {
        self.structures = structures
        self.prunedStructures = prunedStructures
        self.parameters = parameters
        self.removedParameters = removedParameters
        self.keptPerLayer = keptPerLayer
        self.counting = counting
    }

    public init(network: Network, keep: [[Bool]]? = nil, counting: ParameterCounting = .standard) {
        let keep = keep ?? Structures.keepFlags(network)
        self.counting = counting
        structures = keep.reduce(0) { $0 + $1.count }
        prunedStructures = keep.reduce(0) { $0 + $1.filter { !$0 }.count }
        keptPerLayer = keep.map { $0.filter { $0 }.count }
        parameters = CompressionReport.trainableParameters(of: network)
        removedParameters = CompressionReport.removed(network: network, keep: keep, counting: counting)
    }

    /// Every trainable parameter: weights, biases, and μ and log σ of every noise layer
    /// (counted even when noise is off, so that all methods share one denominator).
    public static func trainableParameters(of network: Network) -> Int {
        network.layers.reduce(0) { total, layer in
            if let noise = layer as? NoiseLayer { return total + 2 * noise.units }
            return total + layer.parameters.reduce(0) { $0 + $1.count }
        }
    }

    static func removed(network: Network, keep: [[Bool]], counting: ParameterCounting) -> Int {
        var removed = 2 * keep.reduce(0) { $0 + $1.filter { !$0 }.count }
        // For each weight layer: which output rows and which input columns are pruned.
        for layer in network.layers where layer is Dense || layer is Conv2d {
            let (weights, fanIn) = Structures.weightMatrix(layer)
            let outputs = Structures.outputs(layer)
            var rowPruned = [Bool](repeating: false, count: outputs)
            var columnPruned = [Bool](repeating: false, count: fanIn)
            if let g = network.groups.firstIndex(where: { $0.producer === layer }) {
                rowPruned = keep[g].map { !$0 }
            }
            if let g = network.groups.firstIndex(where: { $0.consumer === layer }) {
                let units = network.groups[g].noise.units
                let (perStructure, _) = Structures.inputColumns(of: layer, units: units)
                let columnsFollowUnits = counting == .standard || layer is Conv2d || perStructure == 1
                if columnsFollowUnits {
                    for s in 0..<units where !keep[g][s] {
                        for c in (s * perStructure)..<((s + 1) * perStructure) { columnPruned[c] = true }
                    }
                }
            }
            switch counting {
            case .standard:
                for r in 0..<outputs {
                    for c in 0..<fanIn where rowPruned[r] || columnPruned[c] { removed += 1 }
                    if rowPruned[r] { removed += 1 }  // the pruned unit's bias
                }
            case .released:
                for r in 0..<outputs {
                    for c in 0..<fanIn where rowPruned[r] || columnPruned[c] || weights[r * fanIn + c] == 0 { removed += 1 }
                }
            }
        }
        return removed
    }
}

/// The released code's in-place zeroing (SPEC §5): incoming weights (rows) of pruned
/// structures, and their outgoing weights (columns) where the next weight matrix has one
/// input per unit. Biases are left alone.
public func zeroPrunedWeights(_ network: Network) {
    for group in network.groups {
        let (weights, fanIn) = Structures.weightMatrix(group.producer)
        for s in 0..<group.noise.units where group.noise.mask[s] == 0 {
            (weights + s * fanIn).update(repeating: 0, count: fanIn)
        }
        let (next, nextFanIn) = Structures.weightMatrix(group.consumer)
        let (perStructure, _) = Structures.inputColumns(of: group.consumer, units: group.noise.units)
        guard group.consumer is Conv2d || perStructure == 1 else { continue }
        let rows = Structures.outputs(group.consumer)
        for s in 0..<group.noise.units where group.noise.mask[s] == 0 {
            for r in 0..<rows {
                (next + r * nextFanIn + s * perStructure).update(repeating: 0, count: perStructure)
            }
        }
    }
}
