import ArgumentParser
import Datasets
import Experiments
import Foundation
import NeuralCore
import SeededRandom

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time a training epoch and an evaluation pass for MLP and LeNet5 (build with -c release).")

    @Option(help: "Networks to time, comma-separated.")
    var networks: String = "mlp,lenet5"
    @Option(help: "OpenBLAS thread counts to time, comma-separated.")
    var threads: String = "1,2"
    @Option(help: "Training images per epoch (Fashion-MNIST's split has 48,000).")
    var images: Int = 48_000
    @Flag(help: "Print JSON instead of a table.")
    var json = false
    @Flag(help: "Also print the time per step of each layer's forward and backward pass.")
    var layers = false
    @Flag(help: "Time on synthetic images even when Fashion-MNIST is found.")
    var synthetic = false
    @OptionGroup var dataOptions: DataOptions

    func run() throws {
        let kinds = try networks.split(separator: ",").map { name -> NetworkSpec.Kind in
            guard let k = NetworkSpec.Kind(rawValue: String(name)) else {
                throw ValidationError("--networks: unknown network '\(name)', expected mlp or lenet5")
            }
            return k
        }
        let threadCounts = try threads.split(separator: ",").map { t -> Int in
            guard let n = Int(t), n >= 1 else { throw ValidationError("--threads: expected positive integers, got '\(t)'") }
            return n
        }
        var bench = EngineBenchmark()
        bench.trainImages = images
        if !synthetic, (try? dataOptions.locator.locate(.fashionMNIST)) != nil {
            var rng = Xoshiro256(seed: TrainingConfig().derivedSeed(.dataSplit))
            let splits = try loadSplits(.fashionMNIST, locator: dataOptions.locator, using: &rng)
            bench.data = (splits.train, splits.test)
        }
        if !json { print("data: \(bench.data == nil ? "synthetic 1×32×32 images" : "Fashion-MNIST (train split, test set)")") }
        if layers {
            BLAS.setThreads(threadCounts[0])
            for kind in kinds {
                for (name, f, b) in bench.layerProfile(network: kind) {
                    print(String(format: "%-24@ forward %8.1f µs  backward %8.1f µs", name as NSString, f * 1e6, b * 1e6))
                }
            }
        }
        var results: [EngineBenchmark.Result] = []
        for kind in kinds {
            for t in threadCounts {
                let r = bench.run(network: kind, threads: t)
                results.append(r)
                if !json {
                    print(String(format: "%-22@ threads %d  epoch %7.3f s  eval %6.3f s  %6.1f GFLOP/epoch  %6.1f GFLOP/s  (sgemm peak %6.1f)",
                                 r.network as NSString, r.threads, r.epochSeconds, r.evalSeconds, r.epochGFLOP,
                                 r.epochGFLOPPerSecond, r.peakSgemmGFLOPPerSecond))
                }
            }
        }
        if json {
            try printJSON(results, keys: .snakeCase)
        }
    }
}
