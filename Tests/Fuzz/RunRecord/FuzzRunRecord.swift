// libFuzzer entry point for run records (`run.json`, Sources/Experiments/RunRecord.swift):
// the input is a record as a grid's unit store or `--match-record` reads it. A record that
// decodes is used as the commands use one: its config validated and hashed, printed as a
// table row, and taken as a matched-compression reference.
import Foundation
import Glibc
@testable import Experiments
import FileOutput

private let storeDirectory = URL(fileURLWithPath: FuzzFiles.path("store"))
private let recordPath = FuzzFiles.path("run.json")
private let key = "00000000fuzz0000"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRunRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    if let record = try? JSONCoding.decoder().decode(RunRecord.self, from: bytes) {
        try? record.config.validate()
        _ = contentKey(record.config)
        _ = ResultTable.render([record])
        _ = try? JSONCoding.encode(record)
    }
    FuzzFiles.write(data, size, to: recordPath)
    _ = try? MatchedCompression.prunedFraction(fromRecord: recordPath)
    // The store reports a rejected file on stderr: keep that out of the fuzzer's log.
    FuzzFiles.quietly {
        guard let store = try? UnitStore(directory: storeDirectory) else { return }
        FuzzFiles.write(data, size, to: store.resultURL(key).path)
        _ = try? store.load(RunRecord.self, key: key)
        try? FileManager.default.removeItem(at: store.rejectedDirectory)
    }
    return 0
}
