import Foundation

/// The project's JSON conventions: snake_case keys, sorted, pretty; non-finite numbers as
/// the strings "inf", "-inf" (NaN is never written: it is a bug upstream).
public enum JSONCoding {
    /// How keys are spelled. `.snakeCase`: the documented formats (run records, sweeps, knee
    /// files). `.declared`: each type's own coding keys, for stored values that mix both
    /// conventions (a ``ResultSet`` holds `GridConfig`, whose keys are already snake_case,
    /// and Analysis' `deltaFBMRSNExact`): a snake-case round trip would not give them back.
    public enum KeyStyle: Sendable { case snakeCase, declared }

    /// The documents: every JSON file the project writes and every JSON a command prints.
    public static func encoder(keys: KeyStyle = .snakeCase) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if keys == .snakeCase { e.keyEncodingStrategy = .convertToSnakeCase }
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    /// Canonical compact JSON (sorted keys, no whitespace, each type's own keys) where the
    /// bytes themselves matter: content keys of units (`contentKey`), lock files, and the
    /// JSON headers inside binary files (checkpoints, the decoded-data cache, safetensors).
    /// Slashes stay escaped, as they always were: a content key hashes these bytes.
    public static func canonicalEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    public static func decoder(keys: KeyStyle = .snakeCase) -> JSONDecoder {
        let d = JSONDecoder()
        if keys == .snakeCase { d.keyDecodingStrategy = .convertFromSnakeCase }
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    public static func encode<T: Encodable>(_ value: T, keys: KeyStyle = .snakeCase) throws -> Data {
        var data = try encoder(keys: keys).encode(value)
        data.append(0x0A)
        return data
    }
}
