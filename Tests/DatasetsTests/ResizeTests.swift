import Testing
import Datasets

/// Bilinear resize against PyTorch's `F.interpolate(mode="bilinear", align_corners=False)`.
///
/// PyTorch is not installed here, so the expected values come from two independent
/// places:
/// 1. published PyTorch outputs: the `nn.Upsample` documentation example (2×2 → 4×4)
///    and the 3×3 → 5×5 `align_corners=False` example of the PyTorch-compatible
///    `aclnnUpsampleBilinear2d` operator documentation;
/// 2. numpy in float64, as interpolation matrices (out = Rh · X · Rwᵀ), with this
///    script (it reproduces both published examples exactly):
///
///        import numpy as np
///        def interp_matrix(n_in, n_out):
///            R = np.zeros((n_out, n_in))
///            for d in range(n_out):
///                src = max(0.0, (d + 0.5) * n_in / n_out - 0.5)
///                i0 = min(int(np.floor(src)), n_in - 1); i1 = min(i0 + 1, n_in - 1)
///                R[d, i0] += 1 - (src - i0); R[d, i1] += src - i0
///            return R
///        def resize(X, oh, ow): return interp_matrix(X.shape[0], oh) @ X @ interp_matrix(X.shape[1], ow).T
///        X = np.array([[(7*i*i + 13*j) % 256 for j in range(5)] for i in range(3)], float)
///        print(resize(X, 4, 7))
///        P = np.array([[(i*37 + j*11 + (i*j) % 7) % 256 for j in range(28)] for i in range(28)], float)
///        Y = resize(P, 32, 32)   # spot values below; MNIST scaling: (Y - 127) / 255
@Suite("Bilinear resize (PyTorch align_corners=False)")
struct ResizeTests {
    /// (row, column, value) of the 28 → 32 resize of `referencePattern()`.
    static let pattern28To32: [(Int, Int, Double)] = [
        (0, 0, 0.0), (0, 1, 8.9375), (1, 2, 49.99609375), (5, 17, 70.00390625), (15, 16, 124.68359375),
        (16, 15, 147.43359375), (30, 31, 195.75), (31, 30, 8.875), (31, 31, 17.0), (20, 9, 221.91796875),
    ]
    /// The same, scaled by (x - 127) / 255.
    static let pattern28To32MNISTScaled: [(Int, Int, Double)] = [
        (0, 0, -0.4980392157), (0, 1, -0.4629901961), (1, 2, -0.3019761029), (5, 17, -0.2235140931),
        (15, 16, -0.0090839461), (16, 15, 0.0801317402), (30, 31, 0.2696078431), (31, 30, -0.4632352941),
        (31, 31, -0.431372549), (20, 9, 0.3722273284),
    ]

    @Test func pytorchDocumentationExample2x2() {
        let out = bilinearResize([1, 2, 3, 4], height: 2, width: 2, toHeight: 4, width: 4)
        let expected: [Float] = [1.0, 1.25, 1.75, 2.0, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3.0, 3.25, 3.75, 4.0]
        #expect(maxAbsDifference(out, expected) == 0)
    }

    @Test func published3x3To5x5() {
        let out = bilinearResize((1...9).map(Float.init), height: 3, width: 3, toHeight: 5, width: 5)
        let expected: [Float] = [1.0, 1.4, 2.0, 2.6, 3.0, 2.2, 2.6, 3.2, 3.8, 4.2, 4.0, 4.4, 5.0, 5.6, 6.0,
                                 5.8, 6.2, 6.8, 7.4, 7.8, 7.0, 7.4, 8.0, 8.6, 9.0]
        #expect(maxAbsDifference(out, expected) < 1e-5)
    }

    @Test func nonSquare3x5To4x7() {
        let input: [Float] = [0, 13, 26, 39, 52, 7, 20, 33, 46, 59, 28, 41, 54, 67, 80]
        let out = bilinearResize(input, height: 3, width: 5, toHeight: 4, width: 7)
        let expected: [Float] = [
            0.0, 7.42857143, 16.71428571, 26.0, 35.28571429, 44.57142857, 52.0,
            4.375, 11.80357143, 21.08928571, 30.375, 39.66071429, 48.94642857, 56.375,
            14.875, 22.30357143, 31.58928571, 40.875, 50.16071429, 59.44642857, 66.875,
            28.0, 35.42857143, 44.71428571, 54.0, 63.28571429, 72.57142857, 80.0,
        ]
        #expect(maxAbsDifference(out, expected) < 1e-4)
    }

    @Test func mnist28To32() {
        let out = bilinearResize(referencePattern().map(Float.init), height: 28, width: 28, toHeight: 32, width: 32)
        for (r, c, v) in Self.pattern28To32 {
            #expect(abs(Double(out[r * 32 + c]) - v) < 1e-4, "(\(r),\(c)): \(out[r * 32 + c]) vs \(v)")
        }
        let raw = RawImageSet(pixels: referencePattern(), labels: [0], channels: 1, height: 28, width: 28)
        let scaled = preprocess(raw, normalization: .mnistFamily)
        for (r, c, v) in Self.pattern28To32MNISTScaled {
            #expect(abs(Double(scaled.images[r * 32 + c]) - v) < 1e-6, "(\(r),\(c)): \(scaled.images[r * 32 + c]) vs \(v)")
        }
    }

    @Test func taps28To32() {
        // src = (d + 0.5)·0.875 - 0.5: d = 0 → -0.0625 clamps to 0; d = 30 → 26.1875;
        // d = 31 → 27.0625, i1 clamped to the last input index 27.
        let taps = LinearTaps(inputSize: 28, outputSize: 32)
        #expect(taps.index0[0] == 0 && taps.index1[0] == 1 && taps.weight1[0] == 0)
        #expect(taps.index0[1] == 0 && taps.weight1[1] == 0.8125)
        #expect(taps.index0[30] == 26 && taps.index1[30] == 27 && taps.weight1[30] == 0.1875)
        #expect(taps.index0[31] == 27 && taps.index1[31] == 27 && taps.weight1[31] == 0.0625)
        let down = LinearTaps(inputSize: 4, outputSize: 1)  // src = 1.5
        #expect(down.index0 == [1] && down.index1 == [2] && down.weight1 == [0.5])
    }

    @Test func constantStaysConstantAndSameSizeIsIdentity() {
        let constant = bilinearResize([Float](repeating: 200, count: 2 * 28 * 28), height: 28, width: 28, toHeight: 32, width: 32)
        #expect(constant.count == 2 * 32 * 32 && constant.allSatisfy { $0 == 200 })
        let input = (0..<(3 * 32 * 32)).map { Float(($0 * 7) % 256) }
        #expect(bilinearResize(input, height: 32, width: 32, toHeight: 32, width: 32) == input)
    }

    @Test func normalisationFormulas() {
        #expect(Normalization.mnistFamily.apply(0) == Float(-127) / 255)
        #expect(Normalization.mnistFamily.apply(255) == Float(128) / 255)
        #expect(Normalization.cifar10.apply(0) == -1)
        #expect(Normalization.cifar10.apply(255) == 1)
        #expect(abs(Normalization.cifar10.apply(127.5)) < 1e-7)
    }
}
