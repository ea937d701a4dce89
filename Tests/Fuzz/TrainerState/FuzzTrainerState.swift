// libFuzzer entry point for the trainer state file of shared training prefixes
// (Sources/Experiments/TrainerState.swift). Every input is decoded as it is and, when its
// header parses, with the payload checksum in the header recomputed, so that mutations get
// past the checksum into the shapes and arrays.
import Foundation
@testable import Experiments

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTrainerState(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    use(bytes)
    if let fixed = withRecomputedChecksum(bytes) { use(fixed) }
    return 0
}

private func use(_ bytes: [UInt8]) {
    guard let state = try? TrainerStateFile.decode(Data(bytes), path: "fuzz-input") else { return }
    precondition(state.moments1.map(\.count) == state.parameters.map(\.count), "trainer state: moment shapes differ from the parameters")
    do {
        let again = try TrainerStateFile.decode(try TrainerStateFile.encode(state), path: "re-encoded")
        precondition(again.parameters.map(\.count) == state.parameters.map(\.count) && again.order == state.order,
                     "trainer state: encode + decode changed it")
    } catch {
        preconditionFailure("a decoded trainer state does not survive encode + decode: \(error)")
    }
}

/// The input with `payload_checksum` set to the FNV-1a of its payload (nil when the
/// header is not a JSON object).
private func withRecomputedChecksum(_ bytes: [UInt8]) -> [UInt8]? {
    let magic = [UInt8](TrainerStateFile.magic)
    guard bytes.count >= magic.count + 8, Array(bytes[0..<magic.count]) == magic else { return nil }
    var length = 0
    for i in 0..<8 { length |= Int(bytes[magic.count + i]) << (8 * i) }
    let start = magic.count + 8
    guard length >= 0, length <= bytes.count - start else { return nil }
    let payload = Data(bytes[(start + length)...])
    guard var header = (try? JSONSerialization.jsonObject(with: Data(bytes[start..<(start + length)]))) as? [String: Any] else { return nil }
    header["payload_checksum"] = TrainerStateFile.fnv1a(payload)
    guard let json = try? JSONSerialization.data(withJSONObject: header) else { return nil }
    var out = magic
    for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: json.count >> (8 * i))) }
    return out + [UInt8](json) + [UInt8](payload)
}
