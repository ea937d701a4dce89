// libFuzzer entry point for grid configs (Sources/Experiments/GridConfig.swift): the input
// is a grid file, read as YAML and as JSON (`GridConfig.load` picks no parser by name, but
// both names are tried so that a future split stays covered). A config that loads is used
// as `bmrs grid` uses it: its training units and sweep configs validated, the Slurm scripts
// written out as text, and its YAML form read back.
import Foundation
import Glibc
@testable import Experiments

private let yamlPath = FuzzFiles.path("grid.yaml")
private let jsonPath = FuzzFiles.path("grid.json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGridConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    for path in [yamlPath, jsonPath] {
        FuzzFiles.write(data, size, to: path)
        guard let config = try? GridConfig.load(URL(fileURLWithPath: path)) else { continue }
        for unit in config.trainingUnits() { _ = unit.key }
        for sweep in config.sweepConfigs() { try? sweep.validate(); _ = sweep.levelValues.count }
        let scripts = SlurmScripts(grid: config, configPath: "/grid.yaml", gridDirectory: "/grid", executable: "/bmrs", reportDirectory: "/report")
        _ = scripts.arrayScript + scripts.mergeScript + scripts.submitScript
        guard let yaml = try? config.yaml() else { preconditionFailure("a loaded grid config cannot be written as YAML") }
        yaml.utf8CString.withUnsafeBufferPointer { text in
            text.withMemoryRebound(to: UInt8.self) { FuzzFiles.write($0.baseAddress!, $0.count - 1, to: yamlPath) }
        }
        do { _ = try GridConfig.load(URL(fileURLWithPath: yamlPath)) } catch {
            preconditionFailure("a loaded grid config does not load again from its YAML form: \(error)")
        }
    }
    return 0
}
