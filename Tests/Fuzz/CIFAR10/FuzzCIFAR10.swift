// libFuzzer entry point for the CIFAR-10 batch reader (Sources/Datasets/CIFAR10.swift):
// the input is a batch file (raw or gzip).
import Foundation
import Glibc
@testable import Datasets

private let inputPath = FuzzFiles.path("data_batch_1.bin")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIFAR10(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzFiles.write(data, size, to: inputPath)
    if let batch = try? readCIFAR10Batch(inputPath) {
        precondition(batch.pixels.count == batch.labels.count * 3 * 32 * 32, "CIFAR-10: pixel count does not match the records")
        precondition(batch.labels.allSatisfy { (0..<10).contains($0) }, "CIFAR-10: a label outside 0..<10 was accepted")
    }
    return 0
}
