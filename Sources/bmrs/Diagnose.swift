import Analysis
import ArgumentParser
import Experiments
import Foundation
import NeuralCore
import Reporting

struct Diagnose: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Posterior diagnostics of a trained model: per layer, what each criterion's default rule prunes, the BMRS_N knife edge (|ΔF| < 0.05) under both constants, and (with --figure) the distributions of ΔF, log σ and μ.")

    @Argument(help: ArgumentHelp("A trained model: checkpoint.bin from `bmrs train`, or a PyTorch state_dict (.pth), safetensors or .npz trained elsewhere.",
                                 valueName: "model"))
    var modelPath: String
    @OptionGroup var model: ModelOptions
    @Option(help: "A second model to overlay in the figures and print after the first (e.g. the final model of continuous BMRS_N).")
    var compare: String?
    @Option(help: "Name of MODEL in the table, JSON and figures (default: its file name).")
    var label: String?
    @Option(help: "Name of the --compare model (default: its file name).")
    var compareLabel: String?
    @Flag(help: "Print JSON instead of text: one object per model (an array of two with --compare).")
    var json = false
    @Option(help: ArgumentHelp("Write the figures: P.png/P.pdf (distributions per layer) and P-scatter.png/P-scatter.pdf (E[θ] against ΔF_BMRS_N).",
                               valueName: "P"))
    var figure: String?
    @Option(help: "Resolution of the PNG figures.")
    var dpi: Double = 200
    @OptionGroup var criteria: CriterionOptions

    func validate() throws {
        if dpi <= 0 { throw ValidationError("--dpi must be positive") }
        if compareLabel != nil && compare == nil { throw ValidationError("--compare-label needs --compare") }
    }

    func run() throws {
        BLAS.setThreads(1)
        var rules = DiagnosticRules()
        rules.l2Threshold = criteria.l2Threshold
        rules.ethetaThreshold = criteria.ethetaThreshold
        rules.snrThreshold = criteria.snrThreshold
        var inputs: [(name: String, layers: [LayerPosteriorStatistics])] = []
        for (path, name) in [(modelPath, label)] + (compare.map { [($0, compareLabel)] } ?? []) {
            let network = try model.load(path)
            inputs.append((name ?? defaultLabel(path), PosteriorDiagnosticsInput.layers(of: network)))
        }
        var diagnostics = inputs.map { PosteriorDiagnostics(model: $0.name, layers: $0.layers, rules: rules) }
        if json {
            if diagnostics.count == 1 { try printJSON(diagnostics[0]) } else { try printJSON(diagnostics) }
        } else {
            print(diagnostics.map { $0.text() }.joined(separator: "\n\n"))
        }
        if let figure {
            let names = diagnostics.map(\.model).joined(separator: " vs ")
            let short = shortNames(diagnostics.map(\.model))
            // Letters in the counts table need their key in the legend.
            if short.allSatisfy({ $0.count == 1 }) && short != diagnostics.map(\.model) && diagnostics.count > 1 {
                for i in diagnostics.indices { diagnostics[i].model = "\(short[i]): \(diagnostics[i].model)" }
            }
            let histograms = PosteriorDiagnosticsFigures.diagnostics(diagnostics, shortNames: short,
                                                                     title: "Posterior diagnostics per layer — \(names)")
            try histograms.write(png: URL(fileURLWithPath: figure + ".png"), pdf: URL(fileURLWithPath: figure + ".pdf"), dpi: dpi)
            let scatter = PosteriorDiagnosticsFigures.scatter(inputs, title: "E[θ] against ΔF of BMRS_N — \(names)",
                                                              ethetaThreshold: criteria.ethetaThreshold)
            try scatter.write(png: URL(fileURLWithPath: figure + "-scatter.png"), pdf: URL(fileURLWithPath: figure + "-scatter.pdf"), dpi: dpi)
            printErr("wrote \(figure).png, \(figure).pdf, \(figure)-scatter.png, \(figure)-scatter.pdf")
        }
    }

    /// "run/checkpoint.bin": the file and its directory (checkpoints are all called checkpoint.bin).
    func defaultLabel(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let parent = url.deletingLastPathComponent().lastPathComponent
        return parent.isEmpty || parent == "/" ? url.lastPathComponent : "\(parent)/\(url.lastPathComponent)"
    }

    /// Counts-table headers: the names when short, else their first words when those differ, else A and B.
    func shortNames(_ names: [String]) -> [String] {
        if names.allSatisfy({ $0.count <= 10 }) && Set(names).count == names.count { return names }
        if names.count == 1 { return ["n"] }
        let firstWords = names.map { String($0.split(separator: " ").first ?? "") }
        if firstWords.allSatisfy({ !$0.isEmpty && $0.count <= 10 }) && Set(firstWords).count == names.count { return firstWords }
        return names.indices.map { String(UnicodeScalar(UInt8(65 + $0 % 26))) }
    }
}
