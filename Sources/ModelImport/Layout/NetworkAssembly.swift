import NeuralCore
import SeededRandom

/// Builds our network for a mapping and fills it from the file's tensors. Every problem is
/// collected first (unknown names of ours, missing keys, unused keys, wrong shapes, types
/// that cannot be values, masks that are not 0/1) and reported together in one error.
enum NetworkAssembly {
    struct Result {
        let network: Network
        let notes: [String]
        /// Per noise layer, the mask read from the file (nil when the file had none).
        let storedMasks: [[Float]?]
    }

    /// One value of ours: a parameter, or a noise layer's mask.
    private struct Target {
        let name: String
        let shape: [Int]
        let isMask: Bool
        let write: ([Float]) -> Void
    }

    static func assemble(_ file: TensorFile, mapping: ParameterMapping, maxBatch: Int) throws -> Result {
        // Every value is overwritten from the file, so the seed of this initialisation is irrelevant.
        var rng = Xoshiro256(seed: 0)
        let network = Network(spec: mapping.spec, maxBatch: maxBatch, rng: &rng)
        let targets = Self.targets(of: network)
        let ourNames = Set(targets.map(\.name))
        var problems: [String] = []
        var reduced: [String: [String]] = [:]   // dtype → keys converted from it
        var storedMasks = [[Float]?](repeating: nil, count: network.noiseLayers.count)

        for name in mapping.parameters.keys.sorted() where !ourNames.contains(name) {
            problems.append("unknown parameter \(name) in the mapping (ours: \(targets.map(\.name).joined(separator: ", ")))")
        }
        var used = Set<String>()
        for (index, target) in targets.enumerated() {
            guard let key = mapping.parameters[target.name] else {
                if !target.isMask { problems.append("missing: no key for \(target.name) \(target.shape)") }
                continue
            }
            used.insert(key)
            guard let tensor = file[key] else {
                problems.append("missing: key \(key) (for \(target.name) \(target.shape)) is not in the file")
                continue
            }
            guard fits(tensor.shape, target.shape) else {
                problems.append("wrong shape: \(key) is \(tensor.shape), \(target.name) needs \(target.shape)")
                continue
            }
            let values: [Float]
            do { values = try tensor.floatValues(path: file.path).values } catch {
                problems.append("wrong type: \(key) is \(tensor.dtype), \(target.name) needs float32, float64, float16 or bfloat16")
                continue
            }
            if tensor.dtype != .float32 { reduced[tensor.dtype.description, default: []].append(key) }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                problems.append("non-finite value: \(key)[\(bad)] = \(values[bad])")
                continue
            }
            if target.isMask {
                if let bad = values.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                    problems.append("mask not 0/1: \(key)[\(bad)] = \(values[bad])")
                    continue
                }
                storedMasks[maskLayerIndex(index, targets)] = values
            }
            target.write(values)
        }
        let unused = file.keys.filter { !used.contains($0) && !mapping.isIgnored($0) }
        for key in unused { problems.append("unused: key \(key) \(file[key]!.shape) is not mapped to any parameter") }
        guard problems.isEmpty else {
            throw ModelImportError(path: file.path, problem: "the tensors do not fit \(mapping.name)",
                                   expected: "\(mapping.spec) with its \(targets.filter { !$0.isMask }.count) parameters",
                                   found: "\(problems.count) problem\(problems.count == 1 ? "" : "s")", details: problems)
        }
        var notes = file.notes
        for (dtype, keys) in reduced.sorted(by: { $0.key < $1.key }) {
            notes.append(dtype == "float64"
                ? "\(keys.count) float64 tensor\(keys.count == 1 ? "" : "s") rounded to float32 (\(list(keys)))"
                : "\(keys.count) tensor\(keys.count == 1 ? " was" : "s were") stored as \(dtype) and converted to float32 exactly; the model itself is only \(dtype)-precise (\(list(keys)))")
        }
        notes += maskNotes(network, storedMasks)
        if isUntouchedNoise(network) {
            network.noiseEnabled = false
            notes.append("every μ is 0 and every log σ is −5 (their initial values): the model was trained with its noise layers disabled, so they are switched off here (θ ≡ 1, masks still apply)")
        }
        return Result(network: network, notes: notes, storedMasks: storedMasks)
    }

    /// Our values in order: every parameter (μ and log σ included), then each noise layer's mask.
    private static func targets(of network: Network) -> [Target] {
        var targets = network.allParameters.map { p in
            Target(name: p.name, shape: p.shape, isMask: false) { values in p.value.copy(from: values) }
        }
        for layer in network.noiseLayers {
            let base = String(layer.mu.name.dropLast(".mu".count))
            targets.append(Target(name: base + ".mask", shape: [layer.units], isMask: true) { values in layer.mask = values })
        }
        return targets
    }

    private static func maskLayerIndex(_ targetIndex: Int, _ targets: [Target]) -> Int {
        targetIndex - targets.firstIndex(where: \.isMask)!
    }

    /// Shapes agree once dimensions of size 1 are dropped: the authors' conv noise is (C, 1, 1).
    static func fits(_ theirs: [Int], _ ours: [Int]) -> Bool {
        theirs.reduce(1, *) == ours.reduce(1, *) && theirs.filter { $0 != 1 } == ours.filter { $0 != 1 }
    }

    private static func maskNotes(_ network: Network, _ stored: [[Float]?]) -> [String] {
        let names = network.noiseLayers.map { String($0.mu.name.dropLast(".mu".count)) }
        let present = zip(names, stored).compactMap { name, mask in mask.map { (name, $0) } }
        var notes: [String] = []
        if present.count < names.count {
            let missing = zip(names, stored).filter { $0.1 == nil }.map(\.0)
            notes.append("no mask in the file for \(missing.joined(separator: ", ")): all their structures are kept")
        }
        guard !present.isEmpty else { return notes }
        let pruned = present.reduce(0) { $0 + $1.1.filter { $0 == 0 }.count }
        let total = present.reduce(0) { $0 + $1.1.count }
        let perLayer = present.map { "\($0.0) \($0.1.filter { $0 == 0 }.count)/\($0.1.count)" }.joined(separator: ", ")
        notes.append("masks stored in the file applied: \(pruned) of \(total) structures pruned (\(perLayer))")
        return notes
    }

    private static func isUntouchedNoise(_ network: Network) -> Bool {
        !network.noiseLayers.isEmpty && network.noiseLayers.allSatisfy { layer in
            (0..<layer.units).allSatisfy { layer.mu.value[$0] == 0 && layer.logSigma.value[$0] == -5 }
        }
    }

    private static func list(_ keys: [String]) -> String {
        keys.count <= 4 ? keys.joined(separator: ", ") : keys.prefix(3).joined(separator: ", ") + ", … \(keys.count - 3) more"
    }
}
