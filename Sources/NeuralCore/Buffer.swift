/// A fixed-size, zero-initialised Float32 buffer owned by a layer or an optimizer.
///
/// Layers preallocate every activation and gradient buffer once (llm.c style), so a
/// training step allocates nothing. Reference semantics on purpose: the buffer is the
/// storage, and its pointer is handed to BLAS and to the kernels. Each buffer has
/// `slack` zeroed floats past its end, so an 8-lane kernel may load a whole group that
/// starts inside the buffer (the extra lanes are discarded).
public final class FloatBuffer {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    static let slack = 8

    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer count must be ≥ 0, got \(count)")
        self.count = count
        pointer = .allocate(capacity: count + Self.slack)
        pointer.initialize(repeating: 0, count: count + Self.slack)
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public func copy(from values: [Float]) {
        precondition(values.count == count, "copy: expected \(count) values, got \(values.count)")
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: count) }
        }
    }
}

/// A trainable tensor: its values, the gradient that backward passes accumulate into,
/// and the shape it was declared with (PyTorch's order, e.g. (out, in) for a dense weight).
public final class Parameter {
    public let name: String
    public let shape: [Int]
    public let value: FloatBuffer
    public let gradient: FloatBuffer

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
        let count = shape.reduce(1, *)
        value = FloatBuffer(count: count)
        gradient = FloatBuffer(count: count)
    }

    public var count: Int { value.count }
}
