import Foundation
import Testing
@testable import Experiments

/// Issue 15, item 2: a damaged file in a grid directory is reported, moved aside and
/// recomputed; it never crashes a run or a report and never enters a table.
@Suite("A store that never trusts a bad record")
struct StoreDamageTests {
    enum Damage: String, CaseIterable, Sendable { case notJSON, wrongSchema, otherUnitsRecord, truncatedCheckpoint, sweepUnitGarbage }

    @Test(arguments: Damage.allCases)
    func aDamagedUnitIsMovedAsideAndRecomputed(_ damage: Damage) throws {
        let whole = temporaryDirectory("store-whole"), damaged = temporaryDirectory("store-damaged")
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: damaged) }
        try GridRunner(config: tinyGrid(), directory: whole).run(data: syntheticData)
        try GridRunner(config: tinyGrid(), directory: damaged).run(data: syntheticData)
        let units = tinyGrid().trainingUnits()
        let runs = damaged.appendingPathComponent("runs")
        let victim = units[1].key, other = units[2].key
        switch damage {
        case .notJSON: try Data("{\"config\": trunc".utf8).write(to: runs.appendingPathComponent("\(victim).json"))
        case .wrongSchema: try Data("{\"schema\": \"something else\", \"points\": []}".utf8).write(to: runs.appendingPathComponent("\(victim).json"))
        case .otherUnitsRecord:
            try FileManager.default.removeItem(at: runs.appendingPathComponent("\(victim).json"))
            try FileManager.default.copyItem(at: runs.appendingPathComponent("\(other).json"), to: runs.appendingPathComponent("\(victim).json"))
        case .truncatedCheckpoint:
            let url = runs.appendingPathComponent("checkpoints/\(victim).bin")
            try Data(contentsOf: url).dropLast(100).write(to: url)
        case .sweepUnitGarbage:
            let folder = damaged.appendingPathComponent("sweeps/units")
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).first { $0.hasSuffix(".json") })
            try Data("garbage".utf8).write(to: folder.appendingPathComponent(name))
        }
        // The report path reads records without crashing and without the bad one.
        if damage != .truncatedCheckpoint && damage != .sweepUnitGarbage {
            let records = try GridRunner(config: tinyGrid(), directory: damaged).records()
            #expect(records.count == units.count - 1)
        }
        let progress = try GridRunner(config: tinyGrid(), directory: damaged).run(data: syntheticData)
        #expect(progress.complete)
        #expect(try summaryFiles(damaged) == summaryFiles(whole))
        let rejected = damage == .sweepUnitGarbage ? damaged.appendingPathComponent("sweeps/units/rejected") : runs.appendingPathComponent("rejected")
        #expect(try FileManager.default.contentsOfDirectory(atPath: rejected.path).count == 1)
    }
}
