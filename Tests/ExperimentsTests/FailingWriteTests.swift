import Foundation
import Testing
import NeuralCore
@testable import Experiments
#if canImport(Glibc)
import Glibc
#endif
import FileOutput

// setfsuid(2) is in <sys/fsuid.h>, which the Glibc module does not export.
@_silgen_name("setfsuid") private func fileSystemUID(_ uid: UInt32) -> Int32

/// A directory whose write permission is removed, made to bite even for root (tests may
/// run as root, who writes into a mode-555 directory regardless): as root, the calling
/// thread's file-system uid is switched to `nobody` for the duration of the write. Linux
/// keeps the fsuid per thread and drops CAP_DAC_OVERRIDE with it, and a synchronous test
/// body stays on its thread, so no other test is affected.
enum ReadOnlyDirectory {
    static let nobody: uid_t = 65534

    /// Runs `body` with this thread's file accesses checked as an unprivileged user.
    static func asUnprivileged<T>(_ body: () throws -> T) rethrows -> T {
        #if os(Linux)
        guard geteuid() == 0 else { return try body() }
        _ = fileSystemUID(nobody)
        defer { _ = fileSystemUID(0) }
        #endif
        return try body()
    }

    /// A fresh directory holding `files`, then made read-only (mode 555).
    static func make(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-readonly-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, content) in files { try Data(content.utf8).write(to: directory.appendingPathComponent(name)) }
        chmod(directory.path, 0o555)
        return directory
    }

    static func remove(_ directory: URL) {
        chmod(directory.path, 0o755)
        try? FileManager.default.removeItem(at: directory)
    }

    /// True when a write into a mode-555 directory is refused here (by permissions, or as
    /// root through the fsuid switch); false where neither works, e.g. without CAP_SETUID.
    static let isEnforced: Bool = {
        guard let directory = try? make([:]) else { return false }
        defer { remove(directory) }
        let probe = directory.appendingPathComponent("probe").path
        let fd = asUnprivileged { open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        if fd >= 0 { close(fd); return false }
        return true
    }()

    /// Every name in `directory`, hidden ones (temporary files) included.
    static func listing(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }
}

/// The `FileWriteError` `body` throws (recording a failure when it throws nothing or another error).
func writeError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> FileWriteError? {
    do {
        try body()
        Issue.record("the write succeeded", sourceLocation: sourceLocation)
    } catch let error as FileWriteError {
        return error
    } catch {
        Issue.record("expected a FileWriteError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Issue 15, item 6: a write that fails leaves the previous state intact and the error
/// names the file.
@Suite("Failing writes")
struct FailingWriteTests {
    @Test(.enabled(if: ReadOnlyDirectory.isEnforced, "this machine cannot make a directory read-only for the test process"))
    func readOnlyDirectoryKeepsThePreviousFileAndNamesIt() throws {
        let directory = try ReadOnlyDirectory.make(["run.json": "previous"])
        defer { ReadOnlyDirectory.remove(directory) }
        let url = directory.appendingPathComponent("run.json")
        let error = writeError { try ReadOnlyDirectory.asUnprivileged { try AtomicFile.write(Data("new".utf8), to: url) } }
        #expect(error?.path == url.path)
        #expect(error.map { "\($0)".contains(url.path) && "\($0)".contains("Permission denied") } == true, "\(String(describing: error))")
        #expect(try String(contentsOf: url, encoding: .utf8) == "previous")
        #expect(try ReadOnlyDirectory.listing(directory) == ["run.json"], "a temporary file was left behind")
    }

    @Test(.enabled(if: ReadOnlyDirectory.isEnforced, "this machine cannot make a directory read-only for the test process"))
    func readOnlyDirectoryForANewFileLeavesNothing() throws {
        let directory = try ReadOnlyDirectory.make([:])
        defer { ReadOnlyDirectory.remove(directory) }
        let url = directory.appendingPathComponent("checkpoint.bin")
        let error = writeError { try ReadOnlyDirectory.asUnprivileged { try AtomicFile.write(Data([1, 2, 3]), to: url) } }
        #expect(error?.path == url.path)
        #expect(try ReadOnlyDirectory.listing(directory).isEmpty)
    }

    /// Works for every user, root included: a directory cannot be created below a file.
    @Test func parentThatIsARegularFileNamesTheDestination() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-notdir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("runs")
        try Data("a file where a directory should be".utf8).write(to: file)
        let url = file.appendingPathComponent("a").appendingPathComponent("run.json")
        let error = writeError { try AtomicFile.writeJSON(["x": 1], to: url) }
        #expect(error?.path == url.path)
        #expect(error?.step.contains("creating its directory") == true, "\(String(describing: error))")
        #expect(try String(contentsOf: file, encoding: .utf8) == "a file where a directory should be")
        #expect(try ReadOnlyDirectory.listing(root) == ["runs"])
    }

    /// Works for every user: the final rename fails when the destination is a directory.
    @Test func failedRenameRemovesTheTemporaryFile() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-rename-\(UUID().uuidString)")
        let occupied = root.appendingPathComponent("run.json")
        try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: true)
        try Data("kept".utf8).write(to: occupied.appendingPathComponent("inside"))
        defer { try? FileManager.default.removeItem(at: root) }
        let error = writeError { try AtomicFile.write(Data("new".utf8), to: occupied) }
        #expect(error?.path == occupied.path)
        #expect(error?.step.contains("renaming") == true, "\(String(describing: error))")
        #expect(try ReadOnlyDirectory.listing(root) == ["run.json"])
        #expect(try String(contentsOf: occupied.appendingPathComponent("inside"), encoding: .utf8) == "kept")
    }

    /// A grid's unit store: the run record already stored stays, and still loads.
    @Test(.enabled(if: ReadOnlyDirectory.isEnforced, "this machine cannot make a directory read-only for the test process"))
    func unitStoreKeepsTheStoredRecord() throws {
        let directory = try ReadOnlyDirectory.make([:])
        defer { ReadOnlyDirectory.remove(directory) }
        chmod(directory.path, 0o755)
        let store = try UnitStore(directory: directory)
        try store.save(["status": "finished", "test_accuracy": "0.5"], key: "k1")
        let before = try Data(contentsOf: store.resultURL("k1"))
        chmod(directory.path, 0o555)
        let error = writeError { try ReadOnlyDirectory.asUnprivileged { try store.save(["status": "failed"], key: "k1") } }
        #expect(error?.path == store.resultURL("k1").path)
        #expect(try Data(contentsOf: store.resultURL("k1")) == before)
        #expect(try store.load([String: String].self, key: "k1")?["status"] == "finished")
        #expect(try ReadOnlyDirectory.listing(directory) == ["k1.json"])
    }

    /// A training run whose checkpoint cannot be written fails naming it; the checkpoint and
    /// record of the previous run in that directory are untouched.
    @Test(.enabled(if: ReadOnlyDirectory.isEnforced, "this machine cannot make a directory read-only for the test process"))
    func trainingRunKeepsThePreviousCheckpointAndRecord() throws {
        let directory = try ReadOnlyDirectory.make(["checkpoint.bin": "previous checkpoint", "run.json": "previous record"])
        defer { ReadOnlyDirectory.remove(directory) }
        let checkpoint = directory.appendingPathComponent(TrainingSession.checkpointFileName)
        var config = smallConfig()
        config.epochs = 1
        let splits = syntheticSplits(train: 64, validation: 32, test: 32)
        let error = writeError {
            _ = try ReadOnlyDirectory.asUnprivileged {
                try Trainer(config: config).run(splits: splits, dataDirectory: "synthetic", checkpoint: checkpoint)
            }
        }
        #expect(error?.path == checkpoint.path)
        #expect(try String(contentsOf: checkpoint, encoding: .utf8) == "previous checkpoint")
        #expect(try String(contentsOf: directory.appendingPathComponent("run.json"), encoding: .utf8) == "previous record")
        #expect(try ReadOnlyDirectory.listing(directory) == ["checkpoint.bin", "run.json"])
    }

    /// A shared-prefix state file (TrainerStateFile.write) likewise.
    @Test(.enabled(if: ReadOnlyDirectory.isEnforced, "this machine cannot make a directory read-only for the test process"))
    func trainerStateKeepsThePreviousFile() throws {
        let directory = try ReadOnlyDirectory.make(["epoch-3.state": "previous state"])
        defer { ReadOnlyDirectory.remove(directory) }
        let url = directory.appendingPathComponent("epoch-3.state")
        let state = TrainerState(epoch: 3, parameters: [[1, 2]], masks: [[1]], initialParameters: [[0, 0]], adamStep: 1,
                                 moments1: [[0, 0]], moments2: [[0, 0]], orderGenerator: [1, 2, 3, 4], order: [0], noiseCounter: 0,
                                 lossSum: 0, crossEntropySum: 0, klSum: 0, epochs: [], initialValidationAccuracy: 0)
        let error = writeError { try ReadOnlyDirectory.asUnprivileged { try TrainerStateFile.write(state, to: url) } }
        #expect(error?.path == url.path)
        #expect(try String(contentsOf: url, encoding: .utf8) == "previous state")
    }
}
