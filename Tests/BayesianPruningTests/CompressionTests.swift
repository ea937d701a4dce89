import Foundation
import Testing
import NeuralCore
@testable import BayesianPruning
import SeededRandom

func network(_ spec: NetworkSpec, seed: UInt64 = 1) -> Network {
    var rng = Xoshiro256(seed: seed)
    return Network(spec: spec, maxBatch: 64, rng: &rng)
}

@Suite("Compression accounting (hand-computed)")
struct CompressionTests {
    // MLP(H=4, D=1): fc1 1024→4 (4,100), fc2 4→4 (20), fc3 4→10 (50), μ/log σ 2×8 = 16: 4,186.
    // Prune unit 0 of layer 1 and units 1, 2 of layer 2.
    @Test func mlp() {
        let net = network(.mlp(hidden: 4, depth: 1))
        let keep = [[false, true, true, true], [true, false, false, true]]
        Structures.apply(keep, to: net)
        let standard = CompressionReport(network: net, counting: .standard)
        #expect(standard.parameters == 4186)
        #expect(standard.structures == 8 && standard.prunedStructures == 3)
        #expect(abs(standard.neuronCompression - 37.5) < 1e-12)
        // μ/σ 6 + fc1 row 0 (1,024 + bias) + fc2 rows 1,2 (8 + 2 biases) and column 0 of rows 0,3 (2)
        // + fc3 columns 1,2 (20) = 1,063.
        #expect(standard.removedParameters == 1063)
        // Released: no biases: 6 + 1,024 + 10 + 20 = 1,060.
        let released = CompressionReport(network: net, counting: .released)
        #expect(released.removedParameters == 1060)
        #expect(released.parameters == 4186)
        #expect(standard.keptPerLayer == [3, 2])
        #expect(!standard.layerCollapsed)
    }

    @Test func releasedDefaultMLPTotal() {
        #expect(CompressionReport(network: network(.mlp())).parameters == 65_110)  // SPEC §6
    }

    // LeNet5(C=1): 62,158 parameters with μ/log σ. Prune conv1 channel 2 and conv2 channel 5.
    @Test func lenet5() {
        let net = network(.lenet5())
        var keep = Structures.keepFlags(net)
        keep[0][2] = false
        keep[1][5] = false
        Structures.apply(keep, to: net)
        let standard = CompressionReport(network: net, counting: .standard)
        #expect(standard.parameters == 62_158)
        // μ/σ 4 + conv1 kernel+bias 26 + conv2 kernel+bias 151 + conv2 input slices 15×25
        // + fc1 columns of channel 5: 25×120 = 3,556.
        #expect(standard.removedParameters == 3556)
        // Released: 4 + 25 + 150 + 375; conv2 → fc1 columns are not removed.
        #expect(CompressionReport(network: net, counting: .released).removedParameters == 554)
    }

    @Test func releasedZeroingMatchesItsCount() {
        let net = network(.lenet5())
        var keep = Structures.keepFlags(net)
        keep[0][2] = false; keep[1][5] = false; keep[2][7] = false
        Structures.apply(keep, to: net)
        let before = CompressionReport(network: net, counting: .released).removedParameters
        zeroPrunedWeights(net)
        #expect(CompressionReport(network: net, counting: .released).removedParameters == before)
        #expect(net.groups[0].noise.mask[2] == 0)
        let conv1 = net.groups[0].producer as! Conv2d
        #expect((0..<25).allSatisfy { conv1.weight.value[2 * 25 + $0] == 0 })
        #expect(conv1.bias.value[2] != 0)
    }

    @Test func collapsedLayerIsReported() {
        let net = network(.mlp(hidden: 3, depth: 1))
        Structures.apply([[false, false, false], [true, true, true]], to: net)
        #expect(CompressionReport(network: net).layerCollapsed)
    }
}

@Suite("Checkpoints")
struct CheckpointTests {
    func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-ckpt-\(UUID().uuidString).bin")
    }

    @Test(arguments: [NetworkSpec.mlp(hidden: 5, depth: 2), .lenet5()])
    func roundTrip(spec: NetworkSpec) throws {
        let net = network(spec, seed: 3)
        net.noiseLayers[0].mask[1] = 0
        net.noiseLayers[1].mu.value[0] = -3.5
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try Checkpoint.encode(net).write(to: url)
        let back = try Checkpoint.load(url)
        #expect(back.spec == net.spec)
        #expect(zip(back.allParameters, net.allParameters).allSatisfy { $0.value.array == $1.value.array && $0.shape == $1.shape })
        #expect(back.noiseLayers.map(\.mask) == net.noiseLayers.map(\.mask))
        #expect(try Checkpoint.encode(back) == Checkpoint.encode(net))
    }

    @Test func badFilesGiveClearErrors() throws {
        let good = try Checkpoint.encode(network(.mlp(hidden: 4, depth: 1)))
        func message(_ data: Data) -> String {
            do { _ = try Checkpoint.decode(data, path: "model.bin"); return "no error" } catch { return "\(error)" }
        }
        #expect(message(good.prefix(good.count - 10)).contains("truncated"))
        #expect(message(good.prefix(10)).contains("truncated"))
        var corrupt = good
        corrupt[corrupt.count / 2] ^= 0xFF
        #expect(message(corrupt).contains("checksum mismatch"))
        var magic = good
        magic[0] = 0x41
        #expect(message(magic).contains("wrong magic"))
        #expect(message(good).contains("no error"))
        #expect(message(good.prefix(good.count - 10)).hasPrefix("model.bin:"))
    }
}

@Suite("Compaction")
struct CompactionTests {
    func randomInputs(_ count: Int, channels: Int = 1, seed: UInt64 = 9) -> [Float] {
        var rng = Xoshiro256(seed: seed)
        return (0..<(count * channels * 1024)).map { _ in rng.nextFloat(in: -0.5, 0.5) }
    }

    func randomize(_ net: Network, prune fraction: Double, seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        for layer in net.noiseLayers {
            for s in 0..<layer.units {
                layer.mu.value[s] = rng.nextFloat(in: -3, 0)
                layer.logSigma.value[s] = rng.nextFloat(in: -4, 0)
                layer.mask[s] = Double(rng.nextFloat(in: 0, 1)) < fraction ? 0 : 1
            }
            layer.mask[0] = 1
        }
    }

    @Test(arguments: [NetworkSpec.mlp(hidden: 12, depth: 3), .lenet5(), .lenet5(channels: 3)])
    func sameLogitsAsTheMaskedNetwork(spec: NetworkSpec) throws {
        let net = network(spec, seed: 4)
        randomize(net, prune: 0.4, seed: 5)
        let compact = Compaction.compact(net)
        #expect(compact.noiseLayers.isEmpty)
        let n = 40
        let x = randomInputs(n, channels: spec.inputChannels)
        let report = CompactionReport(masked: net, compact: compact, images: x, count: n, repeats: 1)
        #expect(report.maxLogitDifference <= 1e-4, "max logit difference \(report.maxLogitDifference)")
        #expect(try #require(report.maxLogitDifferenceFloat64) <= 1e-6, "Float64 difference \(String(describing: report.maxLogitDifferenceFloat64))")
        #expect(report.exactImages == n)
        #expect(report.predictionsAgree == 1)
        #expect(report.parametersAfter < report.parametersBefore)
        #expect(report.forwardFlopsAfter < report.forwardFlopsBefore)
        // Parameter count: the masked total less μ/log σ less the standard count's weights and biases.
        let standard = CompressionReport(network: net, counting: .standard)
        let noise = net.noiseLayers.reduce(0) { $0 + 2 * $1.units }
        #expect(report.parametersAfter == standard.parameters - noise - (standard.removedParameters - 2 * standard.prunedStructures))
    }

    @Test func handCheckedMLP() {
        let net = network(.mlp(hidden: 4, depth: 1))
        Structures.apply([[false, true, true, true], [true, false, false, true]], to: net)
        let compact = Compaction.compact(net)
        // fc1 3×1024 + 3, fc2 2×3 + 2, fc3 10×2 + 10.
        #expect(compact.allParameters.map(\.count) == [3072, 3, 6, 2, 20, 10])
        #expect(compact.allParameters.reduce(0) { $0 + $1.count } == 3113)
    }

    @Test func plainNetworkFoldsNothing() {
        let net = network(.mlp(hidden: 6, depth: 1))
        net.noiseEnabled = false
        Structures.apply([[true, false, true, true, true, true], [true, true, true, true, true, true]], to: net)
        let compact = Compaction.compact(net)
        let x = randomInputs(10)
        let report = CompactionReport(masked: net, compact: compact, images: x, count: 10, repeats: 1)
        #expect(report.maxLogitDifference <= 1e-5)
    }
}
