import Foundation
import NeuralCore

/// Which of our networks to build and where each of its values comes from: our parameter
/// name (`fc1.weight`, `noise1.mu`, `noise1.logsigma`, `noise1.mask`, …, as `Network`
/// names them) → the key in the file. Keys listed in `ignore` (exact, or with `*`
/// wildcards) may be in the file without being used. Masks may be left out (all kept).
///
/// A mapping file is JSON:
///
///     {
///       "network": {"kind": "mlp", "inputChannels": 1, "hidden": 8, "depth": 2},
///       "parameters": {"fc1.weight": "encoder.input.w", "noise1.mu": "gates.0.loc", …},
///       "ignore": ["step", "*.num_batches_tracked"]
///     }
///
/// (`kind` is `mlp` or `lenet5`; `hidden` and `depth` default to 50 and 5, `inputChannels` to 1.)
public struct ParameterMapping: Sendable, Equatable {
    public var spec: NetworkSpec
    public var parameters: [String: String]
    public var ignore: [String]
    /// Where the mapping came from, for messages ("the authors' MLP layout", a file path).
    public var name: String

    public init(spec: NetworkSpec, parameters: [String: String], ignore: [String] = [], name: String) {
        self.spec = spec
        self.parameters = parameters
        self.ignore = ignore
        self.name = name
    }

    public func isIgnored(_ key: String) -> Bool { ignore.contains { globMatches($0, key) } }

    public static func load(url: URL) throws -> ParameterMapping {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelImportError(path: url.path, problem: "cannot read mapping file", expected: "a readable JSON file", found: error.localizedDescription)
        }
        return try decode(data, path: url.path)
    }

    public static func decode(_ data: Data, path: String) throws -> ParameterMapping {
        let file: MappingFile
        do { file = try JSONDecoder().decode(MappingFile.self, from: data) } catch {
            throw ModelImportError(path: path, problem: "unreadable mapping file",
                                   expected: "JSON {\"network\": {\"kind\", …}, \"parameters\": {ours: theirs}, \"ignore\": […]}",
                                   found: Self.describe(error))
        }
        guard let kind = NetworkSpec.Kind(rawValue: file.network.kind) else {
            throw ModelImportError(path: path, key: "network.kind", problem: "unknown network kind in mapping file",
                                   expected: NetworkSpec.Kind.allCases.map(\.rawValue).joined(separator: " or "), found: "\"\(file.network.kind)\"")
        }
        let spec = NetworkSpec(kind: kind, inputChannels: file.network.inputChannels ?? 1,
                               hidden: file.network.hidden ?? NetworkSpec.mlp().hidden, depth: file.network.depth ?? NetworkSpec.mlp().depth)
        guard spec.inputChannels >= 1, spec.hidden >= 1, spec.depth >= 0 else {
            throw ModelImportError(path: path, key: "network", problem: "invalid network in mapping file",
                                   expected: "inputChannels ≥ 1, hidden ≥ 1, depth ≥ 0", found: "\(spec)")
        }
        return ParameterMapping(spec: spec, parameters: file.parameters, ignore: file.ignore ?? [], name: "mapping file \(path)")
    }

    private struct MappingFile: Decodable {
        struct Network: Decodable {
            var kind: String
            var inputChannels: Int?
            var hidden: Int?
            var depth: Int?
        }
        var network: Network
        var parameters: [String: String]
        var ignore: [String]?
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "no \"\(key.stringValue)\"" + (context.codingPath.isEmpty ? "" : " in \(context.codingPath.map(\.stringValue).joined(separator: "."))")
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "a wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let context):
            return "invalid JSON (\(context.debugDescription))"
        default:
            return "\(error)"
        }
    }
}

/// `*` matches any run of characters (dots included); everything else matches itself.
func globMatches(_ pattern: String, _ text: String) -> Bool {
    let p = Array(pattern), t = Array(text)
    // Classic two-pointer wildcard match with backtracking to the last star.
    var i = 0, j = 0, star = -1, mark = 0
    while j < t.count {
        if i < p.count, p[i] != "*", p[i] == t[j] {
            i += 1; j += 1
        } else if i < p.count, p[i] == "*" {
            star = i; mark = j; i += 1
        } else if star >= 0 {
            i = star + 1; mark += 1; j = mark
        } else {
            return false
        }
    }
    while i < p.count, p[i] == "*" { i += 1 }
    return i == p.count
}
