import NeuralCore
import NoiseStatistics

/// Reads and writes the prunable structures of a network: one group per noise layer,
/// with the weight layer producing its structures and the one consuming them.
public enum Structures {
    /// L2 norms of each structure's incoming weights (dense row or conv output channel's kernel).
    public static func incomingNorms(_ group: PrunableGroup) -> [Double] {
        let (weights, fanIn) = weightMatrix(group.producer)
        return (0..<group.noise.units).map { s in
            var sum = 0.0
            for i in 0..<fanIn { let w = Double(weights[s * fanIn + i]); sum += w * w }
            return sum.squareRoot()
        }
    }

    /// Per group, per structure: posterior and incoming norm.
    public static func statistics(_ network: Network) -> [[StructureStatistics]] {
        network.groups.map { group in
            let norms = incomingNorms(group)
            return (0..<group.noise.units).map {
                StructureStatistics(posterior: group.noise.posterior($0), incomingNorm: norms[$0])
            }
        }
    }

    /// Current keep flags per group (mask 1 = kept).
    public static func keepFlags(_ network: Network) -> [[Bool]] {
        network.groups.map { $0.noise.mask.map { $0 != 0 } }
    }

    /// Sets the masks; returns how many structures were pruned before and are kept now.
    @discardableResult
    public static func apply(_ keep: [[Bool]], to network: Network) -> Int {
        precondition(keep.count == network.groups.count, "apply: \(keep.count) mask groups for \(network.groups.count) layers")
        var cameBack = 0
        for (group, flags) in zip(network.groups, keep) {
            precondition(flags.count == group.noise.units, "apply: \(flags.count) flags for \(group.noise.units) structures")
            for s in 0..<flags.count {
                if group.noise.mask[s] == 0 && flags[s] { cameBack += 1 }
                group.noise.mask[s] = flags[s] ? 1 : 0
            }
        }
        return cameBack
    }

    /// The weight matrix of a Dense or Conv2d layer as (values, fan-in), rows = outputs.
    static func weightMatrix(_ layer: any Layer) -> (UnsafeMutablePointer<Float>, Int) {
        if let d = layer as? Dense { return (d.weight.value.pointer, d.inputSize) }
        if let c = layer as? Conv2d { return (c.weight.value.pointer, c.inChannels * c.kernel * c.kernel) }
        preconditionFailure("not a weight layer: \(type(of: layer))")
    }

    static func outputs(_ layer: any Layer) -> Int {
        if let d = layer as? Dense { return d.outputSize }
        if let c = layer as? Conv2d { return c.outChannels }
        preconditionFailure("not a weight layer: \(type(of: layer))")
    }

    /// For a consumer layer, the input columns that belong to structure s of the group
    /// feeding it: dense after dense → column s; dense after conv+pool+flatten → the s-th
    /// block of H·W columns; conv after conv → the s-th input channel's k×k slice.
    static func inputColumns(of consumer: any Layer, units: Int) -> (columnsPerStructure: Int, fanIn: Int) {
        if let d = consumer as? Dense { return (d.inputSize / units, d.inputSize) }
        if let c = consumer as? Conv2d { return (c.kernel * c.kernel, c.inChannels * c.kernel * c.kernel) }
        preconditionFailure("not a weight layer: \(type(of: consumer))")
    }
}

/// The pruning decisions of one criterion on a trained network.
public struct PruningDecision {
    /// Per group, per structure: the criterion's score.
    public var scores: [[Double]]
    /// Per group, per structure: kept?
    public var keep: [[Bool]]

    /// The criterion's default rule on every structure.
    public init(criterion: any PruningCriterion, statistics: [[StructureStatistics]]) {
        scores = statistics.map { $0.map(criterion.score) }
        keep = scores.map { $0.map { !criterion.prunes(score: $0) } }
    }

    /// The percentile rule over all structures of the network (SPEC §5 matched
    /// compression, §6 curves): prune `fraction` of them, first in pruning order.
    public init(criterion: any PruningCriterion, statistics: [[StructureStatistics]], fraction: Double) {
        self.init(scores: statistics.map { $0.map(criterion.score) }, order: criterion.order, fraction: fraction)
    }

    /// The percentile rule on scores given per group, per structure (criteria whose scores
    /// need the whole network: `TaylorScores`, `RandomPruningOrder`).
    public init(scores: [[Double]], order: PruningOrder, fraction: Double) {
        self.scores = scores
        let flat = percentileMask(scores: scores.flatMap { $0 }, order: order, fraction: fraction)
        var keep: [[Bool]] = []
        var i = 0
        for group in scores {
            keep.append(Array(flat[i..<(i + group.count)]))
            i += group.count
        }
        self.keep = keep
    }

    /// Keeps a structure only if `previous` kept it too (sticky masks).
    public mutating func intersect(with previous: [[Bool]]) {
        keep = zip(keep, previous).map { zip($0, $1).map { $0 && $1 } }
    }
}
