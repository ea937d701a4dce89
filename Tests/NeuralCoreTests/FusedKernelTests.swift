import Testing
@testable import NeuralCore
import SeededRandom

/// The fused ReLU → noise → max-pool stage run as a `Layer`, for `GradientCheck`.
final class FusedStageLayer: Layer {
    let stage: RectifiedNoisePool
    init(_ stage: RectifiedNoisePool) { self.stage = stage }
    var inputSize: Int { stage.noise.inputSize }
    var outputSize: Int { stage.pool.outputSize }
    var parameters: [Parameter] { stage.noise.parameters }
    func allocate(maxBatch: Int) { stage.allocate(maxBatch: maxBatch) }
    func forward(_ x: UnsafePointer<Float>, batch: Int, context: inout StepContext) -> UnsafePointer<Float> {
        stage.forward(x, batch: batch, context: &context)
    }
    func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafePointer<Float>? {
        stage.backward(dy, batch: batch, needInputGradient: needInputGradient)
    }
}

/// ReLU + channel noise + 2×2 max-pool over C channels of H×W, with μ, log σ spread so that
/// some structures sample in Φ⁻¹'s tails, and optionally one structure pruned.
func rectifiedNoisePoolLayers(channels c: Int, height h: Int, width w: Int, pruned: Int? = nil)
    -> (Activation, NoiseLayer, MaxPool2d) {
    let noise = NoiseLayer(units: c, planeSize: h * w, layout: .channelMajor)
    for s in 0..<c {
        noise.mu.value[s] = -0.8 + 0.35 * Float(s)
        noise.logSigma.value[s] = s % 3 == 0 ? 0.5 : -1.2 + 0.3 * Float(s)
    }
    if let pruned { noise.mask[pruned] = 0 }
    noise.inputIsRectified = true
    return (Activation(.relu, size: c * h * w), noise, MaxPool2d(channels: c, inHeight: h, inWidth: w))
}

/// (C, N, H, W) pre-activations: negatives (rectified to 0), whole zero planes and rows, and
/// repeated values inside windows, so zero runs, skipped groups and ties all occur.
func preActivations(channels c: Int, batch: Int, height h: Int, width w: Int, rng: inout Xoshiro256) -> [Float] {
    var x = randomArray(c * batch * h * w, -1, 1, &rng)
    for i in x.indices {
        let plane = i / (h * w), row = (i / w) % h
        if plane % 3 == 1 || row % 5 == 4 { x[i] = -abs(x[i]) }   // rectified zeros
        if i % 11 == 0 && i + 1 < x.count { x[i + 1] = x[i] }     // ties
    }
    return x
}

struct StageResult: Equatable {
    var y: [UInt32], dx: [UInt32], dMu: [UInt32], dLogSigma: [UInt32]
}

/// Forward and (when training) backward of the fused stage or of its three layers one by one,
/// as bit patterns.
func runStage(fused: Bool, channels c: Int, batch: Int, height h: Int, width w: Int, training: Bool,
              enabled: Bool = true, pruned: Int? = nil, seed: UInt64 = 21) -> StageResult {
    var rng = Xoshiro256(seed: seed)
    let (activation, noise, pool) = rectifiedNoisePoolLayers(channels: c, height: h, width: w, pruned: pruned)
    noise.enabled = enabled
    let x = preActivations(channels: c, batch: batch, height: h, width: w, rng: &rng)
    let dy = randomArray(batch * pool.outputSize, -1, 1, &rng)
    var context = StepContext(training: training, noise: UniformStream(key: 77))
    // Advance the stream first, as a network's later layers see it.
    var scratch = [Float](repeating: 0, count: 4)
    scratch.withUnsafeMutableBufferPointer { context.noise.fill($0.baseAddress!, count: 4) }
    let bits: (UnsafePointer<Float>, Int) -> [UInt32] = { p, n in (0..<n).map { p[$0].bitPattern } }
    var y: [UInt32] = [], dx: [UInt32] = []
    if fused {
        let stage = RectifiedNoisePool(activation: activation, noise: noise, pool: pool)
        stage.allocate(maxBatch: batch)
        let out = x.withUnsafeBufferPointer { stage.forward($0.baseAddress!, batch: batch, context: &context) }
        y = bits(out, batch * pool.outputSize)
        if training {
            let g = dy.withUnsafeBufferPointer { stage.backward($0.baseAddress!, batch: batch, needInputGradient: true) }!
            dx = bits(g, batch * noise.inputSize)
        }
    } else {
        for layer in [activation, noise, pool] as [any Layer] { layer.allocate(maxBatch: batch) }
        var p = x.withUnsafeBufferPointer { activation.forward($0.baseAddress!, batch: batch, context: &context) }
        p = noise.forward(p, batch: batch, context: &context)
        p = pool.forward(p, batch: batch, context: &context)
        y = bits(p, batch * pool.outputSize)
        if training {
            var g = dy.withUnsafeBufferPointer { pool.backward($0.baseAddress!, batch: batch, needInputGradient: true) }!
            g = noise.backward(g, batch: batch, needInputGradient: true)!
            g = activation.backward(g, batch: batch, needInputGradient: true)!
            dx = bits(g, batch * noise.inputSize)
        }
    }
    return StageResult(y: y, dx: dx, dMu: noise.mu.gradient.array.map(\.bitPattern),
                       dLogSigma: noise.logSigma.gradient.array.map(\.bitPattern))
}

@Suite("Fused ReLU → noise → max-pool")
struct RectifiedNoisePoolTests {
    /// Bit for bit the three layers' results: LeNet5's shapes (whole chunks; rows of ≥ 8 and
    /// of < 8 windows), a batch whose last chunk is partial, and small odd-sized planes.
    @Test(arguments: [(c: 3, n: 2, h: 28, w: 28), (c: 4, n: 3, h: 10, w: 10), (c: 2, n: 3, h: 6, w: 4),
                      (c: 2, n: 2, h: 4, w: 18), (c: 3, n: 1, h: 2, w: 2), (c: 2, n: 5, h: 8, w: 16)])
    func matchesTheLayersBitForBit(shape: (c: Int, n: Int, h: Int, w: Int)) {
        for (training, enabled, pruned) in [(true, true, nil), (true, true, 1), (true, false, nil), (true, false, 0),
                                            (false, true, nil), (false, true, 1), (false, false, nil)] as [(Bool, Bool, Int?)] {
            let fused = runStage(fused: true, channels: shape.c, batch: shape.n, height: shape.h, width: shape.w,
                                 training: training, enabled: enabled, pruned: pruned)
            let layers = runStage(fused: false, channels: shape.c, batch: shape.n, height: shape.h, width: shape.w,
                                  training: training, enabled: enabled, pruned: pruned)
            let label = "\(shape) training \(training) enabled \(enabled) pruned \(String(describing: pruned))"
            #expect(fused.y == layers.y, "output: \(label)")
            #expect(fused.dx == layers.dx, "dL/dx: \(label)")
            #expect(fused.dMu == layers.dMu, "dL/dμ: \(label)")
            #expect(fused.dLogSigma == layers.dLogSigma, "dL/dlog σ: \(label)")
            if training && enabled { #expect(fused.dMu.contains { $0 != 0 }, "vacuous: \(label)") }
        }
    }

    /// Central differences of Σ out ⊙ R through the fused stage, inputs kept off the ReLU kink
    /// and away from window ties (distinct magnitudes).
    @Test func gradients() {
        var rng = Xoshiro256(seed: 31)
        let (activation, noise, pool) = rectifiedNoisePoolLayers(channels: 3, height: 4, width: 6)
        let layer = FusedStageLayer(RectifiedNoisePool(activation: activation, noise: noise, pool: pool))
        var x: [Float] = (0..<144).map { (i: Int) -> Float in Float(i + 1) * 0.02 }
        for i in stride(from: x.count - 1, to: 0, by: -1) { x.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        for i in x.indices where i % 4 == 1 { x[i] = -x[i] }
        var check = GradientCheck()
        check.step = 2e-3
        expectGradients(check.check(layer, input: x, batch: 2, training: true, rng: &rng), tolerance: 3e-2)
    }

    @Test func fusesOnlyTheMatchingPattern() {
        let (a, n, p) = rectifiedNoisePoolLayers(channels: 2, height: 4, width: 4)
        #expect(RectifiedNoisePool.fuses(a, n, p))
        #expect(!RectifiedNoisePool.fuses(Activation(.tanh, size: 32), n, p))
        #expect(!RectifiedNoisePool.fuses(a, n, MaxPool2d(channels: 1, inHeight: 4, inWidth: 8)))
        #expect(!RectifiedNoisePool.fuses(a, n, MaxPool2d(channels: 2, inHeight: 2, inWidth: 4)))
        #expect(!RectifiedNoisePool.fuses(a, NoiseLayer(units: 32, layout: .rows), p))
    }
}

@Suite("Network stages")
struct NetworkStageTests {
    /// LeNet5 trained a few steps with and without fused stages: identical losses, parameters
    /// and evaluation logits, bit for bit (with a pruned structure, and with noise off).
    @Test(arguments: [(enabled: true, prune: false), (enabled: true, prune: true), (enabled: false, prune: true)])
    func fusedAndUnfusedTrainIdentically(setting: (enabled: Bool, prune: Bool)) {
        func train(fused: Bool) -> (losses: [Double], parameters: [[UInt32]], logits: [UInt32]) {
            var rng = Xoshiro256(seed: 5)
            let net = Network(spec: .lenet5(), maxBatch: 12, rng: &rng)
            net.fusesLayers = fused
            net.noiseEnabled = setting.enabled
            if setting.prune { net.noiseLayers[0].mask[2] = 0; net.noiseLayers[1].mask[7] = 0 }
            let optimizer = Adam(parameters: net.parameters)
            var context = StepContext(training: true, noise: UniformStream(key: 3))
            var data = Xoshiro256(seed: 6)
            let images = randomArray(12 * 1024, -0.5, 0.5, &data)
            let labels = (0..<12).map { Int32($0 % 10) }
            var losses: [Double] = []
            for step in 0..<4 {
                let batch = step == 3 ? 7 : 12  // a short last batch
                let loss = images.withUnsafeBufferPointer { x in labels.withUnsafeBufferPointer { y in
                    net.trainStep(input: x.baseAddress!, labels: y.baseAddress!, batch: batch, optimizer: optimizer,
                                  klAveraging: .mean, context: &context)
                } }
                losses.append(loss.total)
            }
            let logits = images.withUnsafeBufferPointer { net.logits($0.baseAddress!, count: 12) }
            return (losses, net.allParameters.map { $0.value.array.map(\.bitPattern) }, logits.map(\.bitPattern))
        }
        // One pinned BLAS thread count for both runs: the count is process-wide, and a trainer
        // started by another suite meanwhile (it sets its configured count) used to change it
        // between the two, so that their convolutions summed in different orders.
        let (fused, unfused) = BLAS.withThreads(1) { (train(fused: true), train(fused: false)) }
        #expect(fused.losses.map(\.bitPattern) == unfused.losses.map(\.bitPattern))
        #expect(fused.parameters == unfused.parameters)
        #expect(fused.logits == unfused.logits)
    }

    /// The step's combined KL pass gives the term and the gradients of `klTerm` followed by
    /// `accumulateKLGradient`, bit for bit, for both averagings (posteriors spread over the
    /// entropy's branches, gradients already holding a backward pass's values).
    @Test(arguments: KLAveraging.allCases)
    func combinedKLPassMatchesSeparateCalls(averaging: KLAveraging) {
        func network() -> Network {
            var rng = Xoshiro256(seed: 9)
            let net = Network(spec: .lenet5(), maxBatch: 2, rng: &rng)
            for (l, layer) in net.noiseLayers.enumerated() {
                for s in 0..<layer.units {
                    layer.mu.value[s] = [-21, -3, -0.01, 0, 0.02, 1.5][(s + l) % 6]
                    layer.logSigma.value[s] = [-22, -5, -1, 0.5, 5.5][(s + 2 * l) % 5]
                }
            }
            for p in net.allParameters { for i in 0..<p.count { p.gradient[i] = Float(i % 7) * 0.125 - 0.25 } }
            return net
        }
        let separate = network(), combined = network()
        let term = separate.klTerm(averaging)
        separate.accumulateKLGradient(averaging)
        let combinedTerm = combined.klTermAccumulatingGradient(averaging)
        #expect(term > 0)
        #expect(combinedTerm.bitPattern == term.bitPattern)
        #expect(combined.allParameters.map { $0.gradient.array.map(\.bitPattern) }
                == separate.allParameters.map { $0.gradient.array.map(\.bitPattern) })
        combined.noiseEnabled = false
        #expect(combined.klTermAccumulatingGradient(averaging) == 0)
    }

    @Test func stagesNameTheFusedRuns() {
        var rng = Xoshiro256(seed: 1)
        let net = Network(spec: .lenet5(), maxBatch: 2, rng: &rng)
        #expect(net.stageNames.count == net.layers.count - 4)
        #expect(net.stageNames[1] == "1-3 Activation+NoiseLayer+MaxPool2d")
        #expect(net.stageNames[3] == "5-7 Activation+NoiseLayer+MaxPool2d")
        net.fusesLayers = false
        #expect(net.stageNames.count == net.layers.count)
        let mlp = Network(spec: .mlp(hidden: 8, depth: 1), maxBatch: 2, rng: &rng)
        #expect(mlp.stageNames.count == mlp.layers.count)
    }
}

@Suite("Kernels against their references")
struct KernelReferenceTests {
    /// The inline uniforms equal `fill`'s, and taking the keys advances the stream like `fill`.
    @Test func inlineUniformsMatchFill() {
        for key in [UInt64(0), 1, 0xDEAD_BEEF, .max] {
            var a = UniformStream(key: key), b = UniformStream(key: key)
            for _ in 0..<3 {
                var filled = [Float](repeating: 0, count: 777)
                filled.withUnsafeMutableBufferPointer { a.fill($0.baseAddress!, count: $0.count) }
                let (k1, k2) = b.nextFillKeys()
                #expect(a.counter == b.counter)
                for i in filled.indices { #expect(uniformOfFill(UInt32(i), k1, k2).bitPattern == filled[i].bitPattern) }
            }
        }
    }

    /// The pass-split central draw equals `noiseDraw(tails: false)` element by element.
    @Test func drawCentralMatchesNoiseDraw() {
        var rng = Xoshiro256(seed: 41)
        let count = 1000
        let u = (0..<count).map { _ in rng.nextFloat(in: 1e-6, 1) }, x = randomArray(count, -1, 1, &rng)
        for (mu, logSigma, mask) in [(Float(0), Float(-5), Float(1)), (-2, 0.7, 1), (-6, 1.5, 0), (0.1, -0.3, 1)] {
            let p = NoisePosteriorCoefficients(mu: mu, logSigma: logSigma)
            var t = [Float](repeating: 0, count: count), q = t, y = t
            u.withUnsafeBufferPointer { u in x.withUnsafeBufferPointer { x in
                drawCentral(u: u.baseAddress!, x: x.baseAddress!, theta: &t, quantile: &q, y: &y, count: count,
                            mu: mu, sigma: p.sigma, cdfAlpha: p.cdfAlpha, z: p.z, mask: mask)
            } }
            for i in 0..<count {
                let r = noiseDraw(u: u[i], mu: mu, sigma: p.sigma, cdfAlpha: p.cdfAlpha, z: p.z, mask: mask, tails: false)
                #expect(t[i].bitPattern == r.theta.bitPattern && q[i].bitPattern == r.q.bitPattern
                        && y[i].bitPattern == (x[i] * r.theta).bitPattern, "element \(i) μ \(mu) log σ \(logSigma)")
            }
        }
    }

    /// A dense noise layer's forward (per-row passes, whole lane groups, tails redone) equals
    /// `noiseDraw` element by element, for widths that are and are not multiples of 8.
    @Test(arguments: [5, 8, 50, 84])
    func denseNoiseForwardMatchesNoiseDraw(units: Int) {
        var rng = Xoshiro256(seed: 43)
        let batch = 40
        let layer = NoiseLayer(units: units, layout: .rows)
        for s in 0..<units {
            // Every other structure truncated near θ = 1 (μ < a), where draws often need the tails.
            layer.mu.value[s] = s % 2 == 0 ? -22 : rng.nextFloat(in: -3, 0.5)
            layer.logSigma.value[s] = s % 2 == 0 ? 0 : rng.nextFloat(in: -3, 1.5)
        }
        layer.mask[units / 2] = 0
        layer.allocate(maxBatch: batch)
        let x = randomArray(batch * units, -1, 1, &rng)
        var context = StepContext(training: true, noise: UniformStream(key: 8))
        let y = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: layer.forward($0.baseAddress!, batch: batch, context: &context), count: x.count)) }
        var stream = UniformStream(key: 8), u = [Float](repeating: 0, count: x.count)
        u.withUnsafeMutableBufferPointer { stream.fill($0.baseAddress!, count: $0.count) }
        var tails = 0
        for i in x.indices {
            let s = i % units, p = NoisePosteriorCoefficients(mu: layer.mu.value[s], logSigma: layer.logSigma.value[s])
            let tail = normalQuantileNeedsTail(noiseGamma(u[i], p.cdfAlpha, p.z))
            if tail { tails += 1 }
            let r = noiseDraw(u: u[i], mu: layer.mu.value[s], sigma: p.sigma, cdfAlpha: p.cdfAlpha, z: p.z,
                              mask: layer.mask[s], tails: tail)
            #expect(y[i].bitPattern == (x[i] * r.theta).bitPattern, "element \(i)")
        }
        #expect(tails > 0, "no tail element: the check is vacuous")
    }

    /// im2col and the register-summed col2im against plain loops, bit for bit (col2im sums in
    /// (ky, kx) order from 0 either way).
    @Test(arguments: [(c: 6, n: 3, h: 14, w: 14, k: 5), (c: 2, n: 2, h: 12, w: 9, k: 3), (c: 3, n: 2, h: 7, w: 20, k: 4),
                      (c: 1, n: 2, h: 6, w: 6, k: 3)])
    func columnsMatchPlainLoops(shape: (c: Int, n: Int, h: Int, w: Int, k: Int)) {
        var rng = Xoshiro256(seed: 47)
        for channelMajor in [true, false] {
            let g = ConvGeometry(batch: shape.n, inChannels: shape.c, height: shape.h, width: shape.w, kernel: shape.k,
                                 channelMajor: channelMajor)
            let columns = g.rows * g.batch * g.outHeight * g.outWidth
            let x = randomArray(g.batch * g.inChannels * g.height * g.width, -1, 1, &rng)
            let slack = ConvGeometry.columnSlack
            var cols = [Float](repeating: 0, count: columns + 2 * slack)
            x.withUnsafeBufferPointer { x in cols.withUnsafeMutableBufferPointer { im2col(x.baseAddress!, $0.baseAddress! + slack, g) } }
            var dxFast = [Float](repeating: 0, count: x.count), dxPlain = dxFast
            let dcols = randomArray(columns, -1, 1, &rng)
            var padded = [Float](repeating: 0, count: columns + 2 * slack)
            for i in 0..<columns { padded[slack + i] = dcols[i] }
            padded.withUnsafeBufferPointer { p in dxFast.withUnsafeMutableBufferPointer { col2im(p.baseAddress! + slack, $0.baseAddress!, g) } }
            let (oh, ow, k) = (g.outHeight, g.outWidth, g.kernel), m = g.batch * oh * ow
            for c in 0..<g.inChannels {
                for ky in 0..<k {
                    for kx in 0..<k {
                        let r = (c * k + ky) * k + kx
                        for n in 0..<g.batch {
                            for oy in 0..<oh {
                                for ox in 0..<ow {
                                    let e = g.plane(c, n) + (oy + ky) * g.width + ox + kx
                                    let j = r * m + n * oh * ow + oy * ow + ox
                                    #expect(cols[slack + j].bitPattern == x[e].bitPattern)
                                    dxPlain[e] += dcols[j]
                                }
                            }
                        }
                    }
                }
            }
            #expect(dxFast.map(\.bitPattern) == dxPlain.map(\.bitPattern), "col2im \(shape) channelMajor \(channelMajor)")
        }
    }
}

/// A structure's Float32 sampling coefficients, as `StructureCoefficients.update` forms them.
struct NoisePosteriorCoefficients {
    let sigma, cdfAlpha, z: Float
    init(mu: Float, logSigma: Float) {
        let layer = NoiseLayer(units: 1, layout: .rows)
        layer.mu.value[0] = mu
        layer.logSigma.value[0] = logSigma
        var c = StructureCoefficients(count: 1)
        c.update(layer)
        sigma = c.sigma[0]; cdfAlpha = c.cdfAlpha[0]; z = c.z[0]
    }
}
