import Foundation
import FileOutput

/// Reads the share of structures a BMRS_N run pruned, for the matched-compression
/// protocol (SPEC §5).
public enum MatchedCompression {
    public static func prunedFraction(fromRecord path: String) throws -> Double {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigError(field: "--match-record", expected: "a readable run.json", found: "\(path): \(error.localizedDescription)")
        }
        let record: RunRecord
        do { record = try JSONCoding.decoder().decode(RunRecord.self, from: data) } catch {
            throw ConfigError(field: "--match-record", expected: "a bmrs run record (run.json)", found: "\(path): \(error)")
        }
        guard record.config.method == .bmrsN || record.config.method == .bmrsNReleased, let c = record.compressionStandard, record.status == .finished else {
            throw ConfigError(field: "--match-record", expected: "a finished bmrs-n or bmrs-n-released run", found: "\(path): method \(record.config.method), status \(record.status)")
        }
        return Double(c.prunedStructures) / Double(max(c.structures, 1))
    }
}
