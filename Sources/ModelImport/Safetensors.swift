import Foundation
import FileOutput

/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// (`{"key": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`, offsets
/// relative to the end of the header), then the raw little-endian, row-major tensor data.
/// `__metadata__` is ignored on reading.
public enum Safetensors {
    static let dtypeNames: [String: TensorDType] = [
        "F64": .float64, "F32": .float32, "F16": .float16, "BF16": .bfloat16,
        "I64": .int64, "I32": .int32, "I16": .int16, "I8": .int8, "U8": .uint8, "BOOL": .bool,
    ]

    /// True when `bytes` plausibly start a safetensors file (a header length that fits, then `{`).
    static func looksLikeSafetensors(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 10 else { return false }
        let n = littleEndian(bytes[0..<8])
        return n >= 2 && n <= UInt64(bytes.count - 8) && bytes[8] == UInt8(ascii: "{")
    }

    /// Every tensor of a safetensors file, in the order of their data.
    public static func decode(_ bytes: [UInt8], path: String) throws -> [ImportedTensor] {
        let reader = ByteReader(bytes: bytes, path: path)
        let length = try checkedInt(try reader.uint64(at: 0, reading: "the safetensors header length"), path: path, what: "header length")
        let header = try reader.slice(8, count: length, reading: "the safetensors JSON header")
        let items: [String: HeaderItem]
        do { items = try JSONDecoder().decode([String: HeaderItem].self, from: Data(header)) } catch {
            throw ModelImportError(path: path, problem: "unreadable safetensors header", expected: "a JSON object of tensor entries",
                                   found: "\(error)")
        }
        let dataStart = 8 + length
        let dataLength = bytes.count - dataStart
        var tensors: [(Int, ImportedTensor)] = []
        for (key, item) in items where key != "__metadata__" {
            guard case .tensor(let entry) = item else {
                throw ModelImportError(path: path, key: key, problem: "malformed safetensors entry",
                                       expected: "{\"dtype\", \"shape\", \"data_offsets\"}", found: "another JSON value")
            }
            let dtype = dtypeNames[entry.dtype] ?? .unsupported(entry.dtype)
            guard entry.shape.allSatisfy({ $0 >= 0 }), entry.dataOffsets.count == 2,
                  entry.dataOffsets[0] >= 0, entry.dataOffsets[0] <= entry.dataOffsets[1] else {
                throw ModelImportError(path: path, key: key, problem: "malformed safetensors entry",
                                       expected: "non-negative shape and data_offsets [begin, end]",
                                       found: "shape \(entry.shape), data_offsets \(entry.dataOffsets)")
            }
            let begin = entry.dataOffsets[0], end = entry.dataOffsets[1]
            guard end <= dataLength else {
                throw ModelImportError(path: path, key: key, problem: "truncated file", expected: "data up to byte \(end) after the header",
                                       found: "\(dataLength) bytes of data")
            }
            let needed = try checkedElementCount(entry.shape, width: dtype.byteWidth, path: path, key: key).bytes
            if case .unsupported = dtype {} else {
                guard end - begin == needed else {
                    throw ModelImportError(path: path, key: key, problem: "data size does not match the shape",
                                           expected: "\(needed) bytes for \(entry.shape) × \(dtype)", found: "\(end - begin) bytes")
                }
            }
            let data = Array(bytes[(dataStart + begin)..<(dataStart + end)])
            tensors.append((begin, ImportedTensor(key: key, dtype: dtype, shape: entry.shape, bytes: data)))
        }
        return tensors.sorted { ($0.0, $0.1.key) < ($1.0, $1.1.key) }.map(\.1)
    }

    /// A safetensors file holding `tensors` in the given order (header keys sorted, padded
    /// with spaces to a multiple of 8 bytes as the reference writer does).
    public static func encode(_ tensors: [ImportedTensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        var items: [String: HeaderItem] = [:]
        var offset = 0
        for t in tensors {
            guard let name = dtypeNames.first(where: { $0.value == t.dtype })?.key else {
                throw ModelImportError(path: "<safetensors>", key: t.key, problem: "type not writable", expected: "a safetensors dtype", found: "\(t.dtype)")
            }
            items[t.key] = .tensor(Entry(dtype: name, shape: t.shape, dataOffsets: [offset, offset + t.bytes.count]))
            offset += t.bytes.count
        }
        if !metadata.isEmpty { items["__metadata__"] = .metadata(metadata) }
        var header = [UInt8](try JSONCoding.canonicalEncoder().encode(items))
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out += $0 }
        out += header
        for t in tensors { out += t.bytes }
        return out
    }

    struct Entry: Codable {
        var dtype: String
        var shape: [Int]
        var dataOffsets: [Int]
        enum CodingKeys: String, CodingKey {
            case dtype, shape
            case dataOffsets = "data_offsets"
        }
    }

    enum HeaderItem: Codable {
        case tensor(Entry)
        case metadata([String: String])
        case other

        init(from decoder: any Decoder) throws {
            if let entry = try? Entry(from: decoder) {
                self = .tensor(entry)
            } else if let meta = try? [String: String](from: decoder) {
                self = .metadata(meta)
            } else {
                self = .other
            }
        }

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .tensor(let entry): try entry.encode(to: encoder)
            case .metadata(let meta): try meta.encode(to: encoder)
            case .other: var c = encoder.singleValueContainer(); try c.encodeNil()
            }
        }
    }
}
