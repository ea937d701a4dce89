/// A restricted pickle reader for `torch.save(state_dict)` (protocol 2, and the few newer
/// opcodes a protocol-4 writer would add). It interprets opcodes into `PickleValue`s and
/// accepts only the globals in `AllowedGlobal`: any other global is refused the moment it
/// is named, with an error naming it. It never imports, calls or evaluates anything.
struct Unpickler {
    let bytes: [UInt8]
    let path: String
    /// The archive entry being read, for error messages.
    let entry: String

    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    init(bytes: [UInt8], path: String, entry: String) {
        self.bytes = bytes
        self.path = path
        self.entry = entry
    }

    static let allowedNames = "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and torch.*Storage types"

    /// Reads the whole pickle and returns the value STOP finds on top of the stack.
    mutating func load() throws -> PickleValue {
        while true {
            let at = position
            let op = try byte()
            switch op {
            case 0x80: // PROTO
                let version = try byte()
                guard version <= 5 else { throw fail("unsupported pickle protocol", "protocol ≤ 5", "\(version)", at) }
            case 0x95: _ = try take(8) // FRAME: a length hint only
            case 0x2E: // STOP
                guard let top = stack.popLast() else { throw fail("empty pickle", "a value before STOP", "an empty stack", at) }
                return top
            case 0x28: marks.append(stack.count) // MARK
            case 0x29: stack.append(.tuple([])) // EMPTY_TUPLE
            case 0x5D: stack.append(.list(PickleList())) // EMPTY_LIST
            case 0x7D: stack.append(.dict(PickleDict())) // EMPTY_DICT
            case 0x4E: stack.append(.none) // NONE
            case 0x88: stack.append(.bool(true)) // NEWTRUE
            case 0x89: stack.append(.bool(false)) // NEWFALSE
            case 0x4B: stack.append(.int(Int(try byte()))) // BININT1
            case 0x4D: stack.append(.int(Int(littleEndian(try take(2))))) // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: littleEndian(try take(4)))))) // BININT
            case 0x8A: stack.append(.int(try long(Int(try byte()), at: at))) // LONG1
            case 0x8B: stack.append(.int(try long(try length(4, at: at), at: at))) // LONG4
            case 0x47: stack.append(.float(Double(bitPattern: littleEndian(try take(8)).byteSwapped))) // BINFLOAT (big-endian)
            case 0x58: stack.append(.string(try text(try length(4, at: at)))) // BINUNICODE
            case 0x8C: stack.append(.string(try text(Int(try byte())))) // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try text(try length(8, at: at)))) // BINUNICODE8
            case 0x54: stack.append(.string(try text(try length(4, at: at)))) // BINSTRING (Python 2 str)
            case 0x55: stack.append(.string(try text(Int(try byte())))) // SHORT_BINSTRING
            case 0x42: stack.append(.bytes(Array(try take(try length(4, at: at))))) // BINBYTES
            case 0x43: stack.append(.bytes(Array(try take(Int(try byte()))))) // SHORT_BINBYTES
            case 0x74: stack.append(.tuple(try popToMark(at))) // TUPLE
            case 0x85: stack.append(.tuple(try pop(1, at))) // TUPLE1
            case 0x86: stack.append(.tuple(try pop(2, at))) // TUPLE2
            case 0x87: stack.append(.tuple(try pop(3, at))) // TUPLE3
            case 0x6C: // LIST
                let list = PickleList()
                list.items = try popToMark(at)
                stack.append(.list(list))
            case 0x61: try append(try pop(1, at), at) // APPEND
            case 0x65: try append(try popToMark(at), at) // APPENDS
            case 0x64: // DICT
                let dict = PickleDict()
                try fill(dict, try popToMark(at), at)
                stack.append(.dict(dict))
            case 0x73: // SETITEM
                let pair = try pop(2, at)
                try fill(try topDict(at), pair, at)
            case 0x75: // SETITEMS
                let items = try popToMark(at)
                try fill(try topDict(at), items, at)
            case 0x71: try put(Int(try byte()), at) // BINPUT
            case 0x72: try put(try length(4, at: at), at) // LONG_BINPUT
            case 0x94: try put(memo.count, at) // MEMOIZE
            case 0x68: try get(Int(try byte()), at) // BINGET
            case 0x6A: try get(try length(4, at: at), at) // LONG_BINGET
            case 0x63: // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                stack.append(.global(try allow(PickleGlobal(module: module, name: name), at)))
            case 0x93: // STACK_GLOBAL
                let parts = try pop(2, at)
                guard case .string(let module) = parts[0], case .string(let name) = parts[1] else {
                    throw fail("malformed STACK_GLOBAL", "two strings", "\(parts.map(\.kind))", at)
                }
                stack.append(.global(try allow(PickleGlobal(module: module, name: name), at)))
            case 0x51: stack.append(try persistentLoad(try pop(1, at)[0], at)) // BINPERSID
            case 0x52, 0x81: // REDUCE, NEWOBJ: callable (or class) and an argument tuple
                let parts = try pop(2, at)
                stack.append(try call(parts[0], parts[1], at))
            case 0x62: // BUILD: only OrderedDict's state (the `_metadata` attribute), which is dropped
                let parts = try pop(2, at)
                guard case .dict = parts[0] else {
                    throw fail("BUILD on an unexpected object", "an OrderedDict", parts[0].kind, at)
                }
                stack.append(parts[0])
            case 0x30: _ = try pop(1, at) // POP
            case 0x32: // DUP
                guard let top = stack.last else { throw fail("stack underflow", "a value", "an empty stack", at) }
                stack.append(top)
            case 0x31: _ = try popToMark(at) // POP_MARK
            default:
                throw fail("unsupported pickle opcode", "an opcode torch.save uses for a state_dict (protocol 2)",
                           "0x" + String(op, radix: 16), at)
            }
        }
    }

    // MARK: - Globals and calls

    private func allow(_ g: PickleGlobal, _ at: Int) throws -> PickleGlobal {
        guard AllowedGlobal(g) != nil else {
            throw fail("refused pickle global \(g.qualifiedName)" + AllowedGlobal.hint(for: g), Self.allowedNames, g.qualifiedName, at)
        }
        return g
    }

    private func call(_ callable: PickleValue, _ arguments: PickleValue, _ at: Int) throws -> PickleValue {
        guard case .global(let g) = callable, let allowed = AllowedGlobal(g) else {
            throw fail("call of a non-callable value", "an allowed global", callable.kind, at)
        }
        guard case .tuple(let args) = arguments else { throw fail("malformed call of \(g.qualifiedName)", "an argument tuple", arguments.kind, at) }
        switch allowed {
        case .orderedDict:
            let dict = PickleDict()
            if let first = args.first {
                // OrderedDict([(k, v), ...]): the only argument form a pickle can carry.
                guard case .list(let list) = first else { throw fail("malformed OrderedDict", "a list of pairs", first.kind, at) }
                for item in list.items {
                    guard case .tuple(let pair) = item, pair.count == 2 else { throw fail("malformed OrderedDict", "(key, value) pairs", item.kind, at) }
                    dict.set(pair[0], pair[1])
                }
            }
            return .dict(dict)
        case .rebuildTensor:
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard args.count >= 4, case .storage(let storage) = args[0], case .int(let offset) = args[1],
                  let shape = ints(args[2]), let strides = ints(args[3]), shape.count == strides.count else {
                throw fail("malformed _rebuild_tensor_v2 call", "(storage, offset, size, stride, …)", "\(args.map(\.kind))", at)
            }
            return .tensor(TensorReference(storage: storage, offset: offset, shape: shape, strides: strides))
        case .rebuildParameter:
            guard let first = args.first, case .tensor = first else {
                throw fail("malformed _rebuild_parameter call", "(tensor, requires_grad, backward_hooks)", "\(args.map(\.kind))", at)
            }
            return first
        case .storageType:
            throw fail("call of a storage type", "a storage named by a persistent id", g.qualifiedName + "(…)", at)
        }
    }

    /// torch's persistent id for a storage: ('storage', storage_type, key, location, numel).
    private func persistentLoad(_ pid: PickleValue, _ at: Int) throws -> PickleValue {
        guard case .tuple(let t) = pid, t.count == 5, case .string("storage") = t[0], case .global(let g) = t[1],
              case .storageType(let dtype)? = AllowedGlobal(g), case .string(let key) = t[2],
              case .string(let location) = t[3], case .int(let count) = t[4], count >= 0 else {
            throw fail("unsupported persistent id", "('storage', torch.<Type>Storage, key, location, numel)", describe(pid), at)
        }
        return .storage(StorageReference(dtype: dtype, key: key, location: location, elementCount: count))
    }

    private func ints(_ v: PickleValue) -> [Int]? {
        guard case .tuple(let items) = v else { return nil }
        var result: [Int] = []
        for item in items {
            guard case .int(let i) = item else { return nil }
            result.append(i)
        }
        return result
    }

    private func describe(_ v: PickleValue) -> String {
        if case .tuple(let items) = v { return "(" + items.map(\.kind).joined(separator: ", ") + ")" }
        return v.kind
    }

    // MARK: - Stack, memo, containers

    private mutating func pop(_ n: Int, _ at: Int) throws -> [PickleValue] {
        let floor = marks.last ?? 0
        guard stack.count - n >= floor else { throw fail("stack underflow", "\(n) values", "\(stack.count - floor)", at) }
        defer { stack.removeLast(n) }
        return Array(stack.suffix(n))
    }

    private mutating func popToMark(_ at: Int) throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail("missing MARK", "a MARK before this opcode", "none", at) }
        defer { stack.removeLast(stack.count - mark) }
        return Array(stack[mark...])
    }

    private mutating func append(_ items: [PickleValue], _ at: Int) throws {
        guard case .list(let list)? = stack.last else { throw fail("APPEND to a non-list", "a list", stack.last?.kind ?? "nothing", at) }
        list.items += items
    }

    private func topDict(_ at: Int) throws -> PickleDict {
        guard case .dict(let dict)? = stack.last else { throw fail("SETITEM on a non-dict", "a dict", stack.last?.kind ?? "nothing", at) }
        return dict
    }

    private func fill(_ dict: PickleDict, _ items: [PickleValue], _ at: Int) throws {
        guard items.count % 2 == 0 else { throw fail("odd number of dict items", "key, value pairs", "\(items.count) values", at) }
        for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
    }

    private mutating func put(_ index: Int, _ at: Int) throws {
        guard let top = stack.last else { throw fail("PUT on an empty stack", "a value", "nothing", at) }
        memo[index] = top
    }

    private mutating func get(_ index: Int, _ at: Int) throws {
        guard let value = memo[index] else { throw fail("GET of an unknown memo slot", "a stored value", "slot \(index)", at) }
        stack.append(value)
    }

    // MARK: - Reading

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw fail("pickle ends early", "more bytes (STOP)", "the end of data.pkl", position) }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - position else { throw fail("pickle ends early", "\(n) more bytes", "\(bytes.count - position)", position) }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    private mutating func length(_ width: Int, at: Int) throws -> Int {
        let v = littleEndian(try take(width))
        guard v <= UInt64(bytes.count) else { throw fail("implausible length", "at most the \(bytes.count) bytes of the pickle", "\(v)", at) }
        return Int(v)
    }

    private mutating func text(_ n: Int) throws -> String { String(decoding: try take(n), as: UTF8.self) }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else {
            throw fail("pickle ends early", "a newline-terminated name", "the end of data.pkl", position)
        }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    /// A little-endian two's-complement integer of `n` bytes (LONG1/LONG4), at most 64 bits.
    private mutating func long(_ n: Int, at: Int) throws -> Int {
        guard n <= 8 else { throw fail("integer too large", "at most 64 bits", "\(n) bytes", at) }
        guard n > 0 else { return 0 }
        let raw = littleEndian(try take(n))
        let shift = UInt64(64 - 8 * n)
        return Int(Int64(bitPattern: raw << shift) >> Int64(shift))
    }

    private func fail(_ problem: String, _ expected: String, _ found: String, _ at: Int) -> ModelImportError {
        ModelImportError(path: path, key: entry, problem: problem + " (pickle offset \(at))", expected: expected, found: found)
    }
}
