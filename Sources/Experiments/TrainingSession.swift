import Foundation
import Datasets
import NeuralCore
import FileOutput
import SeededRandom

/// One `bmrs train` invocation: find and load the data, train, write `run.json` atomically.
public enum TrainingSession {
    public static let recordFileName = "run.json"
    public static let checkpointFileName = "checkpoint.bin"

    public static func loadData(for config: TrainingConfig, locator: DataLocator) throws -> (DatasetSplits, URL) {
        let directory = try locator.locate(config.dataset)
        var rng = Xoshiro256(seed: config.derivedSeed(.dataSplit))
        let splits = try loadSplits(config.dataset, locator: locator,
                                    validationFraction: config.validationFraction, using: &rng)
        return (splits, directory)
    }

    @discardableResult
    public static func run(config: TrainingConfig, locator: DataLocator, output: URL, stop: StopRequest? = nil,
                           progress: (TrainingEvent) -> Void = { _ in }) throws -> RunRecord {
        try config.validate()
        let (splits, directory) = try loadData(for: config, locator: locator)
        let record = try Trainer(config: config, stop: stop).run(
            splits: splits, dataDirectory: directory.path,
            checkpoint: output.appendingPathComponent(checkpointFileName), progress: progress)
        try AtomicFile.writeJSON(record, to: output.appendingPathComponent(recordFileName))
        return record
    }
}

/// A plain-text table of run records for the terminal.
public enum ResultTable {
    public static func render(_ records: [RunRecord]) -> String {
        let header = ["dataset", "network", "method", "seed", "epochs", "best val %", "test %", "neurons pruned %", "params removed %", "seconds"]
        let rows = records.map { r -> [String] in
            [r.config.dataset.rawValue, r.config.network.description, r.config.method.description,
             "\(r.config.seed)", "\(r.epochs.count)",
             String(format: "%.2f", 100 * r.bestValidationAccuracy),
             r.status == .failed ? "failed" : String(format: "%.2f", 100 * r.testAccuracy),
             String(format: "%.2f", r.reportedCompression?.neuronCompression ?? 0),
             String(format: "%.2f", r.reportedCompression?.parameterCompression ?? 0),
             String(format: "%.1f", r.secondsTotal)]
        }
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}
