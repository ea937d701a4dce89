/// Writes a `torch.save(state_dict)` file (the zip format of PyTorch ≥ 1.6, read by
/// `torch.load` and by `TorchStateDict`): stored entries under one folder `<archive>/`,
///
///     <archive>/data.pkl      the pickle (`StateDictPickler`)
///     <archive>/byteorder     "little" (PyTorch ≥ 2.1 writes it; older versions ignore it)
///     <archive>/data/<k>      one raw little-endian storage per tensor, k = 0, 1, … (in
///                             the string order PyTorch writes them)
///     <archive>/version       "3\n", the format version PyTorch 1.6 – 2.x writes
///
/// torch.save names the folder after the file (`model.pth` → `model/`); `archiveName(for:)`
/// does the same. Data are aligned to 64 bytes as PyTorch's writer aligns them.
public enum TorchStateDictWriter {
    /// The format version in the `version` entry.
    static let formatVersion = "3\n"

    /// A state_dict of `tensors` in their order (keys must be unique).
    /// `path`: the file being written, for errors.
    public static func encode(_ tensors: [ImportedTensor], archiveName: String = "archive", path: String = "<torch.save>") throws -> [UInt8] {
        var seen = Set<String>()
        var entries: [StateDictPickler.Entry] = []
        for (index, t) in tensors.enumerated() {
            guard seen.insert(t.key).inserted else {
                throw ModelImportError(path: path, key: t.key, problem: "duplicate tensor name", expected: "unique keys", found: "\(t.key) twice")
            }
            guard StateDictPickler.storageTypeName(t.dtype) != nil else {
                throw ModelImportError(path: path, key: t.key, problem: "type not writable",
                                       expected: "a type with a torch storage (float32, float64, float16, bfloat16, integers, bool)", found: "\(t.dtype)")
            }
            precondition(t.bytes.count == t.count * t.dtype.byteWidth, "TorchStateDictWriter: \(t.key) has \(t.bytes.count) bytes for \(t.shape) × \(t.dtype)")
            entries.append(.init(key: t.key, storageKey: String(index), dtype: t.dtype, shape: t.shape))
        }
        let folder = archiveName.isEmpty ? "archive" : archiveName
        var archive = ZipWriter()
        archive.add("\(folder)/data.pkl", StateDictPickler.pickle(entries))
        archive.add("\(folder)/byteorder", Array("little".utf8))
        for (entry, tensor) in zip(entries, tensors).sorted(by: { $0.0.storageKey < $1.0.storageKey }) {
            archive.add("\(folder)/data/\(entry.storageKey)", tensor.bytes)
        }
        archive.add("\(folder)/version", Array(formatVersion.utf8))
        return archive.finish()
    }

    /// The folder name torch.save gives a file's entries: its name without the extension,
    /// restricted to characters every zip reader accepts.
    public static func archiveName(for fileName: String) -> String {
        let stem = fileName.split(separator: "/").last.map(String.init) ?? fileName
        let base = stem.contains(".") ? String(stem[..<stem.lastIndex(of: ".")!]) : stem
        let cleaned = String(base.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
        return cleaned.isEmpty ? "archive" : cleaned
    }
}
