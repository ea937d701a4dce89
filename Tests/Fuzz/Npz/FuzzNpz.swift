// libFuzzer entry point for NumPy files (Sources/ModelImport/NumpyArchive.swift), read as
// the commands read a model trained elsewhere. Two kinds of input: a whole `.npz` zip, and
// (starting with the magic \x93NUMPY) one `.npy` array, which is read directly and also
// wrapped in a zip with a correct CRC, so that mutations of the array header get past it.
import Foundation
@testable import ModelImport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if bytes.starts(with: [0x93] + Array("NUMPY".utf8)) {
        if let tensor = try? NumpyArchive.decodeNpy(bytes, key: "0.weight", path: "fuzz-input") {
            precondition(tensor.bytes.count == tensor.count * tensor.dtype.byteWidth || tensor.bytes.isEmpty, "npy: data size does not match the shape")
            _ = try? tensor.floatValues(path: "fuzz-input")
        }
        importAndAssemble(storedZip([("0.weight.npy", bytes)]))
    } else {
        importAndAssemble(bytes)
    }
    return 0
}
