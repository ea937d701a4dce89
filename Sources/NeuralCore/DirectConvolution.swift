/// Direct convolution for layers with few input planes and wide rows (LeNet5's conv1:
/// 1 or 3 planes of 32×32, k = 5, 6·C output channels). There im2col + sgemm is bound by
/// memory, not arithmetic: the column matrix (25 × N·784 floats, 2.5 MB per step of 32)
/// is written, packed by the GEMM for an M = 6 product, and read again for dW. Here the
/// input rows stay in L1 and every loaded vector feeds six output channels: the kernels
/// are register-blocked as 6 output channels × 2 eight-wide column chunks (12 vector
/// accumulators). Rows whose width is not a multiple of 8 end with a chunk shifted left
/// to end at the row's end (it overlaps the chunk before; dW masks the overlap).
/// The input gradient (when a network needs it) stays with GEMM + col2im in `Conv2d`.
struct DirectConvolution {
    static let channelBlock = 6
    let g: ConvGeometry
    let outChannels: Int

    /// Where this kernel beats im2col + sgemm (measured for LeNet5's conv1 at C = 1 and 3;
    /// conv2's 10-wide rows would waste most of every second chunk).
    static func suits(inChannels: Int, kernel: Int, outWidth: Int) -> Bool {
        outWidth >= 16 && inChannels * kernel * kernel <= 75
    }

    /// Starts of the 8-wide chunks covering a row of `outWidth` ≥ 8 outputs.
    var chunkStarts: [Int] {
        var s = Array(stride(from: 0, to: g.outWidth - 7, by: 8))
        if g.outWidth % 8 != 0 { s.append(g.outWidth - 8) }
        return s
    }

    /// y[(o·N + n)·OH·OW + oy·OW + ox] = b_o + Σ_{c,ky,kx} W[o,c,ky,kx]·x[c,n][oy+ky][ox+kx].
    /// `packed` is scratch of ≥ 6·rows floats.
    func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                 y: UnsafeMutablePointer<Float>, packed: UnsafeMutablePointer<Float>) {
        let k = g.kernel, w = g.width, oh = g.outHeight, ow = g.outWidth
        let starts = chunkStarts, planeOut = oh * ow
        for ob in stride(from: 0, to: outChannels, by: Self.channelBlock) {
            let count = min(Self.channelBlock, outChannels - ob)
            pack(weight: weight, block: ob, count: count, into: packed)
            func biasVector(_ o: Int) -> Float8 { o < count ? Float8(repeating: bias[ob + o]) : Float8() }
            let b0 = biasVector(0), b1 = biasVector(1), b2 = biasVector(2)
            let b3 = biasVector(3), b4 = biasVector(4), b5 = biasVector(5)
            for n in 0..<g.batch {
                for oy in 0..<oh {
                    var pair = 0
                    while pair < starts.count {
                        let s0 = starts[pair], s1 = starts[min(pair + 1, starts.count - 1)]
                        var a0 = b0, a1 = b1, a2 = b2, a3 = b3, a4 = b4, a5 = b5
                        var c0 = b0, c1 = b1, c2 = b2, c3 = b3, c4 = b4, c5 = b5
                        for c in 0..<g.inChannels {
                            let plane = x + g.plane(c, n) + oy * w
                            for ky in 0..<k {
                                let row = plane + ky * w
                                let wr = packed + (c * k + ky) * k * Self.channelBlock
                                for kx in 0..<k {
                                    let v = loadFloat8(row + s0 + kx), u = loadFloat8(row + s1 + kx)
                                    let wk = wr + kx * Self.channelBlock
                                    var t = Float8(repeating: wk[0]); a0 = mad8(v, t, a0); c0 = mad8(u, t, c0)
                                    t = Float8(repeating: wk[1]); a1 = mad8(v, t, a1); c1 = mad8(u, t, c1)
                                    t = Float8(repeating: wk[2]); a2 = mad8(v, t, a2); c2 = mad8(u, t, c2)
                                    t = Float8(repeating: wk[3]); a3 = mad8(v, t, a3); c3 = mad8(u, t, c3)
                                    t = Float8(repeating: wk[4]); a4 = mad8(v, t, a4); c4 = mad8(u, t, c4)
                                    t = Float8(repeating: wk[5]); a5 = mad8(v, t, a5); c5 = mad8(u, t, c5)
                                }
                            }
                        }
                        let out = y + n * planeOut + oy * ow
                        let stride = g.batch * planeOut
                        func put(_ o: Int, _ a: Float8, _ c: Float8) {
                            guard o < count else { return }
                            let p = out + (ob + o) * stride
                            storeFloat8(c, p + s1)
                            storeFloat8(a, p + s0)
                        }
                        put(0, a0, c0); put(1, a1, c1); put(2, a2, c2)
                        put(3, a3, c3); put(4, a4, c4); put(5, a5, c5)
                        pair += 2
                    }
                }
            }
        }
    }

    /// dW[o,c,ky,kx] += Σ_{n,oy,ox} dy[o,n][oy][ox]·x[c,n][oy+ky][ox+kx].
    /// `accumulators` is scratch of ≥ 6·rows Float8.
    func accumulateWeightGradient(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dW: UnsafeMutablePointer<Float>,
                                  accumulators: UnsafeMutablePointer<Float8>) {
        let w = g.width, oh = g.outHeight, ow = g.outWidth, rows = g.rows
        let starts = chunkStarts, planeOut = oh * ow
        let last = starts.count - 1
        // Lanes of the last chunk already counted by the chunk before it.
        let overlap = last > 0 ? starts[last - 1] + 8 - starts[last] : 0
        var lastMask = Float8(repeating: 1)
        for i in 0..<max(overlap, 0) { lastMask[i] = 0 }
        for ob in stride(from: 0, to: outChannels, by: Self.channelBlock) {
            let count = min(Self.channelBlock, outChannels - ob)
            accumulators.update(repeating: Float8(), count: rows * Self.channelBlock)
            for n in 0..<g.batch {
                // Channels past `count` reuse channel 0's plane; their sums are discarded.
                func dyPlane(_ o: Int) -> UnsafePointer<Float> { dy + ((ob + (o < count ? o : 0)) * g.batch + n) * planeOut }
                let d0p = dyPlane(0), d1p = dyPlane(1), d2p = dyPlane(2), d3p = dyPlane(3), d4p = dyPlane(4), d5p = dyPlane(5)
                var r = 0
                while r < rows {
                    let r1 = min(r + 1, rows - 1)
                    let x0 = x + offset(row: r, n: n), x1 = x + offset(row: r1, n: n)
                    var a0 = Float8(), a1 = Float8(), a2 = Float8(), a3 = Float8(), a4 = Float8(), a5 = Float8()
                    var c0 = Float8(), c1 = Float8(), c2 = Float8(), c3 = Float8(), c4 = Float8(), c5 = Float8()
                    // One chunk's products; `masked` zeroes the last chunk's overlap lanes (the
                    // others are taken as loaded: d·1 would be d).
                    @inline(__always) func chunk(_ o: Int, _ xo: Int, _ s: Int, masked: Bool) {
                        let v = loadFloat8(x0 + xo + s), u = loadFloat8(x1 + xo + s)
                        @inline(__always) func dy(_ p: UnsafePointer<Float>) -> Float8 {
                            masked ? loadFloat8(p + o + s) * lastMask : loadFloat8(p + o + s)
                        }
                        var d = dy(d0p); a0 = mad8(d, v, a0); c0 = mad8(d, u, c0)
                        d = dy(d1p); a1 = mad8(d, v, a1); c1 = mad8(d, u, c1)
                        d = dy(d2p); a2 = mad8(d, v, a2); c2 = mad8(d, u, c2)
                        d = dy(d3p); a3 = mad8(d, v, a3); c3 = mad8(d, u, c3)
                        d = dy(d4p); a4 = mad8(d, v, a4); c4 = mad8(d, u, c4)
                        d = dy(d5p); a5 = mad8(d, v, a5); c5 = mad8(d, u, c5)
                    }
                    starts.withUnsafeBufferPointer { starts in
                        for oy in 0..<oh {
                            let o = oy * ow, xo = oy * w
                            for i in 0..<last { chunk(o, xo, starts[i], masked: false) }
                            chunk(o, xo, starts[last], masked: true)
                        }
                    }
                    let p = accumulators + r * Self.channelBlock
                    p[0] += a0; p[1] += a1; p[2] += a2; p[3] += a3; p[4] += a4; p[5] += a5
                    if r1 != r {
                        let q = accumulators + r1 * Self.channelBlock
                        q[0] += c0; q[1] += c1; q[2] += c2; q[3] += c3; q[4] += c4; q[5] += c5
                    }
                    r += 2
                }
            }
            for o in 0..<count {
                for r in 0..<rows { dW[(ob + o) * rows + r] += accumulators[r * Self.channelBlock + o].sum() }
            }
        }
    }

    /// Offset of input element (c, n, ky, kx) for weight row r = (c·k + ky)·k + kx.
    private func offset(row r: Int, n: Int) -> Int {
        let k = g.kernel
        let c = r / (k * k), ky = (r / k) % k, kx = r % k
        return g.plane(c, n) + ky * g.width + kx
    }

    /// packed[r·6 + o] = W[ob + o, r] for o < count, else 0.
    private func pack(weight: UnsafePointer<Float>, block ob: Int, count: Int, into packed: UnsafeMutablePointer<Float>) {
        let rows = g.rows
        for r in 0..<rows {
            for o in 0..<Self.channelBlock {
                packed[r * Self.channelBlock + o] = o < count ? weight[(ob + o) * rows + r] : 0
            }
        }
    }
}

/// a·b + c on eight lanes, fused where `mad` is (see there).
@inline(__always)
func mad8(_ a: Float8, _ b: Float8, _ c: Float8) -> Float8 {
    #if BMRS_FMA || arch(arm64)
    c.addingProduct(a, b)
    #else
    a * b + c
    #endif
}
