/// A serialisable description of one layer (no values): what checkpoints store so that a
/// network of any shape, including a compacted one, can be rebuilt.
public enum LayerDescriptor: Codable, Hashable, Sendable {
    case dense(inputs: Int, outputs: Int)
    case conv2d(inChannels: Int, outChannels: Int, kernel: Int, height: Int, width: Int, channelMajorInput: Bool)
    case maxPool2d(channels: Int, height: Int, width: Int)
    case activation(ActivationFunction, size: Int)
    case flatten(channels: Int, height: Int, width: Int)
    case noise(units: Int, planeSize: Int, rows: Bool)

    public init(_ layer: any Layer) {
        switch layer {
        case let d as Dense: self = .dense(inputs: d.inputSize, outputs: d.outputSize)
        case let c as Conv2d:
            self = .conv2d(inChannels: c.inChannels, outChannels: c.outChannels, kernel: c.kernel,
                           height: c.inHeight, width: c.inWidth, channelMajorInput: c.inputLayout == .channelMajor)
        case let p as MaxPool2d: self = .maxPool2d(channels: p.channels, height: p.inHeight, width: p.inWidth)
        case let a as Activation: self = .activation(a.function, size: a.inputSize)
        case let f as Flatten: self = .flatten(channels: f.channels, height: f.planeSize, width: 1)
        case let n as NoiseLayer: self = .noise(units: n.units, planeSize: n.planeSize, rows: n.layout == .rows)
        default: preconditionFailure("LayerDescriptor: unknown layer \(type(of: layer))")
        }
    }

    /// A fresh layer of this shape (values zero / default).
    public func makeLayer(name: String) -> any Layer {
        switch self {
        case let .dense(i, o): Dense(input: i, output: o, name: name)
        case let .conv2d(ic, oc, k, h, w, cm):
            Conv2d(inChannels: ic, outChannels: oc, kernel: k, inHeight: h, inWidth: w,
                   inputLayout: cm ? .channelMajor : .imageMajor, name: name)
        case let .maxPool2d(c, h, w): MaxPool2d(channels: c, inHeight: h, inWidth: w)
        case let .activation(f, size): Activation(f, size: size)
        case let .flatten(c, h, w): Flatten(channels: c, height: h, width: w)
        case let .noise(units, plane, rows):
            NoiseLayer(units: units, planeSize: plane, layout: rows ? .rows : .channelMajor, name: name)
        }
    }
}
