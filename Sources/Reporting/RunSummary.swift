import Foundation
import Analysis
import Experiments
import FileOutput

/// Mean ± std over seeds of a set of run records, grouped by data set × network ×
/// protocol × method (SPEC §6). The std is the population std (ddof 0), as in the
/// paper's code. Matched-compression runs are their own rows (`l2 (matched)`).
public struct RunSummary: Sendable {
    public struct Row: Sendable {
        public var dataset: String
        public var network: String
        public var protocolVariant: String
        public var method: String
        public var seeds: [UInt64]
        public var parameterCompression: Summary
        public var neuronCompression: Summary
        public var testAccuracy: Summary
        public var failed: Int
    }

    public var rows: [Row]

    public init(records: [RunRecord]) {
        var groups: [String: [RunRecord]] = [:]
        var order: [String] = []
        for r in records {
            let key = RunSummary.key(r)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        rows = order.map { key in
            let rs = groups[key]!
            let ok = rs.filter { $0.status == .finished }
            let first = rs[0]
            return Row(dataset: first.config.dataset.rawValue, network: first.config.network.description,
                       protocolVariant: first.config.protocolVariant.rawValue, method: Vocabulary.method(first),
                       seeds: rs.map(\.config.seed).sorted(),
                       parameterCompression: RunSummary.summary(ok.map(\.reportedParameterCompression)),
                       neuronCompression: RunSummary.summary(ok.map { $0.reportedCompression?.neuronCompression ?? 0 }),
                       testAccuracy: RunSummary.summary(ok.map { 100 * $0.testAccuracy }),
                       failed: rs.count - ok.count)
        }
    }

    /// Population-std summary; an empty group (every run failed) has count 0.
    static func summary(_ values: [Double]) -> Summary {
        values.isEmpty ? Summary(mean: 0, std: 0, count: 0) : Summary(values, convention: .population)
    }

    static func key(_ r: RunRecord) -> String {
        "\(r.config.dataset.rawValue)|\(r.config.network.description)|\(r.config.protocolVariant.rawValue)|\(Vocabulary.method(r))"
    }

    /// Reads every `run.json` below `directory`.
    public static func loadRecords(under directory: URL) throws -> [RunRecord] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: directory.path])
        }
        var records: [RunRecord] = []
        for case let url as URL in walker where url.lastPathComponent == "run.json" {
            do { records.append(try JSONCoding.decoder().decode(RunRecord.self, from: Data(contentsOf: url))) } catch {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path,
                                                                  NSLocalizedDescriptionKey: "\(url.path): not a run record: \(error)"])
            }
        }
        return records.sorted { ($0.config.seed, $0.config.method.description) < ($1.config.seed, $1.config.method.description) }
    }

    /// A Markdown table: parameter and neuron compression and test accuracy, mean ± std.
    public func markdown() -> String {
        func cell(_ s: Summary) -> String { s.count == 0 ? "–" : String(format: "%.2f ± %.2f", s.mean, s.std) }
        var table = MarkdownTable(["data set", "network", "protocol", "method", "seeds", "param. comp. %", "neuron comp. %", "test acc. %"])
        for r in rows {
            let seeds = r.seeds.map(String.init).joined(separator: ", ") + (r.failed > 0 ? " (\(r.failed) failed)" : "")
            table.append([r.dataset, r.network, r.protocolVariant, r.method, seeds,
                          cell(r.parameterCompression), cell(r.neuronCompression), cell(r.testAccuracy)])
        }
        return table.text
    }
}
