import Foundation
import Testing
@testable import ModelImport

/// The committed fixtures (written by Fixtures/make_fixtures.py with python3-torch).
enum Fixture {
    static func url(_ name: String) throws -> URL {
        let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
        return try #require(Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures"), "fixture \(name)")
    }

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: try url(name))) }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: try url("expected.json")))
    }
}

/// expected.json: tensor summaries, masks and float64 logits computed by the Python side.
struct Expected: Decodable {
    struct Summary: Decodable {
        var shape: [Int]
        var sum: Double
        var elements: [[Double]]  // [index, value]
    }
    struct Model: Decodable {
        var keys: [String]
        var tensors: [String: Summary]
        var masks: [[Float]]
        var logits: [Double]
    }
    struct Tensor: Decodable {
        var shape: [Int]
        var dtype: String
        var values: [Double]
    }
    var torch: String
    var mlp: Model
    var lenet5: Model
    var tensors: [String: Tensor]
}

/// The probe images of make_fixtures.py: element i is ((i·7919) mod 1024)/1024 − 0.5, exact in float32.
func probeInput(images: Int, size: Int = 1024) -> [Float] {
    (0..<(images * size)).map { Float(($0 * 7919) % 1024) / 1024 - 0.5 }
}

/// A fresh directory under the system's temporary directory, removed on deinit.
final class ScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("modelimport-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ bytes: [UInt8], _ name: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }

    func write(_ text: String, _ name: String) throws -> URL { try write(Array(text.utf8), name) }
}

/// The error a throwing expression raised, as a ModelImportError (failing the test otherwise).
func importError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> ModelImportError? {
    do {
        try body()
        Issue.record("expected a ModelImportError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as ModelImportError {
        return error
    } catch {
        Issue.record("expected a ModelImportError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

// MARK: - Writers for hand-made inputs

/// A minimal zip writer (stored or raw-deflated bytes given by the caller), optionally with
/// ZIP64 extra fields and end records everywhere, to build archives torch never writes.
func makeZip(_ entries: [(name: String, data: [UInt8])], zip64: Bool = false, method: UInt16 = 0,
             stored: [[UInt8]]? = nil, crcs: [UInt32]? = nil) -> [UInt8] {
    var out: [UInt8] = [], central: [UInt8] = []
    func u16(_ v: Int, _ b: inout [UInt8]) { b += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    func u32(_ v: UInt32, _ b: inout [UInt8]) { for i in 0..<4 { b.append(UInt8((v >> (8 * UInt32(i))) & 0xFF)) } }
    func u64(_ v: Int, _ b: inout [UInt8]) { for i in 0..<8 { b.append(UInt8((UInt64(v) >> (8 * UInt64(i))) & 0xFF)) } }
    for (i, entry) in entries.enumerated() {
        let payload = stored?[i] ?? entry.data
        let crc = crcs?[i] ?? Zlib.crc32(entry.data[...])
        let name = Array(entry.name.utf8)
        let offset = out.count
        var extra: [UInt8] = []
        if zip64 { u16(1, &extra); u16(24, &extra); u64(entry.data.count, &extra); u64(payload.count, &extra); u64(offset, &extra) }
        u32(0x0403_4B50, &out); u16(45, &out); u16(0, &out); u16(Int(method), &out); u16(0, &out); u16(0, &out)
        u32(crc, &out)
        u32(zip64 ? 0xFFFF_FFFF : UInt32(payload.count), &out); u32(zip64 ? 0xFFFF_FFFF : UInt32(entry.data.count), &out)
        u16(name.count, &out); u16(zip64 ? 20 : 0, &out); out += name
        if zip64 { u16(1, &out); u16(16, &out); u64(entry.data.count, &out); u64(payload.count, &out) }
        out += payload
        u32(0x0201_4B50, &central); u16(45, &central); u16(45, &central); u16(0, &central); u16(Int(method), &central)
        u16(0, &central); u16(0, &central); u32(crc, &central)
        u32(zip64 ? 0xFFFF_FFFF : UInt32(payload.count), &central); u32(zip64 ? 0xFFFF_FFFF : UInt32(entry.data.count), &central)
        u16(name.count, &central); u16(extra.count, &central); u16(0, &central); u16(0, &central); u16(0, &central)
        u32(0, &central); u32(zip64 ? 0xFFFF_FFFF : UInt32(offset), &central)
        central += name + extra
    }
    let centralOffset = out.count
    out += central
    if zip64 {
        let end64 = out.count
        u32(0x0606_4B50, &out); u64(44, &out); u16(45, &out); u16(45, &out); u32(0, &out); u32(0, &out)
        u64(entries.count, &out); u64(entries.count, &out); u64(central.count, &out); u64(centralOffset, &out)
        u32(0x0706_4B50, &out); u32(0, &out); u64(end64, &out); u32(1, &out)
    }
    u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out)
    u16(zip64 ? 0xFFFF : entries.count, &out); u16(zip64 ? 0xFFFF : entries.count, &out)
    u32(zip64 ? 0xFFFF_FFFF : UInt32(central.count), &out); u32(zip64 ? 0xFFFF_FFFF : UInt32(centralOffset), &out)
    u16(0, &out)
    return out
}

/// Emits pickle opcodes by name, for hand-made state_dict pickles.
struct PickleWriter {
    var bytes: [UInt8] = [0x80, 2]

    mutating func global(_ module: String, _ name: String) { bytes += [0x63] + Array("\(module)\n\(name)\n".utf8) }
    mutating func string(_ s: String) {
        let u = Array(s.utf8)
        bytes += [0x58] + withUnsafeBytes(of: UInt32(u.count).littleEndian, Array.init) + u
    }
    mutating func int(_ i: Int) {
        if (0..<256).contains(i) {
            bytes += [0x4B, UInt8(i)]
        } else if let small = Int32(exactly: i) {
            bytes += [0x4A] + withUnsafeBytes(of: small.littleEndian, Array.init)
        } else {
            bytes += [0x8A, 8] + withUnsafeBytes(of: Int64(i).littleEndian, Array.init)  // LONG1, 8 bytes
        }
    }
    mutating func op(_ code: UInt8) { bytes.append(code) }
    mutating func mark() { op(0x28) }
    mutating func tuple() { op(0x74) }
    mutating func emptyTuple() { op(0x29) }
    mutating func reduce() { op(0x52) }

    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`.
    mutating func tensor(storageType: String = "FloatStorage", key: String, numel: Int, offset: Int, size: [Int], stride: [Int]) {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        mark(); string("storage"); global("torch", storageType); string(key); string("cpu"); int(numel); tuple()
        op(0x51)  // BINPERSID
        int(offset)
        mark(); size.forEach { int($0) }; tuple()
        mark(); stride.forEach { int($0) }; tuple()
        op(0x89)  // NEWFALSE
        global("collections", "OrderedDict"); emptyTuple(); reduce()
        tuple()
        reduce()
    }

    /// An OrderedDict built from the items the body pushes (key, value, key, value, …).
    mutating func orderedDict(_ body: (inout PickleWriter) -> Void) {
        global("collections", "OrderedDict"); emptyTuple(); reduce()
        mark()
        body(&self)
        op(0x75)  // SETITEMS
    }

    mutating func stop() { op(0x2E) }
}

/// A torch.save-shaped zip around a pickle and raw float32 storages.
func torchZip(pickle: [UInt8], storages: [String: [Float]] = [:], extra: [(String, [UInt8])] = []) -> [UInt8] {
    var entries: [(name: String, data: [UInt8])] = [("archive/data.pkl", pickle)]
    for (key, values) in storages.sorted(by: { $0.key < $1.key }) {
        entries.append(("archive/data/\(key)", values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }))
    }
    entries.append(("archive/version", Array("3\n".utf8)))
    return makeZip(entries + extra.map { (name: $0.0, data: $0.1) })
}

func floatBytes(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
