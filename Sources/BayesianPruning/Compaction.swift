import Dispatch
import NeuralCore

/// Turns a pruned network into the smaller dense network it implies: pruned units and
/// conv channels are removed from their producing layer (rows/kernels and biases) and from
/// the consuming layer (columns / input-channel slices), and each kept structure's
/// evaluation multiplier E[θ] (1 with noise off) is folded into the consumer's weights, so
/// the noise layers disappear. Max pooling commutes with the positive per-channel scale,
/// so folding across `conv → ReLU → noise → pool → …` is exact up to rounding.
public enum Compaction {
    public static func compact(_ network: Network, maxBatch: Int = 500) -> Network {
        var layers: [any Layer] = []
        // Kept structures of the last noise layer and their multipliers, waiting for the
        // next weight layer; and how many outputs the last weight layer kept of how many.
        var pending: (keep: [Int], scale: [Float], units: Int)?
        var keptOutputs = 0, allOutputs = 1
        var index = 0
        for layer in network.layers {
            index += 1
            switch layer {
            case let d as Dense:
                let rows = keptRows(of: d, in: network)
                let (columns, scales) = keptColumns(fanIn: d.inputSize, pending: pending, perStructure: pending.map { d.inputSize / $0.units } ?? 1)
                let new = Dense(input: columns.count, output: rows.count, name: "fc\(index)")
                for (r, row) in rows.enumerated() {
                    for (c, (col, scale)) in zip(columns, scales).enumerated() {
                        new.weight.value[r * columns.count + c] = d.weight.value[row * d.inputSize + col] * scale
                    }
                    new.bias.value[r] = d.bias.value[row]
                }
                layers.append(new)
                pending = nil
                keptOutputs = rows.count; allOutputs = d.outputSize
            case let cv as Conv2d:
                let rows = keptRows(of: cv, in: network)
                let k2 = cv.kernel * cv.kernel
                let channels = pending?.keep ?? Array(0..<cv.inChannels)
                let scales = pending?.scale ?? [Float](repeating: 1, count: cv.inChannels)
                let new = Conv2d(inChannels: channels.count, outChannels: rows.count, kernel: cv.kernel,
                                 inHeight: cv.inHeight, inWidth: cv.inWidth, inputLayout: cv.inputLayout, name: "conv\(index)")
                let newFanIn = channels.count * k2, oldFanIn = cv.inChannels * k2
                for (r, row) in rows.enumerated() {
                    for (c, (channel, scale)) in zip(channels, scales).enumerated() {
                        for k in 0..<k2 {
                            new.weight.value[r * newFanIn + c * k2 + k] = cv.weight.value[row * oldFanIn + channel * k2 + k] * scale
                        }
                    }
                    new.bias.value[r] = cv.bias.value[row]
                }
                layers.append(new)
                pending = nil
                keptOutputs = rows.count; allOutputs = cv.outChannels
            case let noise as NoiseLayer:
                let keep = (0..<noise.units).filter { noise.mask[$0] != 0 }
                let multipliers = noise.enabled ? noise.expectedThetaMasked() : [Float](repeating: 1, count: noise.units)
                pending = (keep, keep.map { multipliers[$0] }, noise.units)
            case let a as Activation:
                layers.append(Activation(a.function, size: a.inputSize / allOutputs * keptOutputs))
            case let p as MaxPool2d:
                layers.append(MaxPool2d(channels: keptOutputs, inHeight: p.inHeight, inWidth: p.inWidth))
            case let f as Flatten:
                layers.append(Flatten(channels: keptOutputs, height: f.planeSize, width: 1))
            default:
                preconditionFailure("Compaction: unsupported layer \(type(of: layer))")
            }
        }
        return Network(layers: layers, spec: network.spec, maxBatch: maxBatch)
    }

    private static func keptRows(of layer: any Layer, in network: Network) -> [Int] {
        if let group = network.groups.first(where: { $0.producer === layer }) {
            return (0..<group.noise.units).filter { group.noise.mask[$0] != 0 }
        }
        return Array(0..<Structures.outputs(layer))
    }

    /// Input columns kept by a dense consumer and the multiplier of each.
    private static func keptColumns(fanIn: Int, pending: (keep: [Int], scale: [Float], units: Int)?,
                                    perStructure: Int) -> ([Int], [Float]) {
        guard let pending else { return (Array(0..<fanIn), [Float](repeating: 1, count: fanIn)) }
        var columns: [Int] = [], scales: [Float] = []
        for (s, scale) in zip(pending.keep, pending.scale) {
            for c in (s * perStructure)..<((s + 1) * perStructure) { columns.append(c); scales.append(scale) }
        }
        return (columns, scales)
    }
}

/// What compaction bought: sizes, FLOPs, agreement with the masked network, and speed.
public struct CompactionReport: Codable, Sendable {
    public var parametersBefore: Int
    public var parametersAfter: Int
    public var forwardFlopsBefore: Double
    public var forwardFlopsAfter: Double
    /// Largest |logit difference| between masked and compacted network over the images,
    /// both evaluated in Float32 as they are used (includes BLAS rounding of each).
    public var maxLogitDifference: Double
    /// The same in Float64 arithmetic on the first `exactImages` images: checks that the
    /// transformation itself is exact, apart from Float32 rounding.
    /// (Optional so that records written before this field existed still decode.)
    public var maxLogitDifferenceFloat64: Double?
    public var exactImages: Int?
    /// Largest |logit| seen, to put the differences in scale.
    public var maxAbsoluteLogit: Double?
    public var predictionsAgree: Double
    public var secondsMasked: Double
    public var secondsCompact: Double
    public var speedup: Double { secondsCompact > 0 ? secondsMasked / secondsCompact : 0 }
}

extension CompactionReport {
    /// Compares `masked` and `compact` on `images` (count × inputSize): logits (Float32 on
    /// all images, Float64 on the first `exactImages`), agreement of predicted classes,
    /// sizes, forward FLOPs, and evaluation time (best of `repeats`).
    public init(masked: Network, compact: Network, images: [Float], count: Int, repeats: Int = 3, exactImages: Int = 200) {
        func timed(_ net: Network) -> ([Float], Double) {
            var best = Double.infinity
            var out: [Float] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                out = images.withUnsafeBufferPointer { net.logits($0.baseAddress!, count: count) }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return (out, best)
        }
        let (a, ta) = timed(masked)
        let (b, tb) = timed(compact)
        var maxDiff = 0.0, maxLogit = 0.0
        for i in 0..<a.count { maxDiff = max(maxDiff, Double(abs(a[i] - b[i]))); maxLogit = max(maxLogit, Double(abs(a[i]))) }
        let exact = min(exactImages, count)
        let (ea, eb) = images.withUnsafeBufferPointer {
            (Float64Reference.logits(masked, images: $0.baseAddress!, count: exact),
             Float64Reference.logits(compact, images: $0.baseAddress!, count: exact))
        }
        var maxExact = 0.0
        for i in 0..<ea.count { maxExact = max(maxExact, abs(ea[i] - eb[i])) }
        var agree = 0
        for n in 0..<count {
            let ra = a[(n * 10)..<(n * 10 + 10)], rb = b[(n * 10)..<(n * 10 + 10)]
            if ra.firstIndex(of: ra.max()!) == rb.firstIndex(of: rb.max()!) { agree += 1 }
        }
        self.init(parametersBefore: CompressionReport.trainableParameters(of: masked),
                  parametersAfter: compact.allParameters.reduce(0) { $0 + $1.count },
                  forwardFlopsBefore: FLOPCount.forwardPerExample(masked),
                  forwardFlopsAfter: FLOPCount.forwardPerExample(compact),
                  maxLogitDifference: maxDiff, maxLogitDifferenceFloat64: maxExact, exactImages: exact,
                  maxAbsoluteLogit: maxLogit, predictionsAgree: count == 0 ? 1 : Double(agree) / Double(count),
                  secondsMasked: ta, secondsCompact: tb)
    }
}
