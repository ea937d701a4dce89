import Foundation
import Testing
@testable import ModelImport
import NeuralCore

/// Inputs found by fuzzing (scripts/fuzz.sh, targets TorchStateDict and Checkpoint),
/// each once a crash (a Swift trap) and now a thrown error naming the tensor.
@Suite("fuzz-found inputs")
struct FuzzFoundInputTests {
    /// The fuzzer's minimized crash (Fixtures/fuzz-storage-redeclared.pkl, 235 bytes): a
    /// data.pkl whose tensors 2 and 3 both name storage "2", with 1 and then 8 float32
    /// elements (a mutated copy of the authors' MLP state_dict pickle). Wrapped as
    /// the fuzz harness wraps a bare pickle: each storage entry as large as its first
    /// declaration. The reader used to check the size only for the first tensor of a
    /// storage (later ones came from its cache) and read past the entry.
    @Test func minimizedCrashIsAThrownError() throws {
        let pickle = try Fixture.bytes("fuzz-storage-redeclared.pkl")
        var unpickler = Unpickler(bytes: pickle, path: "fuzz", entry: "archive/data.pkl")
        guard case .dict(let dict) = try unpickler.load() else { Issue.record("not a dict"); return }
        var storages: [String: [Float]] = [:]
        for case (_, .tensor(let t)) in dict.pairs where storages[t.storage.key] == nil {
            storages[t.storage.key] = [Float](repeating: 1, count: t.storage.elementCount)
        }
        #expect(!storages.isEmpty)
        let error = importError { _ = try TensorFile.decode(torchZip(pickle: pickle, storages: storages), path: "crash.pth") }
        #expect(error?.path == "crash.pth")
        #expect(error?.key == "\".lsigmaq.")  // the third key, as mutated
        #expect(error?.problem == "storage shorter than declared")
        #expect(error?.expected == "8 × float32 (32 bytes)")
        #expect(error?.found == "4 bytes in archive/data/2")
    }

    /// The fuzzer's second crash, minimized (Fixtures/fuzz-nested-tuples.pkl): tens of
    /// thousands of TUPLE1 opcodes in a row, each tuple holding the previous one. The value
    /// unpickled fine, but releasing it recursed once per level and overflowed the stack
    /// (AddressSanitizer: stack-overflow in swift_release). Deep nesting is now refused
    /// while it is built, before anything that deep exists.
    @Test func minimizedNestedTuplesAreRefusedAsTheyAreBuilt() throws {
        let pickle = try Fixture.bytes("fuzz-nested-tuples.pkl")
        #expect(pickle.filter { $0 == 0x85 }.count > Unpickler.maxDepth)
        let error = importError {
            var unpickler = Unpickler(bytes: pickle, path: "fuzz", entry: "archive/data.pkl")
            _ = try unpickler.load()
        }
        #expect(error?.problem.hasPrefix("pickle nesting too deep") == true, "\(String(describing: error))")
        #expect(error?.expected == "containers nested at most 100 levels")
        let inZip = importError { _ = try TensorFile.decode(torchZip(pickle: pickle), path: "deep.pth") }
        #expect(inZip?.path == "deep.pth")
        #expect(inZip?.problem.hasPrefix("pickle nesting too deep") == true)
    }

    /// The limit exactly: 100 nested tuples load, 101 do not.
    @Test func nestingUpToTheLimitLoads() throws {
        for (levels, loads) in [(Unpickler.maxDepth, true), (Unpickler.maxDepth + 1, false)] {
            let bytes: [UInt8] = [0x80, 2, 0x4E] + [UInt8](repeating: 0x85, count: levels) + [0x2E]  // None, TUPLE1 × n, STOP
            var unpickler = Unpickler(bytes: bytes, path: "p", entry: "data.pkl")
            if loads {
                var value = try unpickler.load(), depth = 0
                while case .tuple(let items) = value, let first = items.first { value = first; depth += 1 }
                #expect(depth == levels)
            } else {
                let error = importError { _ = try unpickler.load() }
                #expect(error?.problem == "pickle nesting too deep (pickle offset \(2 + 1 + levels - 1))")
            }
        }
    }

    /// Found by fuzzing the checkpoint reader (target Checkpoint, 17 s in): a LeNet5
    /// checkpoint whose first convolution's input height was mutated to 16 × 32, so that it
    /// gives 336 values to an activation of 784 (Fixtures/fuzz-checkpoint-layer-sizes.bin,
    /// CRC recomputed). It decoded, and the first forward pass read past the buffer
    /// (AddressSanitizer heap-buffer-overflow in Activation.forward).
    @Test func checkpointLayersThatDoNotChainAreRefused() throws {
        let url = try Fixture.url("fuzz-checkpoint-layer-sizes.bin")
        do {
            _ = try Checkpoint.decode(try Data(contentsOf: url), path: "fuzz.bin", maxBatch: 2)
            Issue.record("decoded a checkpoint whose layer sizes do not chain")
        } catch let error as CheckpointError {
            #expect(error.path == "fuzz.bin")
            #expect(error.problem == "layer sizes do not chain")
            #expect(error.expected == "layer 1 taking the 336 values layer 0 gives")
            #expect(error.found.hasPrefix("784 inputs") == true)
        }
    }

    /// Found by the fuzz smoke run (target Checkpoint, 4 s in): a LeNet5 checkpoint whose
    /// first max-pool plane was mutated to 41 × 28 (Fixtures/fuzz-checkpoint-odd-pool.bin,
    /// CRC recomputed): MaxPool2d's precondition (even sizes) trapped while the network was
    /// built. Every layer descriptor is now checked before a layer is made of it.
    @Test func checkpointLayersNoLayerCanBeMadeOfAreRefused() throws {
        let url = try Fixture.url("fuzz-checkpoint-odd-pool.bin")
        do {
            _ = try Checkpoint.decode(try Data(contentsOf: url), path: "pool.bin", maxBatch: 2)
            Issue.record("decoded a checkpoint with an odd max-pool plane")
        } catch let error as CheckpointError {
            #expect(error.path == "pool.bin")
            #expect(error.problem == "impossible layer")
            #expect(error.expected == "layer 2 with an even height and width")
        }
    }

    /// The same defect, hand-made: "b" names storage "0" with 8 elements after "a" named it
    /// with 2; the entry holds 2. Sharing itself (two views of one storage) stays fine.
    @Test func aStorageNamedAgainWithMoreElementsIsRefusedForThatTensor() throws {
        var p = PickleWriter()
        p.orderedDict {
            $0.string("a"); $0.tensor(key: "0", numel: 2, offset: 0, size: [2], stride: [1])
            $0.string("b"); $0.tensor(key: "0", numel: 8, offset: 0, size: [8], stride: [1])
        }
        p.stop()
        let error = importError { _ = try TensorFile.decode(torchZip(pickle: p.bytes, storages: ["0": [1, 2]]), path: "r.pth") }
        #expect(error?.key == "b")
        #expect(error?.problem == "storage shorter than declared")
        #expect(error?.expected == "8 × float32 (32 bytes)")
        #expect(error?.found == "8 bytes in archive/data/0")

        var shared = PickleWriter()
        shared.orderedDict {
            $0.string("a"); $0.tensor(key: "0", numel: 2, offset: 0, size: [2], stride: [1])
            $0.string("b"); $0.tensor(key: "0", numel: 2, offset: 1, size: [1], stride: [1])
        }
        shared.stop()
        let file = try TensorFile.decode(torchZip(pickle: shared.bytes, storages: ["0": [1, 2]]), path: "s.pth")
        #expect(try file["b"]?.floatValues(path: "").values == [2])
    }

    /// A storage type the element count of which overflows a byte count (2^62 float64).
    @Test func declaredStorageSizesThatOverflowAreRefused() {
        var p = PickleWriter()
        p.orderedDict { $0.string("w"); $0.tensor(storageType: "DoubleStorage", key: "0", numel: 1 << 62, offset: 0, size: [1], stride: [1]) }
        p.stop()
        let error = importError { _ = try TensorFile.decode(torchZip(pickle: p.bytes, storages: ["0": [1, 2]]), path: "o.pth") }
        #expect(error?.key == "w")
        #expect(error?.problem == "storage shorter than declared")
        #expect(error?.expected.contains("more than 2^63") == true)
    }

    /// Sizes whose product, or strides whose reach, overflow Int.
    @Test func geometryThatOverflowsIsRefused() {
        for (size, stride) in [([1 << 32, 1 << 32], [1, 1]), ([2, 3], [1, 1 << 62])] {
            var p = PickleWriter()
            p.orderedDict { $0.string("w"); $0.tensor(key: "0", numel: 4, offset: 0, size: size, stride: stride) }
            p.stop()
            let error = importError { _ = try TensorFile.decode(torchZip(pickle: p.bytes, storages: ["0": [1, 2, 3, 4]]), path: "g.pth") }
            #expect(error?.key == "w", "size \(size) stride \(stride)")
            #expect(error?.problem == "invalid tensor geometry", "size \(size) stride \(stride)")
        }
    }

    /// A dimension of size 1 may carry any stride (PyTorch never steps along it); a huge
    /// one used to overflow the copy of a non-contiguous view.
    @Test func hugeStrideOfASizeOneDimensionIsIgnored() throws {
        var p = PickleWriter()
        p.orderedDict { $0.string("w"); $0.tensor(key: "0", numel: 4, offset: 0, size: [2, 1, 2], stride: [1, Int.max, 2]) }
        p.stop()
        let file = try TensorFile.decode(torchZip(pickle: p.bytes, storages: ["0": [10, 11, 12, 13]]), path: "h.pth")
        #expect(file["w"]?.shape == [2, 1, 2])
        #expect(try file["w"]?.floatValues(path: "").values == [10, 12, 11, 13])
    }
}
