import Foundation
import Testing
@testable import Experiments
@testable import Reporting
#if canImport(Glibc)
import Glibc
#endif
import FileOutput

// setfsuid(2) is in <sys/fsuid.h>, which the Glibc module does not export.
@_silgen_name("setfsuid") private func fileSystemUID(_ uid: UInt32) -> Int32

/// Issue 15, item 6, for reports: a report that cannot be written into its directory fails
/// naming the file, and the previous report there is untouched. The directory is made
/// read-only (mode 555); as root, who writes there regardless, this thread's file-system
/// uid is switched to `nobody` for the build (Linux keeps it per thread, and drops
/// CAP_DAC_OVERRIDE with it), as in ExperimentsTests' FailingWriteTests.
@Suite("Failing report writes")
struct FailingReportWriteTests {
    static func asUnprivileged<T>(_ body: () throws -> T) rethrows -> T {
        #if os(Linux)
        guard geteuid() == 0 else { return try body() }
        _ = fileSystemUID(65534)
        defer { _ = fileSystemUID(0) }
        #endif
        return try body()
    }

    static let readOnlyIsEnforced: Bool = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-readonly-probe-\(UUID().uuidString)")
        guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil else { return false }
        defer { chmod(directory.path, 0o755); try? FileManager.default.removeItem(at: directory) }
        chmod(directory.path, 0o555)
        let fd = asUnprivileged { open(directory.appendingPathComponent("probe").path, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        if fd >= 0 { close(fd); return false }
        return true
    }()

    @Test(.enabled(if: readOnlyIsEnforced, "this machine cannot make a directory read-only for the test process"))
    func readOnlyReportDirectoryKeepsThePreviousReport() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-report-ro-\(UUID().uuidString)")
        let output = root.appendingPathComponent("report")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        defer { chmod(output.path, 0o755); try? FileManager.default.removeItem(at: root) }
        for name in ["report.md", "table.tex"] { try Data("previous \(name)".utf8).write(to: output.appendingPathComponent(name)) }
        let grid = GridConfig(name: "ro", datasets: [.fashionMNIST], networks: [.init(kind: .mlp, hidden: 8, depth: 1)],
                              methods: [.none], matched: nil, seeds: [1], epochs: 1, finetuneEpochs: 0, batchSize: 16,
                              learningRate: 1e-3, trainLimit: nil, validationLimit: nil, protocolVariant: .standard,
                              precisions: nil, curves: nil, slurm: nil)
        let templates = try ReportFixture.templates()
        chmod(output.path, 0o555)
        let builder = ReportBuilder(results: ReportFixture.empty(grid), templates: templates, output: output)
        do {
            _ = try Self.asUnprivileged { try builder.build() }
            Issue.record("the report was written into a read-only directory")
        } catch let error as FileWriteError {
            #expect(error.path == output.appendingPathComponent("table.tex").path)
            #expect("\(error)".contains("table.tex"))
        }
        for name in ["report.md", "table.tex"] {
            #expect(try String(contentsOf: output.appendingPathComponent(name), encoding: .utf8) == "previous \(name)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).sorted() == ["report.md", "table.tex"])
    }
}
