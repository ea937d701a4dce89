import NeuralCore

/// The key layouts of the authors' networks (their `modules/classifiers.py`, both
/// `nn.Sequential`), recognised from key names and shapes:
///
/// - MLP: `0.weight` (H, 1024·C), `0.bias`, noise `2.*`; blocks `k.0.weight`, `k.0.bias`,
///   noise `k.2.*` for k = 3 … 2+D; head `(3+D).weight` (10, H), `(3+D).bias`.
/// - LeNet5: conv `0.*` (6C, C, 5, 5), noise `2.*`; conv `4.*`, noise `6.*`; linear `9.*`,
///   noise `11.*`; linear `12.*`, noise `14.*`; linear `15.*` (10, 84C).
///
/// A noise layer's `mu`, `logsigma` and `mask` are our values; its `umin`, `umax` and
/// `pruning_eps` (sampling bounds and BMRS_N's constant) are fixed by the method and ignored.
enum AuthorsLayout {
    static let noiseExtras = ["umin", "umax", "pruning_eps"]

    /// The mapping for the authors' layout that `keys` follow, under `prefix` (e.g. "module."
    /// from DataParallel), or nil when they follow neither.
    static func detect(_ file: TensorFile, prefix: String = "") -> ParameterMapping? {
        guard let first = file[prefix + "0.weight"] else { return nil }
        var builder = Builder(file: file, prefix: prefix)
        if first.shape.count == 2, first.shape[1] % 1024 == 0, first.shape[1] > 0, file[prefix + "2.mu"] != nil {
            var depth = 0
            while file[prefix + "\(3 + depth).0.weight"] != nil { depth += 1 }
            guard file[prefix + "\(3 + depth).weight"] != nil else { return nil }
            let spec = NetworkSpec.mlp(inputChannels: first.shape[1] / 1024, hidden: first.shape[0], depth: depth)
            for m in modules(of: spec) { m.isNoise ? builder.noise(m.ours, m.theirs) : builder.dense(m.ours, m.theirs) }
            return builder.mapping(spec, name: "the authors' MLP layout")
        }
        if first.shape.count == 4, first.shape[1] >= 1, file[prefix + "15.weight"] != nil, file[prefix + "9.weight"] != nil {
            let spec = NetworkSpec.lenet5(channels: first.shape[1])
            for m in modules(of: spec) { m.isNoise ? builder.noise(m.ours, m.theirs) : builder.dense(m.ours, m.theirs) }
            return builder.mapping(spec, name: "the authors' LeNet5 layout")
        }
        return nil
    }

    /// One module of the authors' `nn.Sequential` that holds values: a Linear/Conv2d
    /// (`weight`, `bias`) or a noise layer, our layer name beside their key prefix.
    struct Module {
        let ours: String
        let theirs: String
        let isNoise: Bool
    }

    /// The modules of `spec` in the order of the authors' state_dict: the one list that both
    /// reading (`detect`) and writing (`AuthorsStateDict`) follow.
    static func modules(of spec: NetworkSpec) -> [Module] {
        switch spec.kind {
        case .mlp:
            var list = [Module(ours: "fc1", theirs: "0", isNoise: false), Module(ours: "noise1", theirs: "2", isNoise: true)]
            for block in 0..<spec.depth {
                list.append(Module(ours: "fc\(block + 2)", theirs: "\(3 + block).0", isNoise: false))
                list.append(Module(ours: "noise\(block + 2)", theirs: "\(3 + block).2", isNoise: true))
            }
            return list + [Module(ours: "fc\(spec.depth + 2)", theirs: "\(3 + spec.depth)", isNoise: false)]
        case .lenet5:
            return [("conv1", "0", false), ("noise1", "2", true), ("conv2", "4", false), ("noise2", "6", true),
                    ("fc1", "9", false), ("noise3", "11", true), ("fc2", "12", false), ("noise4", "14", true), ("fc3", "15", false)]
                .map { Module(ours: $0.0, theirs: $0.1, isNoise: $0.2) }
        }
    }

    /// A prefix that every key shares (`module.`, `model.`), to retry detection under.
    static func commonPrefix(_ keys: [String]) -> String? {
        guard let first = keys.first, let dot = first.firstIndex(of: ".") else { return nil }
        let prefix = String(first[...dot])
        guard Int(prefix.dropLast()) == nil, keys.allSatisfy({ $0.hasPrefix(prefix) }) else { return nil }
        return prefix
    }

    private struct Builder {
        let file: TensorFile
        let prefix: String
        var parameters: [String: String] = [:]
        var ignore: [String] = []

        mutating func dense(_ ours: String, _ theirs: String) {
            parameters[ours + ".weight"] = prefix + theirs + ".weight"
            parameters[ours + ".bias"] = prefix + theirs + ".bias"
        }

        mutating func noise(_ ours: String, _ theirs: String) {
            parameters[ours + ".mu"] = prefix + theirs + ".mu"
            parameters[ours + ".logsigma"] = prefix + theirs + ".logsigma"
            // A missing mask is not an error here: all structures are then kept (see the notes).
            if file[prefix + theirs + ".mask"] != nil { parameters[ours + ".mask"] = prefix + theirs + ".mask" }
            ignore += noiseExtras.map { prefix + theirs + "." + $0 }
        }

        func mapping(_ spec: NetworkSpec, name: String) -> ParameterMapping {
            ParameterMapping(spec: spec, parameters: parameters, ignore: ignore,
                             name: prefix.isEmpty ? name : "\(name) under the prefix \"\(prefix)\"")
        }
    }
}
