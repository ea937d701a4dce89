import Foundation

/// Reads a `torch.save` zip archive (PyTorch ≥ 1.6): `<prefix>/data.pkl` is a pickle of the
/// state_dict whose tensors point, through persistent ids, at raw little-endian storages in
/// `<prefix>/data/<key>`. Tensors come back contiguous and row-major, with their strides
/// and storage offsets applied (views, transposes and expansions saved as such).
enum TorchStateDict {
    static func read(_ zip: ZipArchive) throws -> (tensors: [ImportedTensor], notes: [String]) {
        let path = zip.path
        let pickles = zip.entries.filter { $0.name.hasSuffix("/data.pkl") && $0.name.split(separator: "/").count == 2 }
        guard let pickle = pickles.first else {
            throw ModelImportError(path: path, problem: "zip archive is not a torch.save file", expected: "an entry <name>/data.pkl",
                                   found: "entries " + zip.entries.prefix(5).map(\.name).joined(separator: ", "))
        }
        guard pickles.count == 1 else {
            throw ModelImportError(path: path, problem: "ambiguous torch.save archive", expected: "one <name>/data.pkl",
                                   found: pickles.map(\.name).joined(separator: ", "))
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count))
        // Files from PyTorch < 2.1 have no byteorder entry; they were written little-endian.
        if let entry = zip.entry(named: prefix + "byteorder") {
            let order = String(decoding: try zip.data(of: entry), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard order == "little" else {
                throw ModelImportError(path: path, key: entry.name, problem: "unsupported byte order of the storages",
                                       expected: "\"little\"", found: "\"\(order)\"")
            }
        }
        var unpickler = Unpickler(bytes: try zip.data(of: pickle), path: path, entry: pickle.name)
        let root = try unpickler.load()
        guard case .dict(let dict) = root else {
            throw ModelImportError(path: path, key: pickle.name, problem: "the pickle is not a state_dict",
                                   expected: "an (Ordered)Dict of tensors", found: root.kind)
        }
        var found: [(String, TensorReference)] = []
        var notes: [String] = []
        var visited = 0
        try collect(dict, prefix: "", into: &found, notes: &notes, visited: &visited, path: path)
        var storages = StorageCache(zip: zip, prefix: prefix)
        let tensors = try found.map { key, ref in
            ImportedTensor(key: key, dtype: ref.storage.dtype, shape: ref.shape,
                           bytes: try gather(ref, from: try storages.bytes(of: ref.storage, for: key), key: key, path: path))
        }
        return (tensors, notes)
    }

    /// At most this many entries are flattened: a pickle may name one nested dict many times
    /// over (its memo), so that the flattened keys grow exponentially with the nesting.
    static let maxEntries = 1_000_000

    /// Flattens nested dictionaries into dotted keys (a `{"model": state_dict, "epoch": …}`
    /// checkpoint) and sets non-tensor entries aside with a note.
    private static func collect(_ dict: PickleDict, prefix: String, into found: inout [(String, TensorReference)],
                                notes: inout [String], visited: inout Int, path: String) throws {
        for (k, v) in dict.pairs {
            visited += 1
            guard visited <= maxEntries else {
                throw ModelImportError(path: path, problem: "state_dict too large", expected: "at most \(maxEntries) entries, nested dicts flattened",
                                       found: "more (a nested dict named many times over?)")
            }
            let name: String
            switch k {
            case .string(let s): name = prefix + s
            case .int(let i): name = prefix + String(i)
            default:
                throw ModelImportError(path: path, problem: "state_dict key of an unexpected type", expected: "a string", found: k.kind)
            }
            switch v {
            case .tensor(let ref): found.append((name, ref))
            case .dict(let inner): try collect(inner, prefix: name + ".", into: &found, notes: &notes, visited: &visited, path: path)
            default: notes.append("\(name): not a tensor (\(v.kind)), ignored")
            }
        }
    }

    /// Storage bytes by key, read (and CRC-checked) once even when several tensors share them.
    /// The declared size is checked for every tensor: each persistent id carries its own
    /// element count and type, and a pickle may name one storage with several.
    private struct StorageCache {
        let zip: ZipArchive
        let prefix: String
        var cache: [String: [UInt8]] = [:]

        mutating func bytes(of storage: StorageReference, for key: String) throws -> [UInt8] {
            let name = prefix + "data/" + storage.key
            let data: [UInt8]
            if let hit = cache[storage.key] {
                data = hit
            } else {
                guard let entry = zip.entry(named: name) else {
                    throw ModelImportError(path: zip.path, key: key, problem: "missing storage", expected: "archive entry \(name)", found: "no such entry")
                }
                data = try zip.data(of: entry)
                cache[storage.key] = data
            }
            let (needed, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.dtype.byteWidth)
            guard !overflow, data.count >= needed else {
                throw ModelImportError(path: zip.path, key: key, problem: "storage shorter than declared",
                                       expected: "\(storage.elementCount) × \(storage.dtype) (\(overflow ? "more than 2^63" : String(needed)) bytes)",
                                       found: "\(data.count) bytes in \(name)")
            }
            return data
        }
    }

    /// The elements of a strided view, copied row-major.
    static func gather(_ ref: TensorReference, from storage: [UInt8], key: String, path: String) throws -> [UInt8] {
        let width = ref.storage.dtype.byteWidth
        let shape = ref.shape
        guard shape.allSatisfy({ $0 >= 0 }), ref.strides.allSatisfy({ $0 >= 0 }), ref.offset >= 0 else {
            throw ModelImportError(path: path, key: key, problem: "invalid tensor geometry", expected: "non-negative sizes, strides and offset",
                                   found: "size \(shape), stride \(ref.strides), offset \(ref.offset)")
        }
        // A dimension of size 1 is never stepped along: its stride (any value) is taken as 0.
        let strides = zip(shape, ref.strides).map { $0 == 1 ? 0 : $1 }
        // The element count (as ImportedTensor.count multiplies it), the last element reached
        // and the byte count, in checked arithmetic: a pickle can declare sizes whose
        // products overflow.
        var count = 1, last = ref.offset, overflow = false
        for (size, step) in zip(shape, strides) {
            let (c, o1) = count.multipliedReportingOverflow(by: size)
            let (reach, o2) = max(size - 1, 0).multipliedReportingOverflow(by: step)
            let (l, o3) = last.addingReportingOverflow(reach)
            count = c; last = l
            overflow = overflow || o1 || o2 || o3
        }
        let (byteCount, o4) = count.multipliedReportingOverflow(by: width)
        guard !overflow, !o4 else {
            throw ModelImportError(path: path, key: key, problem: "invalid tensor geometry", expected: "sizes, strides and offset below 2^63",
                                   found: "size \(shape), stride \(ref.strides), offset \(ref.offset)")
        }
        if count == 0 { return [] }
        guard last < ref.storage.elementCount, storage.count / width > last else {
            throw ModelImportError(path: path, key: key, problem: "tensor view outside its storage",
                                   expected: "elements below \(ref.storage.elementCount)",
                                   found: "size \(shape), stride \(ref.strides), offset \(ref.offset) reaching element \(last)")
        }
        var contiguous = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { contiguous[d] = contiguous[d + 1] * shape[d + 1] }
        let isContiguous = zip(zip(shape, strides), contiguous).allSatisfy { $0.0.0 == 1 || $0.0.1 == $0.1 }
        if isContiguous {
            return Array(storage[(ref.offset * width)..<((ref.offset + count) * width)])
        }
        var out = [UInt8](repeating: 0, count: byteCount)
        var index = [Int](repeating: 0, count: shape.count)
        var source = ref.offset
        for element in 0..<count {
            for b in 0..<width { out[element * width + b] = storage[source * width + b] }
            // Odometer over the multi-index, last dimension fastest.
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                source += strides[d]
                if index[d] < shape[d] { break }
                source -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}
