/// Pixel scaling after loading (SPEC §4).
public enum Normalization: String, Sendable, Codable {
    /// MNIST and Fashion-MNIST: `(x - 127) / 255` on the (resized) byte values,
    /// giving values in [-127/255, 128/255] ≈ [-0.498, 0.502].
    case mnistFamily
    /// CIFAR-10, torchvision `ToTensor` then `Normalize(0.5, 0.5)` per channel:
    /// `(x / 255 - 0.5) / 0.5`, giving values in [-1, 1].
    case cifar10

    /// The scaled value of one (possibly interpolated) byte value `x`.
    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch self {
        case .mnistFamily: return (x - 127) / 255
        case .cifar10: return (x / 255 - 0.5) / 0.5
        }
    }
}

/// Side length the networks expect (SPEC §4: 28×28 inputs are resized to 32×32).
public let modelImageSide = 32

/// Source taps of 1-D linear interpolation, PyTorch `align_corners=False` convention.
///
/// For output index d: `src = max(0, (d + 0.5)·(in/out) - 0.5)` (half-pixel centres,
/// clamped at the low edge), `i0 = ⌊src⌋`, `i1 = min(i0 + 1, in - 1)` (clamped at
/// the high edge), weights `w1 = src - i0`, `w0 = 1 - w1`. The scale is computed in
/// Float32 as `Float(in) / Float(out)`, as PyTorch does for float tensors when an
/// output size (not a scale factor) is given.
public struct LinearTaps: Sendable, Equatable {
    /// Lower source index `i0` per output index.
    public let index0: [Int]
    /// Upper source index `i1` per output index.
    public let index1: [Int]
    /// Weight `w0 = 1 - w1` of `index0`.
    public let weight0: [Float]
    /// Weight `w1 = src - i0` of `index1`.
    public let weight1: [Float]

    /// Taps for resizing `inputSize` samples to `outputSize`.
    public init(inputSize: Int, outputSize: Int) {
        precondition(inputSize > 0 && outputSize > 0, "LinearTaps: sizes \(inputSize) → \(outputSize) must be positive")
        let scale = Float(inputSize) / Float(outputSize)
        var i0 = [Int](), i1 = [Int](), w0 = [Float](), w1 = [Float]()
        for d in 0..<outputSize {
            let src = max(0, scale * (Float(d) + 0.5) - 0.5)
            let lo = min(Int(src), inputSize - 1)
            let hi = min(lo + 1, inputSize - 1)
            let lambda = min(max(src - Float(lo), 0), 1)
            i0.append(lo); i1.append(hi)
            w0.append(1 - lambda); w1.append(lambda)
        }
        index0 = i0; index1 = i1; weight0 = w0; weight1 = w1
    }
}

/// Bilinear resize of planes, matching PyTorch
/// `F.interpolate(x, size=(outHeight, outWidth), mode="bilinear", align_corners=False)`
/// (see `LinearTaps`; for upsampling `antialias` changes nothing).
///
/// Shapes: `planes` is `(P, height, width)` → result `(P, outHeight, outWidth)`, where
/// P = count·channels. Each output is `h0·(w0·x[y0,x0] + w1·x[y0,x1]) + h1·(w0·x[y1,x0] + w1·x[y1,x1])`,
/// the same order of operations as PyTorch's CPU kernel.
public func bilinearResize(_ planes: [Float], height: Int, width: Int,
                           toHeight outHeight: Int, width outWidth: Int) -> [Float] {
    precondition(height > 0 && width > 0 && planes.count % (height * width) == 0,
                 "bilinearResize: \(planes.count) values is not a whole number of \(height)×\(width) planes")
    let planeCount = planes.count / (height * width)
    return [Float](unsafeUninitializedCapacity: planeCount * outHeight * outWidth) { out, initialized in
        planes.withUnsafeBufferPointer { src in
            resizePlanes(src, planeCount: planeCount, height: height, width: width,
                         outHeight: outHeight, outWidth: outWidth, into: out, scale: { $0 })
        }
        initialized = planeCount * outHeight * outWidth
    }
}

/// Resizes each plane of `raw` to `side`×`side` (skipped when already that size) and
/// applies `normalization`, giving the network-ready Float32 NCHW set.
///
/// Shapes: `(N, C, H, W)` bytes → `(N, C, side, side)` floats. The interpolation runs on
/// the byte values as Float32 (PyTorch convention, see `bilinearResize`), then the
/// scaling is applied to each interpolated value.
public func preprocess(_ raw: RawImageSet, normalization: Normalization, side: Int = modelImageSide) -> ImageSet {
    let planeCount = raw.count * raw.channels
    let outSize = planeCount * side * side
    let images = [Float](unsafeUninitializedCapacity: outSize) { out, initialized in
        raw.pixels.withUnsafeBufferPointer { src in
            switch normalization {
            case .mnistFamily:
                resizePlanes(src, planeCount: planeCount, height: raw.height, width: raw.width,
                             outHeight: side, outWidth: side, into: out, scale: { Normalization.mnistFamily.apply($0) })
            case .cifar10:
                resizePlanes(src, planeCount: planeCount, height: raw.height, width: raw.width,
                             outHeight: side, outWidth: side, into: out, scale: { Normalization.cifar10.apply($0) })
            }
        }
        initialized = outSize
    }
    return ImageSet(images: images, labels: raw.labels, channels: raw.channels, height: side, width: side)
}

/// Float32 value of a pixel element (bytes or floats).
protocol PixelValue { var floatValue: Float { get } }
extension UInt8: PixelValue { @inline(__always) var floatValue: Float { Float(self) } }
extension Float: PixelValue { @inline(__always) var floatValue: Float { self } }

// src: (P, H, W) → out: (P, OH, OW), out = scale(bilinear(src)).
// Separable: each input row is interpolated horizontally into a (H, OW) scratch plane,
// then each output row blends two scratch rows. Same arithmetic as the direct formula.
@inline(__always)
private func resizePlanes<T: PixelValue>(_ src: UnsafeBufferPointer<T>, planeCount: Int, height: Int, width: Int,
                                         outHeight: Int, outWidth: Int, into out: UnsafeMutableBufferPointer<Float>,
                                         scale: (Float) -> Float) {
    precondition(src.count == planeCount * height * width && out.count >= planeCount * outHeight * outWidth,
                 "resizePlanes: buffers do not hold \(planeCount) planes of \(height)×\(width) → \(outHeight)×\(outWidth)")
    let cols = LinearTaps(inputSize: width, outputSize: outWidth)
    let rows = LinearTaps(inputSize: height, outputSize: outHeight)
    let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: height * outWidth)
    defer { scratch.deallocate() }
    cols.index0.withUnsafeBufferPointer { cx0 in
    cols.index1.withUnsafeBufferPointer { cx1 in
    cols.weight0.withUnsafeBufferPointer { cw0 in
    cols.weight1.withUnsafeBufferPointer { cw1 in
    rows.index0.withUnsafeBufferPointer { ry0 in
    rows.index1.withUnsafeBufferPointer { ry1 in
    rows.weight0.withUnsafeBufferPointer { rw0 in
    rows.weight1.withUnsafeBufferPointer { rw1 in
        let inPlane = height * width, outPlane = outHeight * outWidth
        for p in 0..<planeCount {
            let plane = src.baseAddress! + p * inPlane
            for y in 0..<height {
                let row = plane + y * width
                let dst = scratch.baseAddress! + y * outWidth
                for x in 0..<outWidth {
                    dst[x] = cw0[x] * row[cx0[x]].floatValue + cw1[x] * row[cx1[x]].floatValue
                }
            }
            let target = out.baseAddress! + p * outPlane
            for y in 0..<outHeight {
                let a = scratch.baseAddress! + ry0[y] * outWidth
                let b = scratch.baseAddress! + ry1[y] * outWidth
                let h0 = rw0[y], h1 = rw1[y]
                let dst = target + y * outWidth
                for x in 0..<outWidth {
                    dst[x] = scale(h0 * a[x] + h1 * b[x])
                }
            }
        }
    }}}}}}}}
}
