/// The values a restricted unpickler can build. There is no "object" case: a global is only
/// ever one of the few allowed names, and calling it builds one of these plain values.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    /// Lists and dictionaries are filled after creation (APPENDS, SETITEMS) and may be reached
    /// through the memo, so they are reference types.
    case list(PickleList)
    case dict(PickleDict)
    /// An allowed global (a function or type tag); it does nothing until REDUCE interprets it.
    case global(PickleGlobal)
    /// A storage named by a persistent id: data lives in the archive entry `data/<key>`.
    case storage(StorageReference)
    /// A tensor view of a storage (from `_rebuild_tensor_v2` / `_rebuild_parameter`).
    case tensor(TensorReference)

    var kind: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .global(let g): "global \(g.qualifiedName)"
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }
}

final class PickleList {
    var items: [PickleValue] = []
    /// Nesting depth (1 + its items' deepest) and whether it is inside another value; kept
    /// by the Unpickler, which bounds the one and stops filling at the other.
    var depth = 1
    var nested = false
}

/// An ordered dictionary (insertion order kept, as OrderedDict and Python dicts do).
final class PickleDict {
    /// As PickleList's.
    var depth = 1
    var nested = false
    private(set) var keys: [PickleValue] = []
    private(set) var values: [PickleValue] = []
    private var index: [String: Int] = [:]

    /// Keys are compared by their text form, which is enough for the string and int keys of a state_dict.
    func set(_ key: PickleValue, _ value: PickleValue) {
        let k = Self.indexKey(key)
        if let i = index[k] {
            values[i] = value
        } else {
            index[k] = keys.count
            keys.append(key)
            values.append(value)
        }
    }

    var pairs: [(PickleValue, PickleValue)] { Array(zip(keys, values)) }

    private static func indexKey(_ key: PickleValue) -> String {
        switch key {
        case .string(let s): "s:" + s
        case .int(let i): "i:\(i)"
        case .bool(let b): "i:\(b ? 1 : 0)"
        default: "?:\(key.kind)"
        }
    }
}

struct PickleGlobal: Hashable {
    let module: String
    let name: String
    var qualifiedName: String { "\(module).\(name)" }
}

struct StorageReference {
    let dtype: TensorDType
    let key: String
    let location: String
    let elementCount: Int
}

struct TensorReference {
    let storage: StorageReference
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}
