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
    /// The nesting depth of each stack value (lists and dicts carry theirs themselves).
    private var depths: [Int] = []
    private var marks: [Int] = []
    private var memo: [Int: (value: PickleValue, depth: Int)] = [:]

    /// How deeply values may nest. A state_dict needs four levels (dict, rebuild arguments,
    /// size tuple); a deeper value is refused as it is built, because releasing a nested
    /// value recurses once per level (found by fuzzing: 40,000 nested TUPLE1s overflowed the
    /// stack).
    static let maxDepth = 100

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
                depths.removeLast()
                return top
            case 0x28: marks.append(stack.count) // MARK
            case 0x29: push(.tuple([])) // EMPTY_TUPLE
            case 0x5D: push(.list(PickleList())) // EMPTY_LIST
            case 0x7D: push(.dict(PickleDict())) // EMPTY_DICT
            case 0x4E: push(.none) // NONE
            case 0x88: push(.bool(true)) // NEWTRUE
            case 0x89: push(.bool(false)) // NEWFALSE
            case 0x4B: push(.int(Int(try byte()))) // BININT1
            case 0x4D: push(.int(Int(littleEndian(try take(2))))) // BININT2
            case 0x4A: push(.int(Int(Int32(truncatingIfNeeded: littleEndian(try take(4)))))) // BININT
            case 0x8A: push(.int(try long(Int(try byte()), at: at))) // LONG1
            case 0x8B: push(.int(try long(try length(4, at: at), at: at))) // LONG4
            case 0x47: push(.float(Double(bitPattern: littleEndian(try take(8)).byteSwapped))) // BINFLOAT (big-endian)
            case 0x58: push(.string(try text(try length(4, at: at)))) // BINUNICODE
            case 0x8C: push(.string(try text(Int(try byte())))) // SHORT_BINUNICODE
            case 0x8D: push(.string(try text(try length(8, at: at)))) // BINUNICODE8
            case 0x54: push(.string(try text(try length(4, at: at)))) // BINSTRING (Python 2 str)
            case 0x55: push(.string(try text(Int(try byte())))) // SHORT_BINSTRING
            case 0x42: push(.bytes(Array(try take(try length(4, at: at))))) // BINBYTES
            case 0x43: push(.bytes(Array(try take(Int(try byte()))))) // SHORT_BINBYTES
            case 0x74: try pushTuple(try popToMark(at), at) // TUPLE
            case 0x85: try pushTuple(try pop(1, at), at) // TUPLE1
            case 0x86: try pushTuple(try pop(2, at), at) // TUPLE2
            case 0x87: try pushTuple(try pop(3, at), at) // TUPLE3
            case 0x6C: // LIST
                let items = try popToMark(at)
                let list = PickleList()
                try nest(items, in: list, at)
                list.depth = items.depth + 1
                list.items = items.values
                push(.list(list))
            case 0x61: try append(try pop(1, at), at) // APPEND
            case 0x65: try append(try popToMark(at), at) // APPENDS
            case 0x64: // DICT
                let items = try popToMark(at)
                let dict = PickleDict()
                try fill(dict, items, at)
                push(.dict(dict))
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
                push(.global(try allow(PickleGlobal(module: module, name: name), at)))
            case 0x93: // STACK_GLOBAL
                let parts = try pop(2, at).values
                guard case .string(let module) = parts[0], case .string(let name) = parts[1] else {
                    throw fail("malformed STACK_GLOBAL", "two strings", "\(parts.map(\.kind))", at)
                }
                push(.global(try allow(PickleGlobal(module: module, name: name), at)))
            case 0x51: push(try persistentLoad(try pop(1, at).values[0], at)) // BINPERSID
            case 0x52, 0x81: // REDUCE, NEWOBJ: callable (or class) and an argument tuple
                let parts = try pop(2, at)
                let result = try call(parts.values[0], parts.values[1], at)
                // A dict built from the arguments nests no deeper than they did.
                if case .dict(let dict) = result { dict.depth = parts.depth }
                push(result, depth: parts.depth)
            case 0x62: // BUILD: only OrderedDict's state (the `_metadata` attribute), which is dropped
                let parts = try pop(2, at).values
                guard case .dict = parts[0] else {
                    throw fail("BUILD on an unexpected object", "an OrderedDict", parts[0].kind, at)
                }
                push(parts[0])
            case 0x30: _ = try pop(1, at) // POP
            case 0x32: // DUP
                guard let top = stack.last, let depth = depths.last else { throw fail("stack underflow", "a value", "an empty stack", at) }
                push(top, depth: depth)
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

    /// Popped values and the deepest nesting among them (0 for none).
    private struct Popped {
        var values: [PickleValue]
        var depth: Int
    }

    private mutating func push(_ value: PickleValue, depth: Int = 0) {
        stack.append(value)
        depths.append(depth)
    }

    /// The nesting depth of a value: a list's or dict's own (it grows as it is filled), else
    /// the one recorded when the value was built.
    private static func depth(of value: PickleValue, recorded: Int) -> Int {
        switch value {
        case .list(let list): list.depth
        case .dict(let dict): dict.depth
        default: recorded
        }
    }

    private mutating func popped(from start: Int) -> Popped {
        let values = Array(stack[start...])
        let depth = zip(values, depths[start...]).map { Self.depth(of: $0, recorded: $1) }.max() ?? 0
        stack.removeLast(stack.count - start)
        depths.removeLast(depths.count - start)
        return Popped(values: values, depth: depth)
    }

    private mutating func pop(_ n: Int, _ at: Int) throws -> Popped {
        let floor = marks.last ?? 0
        guard stack.count - n >= floor else { throw fail("stack underflow", "\(n) values", "\(stack.count - floor)", at) }
        return popped(from: stack.count - n)
    }

    private mutating func popToMark(_ at: Int) throws -> Popped {
        guard let mark = marks.popLast() else { throw fail("missing MARK", "a MARK before this opcode", "none", at) }
        return popped(from: mark)
    }

    private mutating func pushTuple(_ items: Popped, _ at: Int) throws {
        try nest(items, in: nil, at)
        push(.tuple(items.values), depth: items.depth + 1)
    }

    /// Puts `items` one level inside a container (`container`, a list or dict being filled,
    /// or a new tuple for nil): refuses nesting deeper than `maxDepth`, a container put into
    /// itself, and filling a container that is already inside another one. Pickle writes
    /// each container whole before it nests it, so a state_dict never does the last two;
    /// refusing them keeps every value a tree or a DAG of bounded depth (no cycles, no depth
    /// that grows unseen after nesting).
    private func nest(_ items: Popped, in container: AnyObject?, _ at: Int) throws {
        guard items.depth < Self.maxDepth else {
            throw fail("pickle nesting too deep", "containers nested at most \(Self.maxDepth) levels", "more", at)
        }
        for item in items.values {
            switch item {
            case .list(let list):
                guard list !== container else { throw fail("recursive pickle container", "a list not inside itself", "a list appended to itself", at) }
                list.nested = true
            case .dict(let dict):
                guard dict !== container else { throw fail("recursive pickle container", "a dict not inside itself", "a dict set as its own item", at) }
                dict.nested = true
            default: break
            }
        }
    }

    private mutating func append(_ items: Popped, _ at: Int) throws {
        guard case .list(let list)? = stack.last else { throw fail("APPEND to a non-list", "a list", stack.last?.kind ?? "nothing", at) }
        guard !list.nested else {
            throw fail("APPEND to a list already nested in another value", "a list filled before it is nested", "a later APPEND", at)
        }
        try nest(items, in: list, at)
        list.depth = max(list.depth, items.depth + 1)
        list.items += items.values
    }

    private func topDict(_ at: Int) throws -> PickleDict {
        guard case .dict(let dict)? = stack.last else { throw fail("SETITEM on a non-dict", "a dict", stack.last?.kind ?? "nothing", at) }
        return dict
    }

    private func fill(_ dict: PickleDict, _ items: Popped, _ at: Int) throws {
        let values = items.values
        guard values.count % 2 == 0 else { throw fail("odd number of dict items", "key, value pairs", "\(values.count) values", at) }
        guard !dict.nested else {
            throw fail("SETITEM on a dict already nested in another value", "a dict filled before it is nested", "a later SETITEM", at)
        }
        try nest(items, in: dict, at)
        dict.depth = max(dict.depth, items.depth + 1)
        for i in stride(from: 0, to: values.count, by: 2) { dict.set(values[i], values[i + 1]) }
    }

    private mutating func put(_ index: Int, _ at: Int) throws {
        guard let top = stack.last, let depth = depths.last else { throw fail("PUT on an empty stack", "a value", "nothing", at) }
        memo[index] = (top, depth)
    }

    private mutating func get(_ index: Int, _ at: Int) throws {
        guard let stored = memo[index] else { throw fail("GET of an unknown memo slot", "a stored value", "slot \(index)", at) }
        push(stored.value, depth: stored.depth)
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
