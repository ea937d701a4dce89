import ArgumentParser
import Foundation
import Reporting

struct Table: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise run records (every run.json below DIR): mean ± population std over seeds, per data set × network × protocol × method.")

    @Argument(help: "Directory holding run records.")
    var directory: String

    func run() throws {
        let records = try RunSummary.loadRecords(under: URL(fileURLWithPath: directory))
        guard !records.isEmpty else { throw ValidationError("no run.json found below \(directory)") }
        print(RunSummary(records: records).markdown())
    }
}
