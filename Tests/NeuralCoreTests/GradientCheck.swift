import Testing
@testable import NeuralCore
import SeededRandom

/// Central-difference check of a layer's backward pass on f = Σ forward(x) ⊙ R with a
/// random R (a plain sum would hide transposition bugs). Float32 throughout, so the
/// tolerance is loose (2 %) but still far below what a wrong sign, a missing factor or a
/// transposed index gives (≥ 50 %).
struct GradientCheck {
    var step: Float = 1e-3
    var tolerance = 2e-2
    var samples = 60

    struct Report: CustomStringConvertible {
        var name: String
        var worstRelative = 0.0
        var entries: [(index: Int, analytic: Double, numeric: Double)] = []
        var description: String {
            "\(name): worst relative error \(worstRelative); first entries " +
                entries.prefix(4).map { "[\($0.index)] a=\($0.analytic) n=\($0.numeric)" }.joined(separator: ", ")
        }
    }

    /// Checks dL/dx (when `checkInput`) and every parameter gradient of `layer`, for the
    /// objective Σ r·y with random weights r, or with `outputWeights` when given.
    func check(_ layer: any Layer, input: [Float], batch: Int, training: Bool = false,
               noiseKey: UInt64 = 7, checkInput: Bool = true, outputWeights: [Float]? = nil,
               rng: inout Xoshiro256) -> [Report] {
        layer.allocate(maxBatch: batch)
        let outCount = batch * layer.outputSize
        let r = outputWeights ?? (0..<outCount).map { _ in rng.nextFloat(in: -1, 1) }
        precondition(r.count == outCount, "outputWeights: expected \(outCount) values")
        var x = input
        func objective() -> Double {
            var context = StepContext(training: training, noise: UniformStream(key: noiseKey))
            let y = x.withUnsafeBufferPointer { layer.forward($0.baseAddress!, batch: batch, context: &context) }
            var s = 0.0
            for i in 0..<outCount { s += Double(y[i]) * Double(r[i]) }
            return s
        }
        _ = objective()
        for p in layer.parameters { p.gradient.zero() }
        let dxPointer = r.withUnsafeBufferPointer {
            layer.backward($0.baseAddress!, batch: batch, needInputGradient: checkInput)
        }
        let dx = dxPointer.map { Array(UnsafeBufferPointer(start: $0, count: input.count)) } ?? []
        var reports: [Report] = []

        func compare(name: String, count: Int, analytic: (Int) -> Double,
                     perturb: (Int, Float) -> Void) -> Report {
            var report = Report(name: name)
            var numNorm = 0.0, diffNorm = 0.0
            let stride = max(1, count / samples)
            for i in Swift.stride(from: 0, to: count, by: stride) {
                perturb(i, step)
                let plus = objective()
                perturb(i, -2 * step)
                let minus = objective()
                perturb(i, step)
                let numeric = (plus - minus) / (2 * Double(step))
                let a = analytic(i)
                numNorm += numeric * numeric
                diffNorm += (numeric - a) * (numeric - a)
                report.entries.append((i, a, numeric))
            }
            report.worstRelative = (diffNorm / max(numNorm, 1e-20)).squareRoot()
            return report
        }

        if checkInput {
            reports.append(compare(name: "input", count: input.count, analytic: { Double(dx[$0]) },
                                   perturb: { i, h in x[i] += h }))
        }
        for p in layer.parameters {
            let grad = p.gradient.array
            reports.append(compare(name: p.name, count: p.count, analytic: { Double(grad[$0]) },
                                   perturb: { i, h in p.value[i] += h }))
        }
        return reports
    }
}

func expectGradients(_ reports: [GradientCheck.Report], tolerance: Double = 2e-2) {
    #expect(!reports.isEmpty)
    for report in reports {
        #expect(report.worstRelative < tolerance, "\(report)")
        #expect(report.entries.contains { $0.numeric != 0 }, "\(report.name): all-zero numeric gradient, check is vacuous")
    }
}

func randomArray(_ count: Int, _ lo: Float, _ hi: Float, _ rng: inout Xoshiro256) -> [Float] {
    (0..<count).map { _ in rng.nextFloat(in: lo, hi) }
}
