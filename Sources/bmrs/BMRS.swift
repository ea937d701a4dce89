import ArgumentParser

@main
struct BMRS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bmrs",
        abstract: "Bayesian Model Reduction for Structured pruning: train, prune, compare.",
        version: "0.1.0",
        subcommands: [Report.self, Train.self, SweepCommand.self, GridCommand.self, Scores.self, Compact.self, Export.self, Correlate.self, Diagnose.self, Table.self, DataCommand.self, Bench.self]
    )

    static func main() {
        bindWorkerToParent()
        main(nil)
    }
}
