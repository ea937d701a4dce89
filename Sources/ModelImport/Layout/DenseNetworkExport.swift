import Foundation
import NeuralCore

/// A compacted (dense, noise-free) network as tensors keyed like a PyTorch `nn.Sequential`
/// of its layers, plus a JSON description of that Sequential, so that it can be rebuilt
/// anywhere without bmrs:
///
///     layers = {"linear": lambda l: nn.Linear(l["in"], l["out"]), "tanh": lambda l: nn.Tanh(), …}
///     model = nn.Sequential(*[layers[l["kind"]](l) for l in arch["layers"]])
///     model.load_state_dict(safetensors.torch.load_file("compact.safetensors"))
///
/// Layer i of the Sequential is our i-th layer; those with values own `<i>.weight` and
/// `<i>.bias` (shapes as in PyTorch). The input is what the original network takes: an
/// (N, 1024·C) batch for the MLP, (N, C, 32, 32) for LeNet5.
public enum DenseNetworkExport {
    public struct Architecture: Codable, Equatable, Sendable {
        public struct Layer: Codable, Equatable, Sendable {
            /// linear, conv2d, tanh, relu, maxpool2d, flatten.
            public var kind: String
            /// Position in the Sequential (the key prefix of its tensors).
            public var index: Int
            public var inFeatures: Int?
            public var outFeatures: Int?
            public var inChannels: Int?
            public var outChannels: Int?
            public var kernel: Int?
            enum CodingKeys: String, CodingKey {
                case kind, index, kernel
                case inFeatures = "in_features", outFeatures = "out_features"
                case inChannels = "in_channels", outChannels = "out_channels"
            }
        }

        public var format = "bmrs compacted network (nn.Sequential)"
        /// The network it was compacted from (`NetworkSpec`'s description).
        public var source: String
        /// Shape of one input example: [1024·C] (MLP) or [C, 32, 32] (LeNet5).
        public var input: [Int]
        public var layers: [Layer]
        enum CodingKeys: String, CodingKey { case format, source, input, layers }
    }

    /// The tensors and architecture of `network`, which must have no noise layers.
    public static func export(_ network: Network, path: String) throws -> (tensors: [ImportedTensor], architecture: Architecture) {
        guard network.noiseLayers.isEmpty else {
            throw ModelImportError(path: path, problem: "not a compacted network", expected: "a dense network without noise layers (the output of compaction)",
                                   found: "\(network.noiseLayers.count) noise layers")
        }
        var tensors: [ImportedTensor] = []
        var layers: [Architecture.Layer] = []
        func values(_ index: Int, _ p: Parameter, _ name: String) {
            tensors.append(ImportedTensor(key: "\(index).\(name)", dtype: .float32, shape: p.shape, bytes: float32Bytes(p.value.array)))
        }
        for (index, layer) in network.layers.enumerated() {
            var entry = Architecture.Layer(kind: "", index: index)
            switch layer {
            case let d as Dense:
                entry.kind = "linear"; entry.inFeatures = d.inputSize; entry.outFeatures = d.outputSize
                values(index, d.weight, "weight"); values(index, d.bias, "bias")
            case let c as Conv2d:
                entry.kind = "conv2d"; entry.inChannels = c.inChannels; entry.outChannels = c.outChannels; entry.kernel = c.kernel
                values(index, c.weight, "weight"); values(index, c.bias, "bias")
            case let a as Activation:
                entry.kind = a.function.rawValue
            case is MaxPool2d:
                entry.kind = "maxpool2d"; entry.kernel = 2
            case is Flatten:
                entry.kind = "flatten"
            default:
                throw ModelImportError(path: path, problem: "layer without a PyTorch counterpart here", expected: "Dense, Conv2d, Activation, MaxPool2d or Flatten",
                                       found: "\(type(of: layer)) at position \(index)")
            }
            layers.append(entry)
        }
        let spec = network.spec
        let input = spec.kind == .mlp ? [NetworkSpec.imageSide * NetworkSpec.imageSide * spec.inputChannels]
                                      : [spec.inputChannels, NetworkSpec.imageSide, NetworkSpec.imageSide]
        return (tensors, Architecture(source: spec.description, input: input, layers: layers))
    }

    /// The architecture as pretty, key-sorted JSON (a line per field: stable diffs).
    public static func json(_ architecture: Architecture) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(architecture) + Data("\n".utf8)
    }
}
