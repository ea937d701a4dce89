// libFuzzer entry point for the checkpoint reader (Sources/NeuralCore/Checkpoint.swift).
// Every input is decoded twice: as it is, and with its CRC-32 trailer recomputed, so that
// mutations get past the checksum into the header and the values. A network that decodes
// is then used as the commands use a loaded checkpoint (bmrs compact, scores, correlate):
// re-encoded, evaluated on one image, its structures' statistics read and compacted.
import BayesianPruning
import Foundation
@testable import NeuralCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    use(bytes)
    if bytes.count >= 20 {
        var fixed = bytes
        let crc = CRC32.checksum(fixed[0..<(fixed.count - 4)])
        for i in 0..<4 { fixed[fixed.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        use(fixed)
    }
    return 0
}

private func use(_ bytes: [UInt8]) {
    guard let network = try? Checkpoint.decode(Data(bytes), path: "fuzz-input", maxBatch: 2) else { return }
    let again: Network
    do { again = try Checkpoint.decode(try Checkpoint.encode(network), path: "re-encoded", maxBatch: 2) } catch {
        preconditionFailure("a decoded checkpoint does not survive encode + decode: \(error)")
    }
    precondition(again.allParameters.map(\.shape) == network.allParameters.map(\.shape), "re-encoded checkpoint has other shapes")
    guard let first = network.layers.first else { return }
    let image = [Float](repeating: 0.5, count: first.inputSize)
    _ = image.withUnsafeBufferPointer { network.logits($0.baseAddress!, count: 1) }
    _ = Structures.statistics(network)
    _ = CompressionReport(network: network)
    let compact = Compaction.compact(network, maxBatch: 2)
    _ = image.withUnsafeBufferPointer { compact.logits($0.baseAddress!, count: 1) }
}
