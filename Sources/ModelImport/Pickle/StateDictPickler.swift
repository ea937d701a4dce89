/// Writes the `data.pkl` of a `torch.save(state_dict)` file: pickle protocol 2, as
/// Python's pickler writes it for PyTorch, so that `torch.load` (and our `Unpickler`) read
/// it back. The pickle is
///
///     OrderedDict() with, per tensor, key → _rebuild_tensor_v2(
///         persistent id ('storage', torch.<Type>Storage, '<storage key>', 'cpu', numel),
///         storage offset 0, size tuple, contiguous stride tuple, requires_grad False,
///         OrderedDict() of backward hooks)
///
/// Globals are memoised (BINPUT/BINGET) as Python's pickler does, so the file stays small
/// and looks like the real thing. It names nothing but the globals `Unpickler` allows.
/// No `_metadata` attribute is written: `load_state_dict` then uses each module's defaults,
/// which is what the authors' modules (Linear, Conv2d, their noise layers) expect.
struct StateDictPickler {
    struct Entry {
        let key: String
        let storageKey: String
        let dtype: TensorDType
        let shape: [Int]
    }

    /// The `torch.<Name>Storage` type tag of a dtype (the inverse of `AllowedGlobal.storageTypes`).
    static func storageTypeName(_ dtype: TensorDType) -> String? {
        AllowedGlobal.storageTypes.first { $0.value == dtype }?.key
    }

    private var out: [UInt8] = [0x80, 2]   // PROTO 2
    private var memo: [String: Int] = [:]

    /// The pickle of an OrderedDict of contiguous tensors, each on its own storage.
    static func pickle(_ entries: [Entry]) -> [UInt8] {
        var p = StateDictPickler()
        p.global("collections", "OrderedDict")
        p.op(0x29)   // EMPTY_TUPLE
        p.op(0x52)   // REDUCE
        if !entries.isEmpty {
            p.op(0x28)   // MARK
            for e in entries { p.tensor(e) }
            p.op(0x75)   // SETITEMS
        }
        p.op(0x2E)   // STOP
        return p.out
    }

    private mutating func tensor(_ e: Entry) {
        guard let storageType = Self.storageTypeName(e.dtype) else {
            preconditionFailure("StateDictPickler: no torch storage type for \(e.dtype) (\(e.key))")
        }
        string(e.key)
        global("torch._utils", "_rebuild_tensor_v2")
        op(0x28)                               // MARK: the argument tuple
        op(0x28)                               // MARK: the persistent id tuple
        string("storage")
        global("torch", storageType)
        string(e.storageKey)
        string("cpu")
        int(e.shape.reduce(1, *))
        op(0x74)                               // TUPLE
        op(0x51)                               // BINPERSID
        int(0)                                 // storage offset
        tuple(e.shape.map { $0 })
        tuple(Self.contiguousStrides(e.shape))
        op(0x89)                               // NEWFALSE: requires_grad
        global("collections", "OrderedDict")
        op(0x29)
        op(0x52)                               // OrderedDict(): backward hooks
        op(0x74)                               // TUPLE
        op(0x52)                               // REDUCE: _rebuild_tensor_v2(*args)
    }

    /// Row-major strides in elements; a 0-d tensor has none.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * max(shape[d + 1], 1) }
        return strides
    }

    private mutating func op(_ code: UInt8) { out.append(code) }

    /// GLOBAL the first time (then BINPUT into the memo), BINGET afterwards.
    private mutating func global(_ module: String, _ name: String) {
        let qualified = "\(module)\n\(name)\n"
        if let index = memo[qualified] {
            get(index)
            return
        }
        out.append(0x63)
        out += Array(qualified.utf8)
        let index = memo.count
        memo[qualified] = index
        put(index)
    }

    private mutating func get(_ index: Int) {
        if index < 256 { out += [0x68, UInt8(index)] } else { out.append(0x6A); out += le32(UInt32(index)) }
    }

    private mutating func put(_ index: Int) {
        if index < 256 { out += [0x71, UInt8(index)] } else { out.append(0x72); out += le32(UInt32(index)) }
    }

    private mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        out.append(0x58)                        // BINUNICODE
        out += le32(UInt32(utf8.count))
        out += utf8
    }

    /// The smallest of BININT1, BININT2, BININT; LONG1 beyond 32 bits (a storage of > 2^31 elements).
    private mutating func int(_ v: Int) {
        switch v {
        case 0..<256: out += [0x4B, UInt8(v)]
        case 256..<65_536: out += [0x4D, UInt8(v & 0xFF), UInt8(v >> 8)]
        case Int(Int32.min)...Int(Int32.max): out.append(0x4A); out += le32(UInt32(bitPattern: Int32(v)))
        default:
            // Two's complement, little-endian, as few bytes as keep the sign.
            var bytes: [UInt8] = []
            var x = v
            repeat { bytes.append(UInt8(truncatingIfNeeded: x)); x >>= 8 } while !(x == 0 && bytes.last! < 0x80) && !(x == -1 && bytes.last! >= 0x80)
            out += [0x8A, UInt8(bytes.count)] + bytes
        }
    }

    private mutating func tuple(_ values: [Int]) {
        switch values.count {
        case 0: op(0x29)                                      // EMPTY_TUPLE
        case 1: int(values[0]); op(0x85)                      // TUPLE1
        case 2: values.forEach { int($0) }; op(0x86)          // TUPLE2
        case 3: values.forEach { int($0) }; op(0x87)          // TUPLE3
        default: op(0x28); values.forEach { int($0) }; op(0x74)
        }
    }

    private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
}
