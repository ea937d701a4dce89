// Model-file helpers shared by the Npz, Safetensors and TorchStateDict targets
// (compiled into every target by scripts/fuzz.sh).
import Foundation
@testable import ModelImport

/// What the commands do with a model file (bmrs scores --checkpoint, correlate, compact,
/// diagnose): read its tensors, convert each to Float32, and build our network from them.
func importAndAssemble(_ bytes: [UInt8]) {
    guard let file = try? TensorFile.decode(bytes, path: "fuzz-input") else { return }
    for tensor in file.tensors {
        if let (values, _) = try? tensor.floatValues(path: file.path) {
            precondition(values.count == tensor.count, "\(tensor.key): \(values.count) values for shape \(tensor.shape)")
        }
    }
    guard let model = try? ImportedModel.assemble(file, maxBatch: 1) else { return }
    let image = [Float](repeating: 0.5, count: model.network.layers[0].inputSize)
    _ = image.withUnsafeBufferPointer { model.network.logits($0.baseAddress!, count: 1) }
}

/// A zip archive of stored entries with correct CRCs (the smallest writer the harness
/// needs; the reader's own tests have a fuller one).
func storedZip(_ entries: [(name: String, data: [UInt8])]) -> [UInt8] {
    var out: [UInt8] = [], central: [UInt8] = []
    func u16(_ v: Int, _ b: inout [UInt8]) { b += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    func u32(_ v: UInt32, _ b: inout [UInt8]) { for i in 0..<4 { b.append(UInt8((v >> (8 * UInt32(i))) & 0xFF)) } }
    for entry in entries {
        let crc = Zlib.crc32(entry.data[...])
        let name = Array(entry.name.utf8)
        let offset = out.count
        u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
        u32(crc, &out); u32(UInt32(entry.data.count), &out); u32(UInt32(entry.data.count), &out)
        u16(name.count, &out); u16(0, &out); out += name
        out += entry.data
        u32(0x0201_4B50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central)
        u16(0, &central); u16(0, &central); u32(crc, &central)
        u32(UInt32(entry.data.count), &central); u32(UInt32(entry.data.count), &central)
        u16(name.count, &central); u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central)
        u32(0, &central); u32(UInt32(offset), &central)
        central += name
    }
    let centralOffset = out.count
    out += central
    u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
    u32(UInt32(central.count), &out); u32(UInt32(centralOffset), &out); u16(0, &out)
    return out
}
