// libFuzzer entry point for sweep units and sweep results (Sources/Experiments/Sweep.swift):
// the input is a unit file of `sweeps/units/` (or a `sweep-<key>.json`), read as the unit
// store and the grid's summary read them.
import Foundation
import Glibc
@testable import Experiments
import FileOutput

private let storeDirectory = URL(fileURLWithPath: FuzzFiles.path("units"))
private let key = "00000000fuzz0000"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSweepUnit(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    if let unit = try? JSONCoding.decoder().decode(SweepUnitResult.self, from: bytes) {
        // What SweepRunner.run takes from a unit for a curve point.
        for c in [unit.compression, unit.compressionReleased] {
            _ = (c.neuronCompression, c.parameterCompression, c.layerCollapsed, c.keptPerLayer)
        }
        _ = contentKey(SweepUnitIdentity(model: unit.key, finetuneEpochs: 1, keep: unit.keep))
        _ = try? JSONCoding.encode(unit)
    }
    if let result = try? JSONCoding.decoder().decode(SweepResult.self, from: bytes) {
        try? result.config.validate()
        _ = try? JSONCoding.encode(result)
    }
    FuzzFiles.quietly {
        guard let store = try? UnitStore(directory: storeDirectory) else { return }
        FuzzFiles.write(data, size, to: store.resultURL(key).path)
        _ = try? store.load(SweepUnitResult.self, key: key)
        try? FileManager.default.removeItem(at: store.rejectedDirectory)
    }
    return 0
}
