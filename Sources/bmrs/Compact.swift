import ArgumentParser
import BayesianPruning
import Datasets
import Experiments
import Foundation
import ModelImport
import NeuralCore
import FileOutput
import SeededRandom

/// What `bmrs compact` writes.
enum CompactFormat: String, CaseIterable, ExpressibleByArgument {
    /// bmrs's checkpoint.bin (layer descriptors included): every bmrs command reads it.
    case checkpoint
    /// The dense network as safetensors keyed like an nn.Sequential, and its architecture as JSON beside it.
    case safetensors
}

struct Compact: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn a pruned checkpoint into the smaller dense network it implies, and check it.")

    @Argument(help: "A pruned model: checkpoint.bin from `bmrs train`, or a .pth/.safetensors/.npz trained elsewhere (its stored masks are used).")
    var checkpoint: String
    @OptionGroup var model: ModelOptions
    @Option(help: "Where to write the compacted checkpoint.")
    var out: String
    @Option(help: "checkpoint (bmrs's checkpoint.bin) or safetensors (tensors keyed like a PyTorch nn.Sequential, with <out stem>.architecture.json beside it describing the layers).")
    var format: CompactFormat = .checkpoint
    @Option(help: "Data set whose test images are used to compare the two networks (default: fashion-mnist, or mnist-5k/cifar10 as the input channels suggest).")
    var dataset: DatasetName?
    @OptionGroup var data: DataOptions
    @Option(help: "OpenBLAS threads (1: the same summation order as training runs).")
    var threads: Int = 1

    func run() throws {
        BLAS.setThreads(threads)
        let masked = try model.load(checkpoint)
        let compact = Compaction.compact(masked)
        let outURL = URL(fileURLWithPath: out)
        switch format {
        case .checkpoint:
            try AtomicFile.write(try Checkpoint.encode(compact), to: outURL)
        case .safetensors:
            let (bytes, architecture) = try ModelExport.compacted(compact, fileName: outURL.lastPathComponent)
            try AtomicFile.write(Data(bytes), to: outURL)
            try AtomicFile.write(architecture, to: ModelExport.architectureURL(for: outURL))
        }
        let name = dataset ?? (masked.spec.inputChannels == 3 ? .cifar10 : .fashionMNIST)
        var images: [Float] = [], count = 0
        if let directory = try? data.locator.locate(name) {
            var rng = Xoshiro256(seed: 0)
            let splits = try loadSplits(name, locator: data.locator, using: &rng)
            images = splits.test.images; count = splits.test.count
            print("comparing on \(count) test images of \(name.rawValue) from \(directory.path)")
        } else {
            print("\(name.rawValue) not found: comparing sizes only")
        }
        // One timing pass only: the speed is measured below, long enough to mean something.
        let report = CompactionReport(masked: masked, compact: compact, images: images, count: count, repeats: 1,
                                      exactImages: min(count, 1000))
        print(String(format: "parameters  %d → %d (%.1f %% removed)", report.parametersBefore, report.parametersAfter,
                     100 * (1 - Double(report.parametersAfter) / Double(report.parametersBefore))))
        print(String(format: "forward FLOPs per image  %.0f → %.0f (%.1f %% fewer)", report.forwardFlopsBefore, report.forwardFlopsAfter,
                     100 * (1 - report.forwardFlopsAfter / report.forwardFlopsBefore)))
        if count > 0 {
            print(String(format: "max |logit difference| %.2e in Float32 (largest |logit| %.1f), %.1e in Float64 on %d images; predictions agree on %.2f %%",
                         report.maxLogitDifference, report.maxAbsoluteLogit ?? 0, report.maxLogitDifferenceFloat64 ?? 0,
                         report.exactImages ?? 0, 100 * report.predictionsAgree))
            let speed = InferenceTiming.measure([masked, compact], images: images, count: count)
            print(InferenceTiming.summary(masked: speed.seconds[0], compact: speed.seconds[1], passes: speed.passes, count: count))
        }
        print(format == .checkpoint ? "compacted checkpoint: \(out)"
                                    : "compacted network: \(out), architecture: \(ModelExport.architectureURL(for: outURL).path)")
    }
}

/// Inference speed of the masked and the compacted network, measured so that the ratio
/// means something: in each round every network runs whole passes over the images until
/// at least `minimumSeconds` of them are timed, the networks alternate round by round (so
/// a change of clock speed hits both), and each keeps its best time per pass.
enum InferenceTiming {
    static func measure(_ networks: [Network], images: [Float], count: Int, minimumSeconds: Double = 0.5,
                        rounds: Int = 3) -> (seconds: [Double], passes: [Int]) {
        var best = [Double](repeating: .infinity, count: networks.count)
        var passes = [Int](repeating: 0, count: networks.count)
        images.withUnsafeBufferPointer { buffer in
            for _ in 0..<rounds {
                for (i, network) in networks.enumerated() {
                    var n = 0
                    let start = DispatchTime.now().uptimeNanoseconds
                    var elapsed = 0.0
                    repeat {
                        _ = network.logits(buffer.baseAddress!, count: count)
                        n += 1
                        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    } while elapsed < minimumSeconds
                    best[i] = min(best[i], elapsed / Double(n))
                    passes[i] += n
                }
            }
        }
        return (best, passes)
    }

    /// "inference on 10000 test images 0.1200 s → 0.0800 s per pass (1.50× faster; best of 3 rounds of ≥ 0.5 s
    /// each, 14 and 20 passes)"; a compacted network that runs slower is reported as slower, by the factor it
    /// takes longer ("1.22× slower", not "0.82× faster").
    static func summary(masked: Double, compact: Double, passes: [Int], count: Int) -> String {
        let ratio = masked / compact
        let verdict: String
        if !(ratio.isFinite && ratio > 0) {
            verdict = "speed-up not measurable"
        } else if ratio >= 1 {
            verdict = String(format: "%.2f× faster", ratio)
        } else {
            verdict = String(format: "%.2f× slower", 1 / ratio)
        }
        return String(format: "inference on %d test images %.4f s → %.4f s per pass", count, masked, compact)
            + " (\(verdict); best of 3 rounds of ≥ 0.5 s each, \(passes[0]) and \(passes[1]) passes)"
    }
}
