import Foundation
import Testing
@testable import NeuralCore
import NoiseStatistics
import SeededRandom

@Suite("Layer gradients against central differences")
struct LayerGradientTests {
    @Test func dense() {
        var rng = Xoshiro256(seed: 1)
        let layer = Dense(input: 7, output: 5)
        layer.initialize(using: &rng)
        let x = randomArray(3 * 7, -1, 1, &rng)
        expectGradients(GradientCheck().check(layer, input: x, batch: 3, rng: &rng))
    }

    @Test(arguments: [ActivationLayout.imageMajor, .channelMajor])
    func conv2d(layout: ActivationLayout) {
        var rng = Xoshiro256(seed: 2)
        let layer = Conv2d(inChannels: 2, outChannels: 3, kernel: 3, inHeight: 6, inWidth: 5, inputLayout: layout)
        layer.initialize(using: &rng)
        let x = randomArray(2 * 2 * 6 * 5, -1, 1, &rng)
        expectGradients(GradientCheck().check(layer, input: x, batch: 2, rng: &rng))
    }

    /// The direct kernel (LeNet5's conv1 path), with a row width that needs an overlapping
    /// last chunk (10 = 8 + 2) and a channel count that is not a multiple of the block of 6.
    @Test(arguments: [ActivationLayout.imageMajor, .channelMajor])
    func conv2dDirect(layout: ActivationLayout) {
        var rng = Xoshiro256(seed: 12)
        let layer = Conv2d(inChannels: 2, outChannels: 7, kernel: 3, inHeight: 4, inWidth: 12,
                           inputLayout: layout, algorithm: .direct)
        #expect(layer.usesDirectKernel)
        layer.initialize(using: &rng)
        let x = randomArray(2 * 2 * 4 * 12, -1, 1, &rng)
        expectGradients(GradientCheck().check(layer, input: x, batch: 2, rng: &rng))
    }

    /// Direct and im2col kernels give the same outputs, dW and db (up to summation order)
    /// on LeNet5's conv1 shapes (C = 1 and 3) and on exact-multiple and odd row widths.
    @Test(arguments: [(c: 1, oc: 6, k: 5, h: 32, w: 32), (c: 3, oc: 18, k: 5, h: 32, w: 32),
                      (c: 2, oc: 4, k: 3, h: 6, w: 18), (c: 1, oc: 13, k: 2, h: 3, w: 10)])
    func conv2dDirectMatchesIm2col(shape: (c: Int, oc: Int, k: Int, h: Int, w: Int)) {
        var rng = Xoshiro256(seed: 13)
        let batch = 3
        let layers = [Conv2d.Algorithm.direct, .im2col].map {
            Conv2d(inChannels: shape.c, outChannels: shape.oc, kernel: shape.k, inHeight: shape.h, inWidth: shape.w,
                   inputLayout: .imageMajor, algorithm: $0)
        }
        layers[0].initialize(using: &rng)
        layers[1].weight.value.pointer.update(from: layers[0].weight.value.pointer, count: layers[0].weight.count)
        layers[1].bias.value.pointer.update(from: layers[0].bias.value.pointer, count: layers[0].bias.count)
        let x = randomArray(batch * layers[0].inputSize, -1, 1, &rng)
        let dy = randomArray(batch * layers[0].outputSize, -1, 1, &rng)
        var results: [(y: [Float], dW: [Float], db: [Float], dx: [Float])] = []
        for layer in layers {
            layer.allocate(maxBatch: batch)
            var context = StepContext(training: true, noise: UniformStream(key: 1))
            let y = x.withUnsafeBufferPointer { layer.forward($0.baseAddress!, batch: batch, context: &context) }
            let out = Array(UnsafeBufferPointer(start: y, count: dy.count))
            let dx = dy.withUnsafeBufferPointer { layer.backward($0.baseAddress!, batch: batch, needInputGradient: true) }!
            results.append((out, layer.weight.gradient.array, layer.bias.gradient.array,
                            Array(UnsafeBufferPointer(start: dx, count: x.count))))
        }
        func maxDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }
        #expect(maxDifference(results[0].y, results[1].y) < 1e-5)
        // dW sums batch·OH·OW products per weight: allow Float32 rounding of such a sum.
        #expect(maxDifference(results[0].dW, results[1].dW) < 1e-5 * Float(batch * layers[0].outHeight * layers[0].outWidth))
        #expect(maxDifference(results[0].db, results[1].db) == 0)
        #expect(maxDifference(results[0].dx, results[1].dx) == 0)
        #expect(results[0].dW.contains { $0 != 0 })
    }

    @Test func maxPool() {
        var rng = Xoshiro256(seed: 3)
        let layer = MaxPool2d(channels: 3, inHeight: 4, inWidth: 6)
        // Distinct values spaced well beyond the step, so no window has a near-tie.
        var values = (0..<(2 * 3 * 4 * 6)).map { Float($0) * 0.05 }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1)); values.swapAt(i, j)
        }
        expectGradients(GradientCheck().check(layer, input: values, batch: 2, rng: &rng))
    }

    @Test(arguments: [ActivationFunction.tanh, .relu])
    func activation(function: ActivationFunction) {
        var rng = Xoshiro256(seed: 4)
        let layer = Activation(function, size: 10)
        // Keep ReLU inputs off the kink at 0.
        let x = randomArray(30, 0.05, 1, &rng).enumerated().map { $0.offset % 2 == 0 ? $0.element : -$0.element }
        expectGradients(GradientCheck().check(layer, input: x, batch: 3, rng: &rng))
    }

    @Test func flatten() {
        var rng = Xoshiro256(seed: 5)
        let layer = Flatten(channels: 3, height: 2, width: 2)
        let x = randomArray(2 * 12, -1, 1, &rng)
        expectGradients(GradientCheck().check(layer, input: x, batch: 2, rng: &rng))
    }

    @Test(arguments: [(mu: Float(-1), logSigma: Float(-1)), (mu: -4, logSigma: 0.5), (mu: -0.3, logSigma: -3)])
    func noiseRows(point: (mu: Float, logSigma: Float)) {
        var rng = Xoshiro256(seed: 6)
        let layer = NoiseLayer(units: 4, layout: .rows)
        for s in 0..<4 {
            layer.mu.value[s] = point.mu + 0.1 * Float(s)
            layer.logSigma.value[s] = point.logSigma - 0.1 * Float(s)
        }
        layer.mask[2] = 0
        let x = randomArray(5 * 4, -1, 1, &rng)
        var check = GradientCheck()
        check.step = 2e-3
        expectGradients(check.check(layer, input: x, batch: 5, training: true, rng: &rng), tolerance: 3e-2)
    }

    @Test func noiseChannels() {
        var rng = Xoshiro256(seed: 7)
        let layer = NoiseLayer(units: 3, planeSize: 4, layout: .channelMajor)
        for s in 0..<3 {
            layer.mu.value[s] = -1.5 + 0.5 * Float(s)
            layer.logSigma.value[s] = -0.5
        }
        let x = randomArray(2 * 12, -1, 1, &rng)
        var check = GradientCheck()
        check.step = 2e-3
        expectGradients(check.check(layer, input: x, batch: 2, training: true, rng: &rng), tolerance: 3e-2)
    }

    /// Blocks longer than the backward pass's all-zero chunk (here 2·45 = 90 = 32 + 32 + 26
    /// elements per channel) with a max-pool-like dL/dy: one whole chunk zero, and two
    /// elements in three zero elsewhere, so skipped, partial and dense chunks all occur.
    @Test func noiseChannelsSparseOutputGradient() {
        var rng = Xoshiro256(seed: 8)
        let layer = NoiseLayer(units: 3, planeSize: 45, layout: .channelMajor)
        for s in 0..<3 {
            layer.mu.value[s] = -1 + 0.4 * Float(s)
            layer.logSigma.value[s] = -0.7
        }
        let x = randomArray(2 * 3 * 45, -1, 1, &rng)
        let weights = (0..<x.count).map { e -> Float in
            if e < 32 || e % 3 != 1 { return 0 }
            return rng.nextFloat(in: -1, 1)
        }
        var check = GradientCheck()
        check.step = 2e-3
        let reports = check.check(layer, input: x, batch: 2, training: true, outputWeights: weights, rng: &rng)
        expectGradients(reports, tolerance: 3e-2)
        #expect(layer.mu.gradient.array.allSatisfy { $0 != 0 })
    }

    @Test func noiseEvaluationUsesExpectedTheta() {
        let layer = NoiseLayer(units: 2, layout: .rows)
        layer.mu.value[0] = -2; layer.logSigma.value[0] = -1
        layer.mask[1] = 0
        layer.allocate(maxBatch: 1)
        var context = StepContext.evaluation
        let y = [Float](repeating: 1, count: 2).withUnsafeBufferPointer {
            Array(UnsafeBufferPointer(start: layer.forward($0.baseAddress!, batch: 1, context: &context), count: 2))
        }
        let expected = layer.posterior(0).expectedTheta
        #expect(abs(Double(y[0]) - expected) < 1e-6 * expected)
        #expect(y[1] == 0)
    }
}

@Suite("Loss and network")
struct LossAndNetworkTests {
    @Test func crossEntropyGradient() {
        var rng = Xoshiro256(seed: 8)
        let batch = 4, classes = 10
        var logits = randomArray(batch * classes, -2, 2, &rng)
        let labels: [Int32] = [0, 3, 9, 5]
        var grad = [Float](repeating: 0, count: batch * classes)
        func loss() -> Double {
            logits.withUnsafeBufferPointer { l in labels.withUnsafeBufferPointer { y in
                softmaxCrossEntropy(logits: l.baseAddress!, labels: y.baseAddress!, batch: batch, classes: classes, gradient: nil)
            } }
        }
        _ = logits.withUnsafeBufferPointer { l in labels.withUnsafeBufferPointer { y in grad.withUnsafeMutableBufferPointer { g in
            softmaxCrossEntropy(logits: l.baseAddress!, labels: y.baseAddress!, batch: batch, classes: classes, gradient: g.baseAddress!)
        } } }
        for i in stride(from: 0, to: batch * classes, by: 3) {
            let h: Float = 1e-2
            logits[i] += h; let p = loss()
            logits[i] -= 2 * h; let m = loss()
            logits[i] += h
            let numeric = (p - m) / Double(2 * h)
            #expect(abs(numeric - Double(grad[i])) < 1e-3, "logit \(i): analytic \(grad[i]) numeric \(numeric)")
        }
        // Uniform logits give log(classes).
        let uniform = [Float](repeating: 0.3, count: classes)
        let l0: Double = uniform.withUnsafeBufferPointer { l in [Int32(2)].withUnsafeBufferPointer { y in
            softmaxCrossEntropy(logits: l.baseAddress!, labels: y.baseAddress!, batch: 1, classes: classes, gradient: nil)
        } }
        #expect(abs(l0 - log(10.0)) < 1e-9)
    }

    @Test func klTermGradientMatchesFiniteDifferences() {
        var rng = Xoshiro256(seed: 9)
        let net = Network(spec: .mlp(hidden: 6, depth: 1), maxBatch: 2, rng: &rng)
        for layer in net.noiseLayers {
            for s in 0..<layer.units {
                layer.mu.value[s] = rng.nextFloat(in: -6, -0.5)
                layer.logSigma.value[s] = rng.nextFloat(in: -3, 1)
            }
        }
        for averaging in KLAveraging.allCases {
            net.zeroGradients()
            net.accumulateKLGradient(averaging)
            for layer in net.noiseLayers {
                for p in [layer.mu, layer.logSigma] {
                    for s in [0, 3, 5] {
                        let old = p.value[s]
                        let h: Float = 2e-3
                        p.value[s] = old + h; let plus = net.klTerm(averaging)
                        p.value[s] = old - h; let minus = net.klTerm(averaging)
                        p.value[s] = old
                        let numeric = (plus - minus) / (Double(old + h) - Double(old - h))
                        let analytic = Double(p.gradient[s])
                        #expect(abs(numeric - analytic) <= 1e-3 * max(abs(numeric), 1e-3),
                                "\(p.name)[\(s)] \(averaging): analytic \(analytic) numeric \(numeric)")
                    }
                }
            }
        }
    }

    @Test(arguments: [NetworkSpec.mlp(hidden: 8, depth: 2), .lenet5()])
    func wholeNetworkGradient(spec: NetworkSpec) {
        var rng = Xoshiro256(seed: 10)
        let batch = 2
        let net = Network(spec: spec, maxBatch: batch, rng: &rng)
        for layer in net.noiseLayers {
            for s in 0..<layer.units { layer.mu.value[s] = -0.5; layer.logSigma.value[s] = -1.5 }
        }
        let x = randomArray(batch * 1024, -0.5, 0.5, &rng)
        let labels: [Int32] = [3, 7]
        func loss(accumulate: Bool) -> Double {
            var context = StepContext(training: true, noise: UniformStream(key: 11))
            return x.withUnsafeBufferPointer { xb in labels.withUnsafeBufferPointer { yb in
                let logits = net.forward(xb.baseAddress!, batch: batch, context: &context)
                var g = [Float](repeating: 0, count: batch * 10)
                let l = g.withUnsafeMutableBufferPointer { gb in
                    softmaxCrossEntropy(logits: logits, labels: yb.baseAddress!, batch: batch, classes: 10,
                                        gradient: accumulate ? gb.baseAddress! : nil)
                }
                if accumulate { g.withUnsafeBufferPointer { net.backward($0.baseAddress!, batch: batch) } }
                return l
            } }
        }
        net.zeroGradients()
        _ = loss(accumulate: true)
        let parameters = net.parameters
        var numNorm = 0.0, diffNorm = 0.0
        for p in parameters {
            for i in Swift.stride(from: 0, to: p.count, by: max(1, p.count / 8)) {
                let old = p.value[i], h: Float = 1e-2
                p.value[i] = old + h; let plus = loss(accumulate: false)
                p.value[i] = old - h; let minus = loss(accumulate: false)
                p.value[i] = old
                let numeric = (plus - minus) / Double(2 * h)
                numNorm += numeric * numeric
                diffNorm += pow(numeric - Double(p.gradient[i]), 2)
            }
        }
        let relative = (diffNorm / numNorm).squareRoot()
        #expect(numNorm > 0)
        #expect(relative < 3e-2, "\(spec): relative gradient error \(relative)")
    }
}

@Suite("Noise layer shortcuts")
struct NoiseShortcutTests {
    /// Skipping runs of zero inputs after a ReLU must not change the output, the μ/σ
    /// gradients, or the gradient that survives the ReLU.
    @Test func skippingZeroRunsAfterReLUChangesNothing() {
        var rng = Xoshiro256(seed: 12)
        let planes = 3, plane = 200, batch = 2
        var x = randomArray(planes * batch * plane, -1, 1, &rng)
        for i in 0..<x.count where (i / 70) % 2 == 0 { x[i] = 0 }  // long zero runs, as ReLU gives
        for i in x.indices { x[i] = max(x[i], 0) }
        let dy = randomArray(x.count, -1, 1, &rng)
        func run(skip: Bool) -> (y: [Float], dx: [Float], dMu: [Float], dLogSigma: [Float]) {
            let layer = NoiseLayer(units: planes, planeSize: plane, layout: .channelMajor)
            for s in 0..<planes { layer.mu.value[s] = -0.3 * Float(s); layer.logSigma.value[s] = -1 }
            layer.inputIsRectified = skip
            layer.allocate(maxBatch: batch)
            var context = StepContext(training: true, noise: UniformStream(key: 99))
            let y = x.withUnsafeBufferPointer {
                Array(UnsafeBufferPointer(start: layer.forward($0.baseAddress!, batch: batch, context: &context), count: x.count))
            }
            let dxRaw = dy.withUnsafeBufferPointer {
                Array(UnsafeBufferPointer(start: layer.backward($0.baseAddress!, batch: batch, needInputGradient: true)!, count: x.count))
            }
            let dx = zip(dxRaw, x).map { $1 > 0 ? $0 : 0 }  // what the ReLU's backward passes on
            return (y, dx, layer.mu.gradient.array, layer.logSigma.gradient.array)
        }
        let full = run(skip: false), skipped = run(skip: true)
        #expect(full.y == skipped.y)
        #expect(full.dx == skipped.dx)
        #expect(full.dMu == skipped.dMu)
        #expect(full.dLogSigma == skipped.dLogSigma)
        #expect(full.dMu.contains { $0 != 0 })
    }

    @Test func fastMathAccuracy() {
        for i in 1...2000 {
            let x = Float(i) / 2001
            #expect(abs(Double(fastLog(x)) - Foundation.log(Double(x))) <= 3e-7 * max(1, abs(Foundation.log(Double(x)))))
            let e = Float(i - 1000) / 50
            #expect(abs(Double(fastExp(e)) - Foundation.exp(Double(e))) <= 3e-7 * Foundation.exp(Double(e)))
            #expect(abs(Double(fastTanh(e / 4)) - Foundation.tanh(Double(e / 4))) <= 3e-7)
            #expect(abs(Double(fastSqrt(x * 30)) - Double(x * 30).squareRoot()) <= 3e-7 * Double(x * 30).squareRoot())
        }
        // Φ⁻¹ over the sampling range, central and tail branches, against Float64.
        for i in 0...4000 {
            // Compare at the Float32 γ actually passed in: near γ = 1 the rounding of γ
            // itself moves Φ⁻¹ by up to ~1e-3, the same in any Float32 implementation.
            let g = Double(Float(1e-5 + (1 - 2e-5) * Double(i) / 4000))
            let exact = normalQuantile(g)
            let got = Double(fastNormalQuantile(Float(g)))
            #expect(abs(got - exact) <= 2e-6 * max(1, abs(exact)), "Φ⁻¹(\(g)): \(got) vs \(exact)")
            if !normalQuantileNeedsTail(Float(g)) {
                #expect(abs(Double(fastNormalQuantileCentral(Float(g))) - exact) <= 2e-6 * max(1, abs(exact)))
            }
        }
    }
}
