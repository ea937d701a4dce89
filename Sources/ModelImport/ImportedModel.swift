import Foundation
import NeuralCore

/// A network read from a file trained elsewhere (or from our own checkpoint), with what the
/// reader had to say about it. The one entry point for commands that analyse a model:
///
///     let model = try ImportedModel.loadAny(url: url, mapping: mappingURL)
///     print("\(model.source)"); model.notes.forEach { print("note: \($0)") }
///     let network = model.network      // evaluation: θ = E[θ]·mask, as after `bmrs train`
public struct ImportedModel {
    public enum Origin: Sendable, Equatable {
        /// Our own `checkpoint.bin`.
        case checkpoint
        /// A file of another tool, read in this format with this layout.
        case imported(TensorFile.Format, layout: String)
    }

    public let network: Network
    /// Things the reader changed or set aside (precision, ignored entries, stored masks, …).
    public let notes: [String]
    /// One line saying what was read: file, format and layout.
    public let source: String
    public let origin: Origin
    /// Per noise layer, the mask stored in the file (nil where it had none). Also already set
    /// on `network`'s noise layers; kept here so reports can compare a criterion with it
    /// after the masks have been changed. For a checkpoint, its masks.
    public let storedMasks: [[Float]?]

    /// Reads a model trained elsewhere: a `torch.save(state_dict)` file, safetensors or a
    /// NumPy .npz, chosen by content. The layout is the authors' MLP or LeNet5 (detected
    /// from key names and shapes, also under a common prefix such as `module.`) unless a
    /// mapping file is given (see `ParameterMapping`).
    public static func load(url: URL, mapping: URL? = nil, maxBatch: Int = 500) throws -> ImportedModel {
        let file = try TensorFile.read(url: url)
        return try assemble(file, mapping: try mapping.map(ParameterMapping.load(url:)), maxBatch: maxBatch)
    }

    /// Like `load(url:mapping:maxBatch:)` for an already read file and mapping.
    public static func assemble(_ file: TensorFile, mapping given: ParameterMapping? = nil, maxBatch: Int = 500) throws -> ImportedModel {
        var notes: [String] = []
        let mapping: ParameterMapping
        if let given {
            mapping = given
        } else if let detected = AuthorsLayout.detect(file) {
            mapping = detected
        } else if let prefix = AuthorsLayout.commonPrefix(file.keys), let detected = AuthorsLayout.detect(file, prefix: prefix) {
            mapping = detected
            notes.append("every key starts with \"\(prefix)\" (e.g. from DataParallel or a checkpoint dictionary): read without it")
        } else {
            let sample = file.tensors.prefix(6).map { "\($0.key) \($0.shape)" }.joined(separator: ", ")
            throw ModelImportError(path: file.path, problem: "unknown layout",
                                   expected: "the authors' MLP (0.weight (H, 1024·C), 2.mu, …, (3+D).weight) or LeNet5 (0.weight (6C, C, 5, 5), …, 15.weight) keys, or a mapping file",
                                   found: file.tensors.isEmpty ? "no tensors" : sample + (file.tensors.count > 6 ? ", …" : ""))
        }
        let result = try NetworkAssembly.assemble(file, mapping: mapping, maxBatch: maxBatch)
        let name = URL(fileURLWithPath: file.path).lastPathComponent
        return ImportedModel(network: result.network, notes: notes + result.notes,
                             source: "\(name): \(file.format.rawValue), \(mapping.name), \(mapping.spec)",
                             origin: .imported(file.format, layout: mapping.name), storedMasks: result.storedMasks)
    }

    /// Reads either our `checkpoint.bin` (recognised by its magic number) or a model trained
    /// elsewhere, so a command can accept both. `mapping` applies to imported files only.
    public static func loadAny(url: URL, mapping: URL? = nil, maxBatch: Int = 500) throws -> ImportedModel {
        guard try isCheckpoint(url) else { return try load(url: url, mapping: mapping, maxBatch: maxBatch) }
        let network = try Checkpoint.load(url, maxBatch: maxBatch)
        let notes = mapping == nil ? [] : ["a mapping file was given but \(url.lastPathComponent) is a bmrs checkpoint: the mapping was not used"]
        return ImportedModel(network: network, notes: notes, source: "\(url.lastPathComponent): bmrs checkpoint, \(network.spec)",
                             origin: .checkpoint, storedMasks: network.noiseLayers.map(\.mask))
    }

    /// True when the file starts with our checkpoint's magic number.
    public static func isCheckpoint(_ url: URL) throws -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw ModelImportError(path: url.path, problem: "cannot read file", expected: "a readable model file", found: "no such file or no permission")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: Checkpoint.magic.count)) ?? Data()
        return [UInt8](head) == Checkpoint.magic
    }
}
