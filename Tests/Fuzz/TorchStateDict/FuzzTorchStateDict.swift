// libFuzzer entry point for PyTorch state_dict files (Sources/ModelImport: ZipArchive,
// Unpickler, TorchStateDict), read as the commands read a model trained elsewhere. Two
// kinds of input: a whole `torch.save` zip, and (starting with the pickle PROTO opcode
// 0x80) a bare `data.pkl`, which the harness wraps in a zip with a storage entry of the
// declared size for every persistent id it names, so that mutations of the pickle reach
// the tensor views and the network assembly past the zip's CRCs.
import Foundation
@testable import ModelImport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorchStateDict(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if bytes.first == 0x80 {
        var unpickler = Unpickler(bytes: bytes, path: "fuzz-input", entry: "archive/data.pkl")
        guard let root = try? unpickler.load() else { return 0 }
        var entries: [(name: String, data: [UInt8])] = [("archive/data.pkl", bytes)]
        var seen = Set<String>()
        for storage in storages(in: root, depth: 0) where seen.insert(storage.key).inserted {
            // Large declared storages get what fits in 1 MiB: the reader must refuse the rest.
            let (count, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.dtype.byteWidth)
            let length = overflow ? 1 << 20 : min(count, 1 << 20)
            entries.append(("archive/data/\(storage.key)", (0..<length).map { floatOne[$0 % 4] }))
        }
        entries.append(("archive/version", Array("3\n".utf8)))
        importAndAssemble(storedZip(entries))
    } else {
        importAndAssemble(bytes)
    }
    return 0
}

/// Storage filler: float32 1.0 (a valid mask value) repeated.
private let floatOne: [UInt8] = [0, 0, 0x80, 0x3F]

/// The storages a pickled value names (to a bounded depth: the memo can make cycles).
private func storages(in value: PickleValue, depth: Int) -> [StorageReference] {
    guard depth < 16 else { return [] }
    switch value {
    case .storage(let s): return [s]
    case .tensor(let t): return [t.storage]
    case .tuple(let items): return items.flatMap { storages(in: $0, depth: depth + 1) }
    case .list(let list): return list.items.flatMap { storages(in: $0, depth: depth + 1) }
    case .dict(let dict): return dict.pairs.flatMap { storages(in: $0.1, depth: depth + 1) }
    default: return []
    }
}
