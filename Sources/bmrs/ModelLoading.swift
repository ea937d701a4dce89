import ArgumentParser
import Experiments
import Foundation
import ModelImport
import NeuralCore
import Reporting

/// A trained model to analyse: our `checkpoint.bin`, or a model trained elsewhere
/// (PyTorch `state_dict` .pth, safetensors, .npz in the authors' layouts, or any layout
/// through `--mapping`). Scores are always recomputed from μ and log σ.
struct ModelOptions: ParsableArguments {
    @Option(help: "Mapping file (JSON: our parameter name → the file's key) for a model trained elsewhere in another layout.")
    var mapping: String?

    /// Loads `path`; what was read and every conversion note go to stderr. A network
    /// without noise layers (e.g. a compacted one) has nothing to score: an error.
    func load(_ path: String, requireNoise: Bool = true, maxBatch: Int = 500) throws -> Network {
        try loadModel(path, requireNoise: requireNoise, maxBatch: maxBatch).network
    }

    /// Like `load`, with what the reader said (source line, notes, stored masks).
    func loadModel(_ path: String, requireNoise: Bool = true, maxBatch: Int = 500) throws -> ImportedModel {
        let model = try ImportedModel.loadAny(url: URL(fileURLWithPath: path), mapping: mapping.map { URL(fileURLWithPath: $0) },
                                              maxBatch: maxBatch)
        if case .imported = model.origin { printErr("read \(model.source)") }
        for note in model.notes { printErr("note: \(note)") }
        if requireNoise && model.network.noiseLayers.isEmpty {
            throw ValidationError("\(path): this network has no noise layers (a compacted or plain network?): there is no posterior to score; give the checkpoint before compaction")
        }
        return model
    }
}

/// Reads every model of `folder` (with `loading`'s mapping) and its metrics into the plain
/// values `ImportedModelsReport` takes. A file that cannot be read, or that has no noise
/// layers (a compacted network), is listed as skipped with the reason, not fatal: one bad
/// file should not hide the others.
func importedModelsReport(folder: URL, loading: ModelOptions, output: URL) throws -> ImportedModelsReport {
    var summaries: [ImportedModelSummary] = [], skipped: [(file: String, reason: String)] = []
    for entry in try ImportedModelFolder.entries(in: folder) {
        let name = entry.model.lastPathComponent
        let model: ImportedModel
        do { model = try loading.loadModel(entry.model.path) } catch {
            printErr("skipped \(name): \(error)")
            skipped.append((name, "\(error)"))
            continue
        }
        let metrics = try entry.metrics.map(ImportedModelFolder.readMetrics) ?? [:]
        summaries.append(ImportedModelSummary(file: name, source: model.source, notes: model.notes, network: model.network,
                                              storedMasks: model.storedMasks, metricsFile: entry.metrics?.lastPathComponent, metrics: metrics))
    }
    return ImportedModelsReport(folder: folder.path, models: summaries, skipped: skipped, output: output)
}
