import ArgumentParser
import Foundation
import ModelImport
import NeuralCore

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
