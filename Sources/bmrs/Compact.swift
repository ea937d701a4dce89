import ArgumentParser
import BayesianPruning
import Datasets
import Experiments
import Foundation
import NeuralCore

struct Compact: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn a pruned checkpoint into the smaller dense network it implies, and check it.")

    @Argument(help: "A pruned model: checkpoint.bin from `bmrs train`, or a .pth/.safetensors/.npz trained elsewhere (its stored masks are used).")
    var checkpoint: String
    @OptionGroup var model: ModelOptions
    @Option(help: "Where to write the compacted checkpoint.")
    var out: String
    @Option(help: "Data set whose test images are used to compare the two networks (default: fashion-mnist, or mnist-5k/cifar10 as the input channels suggest).")
    var dataset: DatasetName?
    @OptionGroup var data: DataOptions
    @Option(help: "OpenBLAS threads (1: the same summation order as training runs).")
    var threads: Int = 1

    func run() throws {
        BLAS.setThreads(threads)
        let masked = try model.load(checkpoint)
        let compact = Compaction.compact(masked)
        try AtomicFile.write(try Checkpoint.encode(compact), to: URL(fileURLWithPath: out))
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
        let report = CompactionReport(masked: masked, compact: compact, images: images, count: count, exactImages: min(count, 1000))
        print(String(format: "parameters  %d → %d (%.1f %% removed)", report.parametersBefore, report.parametersAfter,
                     100 * (1 - Double(report.parametersAfter) / Double(report.parametersBefore))))
        print(String(format: "forward FLOPs per image  %.0f → %.0f (%.1f %% fewer)", report.forwardFlopsBefore, report.forwardFlopsAfter,
                     100 * (1 - report.forwardFlopsAfter / report.forwardFlopsBefore)))
        if count > 0 {
            print(String(format: "max |logit difference| %.2e in Float32 (largest |logit| %.1f), %.1e in Float64 on %d images; predictions agree on %.2f %%",
                         report.maxLogitDifference, report.maxAbsoluteLogit ?? 0, report.maxLogitDifferenceFloat64 ?? 0,
                         report.exactImages ?? 0, 100 * report.predictionsAgree))
            print(String(format: "inference on the test set %.3f s → %.3f s (%.2f× faster)", report.secondsMasked, report.secondsCompact, report.speedup))
        }
        print("compacted checkpoint: \(out)")
    }
}
