import Foundation
import Testing
@testable import ModelImport

@Suite("restricted unpickler")
struct UnpicklerTests {
    @Test func refusesOsSystemAndRunsNothing() throws {
        let marker = "/tmp/bmrs-import-should-not-exist"
        try? FileManager.default.removeItem(atPath: marker)
        let error = importError { _ = try TensorFile.read(url: try Fixture.url("evil_system.pth")) }
        // os.system pickles as posix.system on Linux (nt.system on Windows).
        #expect(error?.found == "posix.system")
        #expect(error?.problem.hasPrefix("refused pickle global posix.system") == true)
        #expect(error?.problem.contains("nothing was run") == true)
        #expect(error?.key == "evil_system/data.pkl")
        #expect(error?.path.hasSuffix("evil_system.pth") == true)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func refusesEval() throws {
        let error = importError { _ = try TensorFile.read(url: try Fixture.url("evil_eval.pth")) }
        #expect(error?.found.hasSuffix(".eval") == true, "\(String(describing: error))")
    }

    @Test func aWholePickledModuleGetsAHint() throws {
        let error = importError { _ = try TensorFile.read(url: try Fixture.url("whole_module.pth")) }
        #expect(error?.found == "torch.nn.modules.linear.Linear")
        #expect(error?.problem.contains("state_dict()") == true)
    }

    @Test func unknownGlobalInAHandMadePickle() {
        var p = PickleWriter()
        p.global("torch", "load")
        p.stop()
        let error = importError { _ = try TensorFile.decode(torchZip(pickle: p.bytes), path: "x.pth") }
        #expect(error?.found == "torch.load")
        #expect(error?.expected == Unpickler.allowedNames)
    }

    @Test func unsupportedOpcodeAndTruncation() {
        // 'I' (protocol 0 text integer) is not something torch.save writes.
        let text: [UInt8] = [0x80, 2] + Array("I42\n.".utf8)
        var unpickler = Unpickler(bytes: text, path: "p", entry: "data.pkl")
        let error = importError { _ = try unpickler.load() }
        #expect(error?.problem.hasPrefix("unsupported pickle opcode") == true)
        #expect(error?.found == "0x49")

        var p = PickleWriter()
        p.orderedDict { $0.string("a"); $0.tensor(key: "0", numel: 2, offset: 0, size: [2], stride: [1]) }
        p.stop()
        var cut = Unpickler(bytes: Array(p.bytes.dropLast(9)), path: "p", entry: "data.pkl")
        let truncated = importError { _ = try cut.load() }
        #expect(truncated?.problem.hasPrefix("pickle ends early") == true)
    }

    @Test func scalarsAndContainers() throws {
        // LONG1 −2, BINFLOAT 0.5, BININT −7, BINUNICODE, a list, a dict and a memo round trip.
        var bytes: [UInt8] = [0x80, 2, 0x28]
        bytes += [0x8A, 1, 0xFE]
        bytes += [0x47, 0x3F, 0xE0, 0, 0, 0, 0, 0, 0]
        bytes += [0x4A] + withUnsafeBytes(of: Int32(-7).littleEndian, Array.init)
        bytes += [0x58, 2, 0, 0, 0] + Array("hi".utf8)
        bytes += [0x71, 5, 0x30, 0x68, 5]            // BINPUT 5, POP, BINGET 5
        bytes += [0x5D, 0x4B, 1, 0x61]               // [1]
        bytes += [0x7D, 0x4B, 2, 0x4B, 3, 0x73]      // {2: 3}
        bytes += [0x74, 0x2E]
        var unpickler = Unpickler(bytes: bytes, path: "p", entry: "data.pkl")
        guard case .tuple(let items) = try unpickler.load() else { Issue.record("not a tuple"); return }
        #expect(items.count == 6)
        if case .int(let v) = items[0] { #expect(v == -2) } else { Issue.record("LONG1") }
        if case .float(let v) = items[1] { #expect(v == 0.5) } else { Issue.record("BINFLOAT") }
        if case .int(let v) = items[2] { #expect(v == -7) } else { Issue.record("BININT") }
        if case .list(let l) = items[4], case .int(let v) = l.items.first { #expect(v == 1) } else { Issue.record("list") }
        if case .dict(let d) = items[5], case .int(let v) = d.pairs.first?.1 { #expect(v == 3) } else { Issue.record("dict") }
    }

    @Test func nestedCheckpointDictionariesAreFlattened() throws {
        var p = PickleWriter()
        p.op(0x7D)  // {}
        p.mark()
        p.string("model")
        p.orderedDict { $0.string("w"); $0.tensor(key: "0", numel: 3, offset: 1, size: [2], stride: [1]) }
        p.string("epoch"); p.int(3)
        p.op(0x75)
        p.stop()
        let file = try TensorFile.decode(torchZip(pickle: p.bytes, storages: ["0": [1, 2, 3]]), path: "ckpt.pth")
        #expect(file.keys == ["model.w"])
        #expect(try file["model.w"]?.floatValues(path: "").values == [2, 3])
        #expect(file.notes == ["epoch: not a tensor (int), ignored"])
    }

    @Test func viewsOutsideTheirStorageAreRefused() {
        var p = PickleWriter()
        p.orderedDict { $0.string("w"); $0.tensor(key: "0", numel: 4, offset: 2, size: [2, 2], stride: [2, 1]) }
        p.stop()
        let error = importError { _ = try TensorFile.decode(torchZip(pickle: p.bytes, storages: ["0": [1, 2, 3, 4]]), path: "v.pth") }
        #expect(error?.key == "w")
        #expect(error?.problem == "tensor view outside its storage")
    }

    /// A list or dict inside itself, or filled after it was nested in another value, is
    /// refused: pickle never writes a state_dict so, and either could hide a cycle or a
    /// nesting depth the limit does not see.
    @Test func recursiveAndLateFilledContainersAreRefused() {
        let cases: [(name: String, bytes: [UInt8], problem: String)] = [
            ("list in itself", [0x5D, 0x71, 0, 0x68, 0, 0x61], "recursive pickle container"),            // l = []; l.append(l)
            ("dict in itself", [0x7D, 0x71, 0, 0x4B, 1, 0x68, 0, 0x73], "recursive pickle container"),   // d = {}; d[1] = d
            ("list filled after nesting", [0x5D, 0x71, 0, 0x85, 0x68, 0, 0x4E, 0x61],                     // t = (l,); l.append(None)
             "APPEND to a list already nested in another value"),
            ("dict filled after nesting", [0x7D, 0x71, 0, 0x85, 0x68, 0, 0x4B, 1, 0x4E, 0x73],           // t = (d,); d[1] = None
             "SETITEM on a dict already nested in another value"),
        ]
        for c in cases {
            var unpickler = Unpickler(bytes: [0x80, 2] + c.bytes + [0x2E], path: "p", entry: "data.pkl")
            let error = importError { _ = try unpickler.load() }
            #expect(error?.problem.hasPrefix(c.problem) == true, "\(c.name): \(String(describing: error))")
        }
    }

    /// One nested dict named twice at each of 21 levels (through the memo) would flatten to
    /// 2^21 entries; flattening stops at `maxEntries` with an error.
    @Test func exponentiallySharedDictsAreRefused() {
        var p = PickleWriter()
        p.op(0x7D); p.bytes += [0x71, 0]  // d0 = {}, memo 0
        for level in 1...21 {
            p.op(0x7D); p.mark()
            p.string("a"); p.bytes += [0x68, UInt8(level - 1)]
            p.string("b"); p.bytes += [0x68, UInt8(level - 1)]
            p.op(0x75); p.bytes += [0x71, UInt8(level)]  // SETITEMS, memo level
        }
        p.stop()
        let error = importError { _ = try TensorFile.decode(torchZip(pickle: p.bytes), path: "shared.pth") }
        #expect(error?.problem == "state_dict too large")
        #expect(error?.expected == "at most 1000000 entries, nested dicts flattened")
    }

    @Test func missingAndShortStoragesAreNamed() {
        var p = PickleWriter()
        p.orderedDict { $0.string("w"); $0.tensor(key: "7", numel: 4, offset: 0, size: [4], stride: [1]) }
        p.stop()
        let missing = importError { _ = try TensorFile.decode(torchZip(pickle: p.bytes), path: "m.pth") }
        #expect(missing?.problem == "missing storage")
        #expect(missing?.expected == "archive entry archive/data/7")
        let short = importError { _ = try TensorFile.decode(torchZip(pickle: p.bytes, storages: ["7": [1, 2]]), path: "s.pth") }
        #expect(short?.problem == "storage shorter than declared")
    }
}
