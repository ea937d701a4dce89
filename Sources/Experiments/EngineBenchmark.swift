import Foundation
import Datasets
import NeuralCore
import SeededRandom

/// `bmrs bench`: seconds per training epoch and per evaluation pass (batch 32, method
/// `none`) on real Fashion-MNIST when it is found (the 48,000-image training split and the
/// 10,000 test images, as the PyTorch anchor uses), else on synthetic images of the same
/// shape; the FLOPs they take, the GFLOP/s reached and the peak sgemm GFLOP/s measured in
/// the same run.
public struct EngineBenchmark {
    public struct Result: Codable, Sendable {
        public var network: String
        public var threads: Int
        public var trainImages: Int
        public var evalImages: Int
        public var epochSeconds: Double
        public var evalSeconds: Double
        public var epochGFLOP: Double
        public var epochGFLOPPerSecond: Double
        public var peakSgemmGFLOPPerSecond: Double
        public var blasCore: String
        public var data: String
    }

    public var trainImages = 48_000
    public var evalImages = 10_000
    public var batchSize = 32
    /// Real images to time on (train, test); nil: synthetic uniform noise.
    public var data: (train: ImageSet, test: ImageSet)?

    public init() {}

    public func run(network kind: NetworkSpec.Kind, threads: Int) -> Result {
        BLAS.setThreads(threads)
        let spec: NetworkSpec = kind == .mlp ? .mlp() : .lenet5()
        var rng = Xoshiro256(seed: 42)
        let inputSize = 32 * 32
        let images: [Float], labels: [Int32], evalSet: [Float]
        if let data {
            let n = min(trainImages, data.train.count)
            images = Array(data.train.images.prefix(n * inputSize))
            labels = Array(data.train.labels.prefix(n))
            evalSet = Array(data.test.images.prefix(evalImages * inputSize))
        } else {
            images = (0..<(trainImages * inputSize)).map { _ in rng.nextFloat(in: -0.5, 0.5) }
            labels = (0..<trainImages).map { _ in Int32(rng.next() % 10) }
            evalSet = Array(images.prefix(evalImages * inputSize))
        }
        let trainCount = labels.count
        let network = Network(spec: spec, maxBatch: 500, rng: &rng)
        let optimizer = Adam(parameters: network.parameters)
        var context = StepContext(training: true, noise: UniformStream(key: 1))

        let start = Date()
        images.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                var i = 0
                while i < trainCount {
                    let n = min(batchSize, trainCount - i)
                    network.trainStep(input: x.baseAddress! + i * inputSize, labels: y.baseAddress! + i, batch: n,
                                      optimizer: optimizer, klAveraging: .mean, context: &context)
                    i += n
                }
            }
        }
        let epochSeconds = Date().timeIntervalSince(start)
        let evalCount = evalSet.count / inputSize
        let evalStart = Date()
        _ = evalSet.withUnsafeBufferPointer { network.predict($0.baseAddress!, count: evalCount) }
        let evalSeconds = Date().timeIntervalSince(evalStart)

        let flops = Double(trainCount) * FLOPCount.trainingPerExample(network)
        return Result(network: spec.description, threads: threads, trainImages: trainCount, evalImages: evalCount,
                      epochSeconds: epochSeconds, evalSeconds: evalSeconds, epochGFLOP: flops / 1e9,
                      epochGFLOPPerSecond: flops / 1e9 / epochSeconds,
                      peakSgemmGFLOPPerSecond: EngineBenchmark.peakSgemm(), blasCore: BLAS.coreName,
                      data: data == nil ? "synthetic" : "fashion-mnist")
    }

    /// Seconds per step spent in each stage's forward and backward, over `steps` steps: a
    /// layer, or a run of layers the network executes fused (e.g. "1-3 Activation+NoiseLayer+MaxPool2d").
    public func layerProfile(network kind: NetworkSpec.Kind, steps: Int = 200) -> [(layer: String, forward: Double, backward: Double)] {
        let spec: NetworkSpec = kind == .mlp ? .mlp() : .lenet5()
        var rng = Xoshiro256(seed: 42)
        var images = (0..<(batchSize * 1024)).map { _ in rng.nextFloat(in: -0.5, 0.5) }
        var labels = (0..<batchSize).map { _ in Int32(rng.next() % 10) }
        if let data, data.train.count >= batchSize {
            images = Array(data.train.images.prefix(batchSize * 1024))
            labels = Array(data.train.labels.prefix(batchSize))
        }
        let network = Network(spec: spec, maxBatch: batchSize, rng: &rng)
        let stages = network.stageNames
        var context = StepContext(training: true, noise: UniformStream(key: 1))
        var forward = [Double](repeating: 0, count: stages.count)
        var backward = forward
        var grad = [Float](repeating: 0, count: batchSize * 10)
        for _ in 0..<steps {
            var x = images.withUnsafeBufferPointer { $0.baseAddress! }
            for i in stages.indices {
                let t = Date()
                x = network.forwardStage(i, x, batch: batchSize, context: &context)
                forward[i] += Date().timeIntervalSince(t)
            }
            _ = labels.withUnsafeBufferPointer { y in grad.withUnsafeMutableBufferPointer { g in
                softmaxCrossEntropy(logits: x, labels: y.baseAddress!, batch: batchSize, classes: 10, gradient: g.baseAddress!)
            } }
            var g = grad.withUnsafeBufferPointer { UnsafePointer($0.baseAddress!) }
            for i in stages.indices.reversed() {
                let t = Date()
                let next = network.backwardStage(i, g, batch: batchSize, needInputGradient: i > 0)
                backward[i] += Date().timeIntervalSince(t)
                guard let next else { break }
                g = next
            }
        }
        return stages.indices.map { i in (stages[i], forward[i] / Double(steps), backward[i] / Double(steps)) }
    }

    /// Best of a few 1024³ sgemm calls at the current thread count, in GFLOP/s.
    public static func peakSgemm(size n: Int = 1024, repeats: Int = 5) -> Double {
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
        for i in 0..<(n * n) { a[i] = Float(i % 7) * 0.1; b[i] = Float(i % 5) * 0.1 }
        var best = Double.infinity
        for _ in 0..<repeats {
            let t = Date()
            BLAS.gemm(m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
            best = min(best, Date().timeIntervalSince(t))
        }
        return 2 * Double(n * n * n) / best / 1e9
    }
}

