/// A zip archive held in memory, read through its central directory (PKWARE APPNOTE 6.3):
/// stored and deflated entries, ZIP64 end records and extra fields, CRC-32 checked on every
/// read. Enough for `torch.save` files (stored entries, always a ZIP64 end record) and
/// NumPy's `.npz` (stored or deflated). Encrypted and multi-disk archives are refused.
public struct ZipArchive: Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// 0 stored, 8 deflated.
        public let method: UInt16
        public let crc32: UInt32
        public let compressedSize: Int
        public let uncompressedSize: Int
        let flags: UInt16
        let localHeaderOffset: Int
    }

    public let path: String
    public let entries: [Entry]
    let bytes: [UInt8]

    static let localSignature: UInt32 = 0x0403_4B50
    static let centralSignature: UInt32 = 0x0201_4B50
    static let endSignature: UInt32 = 0x0605_4B50
    static let end64Signature: UInt32 = 0x0606_4B50
    static let end64LocatorSignature: UInt32 = 0x0706_4B50

    /// True when `bytes` start like a zip archive (a local header or an empty archive's end record).
    public static func looksLikeZip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B
            && ((bytes[2] == 3 && bytes[3] == 4) || (bytes[2] == 5 && bytes[3] == 6))
    }

    public init(bytes: [UInt8], path: String) throws {
        self.bytes = bytes
        self.path = path
        let reader = ByteReader(bytes: bytes, path: path)
        let directory = try Self.findDirectory(reader)
        var entries: [Entry] = []
        var offset = directory.offset
        for index in 0..<directory.count {
            let entry = try Self.readCentralEntry(reader, at: &offset, index: index)
            entries.append(entry)
        }
        self.entries = entries
    }

    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// The uncompressed bytes of `entry`, after checking its local header, size and CRC-32.
    public func data(of entry: Entry) throws -> [UInt8] {
        let start = try dataOffset(of: entry)
        let raw = try ByteReader(bytes: bytes, path: path)
            .slice(start, count: entry.compressedSize, reading: "the data of entry \(entry.name)", key: entry.name)
        let content: [UInt8]
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw fail(entry, "stored entry with two sizes", "equal compressed and uncompressed sizes",
                           "\(entry.compressedSize) and \(entry.uncompressedSize)")
            }
            content = Array(raw)
        case 8:
            // Deflate expands at most ~1032×: a larger declared size is a corrupt directory, not a reason to allocate.
            guard entry.uncompressedSize <= 1032 * entry.compressedSize + (1 << 16) else {
                throw fail(entry, "implausible uncompressed size", "at most 1032 × \(entry.compressedSize) bytes", "\(entry.uncompressedSize)")
            }
            do { content = try Zlib.inflateRaw(raw, size: entry.uncompressedSize) } catch {
                switch error {
                case .corrupt(let message):
                    throw fail(entry, "corrupt deflate data", "a valid deflate stream", message)
                case .sizeMismatch(let produced):
                    throw fail(entry, "wrong uncompressed size", "\(entry.uncompressedSize) bytes (central directory)",
                               produced > entry.uncompressedSize ? "more" : "\(produced) bytes")
                }
            }
        default:
            throw fail(entry, "unsupported compression method", "0 (stored) or 8 (deflate)", "method \(entry.method)")
        }
        let crc = Zlib.crc32(content[...])
        guard crc == entry.crc32 else {
            throw fail(entry, "CRC-32 mismatch (corrupted file)", hex(entry.crc32), hex(crc))
        }
        return content
    }

    /// The file offset where `entry`'s (possibly compressed) bytes start.
    func dataOffset(of entry: Entry) throws -> Int {
        let reader = ByteReader(bytes: bytes, path: path)
        let at = entry.localHeaderOffset
        guard try reader.uint32(at: at, reading: "the local header of \(entry.name)") == Self.localSignature else {
            throw fail(entry, "bad local header", "signature 50 4b 03 04 at offset \(at)", "other bytes")
        }
        let nameLength = Int(try reader.uint16(at: at + 26, reading: "a local header"))
        let extraLength = Int(try reader.uint16(at: at + 28, reading: "a local header"))
        let localName = String(decoding: try reader.slice(at + 30, count: nameLength, reading: "a local file name"), as: UTF8.self)
        guard localName == entry.name else {
            throw fail(entry, "local header names another file", "\"\(entry.name)\"", "\"\(localName)\"")
        }
        return at + 30 + nameLength + extraLength
    }

    private func fail(_ entry: Entry, _ problem: String, _ expected: String, _ found: String) -> ModelImportError {
        ModelImportError(path: path, key: entry.name, problem: problem, expected: expected, found: found)
    }

    // MARK: - Central directory

    private struct Directory { var count: Int; var offset: Int }

    /// Locates the central directory through the end record, preferring the ZIP64 end record
    /// when its locator is present (torch.save always writes one).
    private static func findDirectory(_ r: ByteReader) throws -> Directory {
        let n = r.bytes.count
        var end: Int?
        if n >= 22 {
            // The end record is 22 bytes plus a comment of up to 65,535 bytes.
            for at in stride(from: n - 22, through: max(0, n - 22 - 65_535), by: -1)
            where r.bytes[at] == 0x50 && r.bytes[at + 1] == 0x4B && r.bytes[at + 2] == 5 && r.bytes[at + 3] == 6 {
                end = at
                break
            }
        }
        guard let end else {
            throw ModelImportError(path: r.path, problem: "not a complete zip archive",
                                   expected: "an end-of-central-directory record near the end of the file",
                                   found: "none in \(n) bytes (truncated or not a zip file)")
        }
        let disk = try r.uint16(at: end + 4, reading: "the end record")
        let directoryDisk = try r.uint16(at: end + 6, reading: "the end record")
        var count = Int(try r.uint16(at: end + 10, reading: "the end record"))
        var size = UInt64(try r.uint32(at: end + 12, reading: "the end record"))
        var offset = UInt64(try r.uint32(at: end + 16, reading: "the end record"))
        guard disk == 0, directoryDisk == 0 else {
            throw ModelImportError(path: r.path, problem: "multi-disk zip archive", expected: "a single-file archive",
                                   found: "disk \(disk), directory on disk \(directoryDisk)")
        }
        if end >= 20, try r.uint32(at: end - 20, reading: "the ZIP64 locator") == end64LocatorSignature {
            let at = try checkedInt(try r.uint64(at: end - 12, reading: "the ZIP64 locator"), path: r.path, what: "ZIP64 end record offset")
            guard try r.uint32(at: at, reading: "the ZIP64 end record") == end64Signature else {
                throw ModelImportError(path: r.path, problem: "bad ZIP64 end record", expected: "signature 50 4b 06 06 at offset \(at)",
                                       found: "other bytes (truncated or corrupted file)")
            }
            count = try checkedInt(try r.uint64(at: at + 32, reading: "the ZIP64 end record"), path: r.path, what: "entry count")
            size = try r.uint64(at: at + 40, reading: "the ZIP64 end record")
            offset = try r.uint64(at: at + 48, reading: "the ZIP64 end record")
        }
        let start = try checkedInt(offset, path: r.path, what: "central directory offset")
        let length = try checkedInt(size, path: r.path, what: "central directory size")
        _ = try r.slice(start, count: length, reading: "the central directory")
        // Each central entry is at least 46 bytes: a larger count cannot be right.
        guard count <= length / 46 else {
            throw ModelImportError(path: r.path, problem: "corrupt central directory", expected: "at most \(length / 46) entries in \(length) bytes",
                                   found: "\(count) entries")
        }
        return Directory(count: count, offset: start)
    }

    private static func readCentralEntry(_ r: ByteReader, at offset: inout Int, index: Int) throws -> Entry {
        let at = offset
        guard try r.uint32(at: at, reading: "central directory entry \(index)") == centralSignature else {
            throw ModelImportError(path: r.path, problem: "corrupt central directory", expected: "entry \(index) (signature 50 4b 01 02) at offset \(at)",
                                   found: "other bytes")
        }
        let flags = try r.uint16(at: at + 8, reading: "a central entry")
        let method = try r.uint16(at: at + 10, reading: "a central entry")
        let crc = try r.uint32(at: at + 16, reading: "a central entry")
        var compressed = UInt64(try r.uint32(at: at + 20, reading: "a central entry"))
        var uncompressed = UInt64(try r.uint32(at: at + 24, reading: "a central entry"))
        let nameLength = Int(try r.uint16(at: at + 28, reading: "a central entry"))
        let extraLength = Int(try r.uint16(at: at + 30, reading: "a central entry"))
        let commentLength = Int(try r.uint16(at: at + 32, reading: "a central entry"))
        var local = UInt64(try r.uint32(at: at + 42, reading: "a central entry"))
        let name = String(decoding: try r.slice(at + 46, count: nameLength, reading: "a file name"), as: UTF8.self)
        let extra = try r.slice(at + 46 + nameLength, count: extraLength, reading: "an extra field")
        try readZip64Extra(Array(extra), compressed: &compressed, uncompressed: &uncompressed, local: &local, path: r.path, name: name)
        guard flags & 1 == 0 else {
            throw ModelImportError(path: r.path, key: name, problem: "encrypted zip entry", expected: "an unencrypted entry", found: "the encryption flag set")
        }
        offset = at + 46 + nameLength + extraLength + commentLength
        return Entry(name: name, method: method, crc32: crc,
                     compressedSize: try checkedInt(compressed, path: r.path, what: "compressed size of \(name)"),
                     uncompressedSize: try checkedInt(uncompressed, path: r.path, what: "size of \(name)"),
                     flags: flags, localHeaderOffset: try checkedInt(local, path: r.path, what: "local header offset of \(name)"))
    }

    /// The ZIP64 extra field (id 0x0001) holds, in this order, the 64-bit values of exactly
    /// those fields that are 0xFFFFFFFF in the fixed header.
    private static func readZip64Extra(_ extra: [UInt8], compressed: inout UInt64, uncompressed: inout UInt64,
                                       local: inout UInt64, path: String, name: String) throws {
        var i = 0
        while i + 4 <= extra.count {
            let id = littleEndian(extra[i..<(i + 2)]), length = Int(littleEndian(extra[(i + 2)..<(i + 4)]))
            guard i + 4 + length <= extra.count else { break }
            if id == 1 {
                var field = i + 4
                func next() throws -> UInt64 {
                    guard field + 8 <= i + 4 + length else {
                        throw ModelImportError(path: path, key: name, problem: "short ZIP64 extra field",
                                               expected: "a 64-bit value for every saturated size or offset", found: "\(length) bytes")
                    }
                    defer { field += 8 }
                    return littleEndian(extra[field..<(field + 8)])
                }
                if uncompressed == 0xFFFF_FFFF { uncompressed = try next() }
                if compressed == 0xFFFF_FFFF { compressed = try next() }
                if local == 0xFFFF_FFFF { local = try next() }
                return
            }
            i += 4 + length
        }
    }
}

func hex(_ v: UInt32) -> String {
    let digits = String(v, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}
