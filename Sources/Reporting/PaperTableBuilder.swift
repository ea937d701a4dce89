import Analysis
import Experiments

/// The paper-style table (SPEC §6–7) of a grid's continuous-pruning runs: one block per
/// network of the grid, one row per method (``Vocabulary/methodOrder(_:)``), per data set
/// the parameter compression and test accuracy of the finished runs, mean ± population std
/// over seeds.
struct PaperTableBuilder {
    let grid: GridConfig

    /// The grid's networks as specs, in the grid's order (one table block each).
    var networks: [NetworkSpec] {
        grid.networks.map { $0.kind == .mlp ? NetworkSpec.mlp(hidden: $0.resolvedHidden, depth: $0.resolvedDepth) : .lenet5() }
    }

    func table(_ records: [RunRecord]) -> PaperTable {
        let datasets = grid.datasets
        let blocks = networks.map { network in
            let mine = records.filter { $0.config.network.kind == network.kind && $0.config.network.hidden == network.hidden && $0.config.network.depth == network.depth || ($0.config.network.kind == .lenet5 && network.kind == .lenet5) }
            let rows = Vocabulary.methodRows(mine).map { label in
                PaperTable.Row(method: label, cells: datasets.map { d in
                    let runs = mine.filter { $0.config.dataset == d && Vocabulary.method($0) == label && $0.status == .finished }
                    guard !runs.isEmpty else { return .missing }
                    return PaperTable.Cell(compression: Summary(runs.map(\.reportedParameterCompression)),
                                           accuracy: Summary(runs.map { 100 * $0.testAccuracy }))
                })
            }
            return PaperTable.Block(network: Vocabulary.network(network), rows: rows)
        }
        let protocolText = "continuous pruning, \(grid.epochs) + \(grid.resolvedFinetuneEpochs) fine-tuning epochs, batch \(grid.resolvedBatchSize), "
            + "\(grid.protocolVariant == .released ? "the released code's protocol and parameter count (SPEC §6)" : "this project's default protocol")"
            + (grid.trainLimit.map { ", \($0) training images" } ?? "")
        return PaperTable(title: "\(grid.name): compression and accuracy", caption: PaperTable.caption(protocol: protocolText, seeds: grid.seeds.count),
                          datasets: datasets.map(Vocabulary.dataset), blocks: blocks)
    }
}

extension RunRecord {
    /// Parameter compression % of `reportedCompression`; a run without a report counts as 0.
    var reportedParameterCompression: Double { reportedCompression?.parameterCompression ?? 0 }
}
