import Foundation
import NeuralCore
import Testing
@testable import ModelImport
import SeededRandom

@Suite("imported models")
struct ImportedModelTests {
    /// Our logits for the probe images against the Python float64 ones.
    func expectLogits(_ network: Network, _ want: [Double], images: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let input = probeInput(images: images)
        let logits = input.withUnsafeBufferPointer { network.logits($0.baseAddress!, count: images) }
        #expect(logits.count == want.count, sourceLocation: sourceLocation)
        let worst = zip(logits, want).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst < 1e-5, "max |Δlogit| = \(worst)", sourceLocation: sourceLocation)
    }

    @Test func authorsMLPFromAPthMatchesPyTorch() throws {
        let expected = try Fixture.expected().mlp
        let model = try ImportedModel.load(url: try Fixture.url("mlp.pth"))
        #expect(model.network.spec == .mlp(inputChannels: 1, hidden: 8, depth: 2))
        #expect(model.origin == .imported(.pytorch, layout: "the authors' MLP layout"))
        #expect(model.source == "mlp.pth: PyTorch state_dict, the authors' MLP layout, MLP(C=1, H=8, D=2)")
        #expect(model.network.noiseEnabled)
        expectLogits(model.network, expected.logits, images: 3)
    }

    @Test func authorsMLPFromSafetensorsMatchesPyTorch() throws {
        let model = try ImportedModel.load(url: try Fixture.url("mlp.safetensors"))
        #expect(model.origin == .imported(.safetensors, layout: "the authors' MLP layout"))
        expectLogits(model.network, try Fixture.expected().mlp.logits, images: 3)
    }

    @Test func authorsLeNet5FromADeflatedPthMatchesPyTorch() throws {
        let expected = try Fixture.expected().lenet5
        let model = try ImportedModel.load(url: try Fixture.url("lenet5_deflated.pth"))
        #expect(model.network.spec == .lenet5(channels: 1))
        #expect(model.network.noiseLayers.map(\.units) == [6, 16, 120, 84])
        expectLogits(model.network, expected.logits, images: 2)
    }

    @Test func valuesArriveExactlyWhereTheyBelong() throws {
        let expected = try Fixture.expected()
        let ours = ["0.weight": "fc1.weight", "0.bias": "fc1.bias", "2.mu": "noise1.mu", "2.logsigma": "noise1.logsigma",
                    "3.0.weight": "fc2.weight", "4.2.logsigma": "noise3.logsigma", "5.weight": "fc4.weight", "5.bias": "fc4.bias"]
        let lenet = ["0.weight": "conv1.weight", "2.mu": "noise1.mu", "4.weight": "conv2.weight", "9.weight": "fc1.weight",
                     "14.logsigma": "noise4.logsigma", "15.bias": "fc3.bias"]
        for (file, summaries, names) in [("mlp.pth", expected.mlp.tensors, ours), ("lenet5_deflated.pth", expected.lenet5.tensors, lenet)] {
            let network = try ImportedModel.load(url: try Fixture.url(file)).network
            let parameters = Dictionary(uniqueKeysWithValues: network.allParameters.map { ($0.name, $0) })
            for (key, summary) in summaries {
                let p = try #require(parameters[names[key]!], "\(key)")
                #expect(p.count == summary.shape.reduce(1, *), "\(key)")
                let values = p.value.array
                #expect(abs(values.reduce(0.0) { $0 + Double($1) } - summary.sum) < 1e-9 * max(1, abs(summary.sum)), "\(file) \(key)")
                for pair in summary.elements { #expect(values[Int(pair[0])] == Float(pair[1]), "\(file) \(key)[\(pair[0])]") }
            }
        }
    }

    @Test func storedMasksAreAppliedAndReported() throws {
        for (file, masks) in [("mlp.pth", try Fixture.expected().mlp.masks), ("lenet5_deflated.pth", try Fixture.expected().lenet5.masks)] {
            let model = try ImportedModel.load(url: try Fixture.url(file))
            #expect(model.network.noiseLayers.map(\.mask) == masks)
            #expect(model.storedMasks == masks)
            let pruned = masks.joined().filter { $0 == 0 }.count, total = masks.joined().count
            #expect(model.notes.contains { $0.hasPrefix("masks stored in the file applied: \(pruned) of \(total) structures pruned") }, "\(model.notes)")
        }
    }

    @Test func npzWithAMappingFileMatchesPyTorch() throws {
        let model = try ImportedModel.load(url: try Fixture.url("mlp_renamed.npz"), mapping: try Fixture.url("mlp_renamed.mapping.json"))
        #expect(model.origin == .imported(.npz, layout: "mapping file " + (try Fixture.url("mlp_renamed.mapping.json")).path))
        #expect(model.network.noiseLayers.map(\.mask) == (try Fixture.expected().mlp.masks))
        expectLogits(model.network, try Fixture.expected().mlp.logits, images: 3)
    }

    @Test func mappingProblemsAreListedTogether() throws {
        let mappingURL = try Fixture.url("mlp_renamed.mapping.json")
        var mapping = try ParameterMapping.load(url: mappingURL)
        mapping.parameters["fc1.bias"] = nil                      // missing
        mapping.parameters["fc2.weight"] = "encoder.input.w"      // wrong shape (and encoder.hidden.0.w unused)
        mapping.parameters["fc9.weight"] = "head.w"               // not ours
        mapping.parameters["noise2.mu"] = "gates.1.nowhere"       // not in the file
        mapping.ignore = []                                       // step is now unused
        let file = try TensorFile.read(url: try Fixture.url("mlp_renamed.npz"))
        let error = importError { _ = try ImportedModel.assemble(file, mapping: mapping) }
        let details = error?.details ?? []
        #expect(error?.problem == "the tensors do not fit \(mapping.name)")
        #expect(details.contains { $0.hasPrefix("unknown parameter fc9.weight in the mapping") })
        #expect(details.contains("missing: no key for fc1.bias [8]"))
        #expect(details.contains("missing: key gates.1.nowhere (for noise2.mu [8]) is not in the file"))
        #expect(details.contains("wrong shape: encoder.input.w is [8, 1024], fc2.weight needs [8, 8]"))
        #expect(details.contains("unused: key step [] is not mapped to any parameter"))
        #expect(details.contains("unused: key encoder.input.b [8] is not mapped to any parameter"))
        #expect(details.contains("unused: key encoder.hidden.0.w [8, 8] is not mapped to any parameter"))
        #expect(details.contains("unused: key gates.1.loc [8] is not mapped to any parameter"))
        #expect(details.count == 8, "\(details)")
        #expect(error?.description.contains("\n  - missing: no key for fc1.bias [8]") == true)
    }

    @Test func malformedMappingFilesNameTheFile() throws {
        let dir = try ScratchDirectory()
        let noNetwork = try dir.write(#"{"parameters": {}}"#, "a.json")
        let e1 = importError { _ = try ParameterMapping.load(url: noNetwork) }
        #expect(e1?.path == noNetwork.path)
        #expect(e1?.found == "no \"network\"")
        let badKind = try dir.write(#"{"network": {"kind": "resnet"}, "parameters": {}}"#, "b.json")
        let e2 = importError { _ = try ParameterMapping.load(url: badKind) }
        #expect(e2?.key == "network.kind")
        #expect(e2?.found == "\"resnet\"")
        let lenet = try dir.write(#"{"network": {"kind": "lenet5", "inputChannels": 3}, "parameters": {}, "ignore": ["*.step"]}"#, "c.json")
        let mapping = try ParameterMapping.load(url: lenet)
        #expect(mapping.spec == .lenet5(channels: 3))
        #expect(mapping.isIgnored("a.b.step") && !mapping.isIgnored("step"))
    }

    @Test func wrongShapesInTheAuthorsLayoutAreListed() throws {
        let file = try TensorFile.read(url: try Fixture.url("mlp.pth"))
        var tensors = file.tensors.filter { $0.key != "5.bias" }
        let i = try #require(tensors.firstIndex { $0.key == "3.2.mu" })
        tensors[i] = ImportedTensor(key: "3.2.mu", dtype: .float32, shape: [7], bytes: Array(tensors[i].bytes.prefix(28)))
        tensors.append(ImportedTensor(key: "extra.weight", dtype: .float32, shape: [1], bytes: floatBytes([1])))
        let error = importError { _ = try ImportedModel.assemble(TensorFile.decode(try Safetensors.encode(tensors), path: "bad.safetensors")) }
        #expect(error?.path == "bad.safetensors")
        #expect(error?.details.sorted() == [
            "missing: key 5.bias (for fc4.bias [10]) is not in the file",
            "unused: key extra.weight [1] is not mapped to any parameter",
            "wrong shape: 3.2.mu is [7], noise2.mu needs [8]",
        ])
    }

    @Test func bfloat16ModelsLoadWithANote() throws {
        let file = try TensorFile.read(url: try Fixture.url("mlp.pth"))
        // bfloat16 = the upper half of a float32.
        let tensors = file.tensors.map { t -> ImportedTensor in
            guard t.dtype == .float32 else { return t }
            let halves = stride(from: 0, to: t.bytes.count, by: 4).flatMap { [t.bytes[$0 + 2], t.bytes[$0 + 3]] }
            return ImportedTensor(key: t.key, dtype: .bfloat16, shape: t.shape, bytes: halves)
        }
        let model = try ImportedModel.assemble(TensorFile.decode(try Safetensors.encode(tensors), path: "bf16.safetensors"))
        #expect(model.notes.contains { $0.contains("stored as bfloat16 and converted to float32 exactly") }, "\(model.notes)")
        #expect(model.notes.contains { $0.hasPrefix("1 float64 tensor rounded to float32") } == false)  // pruning_eps is ignored, not used
        let w = model.network.allParameters[0].value[5]
        #expect(w.bitPattern & 0xFFFF == 0)
    }

    @Test func aCommonPrefixIsStripped() throws {
        let file = try TensorFile.read(url: try Fixture.url("mlp.pth"))
        let renamed = file.tensors.map { ImportedTensor(key: "module." + $0.key, dtype: $0.dtype, shape: $0.shape, bytes: $0.bytes) }
        let model = try ImportedModel.assemble(TensorFile.decode(try Safetensors.encode(renamed), path: "dp.safetensors"))
        #expect(model.notes.first == "every key starts with \"module.\" (e.g. from DataParallel or a checkpoint dictionary): read without it")
        expectLogits(model.network, try Fixture.expected().mlp.logits, images: 3)
    }

    @Test func untrainedNoiseMeansThePlainBaseline() throws {
        let file = try TensorFile.read(url: try Fixture.url("mlp.pth"))
        let plain = file.tensors.map { t -> ImportedTensor in
            if t.key.hasSuffix(".mu") { return ImportedTensor(key: t.key, dtype: .float32, shape: t.shape, bytes: floatBytes(.init(repeating: 0, count: t.count))) }
            if t.key.hasSuffix(".logsigma") { return ImportedTensor(key: t.key, dtype: .float32, shape: t.shape, bytes: floatBytes(.init(repeating: -5, count: t.count))) }
            if t.key.hasSuffix(".mask") { return ImportedTensor(key: t.key, dtype: .float32, shape: t.shape, bytes: floatBytes(.init(repeating: 1, count: t.count))) }
            return t
        }
        let model = try ImportedModel.assemble(TensorFile.decode(try Safetensors.encode(plain), path: "plain.safetensors"))
        #expect(!model.network.noiseEnabled)
        #expect(model.notes.contains { $0.contains("trained with its noise layers disabled") })
    }

    @Test func masksMustBeZeroOrOne() throws {
        let file = try TensorFile.read(url: try Fixture.url("mlp.pth"))
        let tensors = file.tensors.map { t in
            t.key == "2.mask" ? ImportedTensor(key: t.key, dtype: .float32, shape: t.shape, bytes: floatBytes(.init(repeating: 0.5, count: t.count))) : t
        }
        let error = importError { _ = try ImportedModel.assemble(TensorFile.decode(try Safetensors.encode(tensors), path: "m.safetensors")) }
        #expect(error?.details == ["mask not 0/1: 2.mask[0] = 0.5"])
    }

    @Test func unknownLayoutsAskForAMapping() throws {
        let tensors = [ImportedTensor(key: "encoder.w", dtype: .float32, shape: [2], bytes: floatBytes([1, 2]))]
        let error = importError { _ = try ImportedModel.assemble(TensorFile.decode(try Safetensors.encode(tensors), path: "u.safetensors")) }
        #expect(error?.problem == "unknown layout")
        #expect(error?.found == "encoder.w [2]")
        #expect(error?.expected.contains("mapping file") == true)
    }

    @Test func loadAnyReadsOurCheckpointsAndImportedFiles() throws {
        let dir = try ScratchDirectory()
        var rng = Xoshiro256(seed: 3)
        let network = Network(spec: .mlp(hidden: 4, depth: 1), maxBatch: 4, rng: &rng)
        network.noiseLayers[0].mask[1] = 0
        let url = try dir.write([UInt8](try Checkpoint.encode(network)), "checkpoint.bin")
        let fromCheckpoint = try ImportedModel.loadAny(url: url)
        #expect(fromCheckpoint.origin == .checkpoint)
        #expect(fromCheckpoint.source == "checkpoint.bin: bmrs checkpoint, MLP(C=1, H=4, D=1)")
        #expect(fromCheckpoint.storedMasks[0] == [1, 0, 1, 1])
        #expect(fromCheckpoint.network.allParameters.map(\.value.array) == network.allParameters.map(\.value.array))
        let imported = try ImportedModel.loadAny(url: try Fixture.url("mlp.pth"))
        #expect(imported.origin == .imported(.pytorch, layout: "the authors' MLP layout"))
        let wrongEntry = importError { _ = try ImportedModel.load(url: url) }
        #expect(wrongEntry?.found.contains("bmrs checkpoint") == true)
        let missing = importError { _ = try ImportedModel.loadAny(url: dir.url.appendingPathComponent("nope.pth")) }
        #expect(missing?.problem == "cannot read file")
    }
}
