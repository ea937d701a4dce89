import SeededRandom
import NeuralCore

/// Our network as the state_dict of the authors' `nn.Sequential` (the layouts of
/// `AuthorsLayout`), so that their code can `load_state_dict` it (strict: exactly their
/// keys, shapes and types) and our readers read it back unchanged:
///
/// - Linear/Conv2d: `<k>.weight`, `<k>.bias` as ours ((out, in) and (out, in, 5, 5), as in PyTorch).
/// - every noise layer, in their registration order: `umin` (1,) = 0, `umax` (1,) = 1 (the
///   bounds of the uniform draw in their reparameterisation), `mu`, `logsigma`, `mask` —
///   shaped (C,) after a dense layer and (C, 1, 1) after a convolution (their layer pads
///   the non-channel axes with 1s) — and, for their BMRS_N layer class only,
///   `pruning_eps`: a 0-d float64 tensor holding √1e-12 = 1e-6 (the σ of its reduced prior).
///
/// The key set depends on which of their noise-layer classes the model is to be loaded
/// into, because only their BMRS_N class registers `pruning_eps`.
public enum AuthorsStateDict {
    /// The authors' noise-layer classes (`train.py --pruning_class`).
    public enum NoiseClass: String, CaseIterable, Sendable {
        /// SNR pruning, their default.
        case snr = "LogUniformPruningLayer"
        case l2 = "LogUniformL2NormPruningLayer"
        /// BMRS_N: the only class with `pruning_eps`.
        case bmrsN = "LogUniformApproximateDiracBMRPruningLayer"
        /// BMRS_U.
        case bmrsU = "LogUniformCDFBMRPruningLayer"

        public var hasPruningEps: Bool { self == .bmrsN }
    }

    /// BMRS_N's reduced-prior σ as their layer stores it: `np.sqrt(1e-12)`.
    public static let pruningEps = (1e-12 as Double).squareRoot()

    /// The state_dict of `network`, in their key order. The network must be the uncompacted
    /// MLP or LeNet5 of its spec (a compacted network has no noise layers and other shapes).
    public static func tensors(of network: Network, noiseClass: NoiseClass = .snr, path: String) throws -> [ImportedTensor] {
        let spec = network.spec
        var rng = Xoshiro256(seed: 0)
        let reference = Network(spec: spec, maxBatch: 1, rng: &rng)
        guard network.layers.map(LayerDescriptor.init) == reference.layers.map(LayerDescriptor.init) else {
            throw ModelImportError(path: path, problem: "not exportable in the authors' layout",
                                   expected: "the uncompacted \(spec) (\(reference.layers.count) layers with \(reference.noiseLayers.count) noise layers)",
                                   found: "\(network.layers.count) layers with \(network.noiseLayers.count) noise layers (a compacted network? export the checkpoint before compaction)")
        }
        let parameters = Dictionary(uniqueKeysWithValues: network.allParameters.map { ($0.name, $0) })
        let noise = Dictionary(uniqueKeysWithValues: network.noiseLayers.map { (String($0.mu.name.dropLast(".mu".count)), $0) })
        var out: [ImportedTensor] = []
        func add(_ key: String, _ shape: [Int], _ values: [Float]) {
            precondition(values.count == shape.reduce(1, *), "AuthorsStateDict: \(key) has \(values.count) values for \(shape)")
            out.append(ImportedTensor(key: key, dtype: .float32, shape: shape, bytes: float32Bytes(values)))
        }
        for module in AuthorsLayout.modules(of: spec) {
            if module.isNoise {
                guard let layer = noise[module.ours] else { preconditionFailure("AuthorsStateDict: no noise layer \(module.ours)") }
                // Their conv noise is (C, 1, 1) so that it broadcasts over (N, C, H, W).
                let shape = layer.planeSize > 1 ? [layer.units, 1, 1] : [layer.units]
                add(module.theirs + ".umin", [1], [0])
                add(module.theirs + ".umax", [1], [1])
                add(module.theirs + ".mu", shape, layer.mu.value.array)
                add(module.theirs + ".logsigma", shape, layer.logSigma.value.array)
                add(module.theirs + ".mask", shape, layer.mask)
                if noiseClass.hasPruningEps {
                    out.append(ImportedTensor(key: module.theirs + ".pruning_eps", dtype: .float64, shape: [],
                                              bytes: withUnsafeBytes(of: pruningEps.bitPattern.littleEndian, Array.init)))
                }
            } else {
                for name in ["weight", "bias"] {
                    guard let p = parameters["\(module.ours).\(name)"] else { preconditionFailure("AuthorsStateDict: no parameter \(module.ours).\(name)") }
                    add("\(module.theirs).\(name)", p.shape, p.value.array)
                }
            }
        }
        return out
    }
}

/// Float32 values as little-endian bytes (the element encoding of all three formats).
func float32Bytes(_ values: [Float]) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 4 * values.count)
    for (i, v) in values.enumerated() {
        let b = v.bitPattern.littleEndian
        bytes[4 * i] = UInt8(truncatingIfNeeded: b); bytes[4 * i + 1] = UInt8(truncatingIfNeeded: b >> 8)
        bytes[4 * i + 2] = UInt8(truncatingIfNeeded: b >> 16); bytes[4 * i + 3] = UInt8(truncatingIfNeeded: b >> 24)
    }
    return bytes
}
