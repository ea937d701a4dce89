// libFuzzer entry point for the gzip/zlib reader every data set file goes through
// (Sources/Datasets/Gzip.swift). Two checks per input: the bytes read as a file (raw,
// gzip, zlib, concatenated members; whole and as a header prefix), and a round trip
// (the input compressed by gzipCompress must read back unchanged).
import Foundation
import Glibc
@testable import Datasets

private let inputPath = FuzzFiles.path("input")
private let roundTripPath = FuzzFiles.path("roundtrip.gz")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzip(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzFiles.write(data, size, to: inputPath)
    let whole = try? readMaybeGzip(inputPath)
    for prefix in [1, 8, 16] {
        guard let head = try? readMaybeGzip(inputPath, prefix: prefix) else { continue }
        if let whole { precondition(head == Array(whole.prefix(prefix)), "gzip: a header prefix differs from the whole file's start") }
    }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    if let compressed = try? gzipCompress(input) {
        compressed.withUnsafeBufferPointer { FuzzFiles.write($0.baseAddress!, $0.count, to: roundTripPath) }
        let back = try? readMaybeGzip(roundTripPath)
        precondition(back == input, "gzip: compressing and reading back changed the bytes")
    }
    return 0
}
