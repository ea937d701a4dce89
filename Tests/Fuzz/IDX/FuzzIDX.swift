// libFuzzer entry point for the IDX readers (Sources/Datasets/IDX.swift): the input is an
// image or label file as found on disk (raw or gzip). Built and run by scripts/fuzz.sh.
import Foundation
import Glibc
@testable import Datasets

private let inputPath = FuzzFiles.path("input")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzFiles.write(data, size, to: inputPath)
    if let images = try? readIDXImages(inputPath) {
        precondition(images.pixels.count == images.count * images.rows * images.columns, "IDX images: pixel count does not match the header")
    }
    if let labels = try? readIDXLabels(inputPath) {
        precondition(labels.allSatisfy { (0..<10).contains($0) }, "IDX labels: a label outside 0..<10 was accepted")
    }
    _ = try? readIDXCount(inputPath, magic: IDX.imagesMagic)
    _ = try? readIDXCount(inputPath, magic: IDX.labelsMagic)
    return 0
}
