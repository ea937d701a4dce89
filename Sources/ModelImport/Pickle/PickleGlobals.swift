/// The only globals a state_dict pickle may name, and what each means here. Nothing is ever
/// imported or called: a global is a tag that REDUCE interprets with fixed Swift code.
enum AllowedGlobal {
    case orderedDict
    case rebuildTensor
    case rebuildParameter
    case storageType(TensorDType)

    /// `torch.<Name>Storage` type tags (typed storages), by the element type they carry.
    static let storageTypes: [String: TensorDType] = [
        "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16, "CharStorage": .int8,
        "ByteStorage": .uint8, "BoolStorage": .bool,
        "ComplexFloatStorage": .unsupported("complex64"), "ComplexDoubleStorage": .unsupported("complex128"),
        "QInt8Storage": .unsupported("qint8"), "QUInt8Storage": .unsupported("quint8"), "QInt32Storage": .unsupported("qint32"),
    ]

    init?(_ g: PickleGlobal) {
        switch (g.module, g.name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch", let name):
            guard let dtype = Self.storageTypes[name] else { return nil }
            self = .storageType(dtype)
        default: return nil
        }
    }

    /// What to tell the user about a refused global, beyond its name.
    static func hint(for g: PickleGlobal) -> String {
        if g.module.hasPrefix("torch.nn") || g.module.hasPrefix("__main__") || g.module.hasPrefix("modules.") {
            return " (the file pickles a whole model object; save model.state_dict() with torch.save instead)"
        }
        if ["os", "posix", "nt", "subprocess", "builtins", "__builtin__", "sys", "shutil", "socket"].contains(g.module) {
            return " (it could run code on this machine; nothing was run)"
        }
        return ""
    }
}
