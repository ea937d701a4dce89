/// Element-wise activations. Both keep their output for backward.
public enum ActivationFunction: String, Sendable, Codable {
    case tanh, relu
}

public final class Activation: Layer {
    public let function: ActivationFunction
    public let inputSize: Int
    public var outputSize: Int { inputSize }
    public var parameters: [Parameter] { [] }
    private var output = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)

    public init(_ function: ActivationFunction, size: Int) {
        self.function = function
        inputSize = size
    }

    public func allocate(maxBatch: Int) {
        output = FloatBuffer(count: maxBatch * inputSize)
        inputGradient = FloatBuffer(count: maxBatch * inputSize)
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, context: inout StepContext) -> UnsafePointer<Float> {
        let n = batch * inputSize, y = output.pointer
        switch function {
        case .tanh: for i in 0..<n { y[i] = fastTanh(x[i]) }
        case .relu: for i in 0..<n { y[i] = max(x[i], 0) }
        }
        return UnsafePointer(y)
    }

    // tanh: dx = dy·(1 − y²); relu: dx = dy·[y > 0]
    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafePointer<Float>? {
        guard needInputGradient else { return nil }
        let n = batch * inputSize, y = output.pointer, dx = inputGradient.pointer
        switch function {
        case .tanh: for i in 0..<n { dx[i] = dy[i] * (1 - y[i] * y[i]) }
        case .relu:
            // Load dy unconditionally: a conditional load compiles to a branch per element.
            for i in 0..<n { let g = dy[i]; dx[i] = y[i] > 0 ? g : 0 }
        }
        return UnsafePointer(dx)
    }
}

/// (C, N, H, W) → (N, C·H·W), the order PyTorch's `flatten` gives for NCHW.
public final class Flatten: Layer {
    public let channels, planeSize: Int
    public var inputSize: Int { channels * planeSize }
    public var outputSize: Int { inputSize }
    public var parameters: [Parameter] { [] }
    private var output = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        planeSize = height * width
    }

    public func allocate(maxBatch: Int) {
        output = FloatBuffer(count: maxBatch * inputSize)
        inputGradient = FloatBuffer(count: maxBatch * inputSize)
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, context: inout StepContext) -> UnsafePointer<Float> {
        for c in 0..<channels {
            for n in 0..<batch {
                (output.pointer + n * inputSize + c * planeSize)
                    .update(from: x + (c * batch + n) * planeSize, count: planeSize)
            }
        }
        return UnsafePointer(output.pointer)
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafePointer<Float>? {
        guard needInputGradient else { return nil }
        for c in 0..<channels {
            for n in 0..<batch {
                (inputGradient.pointer + (c * batch + n) * planeSize)
                    .update(from: dy + n * inputSize + c * planeSize, count: planeSize)
            }
        }
        return UnsafePointer(inputGradient.pointer)
    }
}
