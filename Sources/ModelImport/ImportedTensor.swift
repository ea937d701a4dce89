/// Element types as the three formats name them. Only the float types can become network
/// values; the integer and boolean types are read (a state_dict may hold counters) but
/// refused as parameters. Anything else is kept by name so the error can say what it was.
public enum TensorDType: Hashable, Sendable, CustomStringConvertible {
    case float32, float64, float16, bfloat16
    case int64, int32, int16, int8, uint8, bool
    case unsupported(String)

    public var byteWidth: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16, .int16: 2
        case .int8, .uint8, .bool: 1
        case .unsupported: 1
        }
    }

    public var description: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .float16: "float16"
        case .bfloat16: "bfloat16"
        case .int64: "int64"
        case .int32: "int32"
        case .int16: "int16"
        case .int8: "int8"
        case .uint8: "uint8"
        case .bool: "bool"
        case .unsupported(let name): name
        }
    }
}

/// One named tensor read from a file: its shape and its elements, contiguous, row-major and
/// little-endian, whatever strides or offsets it had in the file.
public struct ImportedTensor: Sendable, Equatable {
    public let key: String
    public let dtype: TensorDType
    public let shape: [Int]
    /// `count × dtype.byteWidth` bytes.
    public let bytes: [UInt8]

    public init(key: String, dtype: TensorDType, shape: [Int], bytes: [UInt8]) {
        self.key = key
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public var count: Int { shape.reduce(1, *) }

    /// The elements as Float32. float64 is rounded; float16 and bfloat16 widen exactly and
    /// come with a note (the model lost precision before it reached us, which a reader of
    /// the analysis should know). Integer, boolean and unknown types are an error naming
    /// the key and the type.
    public func floatValues(path: String) throws -> (values: [Float], note: String?) {
        let n = count
        switch dtype {
        case .float32:
            return (bytes.withUnsafeBytes { raw in
                (0..<n).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }, nil)
        case .float64:
            return (bytes.withUnsafeBytes { raw in
                (0..<n).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) }
            }, nil)
        case .float16, .bfloat16:
            let halves = (0..<n).map { UInt16(bytes[2 * $0]) | UInt16(bytes[2 * $0 + 1]) << 8 }
            let values = dtype == .float16 ? halves.map(floatFromHalf) : halves.map { Float(bitPattern: UInt32($0) << 16) }
            return (values, "\(key): stored as \(dtype), converted to float32 (values exact, but the model was trained or saved at lower precision)")
        default:
            throw ModelImportError(path: path, key: key, problem: "unsupported tensor type for a network value",
                                   expected: "float32, float64, float16 or bfloat16", found: "\(dtype)")
        }
    }
}

/// IEEE binary16 → binary32, exact (subnormals, infinities and NaNs included). Done by
/// hand: Swift's Float16 is not available on every platform the package builds for.
func floatFromHalf(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    switch exponent {
    case 0:
        // Subnormal (or zero): mantissa · 2^-24.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    case 31:
        return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
    default:
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
    }
}
