import SeededRandom
import BayesianPruning
import Datasets
import Foundation
import NeuralCore
import Testing
@testable import ModelImport

/// Export in the authors' layout and of compacted networks: back through our readers
/// (always), and through PyTorch (when Debian's python3-torch is installed).
@Suite("export")
struct ExportTests {
    /// A seeded MLP or LeNet5 with posteriors spread over keep and prune and some masks set,
    /// as `bmrs train` would leave it in a checkpoint.
    static func trainedLike(_ spec: NetworkSpec, seed: UInt64 = 7) throws -> Network {
        var rng = Xoshiro256(seed: seed)
        let built = Network(spec: spec, maxBatch: 8, rng: &rng)
        for layer in built.noiseLayers {
            for i in 0..<layer.units {
                layer.mu.value[i] = -Float.random(in: 0.1...6, using: &rng)
                layer.logSigma.value[i] = -Float.random(in: 0...4, using: &rng)
                layer.mask[i] = i % 5 == 3 ? 0 : 1
            }
        }
        // Through our own checkpoint format, as a trained model reaches `bmrs export`.
        return try Checkpoint.decode(try Checkpoint.encode(built), path: "trained.bin", maxBatch: 8)
    }

    static func expectSameValues(_ a: Network, _ b: Network, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.spec == b.spec, sourceLocation: sourceLocation)
        #expect(a.allParameters.map(\.name) == b.allParameters.map(\.name), sourceLocation: sourceLocation)
        for (p, q) in zip(a.allParameters, b.allParameters) {
            #expect(p.value.array.map(\.bitPattern) == q.value.array.map(\.bitPattern), "\(p.name)", sourceLocation: sourceLocation)
        }
        #expect(a.noiseLayers.map(\.mask) == b.noiseLayers.map(\.mask), sourceLocation: sourceLocation)
    }

    @Test(arguments: [ModelExport.Format.pth, .safetensors], [NetworkSpec.mlp(inputChannels: 1, hidden: 8, depth: 2), .lenet5(channels: 1)])
    func exportReadsBackToTheSameNetwork(format: ModelExport.Format, spec: NetworkSpec) throws {
        let network = try Self.trainedLike(spec)
        let bytes = try ModelExport.authorsLayout(network, format: format, noiseClass: .bmrsN, fileName: "model.\(format.rawValue)")
        let file = try TensorFile.decode(bytes, path: "model.\(format.rawValue)")
        #expect(file.format == (format == .pth ? .pytorch : .safetensors))
        // Exactly the tensors written, in their order for .pth (pickle order).
        let written = try AuthorsStateDict.tensors(of: network, noiseClass: .bmrsN, path: "x")
        if format == .pth { #expect(file.tensors == written) } else { #expect(Set(file.keys) == Set(written.map(\.key))) }
        for t in written { #expect(file[t.key] == t, "\(t.key)") }
        let model = try ImportedModel.assemble(file)
        #expect(model.origin == .imported(file.format, layout: spec.kind == .mlp ? "the authors' MLP layout" : "the authors' LeNet5 layout"))
        Self.expectSameValues(network, model.network)
        #expect(model.storedMasks == network.noiseLayers.map(\.mask))
    }

    @Test func theAuthorsKeysShapesAndTypes() throws {
        let mlp = try AuthorsStateDict.tensors(of: try Self.trainedLike(.mlp(inputChannels: 1, hidden: 8, depth: 2)), noiseClass: .snr, path: "x")
        // The key list of the authors' MLP as torch.save wrote it (fixture), minus BMRS_N's pruning_eps.
        let fixtureKeys = try Fixture.expected().mlp.keys.filter { !$0.hasSuffix("pruning_eps") }
        #expect(mlp.map(\.key) == fixtureKeys)
        #expect(mlp.first { $0.key == "2.umin" }.map { [$0.shape, $0.bytes.map(Int.init)] } == [[1], [0, 0, 0, 0]])
        #expect(mlp.first { $0.key == "4.2.umax" }?.bytes == float32Bytes([1]))
        #expect(mlp.first { $0.key == "0.weight" }?.shape == [8, 1024])
        #expect(mlp.first { $0.key == "3.2.mask" }?.shape == [8])

        let lenet = try AuthorsStateDict.tensors(of: try Self.trainedLike(.lenet5(channels: 1)), noiseClass: .bmrsN, path: "x")
        #expect(lenet.map(\.key) == (try Fixture.expected().lenet5.keys).flatMap { key in
            key.hasSuffix(".mask") ? [key, key.replacingOccurrences(of: ".mask", with: ".pruning_eps")] : [key]
        })
        #expect(lenet.first { $0.key == "2.mu" }?.shape == [6, 1, 1])
        #expect(lenet.first { $0.key == "6.logsigma" }?.shape == [16, 1, 1])
        #expect(lenet.first { $0.key == "11.mask" }?.shape == [120])
        let eps = try #require(lenet.first { $0.key == "14.pruning_eps" })
        #expect(eps.dtype == .float64 && eps.shape == [])
        #expect(eps.bytes == withUnsafeBytes(of: (1e-12 as Double).squareRoot().bitPattern.littleEndian, Array.init))
    }

    @Test func importedThenExportedGivesIdenticalScoresAndCompaction() throws {
        // The authors' file as they wrote it, and the same model after a trip through our export.
        for fixture in ["mlp.pth", "lenet5_deflated.pth"] {
            let original = try ImportedModel.load(url: try Fixture.url(fixture)).network
            let bytes = try ModelExport.authorsLayout(original, format: .pth, fileName: "again.pth")
            let again = try ImportedModel.assemble(try TensorFile.decode(bytes, path: "again.pth")).network
            Self.expectSameValues(original, again)
            let scores = { (n: Network) in Structures.statistics(n).map { $0.map { PosteriorScores($0.posterior) } } }
            #expect(scores(original) == scores(again), "\(fixture)")
            let norms = { (n: Network) in n.groups.map(Structures.incomingNorms) }
            #expect(norms(original) == norms(again))
            let a = Compaction.compact(original), b = Compaction.compact(again)
            #expect(a.layers.map(LayerDescriptor.init) == b.layers.map(LayerDescriptor.init))
            for (p, q) in zip(a.allParameters, b.allParameters) { #expect(p.value.array == q.value.array, "\(fixture) \(p.name)") }
        }
    }

    @Test func torchSaveArchiveLayout() throws {
        let network = try Self.trainedLike(.mlp(inputChannels: 1, hidden: 8, depth: 2))
        let bytes = try ModelExport.authorsLayout(network, format: .pth, fileName: "fashion_mnist_mlp_1000.pth")
        let zip = try ZipArchive(bytes: bytes, path: "fashion_mnist_mlp_1000.pth")
        let folder = "fashion_mnist_mlp_1000/"
        #expect(zip.entries.map(\.name).prefix(2) == [folder + "data.pkl", folder + "byteorder"])
        #expect(zip.entries.last?.name == folder + "version")
        // Storage keys in PyTorch's (string) order: 0, 1, 10, 11, …, 2, 20, …
        let storages = zip.entries.map(\.name).filter { $0.hasPrefix(folder + "data/") }.map { String($0.dropFirst((folder + "data/").count)) }
        #expect(storages == storages.sorted() && storages.count == 23)
        #expect(try zip.data(of: zip.entry(named: folder + "byteorder")!) == Array("little".utf8))
        #expect(try zip.data(of: zip.entry(named: folder + "version")!) == Array("3\n".utf8))
        for entry in zip.entries {
            #expect(entry.method == 0, "\(entry.name) stored")
            #expect(try zip.dataOffset(of: entry) % 64 == 0, "\(entry.name) aligned to 64 bytes as torch aligns storages")
            _ = try zip.data(of: entry)   // CRC-32 checked
        }
        #expect(TorchStateDictWriter.archiveName(for: "/runs/a b.v2.pth") == "a_b_v2")
    }

    @Test func pickleOfLargeAndZeroDimensionalTensorsReadsBack() throws {
        let entries: [StateDictPickler.Entry] = [
            .init(key: "wide", storageKey: "0", dtype: .float32, shape: [3, 70_000]),
            .init(key: "eps", storageKey: "1", dtype: .float64, shape: []),
            .init(key: "counts", storageKey: "2", dtype: .int64, shape: [2, 1, 300]),
        ]
        var unpickler = Unpickler(bytes: StateDictPickler.pickle(entries), path: "p", entry: "archive/data.pkl")
        guard case .dict(let dict) = try unpickler.load() else { Issue.record("not a dict"); return }
        let refs = dict.pairs.compactMap { k, v -> (String, TensorReference)? in
            guard case .string(let key) = k, case .tensor(let ref) = v else { return nil }
            return (key, ref)
        }
        #expect(refs.map(\.0) == ["wide", "eps", "counts"])
        #expect(refs.map(\.1.shape) == [[3, 70_000], [], [2, 1, 300]])
        #expect(refs.map(\.1.strides) == [[70_000, 1], [], [300, 300, 1]])
        #expect(refs.map(\.1.storage.elementCount) == [210_000, 1, 600])
        #expect(refs.map(\.1.storage.dtype) == [.float32, .float64, .int64])
        #expect(refs.map(\.1.storage.key) == ["0", "1", "2"])
        #expect(refs.allSatisfy { $0.1.offset == 0 })
    }

    @Test func zipWithMoreThan65534EntriesUsesZip64EndRecords() throws {
        var writer = ZipWriter(alignment: 1)
        let count = 65_600
        for i in 0..<count { writer.add("e/\(i)", i % 1000 == 0 ? [UInt8(i % 251)] : []) }
        let bytes = writer.finish()
        // The classic end record saturates its counts; the ZIP64 record holds the real one.
        #expect(Array(bytes.suffix(22).prefix(4)) == [0x50, 0x4B, 5, 6])
        #expect(Array(bytes.suffix(22)[(bytes.count - 12)..<(bytes.count - 10)]) == [0xFF, 0xFF])
        let zip = try ZipArchive(bytes: bytes, path: "many.zip")
        #expect(zip.entries.count == count)
        #expect(try zip.data(of: zip.entry(named: "e/64000")!) == [UInt8(64_000 % 251)])
    }

    @Test func zip64FieldsForLargeSizesAndOffsetsReadBack() throws {
        // The ZIP64 extra fields of local and central headers, as for entries past 4 GiB (threshold lowered).
        var writer = ZipWriter(alignment: 64)
        writer.zip64Threshold = 100
        let payloads: [[UInt8]] = [Array(repeating: 7, count: 10), (0..<300).map { UInt8($0 % 256) }, Array("tail".utf8)]
        for (i, p) in payloads.enumerated() { writer.add("z/\(i)", p) }
        let bytes = writer.finish()
        let archive = try ZipArchive(bytes: bytes, path: "z64.zip")
        #expect(archive.entries.map(\.name) == ["z/0", "z/1", "z/2"])
        for (entry, p) in zip(archive.entries, payloads) {
            #expect(try archive.data(of: entry) == p)
            #expect(try archive.dataOffset(of: entry) % 64 == 0)
        }
        #expect(archive.entries[1].uncompressedSize == 300 && archive.entries[2].compressedSize == 4)
        // An independent reader: Python's zipfile checks every CRC (testzip) and the contents.
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            print("ExportTests: \(Self.python) not found: Python's zipfile check skipped")
            return
        }
        let scratch = try ScratchDirectory()
        let file = try scratch.write(bytes, "z64.zip")
        let torchFile = try scratch.write(try ModelExport.authorsLayout(try Self.trainedLike(.lenet5(channels: 1)), format: .pth, fileName: "l.pth"), "l.pth")
        let check = """
            from sys import argv
            from zipfile import ZipFile
            for path in argv[1:]:
                z = ZipFile(path)
                assert z.testzip() is None, path
                print(path.rsplit("/", 1)[-1], len(z.namelist()), sum(len(z.read(n)) for n in z.namelist()))
            """
        let result = try Self.run(Self.python, ["-c", check, file.path, torchFile.path])
        try #require(result.status == 0, "zipfile refused the archive: \(result.error)")
        let lines = String(decoding: result.output, as: UTF8.self).split(separator: "\n")
        #expect(lines.first == "z64.zip 3 314")
        #expect(lines.last?.hasPrefix("l.pth 33 ") == true, "\(lines)")
    }

    @Test func compactedNetworkExportsAsASequential() throws {
        let network = try Self.trainedLike(.lenet5(channels: 1))
        let compact = Compaction.compact(network)
        let (bytes, json) = try ModelExport.compacted(compact, fileName: "compact.safetensors")
        let file = try TensorFile.decode(bytes, path: "compact.safetensors")
        let architecture = try JSONDecoder().decode(DenseNetworkExport.Architecture.self, from: json)
        #expect(architecture.input == [1, 32, 32])
        #expect(architecture.layers.map(\.kind) == ["conv2d", "relu", "maxpool2d", "conv2d", "relu", "maxpool2d", "flatten",
                                                    "linear", "relu", "linear", "relu", "linear"])
        let kept = network.noiseLayers.map { $0.mask.filter { $0 != 0 }.count }
        #expect(architecture.layers[0].outChannels == kept[0] && architecture.layers[3].inChannels == kept[0])
        #expect(architecture.layers[7].inFeatures == 25 * kept[1] && architecture.layers[7].outFeatures == kept[2])
        #expect(architecture.layers[11].outFeatures == 10)
        #expect(file.keys == ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias", "11.weight", "11.bias"])
        for (key, p) in zip(file.keys, compact.allParameters) {
            let tensor = try #require(file[key])
            let values = try tensor.floatValues(path: "").values
            #expect(tensor.shape == p.shape && values == p.value.array, "\(key)")
        }
        #expect(ModelExport.architectureURL(for: URL(fileURLWithPath: "/r/compact.safetensors")).path == "/r/compact.architecture.json")
    }

    @Test func refusalsNameTheFileAndWhatWasExpected() throws {
        let compact = Compaction.compact(try Self.trainedLike(.mlp(inputChannels: 1, hidden: 8, depth: 2)))
        let error = importError { _ = try ModelExport.authorsLayout(compact, format: .pth, fileName: "out.pth", source: "runs/small.bin") }
        #expect(error?.path == "runs/small.bin")
        #expect(error?.problem == "not exportable in the authors' layout")
        #expect(error?.expected.contains("the uncompacted MLP(C=1, H=8, D=2)") == true, "\(error?.description ?? "")")
        let noisy = importError { _ = try ModelExport.compacted(try Self.trainedLike(.lenet5()), fileName: "c.safetensors") }
        #expect(noisy?.description == "c.safetensors: not a compacted network: expected a dense network without noise layers (the output of compaction), found 4 noise layers")
    }

    // MARK: - Through PyTorch

    static let python = "/usr/bin/python3"
    static let torchAvailable: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            print("ExportTests: \(python) not found: PyTorch round trips skipped (install Debian's python3-torch)")
            return false
        }
        let ok = (try? run(python, ["-c", "import torch"]).status) == 0
        if !ok { print("ExportTests: \(python) cannot import torch: PyTorch round trips skipped (install Debian's python3-torch)") }
        return ok
    }()

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: Data, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting: a full pipe would block the child.
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output, String(decoding: error, as: UTF8.self))
    }

    struct TorchView: Decodable {
        var type: String
        var keys: [[Key]]
        var logits: [Double]
        var compactLogits: [Double]?
        enum CodingKeys: String, CodingKey { case type, keys, logits, compactLogits = "compact_logits" }
        enum Key: Decodable {
            case text(String), shape([Int]), number(Double)
            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) { self = .text(s) } else if let a = try? c.decode([Int].self) { self = .shape(a) } else { self = .number(try c.decode(Double.self)) }
            }
        }
    }

    @Test(.enabled(if: torchAvailable, "needs /usr/bin/python3 with torch (Debian's python3-torch)"),
          arguments: [(NetworkSpec.mlp(inputChannels: 1, hidden: 8, depth: 2), AuthorsStateDict.NoiseClass.bmrsN),
                      (NetworkSpec.lenet5(channels: 1), AuthorsStateDict.NoiseClass.snr)])
    func pytorchLoadsTheExportAndPredictsAsWeDo(spec: NetworkSpec, noiseClass: AuthorsStateDict.NoiseClass) throws {
        let scratch = try ScratchDirectory()
        let network = try Self.trainedLike(spec, seed: 11)
        let pth = try scratch.write(try ModelExport.authorsLayout(network, format: .pth, noiseClass: noiseClass, fileName: "model.pth"), "model.pth")
        let compact = Compaction.compact(network)
        let (st, json) = try ModelExport.compacted(compact, fileName: "compact.safetensors")
        let stURL = try scratch.write(st, "compact.safetensors")
        let archURL = try scratch.write([UInt8](json), "compact.architecture.json")
        let images = 32
        let specURL = try scratch.write("""
            {"kind": "\(spec.kind.rawValue)", "channels": \(spec.inputChannels), "hidden": \(spec.hidden), "depth": \(spec.depth),
             "pruning_eps": \(noiseClass.hasPruningEps), "images": \(images)}
            """, "spec.json")
        let result = try Self.run(Self.python, [try Fixture.url("torch_check.py").path, specURL.path, pth.path, stURL.path, archURL.path])
        try #require(result.status == 0, "torch_check.py failed: \(result.error)")
        let view = try JSONDecoder().decode(TorchView.self, from: result.output)
        #expect(view.type == "OrderedDict")

        // Every key PyTorch loaded has our values (sums in float64), shapes and types.
        let ours = try AuthorsStateDict.tensors(of: network, noiseClass: noiseClass, path: "x")
        #expect(view.keys.count == ours.count)
        for (entry, tensor) in zip(view.keys, ours) {
            guard case .text(let key) = entry[0], case .shape(let shape) = entry[1], case .text(let dtype) = entry[2], case .number(let sum) = entry[3] else {
                Issue.record("unexpected entry \(entry)"); continue
            }
            #expect(key == tensor.key && shape == tensor.shape && dtype == tensor.dtype.description, "\(key)")
            let values = try tensor.floatValues(path: "").values
            #expect(abs(values.reduce(0.0) { $0 + Double($1) } - sum) <= 1e-9 * max(1, abs(sum)), "\(key)")
        }
        // Predictions of the authors' network in PyTorch (float32) against ours.
        let input = probeInput(images: images, size: 1024 * spec.inputChannels)
        let logits = input.withUnsafeBufferPointer { network.logits($0.baseAddress!, count: images) }
        let worst = zip(logits, view.logits).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(view.logits.count == logits.count && worst < 1e-5, "max |Δlogit| = \(worst)")
        #expect(argmax(logits) == argmax(view.logits.map(Float.init)))
        // The compacted network rebuilt from its JSON alone predicts as our compacted one.
        let compactLogits = input.withUnsafeBufferPointer { compact.logits($0.baseAddress!, count: images) }
        let compactView = try #require(view.compactLogits)
        let worstCompact = zip(compactLogits, compactView).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(compactView.count == compactLogits.count && worstCompact < 1e-5, "max |Δlogit| compacted = \(worstCompact)")
    }

    /// The first 1,000 Fashion-MNIST test images as bmrs preprocesses them, when the data set is installed.
    static let fashionMNISTTest: ImageSet? = {
        let locator = DataLocator(dataDirectory: nil, environment: ProcessInfo.processInfo.environment)
        guard let directory = try? locator.locate(.fashionMNIST),
              let images = IDX.path(of: IDX.testImages, in: directory), let labels = IDX.path(of: IDX.testLabels, in: directory),
              let raw = try? readIDXPair(images: images, labels: labels) else {
            print("ExportTests: Fashion-MNIST not found: the 1,000-image PyTorch comparison is skipped")
            return nil
        }
        return preprocess(raw.subset(Array(0..<1000)), normalization: DatasetName.fashionMNIST.normalization)
    }()

    @Test(.enabled(if: torchAvailable && fashionMNISTTest != nil, "needs torch in /usr/bin/python3 and Fashion-MNIST"))
    func theAuthorsMLPPredictsThe1000TestImagesAsWeDoAfterARoundTrip() throws {
        // The authors' file, imported, exported by us and loaded by PyTorch: the same predictions on real images.
        let test = try #require(Self.fashionMNISTTest)
        let network = try ImportedModel.load(url: try Fixture.url("mlp.pth"), maxBatch: 1000).network
        let scratch = try ScratchDirectory()
        let pth = try scratch.write(try ModelExport.authorsLayout(network, format: .pth, noiseClass: .bmrsN, fileName: "model.pth"), "model.pth")
        let imagesURL = try scratch.write(float32Bytes(test.images), "images.f32")
        let specURL = try scratch.write("""
            {"kind": "mlp", "channels": 1, "hidden": 8, "depth": 2, "pruning_eps": true, "images": 1000, "images_file": "\(imagesURL.path)"}
            """, "spec.json")
        let result = try Self.run(Self.python, [try Fixture.url("torch_check.py").path, specURL.path, pth.path])
        try #require(result.status == 0, "torch_check.py failed: \(result.error)")
        let view = try JSONDecoder().decode(TorchView.self, from: result.output)
        let logits = test.images.withUnsafeBufferPointer { network.logits($0.baseAddress!, count: 1000) }
        #expect(view.logits.count == 10_000)
        let worst = zip(logits, view.logits).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst < 1e-5, "max |Δlogit| over 1,000 images = \(worst)")
        let ours = argmax(logits), theirs = argmax(view.logits.map(Float.init))
        #expect(ours == theirs, "\(zip(ours, theirs).filter { $0 != $1 }.count) of 1,000 predictions differ")
    }

    func argmax(_ logits: [Float]) -> [Int] {
        stride(from: 0, to: logits.count, by: 10).map { start in (0..<10).max { logits[start + $0] < logits[start + $1] }! }
    }
}
