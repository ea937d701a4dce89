// libFuzzer entry point for the MNIST-5k CSV reader (Sources/Datasets/MNIST5k.swift): the
// input is the CSV (raw or gzip), read as `bmrs` reads the data set (the fixed test split
// included).
import Foundation
import Glibc
@testable import Datasets

private let inputPath = FuzzFiles.path(MNIST5k.plainFileName)
private let directory = URL(fileURLWithPath: inputPath).deletingLastPathComponent()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMNIST5k(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzFiles.write(data, size, to: inputPath)
    if let all = try? readMNIST5kCSV(inputPath) {
        precondition(all.pixels.count == all.count * 28 * 28, "MNIST-5k: pixel count does not match the rows")
    }
    if let (train, test) = try? readMNIST5kDataset(in: directory) {
        precondition(train.pixels.count == train.count * 28 * 28 && test.pixels.count == test.count * 28 * 28, "MNIST-5k: split sizes")
    }
    return 0
}
