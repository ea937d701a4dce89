/// Bounds-checked little-endian reads from a byte array. Every format here is untrusted
/// input, so a read past the end is an error naming the file, never a crash.
struct ByteReader {
    let bytes: [UInt8]
    let path: String

    /// The bytes `range`, or a "truncated" error saying what was being read.
    func slice(_ start: Int, count: Int, reading what: String, key: String? = nil) throws -> ArraySlice<UInt8> {
        guard start >= 0, count >= 0, start <= bytes.count, count <= bytes.count - start else {
            throw ModelImportError(path: path, key: key, problem: "truncated file",
                                   expected: "\(what): \(count) bytes at offset \(start)",
                                   found: "a file of \(bytes.count) bytes")
        }
        return bytes[start..<(start + count)]
    }

    func uint16(at offset: Int, reading what: String) throws -> UInt16 {
        UInt16(truncatingIfNeeded: try unsigned(at: offset, width: 2, reading: what))
    }

    func uint32(at offset: Int, reading what: String) throws -> UInt32 {
        UInt32(truncatingIfNeeded: try unsigned(at: offset, width: 4, reading: what))
    }

    func uint64(at offset: Int, reading what: String) throws -> UInt64 {
        try unsigned(at: offset, width: 8, reading: what)
    }

    private func unsigned(at offset: Int, width: Int, reading what: String) throws -> UInt64 {
        let s = try slice(offset, count: width, reading: what)
        return littleEndian(s)
    }
}

/// The unsigned integer whose little-endian bytes are `bytes` (at most 8).
func littleEndian<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var value: UInt64 = 0
    for (i, b) in bytes.enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
    return value
}

/// A UInt64 read from a file as an Int, refusing values no Int (or array) can hold.
func checkedInt(_ value: UInt64, path: String, what: String) throws -> Int {
    guard value <= UInt64(Int.max / 2) else {
        throw ModelImportError(path: path, problem: "implausible \(what)", expected: "a size below 2^62", found: "\(value)")
    }
    return Int(value)
}

/// The element count of `shape` (multiplied as `ImportedTensor.count` does) and its size in
/// bytes, refusing shapes whose products no Int can hold.
func checkedElementCount(_ shape: [Int], width: Int, path: String, key: String) throws -> (count: Int, bytes: Int) {
    var count = 1, overflow = false
    for size in shape {
        let (c, o) = count.multipliedReportingOverflow(by: size)
        count = c
        overflow = overflow || o
    }
    let (bytes, o) = count.multipliedReportingOverflow(by: width)
    guard !overflow, !o else {
        throw ModelImportError(path: path, key: key, problem: "implausible tensor shape", expected: "a size below 2^63 bytes",
                               found: "shape \(shape)")
    }
    return (count, bytes)
}
