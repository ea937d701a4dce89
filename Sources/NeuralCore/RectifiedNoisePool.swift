import SeededRandom
/// ReLU → channel noise → 2×2 max-pool run as one stage (LeNet5's two conv blocks), forward
/// and backward, for the three layers it is built from.
///
/// Run one by one, the three layers stream about a dozen full-resolution tensors through
/// memory per step (ReLU output, u, θ, q, noise output and the gradients of each), and the
/// noise backward evaluates the μ/σ factors on every element although behind the max-pool
/// at most one element in four has a gradient. Fused, a chunk of row pairs is rectified,
/// sampled and pooled while it sits in L1, and only what backward needs is kept, at pooled
/// resolution: per pooled output the window slot of its maximum and that element's x, θ,
/// q = Φ⁻¹(γ) and u. Backward then evaluates the factors once per pooled output.
///
/// Every value is the one the unfused layers compute, bit for bit: the same per-element
/// expressions (`noiseDraw`, `noiseDerivatives`, the uniforms of `UniformStream.fill`), the
/// same `>` tie-breaking as `MaxPool2d`, and the μ/σ sums added lane by lane in the block
/// order of `accumulateNoiseBlockGradient`. What is left out are only terms that are exactly
/// zero (elements without a gradient, θ of rectified zeros), and adding an exact zero to a
/// running sum changes nothing but, at most, the sign of a zero sum.
///
/// The layers' own buffers are not touched: after a fused forward, run the fused backward
/// (`Network` does), not the layers' own backward passes.
final class RectifiedNoisePool {
    let activation: Activation
    let noise: NoiseLayer
    let pool: MaxPool2d

    /// Whether `activation`, `noise`, `pool` in this order can run fused.
    static func fuses(_ activation: any Layer, _ noise: any Layer, _ pool: any Layer) -> Bool {
        guard let a = activation as? Activation, a.function == .relu,
              let n = noise as? NoiseLayer, n.layout == .channelMajor,
              let p = pool as? MaxPool2d else { return false }
        return p.channels == n.units && p.inHeight * p.inWidth == n.planeSize && a.inputSize == n.inputSize
    }

    private var height: Int { pool.inHeight }
    private var width: Int { pool.inWidth }
    /// Row pairs per chunk: the fewest whose length 2W·k is a multiple of `zeroRun`, so that
    /// chunks start on 8-lane boundaries of the channel block (as the unfused sums are laned)
    /// and split into whole zero-test runs.
    private let pairsPerChunk: Int
    /// Elements per all-zero test of the rectified input. 64, as in `sampleNoiseBlock`: runs
    /// of whole 64-element groups keep the vectorised loop free of a scalar remainder, which
    /// costs more than the finer skipping saves (measured).
    static let zeroRun = 64
    private var chunkLength: Int { pairsPerChunk * 2 * width }

    private var output = FloatBuffer(count: 0)         // (C, N, H/2, W/2)
    private var inputGradient = FloatBuffer(count: 0)  // (C, N, H, W)
    // Per pooled output, from the last forward: window slot of the maximum (0…3, row-major)
    // and that element's x (rectified), θ, q and u. Slots of rectified zeros keep θ = q = u = 0.
    private var slots = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 0)
    private var selectedX = FloatBuffer(count: 0)
    private var selectedTheta = FloatBuffer(count: 0)
    private var selectedQuantile = FloatBuffer(count: 0)
    private var selectedUniform = FloatBuffer(count: 0)
    // Scratch: one chunk's x, y, θ, q, u (forward), each as four window-slot planes (below);
    // one channel's pooled terms and one chunk's (backward).
    private var chunk = FloatBuffer(count: 0)
    /// Chunk offset (in the channel block's row-major order) of each plane position of a whole
    /// chunk, and scratch for the last, shorter chunk of a block.
    private var fullChunkOrder = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: 0)
    private var partialChunkOrder = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: 0)
    private var tailFlags = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 0)
    private var pooledTerms = FloatBuffer(count: 0)
    private var lastScale: [Float]?
    private var lastSampled = false
    private var lastBatch = 0

    init(activation: Activation, noise: NoiseLayer, pool: MaxPool2d) {
        precondition(Self.fuses(activation, noise, pool), "RectifiedNoisePool: layers do not match")
        self.activation = activation
        self.noise = noise
        self.pool = pool
        var k = 1
        while (k * 2 * pool.inWidth) % Self.zeroRun != 0 { k += 1 }
        pairsPerChunk = k
    }

    deinit {
        slots.deallocate()
        fullChunkOrder.deallocate()
        partialChunkOrder.deallocate()
        tailFlags.deallocate()
    }

    func allocate(maxBatch: Int) {
        let pooled = maxBatch * pool.outputSize
        output = FloatBuffer(count: pooled)
        // (+ 16: rows shorter than 16 floats are interleaved as 16, past the last row's end)
        inputGradient = FloatBuffer(count: maxBatch * noise.inputSize + 16)
        slots.deallocate()
        slots = .allocate(capacity: max(pooled, 1))
        slots.initialize(repeating: 0)
        selectedX = FloatBuffer(count: pooled)
        selectedTheta = FloatBuffer(count: pooled)
        selectedQuantile = FloatBuffer(count: pooled)
        selectedUniform = FloatBuffer(count: pooled)
        chunk = FloatBuffer(count: 5 * chunkLength)
        fullChunkOrder.deallocate(); partialChunkOrder.deallocate()
        fullChunkOrder = .allocate(capacity: max(chunkLength, 1))
        partialChunkOrder = .allocate(capacity: max(chunkLength, 1))
        writeChunkOrder(pairs: pairsPerChunk, into: fullChunkOrder.baseAddress!)
        tailFlags.deallocate()
        tailFlags = .allocate(capacity: max(chunkLength, 1))
        // One channel's pooled terms (μ, σ, dx), one chunk's slot planes, and its μ and σ terms
        // in block order (+ 16: short rows are interleaved as 16 floats, past the chunk's end).
        pooledTerms = FloatBuffer(count: 3 * maxBatch * (pool.outputSize / max(pool.channels, 1)) + 3 * chunkLength + 16)
    }

    // x: (C, N, H, W) pre-activation → (C, N, H/2, W/2)
    func forward(_ x: UnsafePointer<Float>, batch: Int, context: inout StepContext) -> UnsafePointer<Float> {
        lastBatch = batch
        lastSampled = noise.enabled && context.training
        if lastSampled {
            noise.updateCoefficients()
            let keys = context.noise.nextFillKeys()
            noise.coefficients.withPointers { c in
                for s in 0..<noise.units { forwardSampled(x, batch: batch, structure: s, c, keys: keys) }
            }
        } else {
            lastScale = noise.deterministicScale(training: context.training)
            for s in 0..<noise.units { forwardScaled(x, batch: batch, structure: s, scale: lastScale?[s]) }
        }
        return UnsafePointer(output.pointer)
    }

    // dy: (C, N, H/2, W/2) → dx: (C, N, H, W) (pre-activation); accumulates dμ, dlog σ
    func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafePointer<Float>? {
        precondition(batch == lastBatch, "RectifiedNoisePool.backward: batch \(batch) after a forward of \(lastBatch)")
        if lastSampled {
            noise.coefficients.withPointers { c in
                for s in 0..<noise.units { backwardSampled(dy, batch: batch, structure: s, c) }
            }
        } else {
            guard needInputGradient else { return nil }
            for s in 0..<noise.units { backwardScaled(dy, batch: batch, structure: s, scale: lastScale?[s]) }
        }
        return needInputGradient ? UnsafePointer(inputGradient.pointer) : nil
    }

    // MARK: Chunk layout

    // A chunk of k row pairs is held as four planes, one per window slot (top-left, top-right,
    // bottom-left, bottom-right), each k·W/2 long in pooled order: position k·Q + o of the
    // planes (Q = k·W/2) is slot k of pooled output o. Then sampling runs over one contiguous
    // array, and pooling compares four contiguous arrays, both plain vectorised loops.

    /// order[j] = the chunk offset (row-major: pair·2W + row·W + column) of plane position j.
    private func writeChunkOrder(pairs: Int, into order: UnsafeMutablePointer<UInt32>) {
        let w = width, half = w / 2, q = pairs * half
        for slot in 0..<4 {
            for p in 0..<pairs {
                for px in 0..<half {
                    order[slot * q + p * half + px] = UInt32(p * 2 * w + (slot >> 1) * w + 2 * px + (slot & 1))
                }
            }
        }
    }

    /// xs (planes) ← max(src, 0) for `pairs` row pairs starting at `src` (row-major); `scratch`
    /// (a chunk long) holds the rectified rows on the way.
    @inline(__always)
    private func gatherRectified(_ src: UnsafePointer<Float>, pairs: Int, into xs: UnsafeMutablePointer<Float>,
                                 scratch: UnsafeMutablePointer<Float>) {
        let w = width, half = w / 2, q = pairs * half
        if half >= 8 {
            // Rectify contiguously, then split each row's even and odd columns eight at a time
            // (the last piece shifted back to end at the row's end; its overlap is stored twice).
            for e in 0..<(pairs * 2 * w) { scratch[e] = max(src[e], 0) }
            for p in 0..<pairs {
                for row in 0..<2 {
                    let r = scratch + p * 2 * w + row * w
                    let left = xs + (2 * row) * q + p * half, right = left + q
                    var px = 0
                    while px < half {
                        let g = min(px, half - 8)
                        let v = UnsafeRawPointer(r + 2 * g).loadUnaligned(as: SIMD16<Float>.self)
                        storeFloat8(v.evenHalf, left + g)
                        storeFloat8(v.oddHalf, right + g)
                        px = g + 8
                    }
                }
            }
            return
        }
        // (Wrapping index arithmetic: an overflow check in the loop would stop the vectoriser.)
        for p in 0..<pairs {
            for row in 0..<2 {
                let r = src + p * 2 * w + row * w, r1 = r + 1
                let left = xs + (2 * row) * q + p * half, right = left + q
                for px in 0..<half {
                    left[px] = max(r[px &* 2], 0)
                    right[px] = max(r1[px &* 2], 0)
                }
            }
        }
    }

    /// planes[k·count + o] = v[o] where slot[o] = k, else 0 (k = 0…3).
    @inline(__always)
    private func spreadToSlots(_ v: UnsafePointer<Float>, _ slot: UnsafePointer<UInt8>, count: Int,
                               into planes: UnsafeMutablePointer<Float>) {
        // One loop per plane: with all four in one loop it is not vectorised.
        for k in 0..<4 {
            let plane = planes + k * count, key = UInt8(truncatingIfNeeded: k)
            for o in 0..<count { plane[o] = slot[o] == key ? v[o] : 0 }
        }
    }

    /// The inverse of the plane layout: `pairs` row pairs, row-major, from four slot planes of
    /// pairs·W/2 each (left and right columns interleaved). Rows of fewer than 16 floats are
    /// written as 16, the extra ones past the row's end (the next row rewrites them; after
    /// the last row they land in slack or in data written later), longer ones end with a
    /// piece shifted back to end at the row's end.
    @inline(__always)
    private func interleaveRows(_ planes: UnsafePointer<Float>, pairs: Int, into out: UnsafeMutablePointer<Float>) {
        let w = width, half = w / 2, q = pairs * half
        for p in 0..<pairs {
            for row in 0..<2 {
                let left = planes + (2 * row) * q + p * half, right = left + q
                let dst = out + p * 2 * w + row * w
                var px = 0
                while true {
                    let g = half >= 8 ? min(px, half - 8) : 0
                    var v = SIMD16<Float>()
                    v.evenHalf = loadFloat8(left + g)
                    v.oddHalf = loadFloat8(right + g)
                    UnsafeMutableRawPointer(dst + 2 * g).storeBytes(of: v, as: SIMD16<Float>.self)
                    px = g + 8
                    if px >= half { break }
                }
            }
        }
    }

    /// Pools a chunk's planes into the output and the per-output caches. Ties go to the first
    /// maximum in row-major window order: the comparisons of `MaxPool2d`, in its order.
    @inline(__always)
    private func poolChunk(pairs: Int, pooledOffset: Int, keepNoise: Bool) {
        let q = pairs * (width / 2)
        let xs = chunk.pointer, ys = xs + chunkLength, ts = ys + chunkLength
        let qs = ts + chunkLength, us = qs + chunkLength
        let out = output.pointer + pooledOffset, slot = slots.baseAddress! + pooledOffset
        let sx = selectedX.pointer + pooledOffset, st = selectedTheta.pointer + pooledOffset
        let sq = selectedQuantile.pointer + pooledOffset, su = selectedUniform.pointer + pooledOffset
        // Separate loops with few pointers each (more would need too many runtime alias checks
        // to vectorise), plane pointers rather than k·q + o indices (an overflow check stops
        // the vectoriser), and every operand loaded before it is compared (a conditional load
        // becomes a branch).
        let y1 = ys + q, y2 = y1 + q, y3 = y2 + q
        for o in 0..<q {
            let v0 = ys[o], v1 = y1[o], v2 = y2[o], v3 = y3[o]
            var best = v0
            let c1 = v1 > best
            best = c1 ? v1 : best
            let c2 = v2 > best
            best = c2 ? v2 : best
            let c3 = v3 > best
            best = c3 ? v3 : best
            out[o] = best
            slot[o] = c3 ? 3 : (c2 ? 2 : (c1 ? 1 : 0))
        }
        // The maximum's element of each window, as an OR of the four slots' bit patterns each
        // masked by whether it is the slot (a select of loaded values the compiler turns into
        // address selects and scalar gathers, slower).
        @inline(__always) func pick(_ v: UnsafeMutablePointer<Float>, into selected: UnsafeMutablePointer<Float>) {
            let v1 = v + q, v2 = v1 + q, v3 = v2 + q
            for o in 0..<q {
                let which = slot[o]
                let m0: UInt32 = which == 0 ? .max : 0, m1: UInt32 = which == 1 ? .max : 0
                let m2: UInt32 = which == 2 ? .max : 0, m3: UInt32 = which == 3 ? .max : 0
                let bits = (v[o].bitPattern & m0) | (v1[o].bitPattern & m1) | (v2[o].bitPattern & m2) | (v3[o].bitPattern & m3)
                selected[o] = Float(bitPattern: bits)
            }
        }
        pick(xs, into: sx)
        if keepNoise {
            pick(ts, into: st)
            pick(qs, into: sq)
            pick(us, into: su)
        }
    }

    // MARK: Sampled noise (training)

    /// Channel s: x rectified, θ drawn (u_i of the whole layer's fill, i = s·N·H·W + e), y = x·θ,
    /// pooled; chunk by chunk.
    private func forwardSampled(_ x: UnsafePointer<Float>, batch: Int, structure s: Int,
                                _ c: StructureCoefficients.Pointers, keys: (UInt32, UInt32)) {
        let w = width, block = batch * height * w, pairs = batch * height / 2
        let pooledRow = w / 2, pooledBase = s * pairs * pooledRow
        let mu = c.mu[s], sigma = c.sigma[s], cdfAlpha = c.cdfAlpha[s], z = c.z[s], mask = c.mask[s]
        let (uLow, uHigh) = tailBounds(cdfAlpha: cdfAlpha, z: z)
        let xs = chunk.pointer, ys = xs + chunkLength, ts = ys + chunkLength
        let qs = ts + chunkLength, us = qs + chunkLength
        let (k1, k2) = keys
        var p0 = 0
        while p0 < pairs {
            let n = min(pairsPerChunk, pairs - p0), length = n * 2 * w
            let e0 = s * block + p0 * 2 * w
            let order: UnsafePointer<UInt32>
            if n == pairsPerChunk {
                order = UnsafePointer(fullChunkOrder.baseAddress!)
            } else {
                writeChunkOrder(pairs: n, into: partialChunkOrder.baseAddress!)
                order = UnsafePointer(partialChunkOrder.baseAddress!)
            }
            gatherRectified(x + e0, pairs: n, into: xs, scratch: ys)
            // Rectified zeros give y = 0 whatever θ is: draw only groups with an x ≠ 0.
            let run = Self.zeroRun
            @inline(__always) func zeroGroup(_ g: Int) -> Bool {
                var bits: UInt32 = 0
                for e in g..<min(g + run, length) { bits |= xs[e].bitPattern }
                return bits == 0
            }
            var g = 0
            while g < length {
                if zeroGroup(g) {
                    for e in g..<min(g + run, length) { ys[e] = 0; ts[e] = 0; qs[e] = 0; us[e] = 0 }
                    g += run
                    continue
                }
                var end = min(g + run, length)
                while end < length && !zeroGroup(end) { end = min(end + run, length) }
                // u as `fill` draws it (own loop: the hash and the sampling together spill
                // registers), with the run's smallest and largest u as bit patterns (u > 0, so
                // integer order is float order; integer min/max keep the loop vectorised).
                let xr = xs + g, yr = ys + g, tr = ts + g, qr = qs + g, ur = us + g, count = end - g
                let base = UInt32(truncatingIfNeeded: e0), orderRun = order + g
                // (Two passes, one hash round each: shorter dependency chains, as in `drawCentral`.)
                let half = UnsafeMutableRawPointer(ur).assumingMemoryBound(to: UInt32.self)
                for e in 0..<count { half[e] = uniformOfFillFirstRound(base &+ orderRun[e], k1, k2) }
                var lowBits = UInt32.max, highBits = UInt32.min
                for e in 0..<count {
                    let u = uniformOfFillSecondRound(half[e])
                    ur[e] = u
                    lowBits = min(lowBits, u.bitPattern); highBits = max(highBits, u.bitPattern)
                }
                // Central branch of Φ⁻¹ for the run, then the tails exactly as `sampleNoiseBlock` finds them.
                drawCentral(u: ur, x: xr, theta: tr, quantile: qr, y: yr, count: count,
                            mu: mu, sigma: sigma, cdfAlpha: cdfAlpha, z: z, mask: mask)
                if Float(bitPattern: lowBits) < uLow || Float(bitPattern: highBits) > uHigh {
                    forEachOutside(UnsafePointer(ur), count: count, low: uLow, high: uHigh, flags: tailFlags.baseAddress!) { e in
                        guard normalQuantileNeedsTail(noiseGamma(ur[e], cdfAlpha, z)) else { return }
                        let r = noiseDraw(u: ur[e], mu: mu, sigma: sigma, cdfAlpha: cdfAlpha, z: z, mask: mask, tails: true)
                        tr[e] = r.theta; qr[e] = r.q
                        yr[e] = xr[e] * r.theta
                    }
                }
                g = end
            }
            poolChunk(pairs: n, pooledOffset: pooledBase + p0 * pooledRow, keepNoise: true)
            p0 += n
        }
    }

    /// Channel s's gradients: the μ/σ factors once per pooled output, then scattered into block
    /// order chunk by chunk and summed lane by lane as `accumulateNoiseBlockGradient` sums them;
    /// dx = dy·θ at the maximum of each window where x > 0 (the ReLU), 0 elsewhere.
    private func backwardSampled(_ dy: UnsafePointer<Float>, batch: Int, structure s: Int,
                                 _ c: StructureCoefficients.Pointers) {
        let w = width, block = batch * height * w, pairs = batch * height / 2
        let pooledRow = w / 2, pooledCount = pairs * pooledRow, pooledBase = s * pooledCount
        let mu = c.mu[s], sigma = c.sigma[s], cdfAlpha = c.cdfAlpha[s], z = c.z[s]
        let pa = c.phiAlphaOverSigma[s], pb = c.phiBetaOverSigma[s]
        let apa = c.alphaPhiAlphaOverSigma[s], bpb = c.betaPhiBetaOverSigma[s]
        let tm = pooledTerms.pointer, tsg = tm + pooledCount, dxv = tsg + pooledCount
        let planes = dxv + pooledCount, cm = planes + chunkLength, cs = cm + chunkLength
        do {
            let d = dy + pooledBase, sx = UnsafePointer(selectedX.pointer + pooledBase)
            let st = UnsafePointer(selectedTheta.pointer + pooledBase)
            let sq = UnsafePointer(selectedQuantile.pointer + pooledBase)
            let su = UnsafePointer(selectedUniform.pointer + pooledBase)
            for o in 0..<pooledCount { tm[o] = noiseExpHalfQSquared(sq[o]) }  // (own pass: shorter chains)
            for o in 0..<pooledCount {
                let f = noiseDerivatives(u: su[o], q: sq[o], expHalfQSquared: tm[o], theta: st[o], mu: mu, sigma: sigma,
                                         cdfAlpha: cdfAlpha, z: z, phiAlpha: pa, phiBeta: pb,
                                         alphaPhiAlpha: apa, betaPhiBeta: bpb)
                let g = d[o] * sx[o]
                tm[o] = g * f.dMu; tsg[o] = g * f.dSigma
                // The ReLU passes dy·θ where its input was > 0.
                let t = d[o] * st[o]
                dxv[o] = sx[o] > 0 ? t : 0
            }
        }
        // Per chunk, each quantity is put into the slot planes (its value in its window's slot,
        // 0 in the other three) and interleaved into the chunk's row-major order: dx directly,
        // the μ/σ terms into scratch that is then summed eight lanes at a time, in block order.
        var accMu = Float8(), accSigma = Float8()
        let slot = UnsafePointer(slots.baseAddress! + pooledBase)
        var p0 = 0
        while p0 < pairs {
            let n = min(pairsPerChunk, pairs - p0), length = n * 2 * w, q = n * pooledRow
            let lanes = length.roundedUpToMultiple(of: 8)
            let o0 = p0 * pooledRow
            spreadToSlots(tm + o0, slot + o0, count: q, into: planes)
            interleaveRows(planes, pairs: n, into: cm)
            spreadToSlots(tsg + o0, slot + o0, count: q, into: planes)
            interleaveRows(planes, pairs: n, into: cs)
            for j in length..<lanes { cm[j] = 0; cs[j] = 0 }
            for j in Swift.stride(from: 0, to: lanes, by: 8) {
                accMu += loadFloat8(cm + j)
                accSigma += loadFloat8(cs + j)
            }
            spreadToSlots(dxv + o0, slot + o0, count: q, into: planes)
            interleaveRows(planes, pairs: n, into: inputGradient.pointer + s * block + p0 * 2 * w)
            p0 += n
        }
        noise.accumulateStructureGradient(s, mu: accMu.sum(), sigma: accSigma.sum())
    }

    // MARK: Deterministic scale (evaluation, or noise disabled)

    /// Channel s: y = max(x, 0)·scale (x itself without a scale), pooled.
    private func forwardScaled(_ x: UnsafePointer<Float>, batch: Int, structure s: Int, scale: Float?) {
        let w = width, block = batch * height * w, pairs = batch * height / 2
        let pooledRow = w / 2, pooledBase = s * pairs * pooledRow
        let xs = chunk.pointer, ys = xs + chunkLength
        var p0 = 0
        while p0 < pairs {
            let n = min(pairsPerChunk, pairs - p0), length = n * 2 * w
            gatherRectified(x + s * block + p0 * 2 * w, pairs: n, into: xs, scratch: ys)
            if let scale {
                for e in 0..<length { ys[e] = xs[e] * scale }
            } else {
                ys.update(from: xs, count: length)
            }
            poolChunk(pairs: n, pooledOffset: pooledBase + p0 * pooledRow, keepNoise: false)
            p0 += n
        }
    }

    /// Channel s: dx = dy·scale (dy without a scale) at each window's maximum where x > 0, else 0.
    private func backwardScaled(_ dy: UnsafePointer<Float>, batch: Int, structure s: Int, scale: Float?) {
        let w = width, block = batch * height * w, pairs = batch * height / 2
        let pooledRow = w / 2, pooledBase = s * pairs * pooledRow
        let dx = inputGradient.pointer + s * block
        dx.update(repeating: 0, count: block)
        let d = dy + pooledBase, sx = selectedX.pointer + pooledBase, slot = slots.baseAddress! + pooledBase
        for p in 0..<pairs {
            for px in 0..<pooledRow {
                let o = p * pooledRow + px, which = Int(slot[o])
                let e = p * 2 * w + 2 * px + (which >> 1) * w + (which & 1)
                if sx[o] > 0 { dx[e] = scale.map { d[o] * $0 } ?? d[o] }
            }
        }
    }
}

/// Calls `body(e)`, in increasing e, for every e < count with u[e] < low or u[e] > high (the
/// rare elements that may need Φ⁻¹'s tail branch): a vectorised pass writes one flag byte per
/// element (`flags`, ≥ count bytes), then eight flags are tested at a time.
@inline(__always)
func forEachOutside(_ u: UnsafePointer<Float>, count: Int, low: Float, high: Float,
                    flags: UnsafeMutablePointer<UInt8>, _ body: (Int) -> Void) {
    for e in 0..<count {
        let below: UInt8 = u[e] < low ? 1 : 0, above: UInt8 = u[e] > high ? 1 : 0
        flags[e] = below | above
    }
    forEachFlagged(UnsafePointer(flags), count: count, body)
}

extension UniformStream {
    /// Advances the stream by one `fill` call and returns that call's two hash keys, for a
    /// kernel that draws element i's uniform inline (`uniformOfFill`) instead of from a
    /// filled buffer. Mirrors `fill` (tested against it).
    mutating func nextFillKeys() -> (UInt32, UInt32) {
        let keys = splitMix64(key ^ counter &* 0xD1B5_4A32_D192_ED03)
        var unused: Float = 0
        fill(&unused, count: 0)
        return (UInt32(truncatingIfNeeded: keys), UInt32(truncatingIfNeeded: keys >> 32))
    }
}

/// Element i of a `UniformStream.fill` call with keys (k1, k2), as `fill` computes it.
@inline(__always)
func uniformOfFill(_ i: UInt32, _ k1: UInt32, _ k2: UInt32) -> Float {
    uniformOfFillSecondRound(uniformOfFillFirstRound(i, k1, k2))
}

/// The first hash round of `uniformOfFill`.
@inline(__always)
func uniformOfFillFirstRound(_ i: UInt32, _ k1: UInt32, _ k2: UInt32) -> UInt32 { lowBias32(i ^ k1) ^ k2 }

/// The second hash round of `uniformOfFill` and the conversion to (0, 1).
@inline(__always)
func uniformOfFillSecondRound(_ x: UInt32) -> Float { (Float(lowBias32(x) >> 8) + 0.5) * 0x1p-24 }
