import SeededRandom
/// Fully connected layer y = x·Wᵀ + b, W of shape (out, in) as in PyTorch.
/// Activations are `.rows`: x (N, in) → y (N, out).
public final class Dense: Layer {
    public let inputSize: Int
    public let outputSize: Int
    public let weight: Parameter
    public let bias: Parameter
    private var output = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)
    private var lastInput: UnsafePointer<Float>?

    public init(input: Int, output: Int, name: String = "dense") {
        inputSize = input
        outputSize = output
        weight = Parameter(name: "\(name).weight", shape: [output, input])
        bias = Parameter(name: "\(name).bias", shape: [output])
    }

    public var parameters: [Parameter] { [weight, bias] }

    /// Kaiming-uniform with a = √5 (bound 1/√fan_in) for weights and uniform(±1/√fan_in)
    /// for biases, PyTorch's default (SPEC §3).
    public func initialize(using rng: inout Xoshiro256) {
        let bound = 1 / Float(inputSize).squareRoot()
        for i in 0..<weight.count { weight.value[i] = rng.nextFloat(in: -bound, bound) }
        for i in 0..<bias.count { bias.value[i] = rng.nextFloat(in: -bound, bound) }
    }

    public func allocate(maxBatch: Int) {
        output = FloatBuffer(count: maxBatch * outputSize)
        inputGradient = FloatBuffer(count: maxBatch * inputSize)
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, context: inout StepContext) -> UnsafePointer<Float> {
        precondition(batch * outputSize <= output.count, "Dense: batch \(batch) exceeds allocated size")
        lastInput = x
        denseForward(y: output.pointer, x: x, w: weight.value.pointer, b: bias.value.pointer,
                     batch: batch, inputs: inputSize, outputs: outputSize)
        return UnsafePointer(output.pointer)
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafePointer<Float>? {
        guard let x = lastInput else { preconditionFailure("Dense.backward before forward") }
        denseBackward(dx: needInputGradient ? inputGradient.pointer : nil,
                      dw: weight.gradient.pointer, db: bias.gradient.pointer,
                      dy: dy, x: x, w: weight.value.pointer,
                      batch: batch, inputs: inputSize, outputs: outputSize)
        return needInputGradient ? UnsafePointer(inputGradient.pointer) : nil
    }
}

// x: (N, in), w: (out, in), b: (out) → y: (N, out)
@inline(__always)
func denseForward(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                  w: UnsafePointer<Float>, b: UnsafePointer<Float>,
                  batch: Int, inputs: Int, outputs: Int) {
    for n in 0..<batch { (y + n * outputs).update(from: b, count: outputs) }
    guard inputs > 0, outputs > 0 else { return }  // a fully pruned neighbour (compacted networks)
    BLAS.gemm(transB: true, m: batch, n: outputs, k: inputs,
              a: x, lda: inputs, b: w, ldb: inputs, beta: 1, c: y, ldc: outputs)
}

// dy: (N, out) → dw += dyᵀ·x (out, in), db += Σ_n dy, dx = dy·w (N, in) if requested
@inline(__always)
func denseBackward(dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>,
                   db: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
                   x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                   batch: Int, inputs: Int, outputs: Int) {
    guard inputs > 0, outputs > 0 else {
        if let dx, inputs > 0 { dx.update(repeating: 0, count: batch * inputs) }
        return
    }
    BLAS.gemm(transA: true, m: outputs, n: inputs, k: batch,
              a: dy, lda: outputs, b: x, ldb: inputs, beta: 1, c: dw, ldc: inputs)
    for n in 0..<batch {
        let row = dy + n * outputs
        for j in 0..<outputs { db[j] += row[j] }
    }
    if let dx {
        BLAS.gemm(m: batch, n: inputs, k: outputs,
                  a: dy, lda: outputs, b: w, ldb: inputs, beta: 0, c: dx, ldc: inputs)
    }
}
