import ArgumentParser
import Datasets
import Foundation

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "List which data sets are found where, with their sizes.")

    @OptionGroup var data: DataOptions

    func run() throws {
        for entry in data.locator.survey() {
            let name = entry.name.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)
            if let dir = entry.directory, entry.isAvailable {
                let counts = [entry.trainCount.map { "\($0) train" }, entry.testCount.map { "\($0) test" }]
                    .compactMap { $0 }.joined(separator: ", ")
                let mb = String(format: "%.1f MB", Double(entry.totalBytes) / 1e6)
                print("\(name) found   \(dir.path)  (\(mb)\(counts.isEmpty ? "" : ", " + counts))")
            } else {
                print("\(name) missing \(entry.problem ?? "not found")")
            }
        }
    }
}
