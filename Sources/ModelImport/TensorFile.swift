import Foundation

/// The named tensors of a model file, whatever format held them. The format is chosen by
/// content, not by file name: a zip archive is a `torch.save` file (it has `data.pkl`) or a
/// NumPy `.npz`; otherwise the file must be safetensors.
public struct TensorFile: Sendable {
    public enum Format: String, Sendable, Codable {
        case pytorch = "PyTorch state_dict"
        case safetensors = "safetensors"
        case npz = "NumPy .npz"
    }

    public let path: String
    public let format: Format
    /// In file order (pickle order, data order for safetensors, entry order for .npz).
    public let tensors: [ImportedTensor]
    /// What was read but set aside (non-tensor state_dict entries).
    public let notes: [String]

    private let index: [String: Int]

    public subscript(key: String) -> ImportedTensor? { index[key].map { tensors[$0] } }

    public var keys: [String] { tensors.map(\.key) }

    public static func read(url: URL) throws -> TensorFile {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelImportError(path: url.path, problem: "cannot read file", expected: "a readable model file", found: error.localizedDescription)
        }
        return try decode([UInt8](data), path: url.path)
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> TensorFile {
        if ZipArchive.looksLikeZip(bytes) {
            let zip = try ZipArchive(bytes: bytes, path: path)
            if zip.entries.contains(where: { $0.name.hasSuffix("data.pkl") }) {
                let (tensors, notes) = try TorchStateDict.read(zip)
                return try TensorFile(path: path, format: .pytorch, tensors: tensors, notes: notes)
            }
            if !zip.entries.isEmpty, zip.entries.allSatisfy({ $0.name.hasSuffix(".npy") || $0.name.hasSuffix("/") }) {
                return try TensorFile(path: path, format: .npz, tensors: try NumpyArchive.read(zip), notes: [])
            }
            throw ModelImportError(path: path, problem: "zip archive of an unknown kind",
                                   expected: "a torch.save file (<name>/data.pkl) or a NumPy .npz (*.npy entries)",
                                   found: zip.entries.isEmpty ? "an empty archive" : "entries " + zip.entries.prefix(5).map(\.name).joined(separator: ", "))
        }
        if Safetensors.looksLikeSafetensors(bytes) {
            return try TensorFile(path: path, format: .safetensors, tensors: try Safetensors.decode(bytes, path: path), notes: [])
        }
        throw ModelImportError(path: path, problem: "unrecognised model file", expected: "a torch.save zip archive, a .npz or a safetensors file",
                               found: Self.guess(bytes))
    }

    private init(path: String, format: Format, tensors: [ImportedTensor], notes: [String]) throws {
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() {
            guard index.updateValue(i, forKey: t.key) == nil else {
                throw ModelImportError(path: path, key: t.key, problem: "duplicate tensor name", expected: "unique keys", found: "\(t.key) twice")
            }
        }
        self.index = index
        self.path = path
        self.format = format
        self.tensors = tensors
        self.notes = notes
    }

    /// A description of what the bytes look like, for the error on an unknown file.
    private static func guess(_ bytes: [UInt8]) -> String {
        if bytes.starts(with: Array("BMRSCKPT".utf8)) { return "a bmrs checkpoint (load it with Checkpoint.load)" }
        if bytes.count >= 2, bytes[0] == 0x80, bytes[1] <= 5 {
            return "a bare pickle: the legacy torch.save format (PyTorch < 1.6); re-save it with a current torch.save"
        }
        if bytes.starts(with: [0x93] + Array("NUMPY".utf8)) { return "a single .npy array (save the model's arrays with numpy.savez)" }
        if bytes.starts(with: [0x1F, 0x8B]) { return "a gzip file (decompress it first)" }
        if bytes.count < 10 { return "\(bytes.count) bytes" }
        return "first bytes " + bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}
