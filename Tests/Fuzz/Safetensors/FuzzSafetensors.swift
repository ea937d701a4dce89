// libFuzzer entry point for safetensors files (Sources/ModelImport/Safetensors.swift),
// read as the commands read a model trained elsewhere; a file that reads is also written
// back and must read back to the same tensors.
import Foundation
@testable import ModelImport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    importAndAssemble(bytes)
    if let tensors = try? Safetensors.decode(bytes, path: "fuzz-input"),
       !tensors.contains(where: { if case .unsupported = $0.dtype { true } else { false } }) {
        do {
            let again = try Safetensors.decode(try Safetensors.encode(tensors), path: "re-encoded")
            precondition(Set(again.map(\.key)) == Set(tensors.map(\.key)), "safetensors: encode + decode changed the keys")
        } catch {
            preconditionFailure("safetensors: a decoded file does not survive encode + decode: \(error)")
        }
    }
    return 0
}
