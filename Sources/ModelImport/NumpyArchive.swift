/// NumPy's `.npz` (a zip of `.npy` files, one per array, stored or deflated) and the `.npy`
/// format inside it: magic `\x93NUMPY`, version, a header length (2 bytes in v1, 4 in v2/3),
/// a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (8, 1024), }`,
/// then the raw data. Object arrays (which hold pickles) are refused unread.
enum NumpyArchive {
    static func read(_ zip: ZipArchive) throws -> [ImportedTensor] {
        try zip.entries.filter { !$0.name.hasSuffix("/") }.map { entry in
            guard entry.name.hasSuffix(".npy") else {
                throw ModelImportError(path: zip.path, key: entry.name, problem: "unexpected entry in a .npz archive",
                                       expected: "<name>.npy entries only", found: entry.name)
            }
            return try decodeNpy(try zip.data(of: entry), key: String(entry.name.dropLast(4)), path: zip.path)
        }
    }

    static func decodeNpy(_ bytes: [UInt8], key: String, path: String) throws -> ImportedTensor {
        func fail(_ problem: String, _ expected: String, _ found: String) -> ModelImportError {
            ModelImportError(path: path, key: key, problem: problem, expected: expected, found: found)
        }
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("not a .npy array", "the magic \\x93NUMPY", "other bytes") }
        let major = bytes[6]
        let reader = ByteReader(bytes: bytes, path: path)
        let headerLength: Int, headerStart: Int
        switch major {
        case 1: headerLength = Int(try reader.uint16(at: 8, reading: "the .npy header length")); headerStart = 10
        case 2, 3: headerLength = Int(try reader.uint32(at: 8, reading: "the .npy header length")); headerStart = 12
        default: throw fail("unsupported .npy version", "1, 2 or 3", "\(major)")
        }
        let header = String(decoding: try reader.slice(headerStart, count: headerLength, reading: "the .npy header", key: key), as: UTF8.self)
        guard let descr = quotedValue(of: "descr", in: header), let shapeText = tupleValue(of: "shape", in: header) else {
            throw fail("unreadable .npy header", "'descr' and 'shape' entries", header.trimmingWhitespace)
        }
        let fortran = header.contains("'fortran_order': True")
        let dtype = Self.dtype(descr)
        let shape = try shapeText.split(separator: ",").map { $0.trimmingWhitespace }.filter { !$0.isEmpty }.map { part -> Int in
            guard let n = Int(part), n >= 0 else { throw fail("unreadable .npy shape", "a tuple of sizes", "(\(shapeText))") }
            return n
        }
        let (count, byteCount) = try checkedElementCount(shape, width: dtype.byteWidth, path: path, key: key)
        let dataStart = headerStart + headerLength
        if case .unsupported = dtype { return ImportedTensor(key: key, dtype: dtype, shape: shape, bytes: []) }
        let data = Array(try reader.slice(dataStart, count: byteCount, reading: "the array data", key: key))
        guard fortran, shape.count > 1 else { return ImportedTensor(key: key, dtype: dtype, shape: shape, bytes: data) }
        // Column-major on disk: the first index varies fastest.
        var strides = [Int](repeating: 1, count: shape.count)
        for d in 1..<shape.count { strides[d] = strides[d - 1] * shape[d - 1] }
        let view = TensorReference(storage: StorageReference(dtype: dtype, key: key, location: "npy", elementCount: count),
                                   offset: 0, shape: shape, strides: strides)
        return ImportedTensor(key: key, dtype: dtype, shape: shape,
                              bytes: try TorchStateDict.gather(view, from: data, key: key, path: path))
    }

    /// numpy's type strings: byte order ('<' little, '|' not applicable, '>' big) + kind + width.
    static func dtype(_ descr: String) -> TensorDType {
        let known: [String: TensorDType] = [
            "<f4": .float32, "<f8": .float64, "<f2": .float16, "<i8": .int64, "<i4": .int32, "<i2": .int16,
            "|i1": .int8, "|u1": .uint8, "|b1": .bool,
        ]
        if let t = known[descr] { return t }
        return .unsupported(descr.hasPrefix(">") ? "\(descr) (big-endian)" : descr)
    }

    /// The text of `'key': '<value>'` in a Python dict literal.
    private static func quotedValue(of key: String, in header: String) -> String? {
        guard let r = header.range(of: "'\(key)':") else { return nil }
        let rest = header[r.upperBound...].drop { $0 == " " }
        guard let quote = rest.first, quote == "'" || quote == "\"" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: quote) else { return nil }
        return String(body[..<end])
    }

    /// The inside of `'key': (…)` in a Python dict literal.
    private static func tupleValue(of key: String, in header: String) -> String? {
        guard let r = header.range(of: "'\(key)':") else { return nil }
        let rest = header[r.upperBound...].drop { $0 == " " }
        guard rest.first == "(", let end = rest.firstIndex(of: ")") else { return nil }
        return String(rest[rest.index(after: rest.startIndex)..<end])
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
