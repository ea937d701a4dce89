import Foundation

/// Evaluation-mode forward pass in Float64 with plain loops: a slow, order-independent
/// reference for checking transformations of a network (e.g. compaction) apart from the
/// Float32 rounding that BLAS's blocking puts into every GEMM.
public enum Float64Reference {
    /// Logits (count × 10) of `network` in evaluation mode (θ = E[θ]·mask, computed in Float64).
    public static func logits(_ network: Network, images: UnsafePointer<Float>, count: Int) -> [Double] {
        var result: [Double] = []
        result.reserveCapacity(count * network.classes)
        let inputSize = network.layers[0].inputSize
        for n in 0..<count {
            // One image at a time, so layouts reduce to (C, H, W) and rows.
            var x = (0..<inputSize).map { Double(images[n * inputSize + $0]) }
            for layer in network.layers { x = forward(layer, x) }
            result += x
        }
        return result
    }

    static func forward(_ layer: any Layer, _ x: [Double]) -> [Double] {
        switch layer {
        case let d as Dense:
            return (0..<d.outputSize).map { o in
                var s = Double(d.bias.value[o])
                for k in 0..<d.inputSize { s += Double(d.weight.value[o * d.inputSize + k]) * x[k] }
                return s
            }
        case let c as Conv2d:
            let oh = c.outHeight, ow = c.outWidth, k = c.kernel
            var y = [Double](repeating: 0, count: c.outChannels * oh * ow)
            for o in 0..<c.outChannels {
                for i in 0..<oh {
                    for j in 0..<ow {
                        var s = Double(c.bias.value[o])
                        for ic in 0..<c.inChannels {
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    s += Double(c.weight.value[((o * c.inChannels + ic) * k + ky) * k + kx])
                                        * x[(ic * c.inHeight + i + ky) * c.inWidth + j + kx]
                                }
                            }
                        }
                        y[(o * oh + i) * ow + j] = s
                    }
                }
            }
            return y
        case let p as MaxPool2d:
            let oh = p.inHeight / 2, ow = p.inWidth / 2
            var y = [Double](repeating: 0, count: p.channels * oh * ow)
            for c in 0..<p.channels {
                for i in 0..<oh {
                    for j in 0..<ow {
                        let base = (c * p.inHeight + 2 * i) * p.inWidth + 2 * j
                        y[(c * oh + i) * ow + j] = max(max(x[base], x[base + 1]), max(x[base + p.inWidth], x[base + p.inWidth + 1]))
                    }
                }
            }
            return y
        case let a as Activation:
            return a.function == .tanh ? x.map { Foundation.tanh($0) } : x.map { max($0, 0) }
        case is Flatten:
            return x  // one image: (C, H, W) is already the flattened order
        case let noise as NoiseLayer:
            let theta = (0..<noise.units).map { s in
                (noise.enabled ? noise.posterior(s).expectedTheta : 1) * Double(noise.mask[s])
            }
            return x.enumerated().map { $1 * theta[$0 / noise.planeSize] }
        default:
            preconditionFailure("Float64Reference: unsupported layer \(type(of: layer))")
        }
    }
}
