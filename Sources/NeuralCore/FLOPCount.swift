/// Multiply–add counts of the weight layers (2 FLOPs each), the work that dominates.
public enum FLOPCount {
    /// Forward FLOPs for one example.
    public static func forwardPerExample(_ network: Network) -> Double {
        network.layers.reduce(0) { $0 + 2 * multiplyAdds($1) }
    }

    /// Forward + backward FLOPs for one example: each weight layer costs its forward again
    /// for dW and once more for dX, except the first layer, whose dX is not computed.
    public static func trainingPerExample(_ network: Network) -> Double {
        var total = 0.0
        for (i, layer) in network.layers.enumerated() {
            let f = 2 * multiplyAdds(layer)
            total += i == 0 ? 2 * f : 3 * f
        }
        return total
    }

    public static func multiplyAdds(_ layer: any Layer) -> Double {
        if let d = layer as? Dense { return Double(d.inputSize * d.outputSize) }
        if let c = layer as? Conv2d {
            return Double(c.outChannels * c.inChannels * c.kernel * c.kernel * c.outHeight * c.outWidth)
        }
        return 0
    }
}
