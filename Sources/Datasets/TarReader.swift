/// One member of a tar archive.
public struct TarEntry: Sendable, Equatable {
    /// What a member is, from its type flag.
    public enum Kind: Sendable, Equatable {
        /// A regular file (type `0`, NUL, or `7` contiguous).
        case file
        /// A directory (type `5`).
        case directory
        /// A symbolic (`2`) or hard (`1`) link; never followed when extracting.
        case link
        /// Anything else (devices, FIFOs, unknown flags), with its type flag.
        case other(UInt8)
    }

    /// The member's path inside the archive (pax `path`, GNU long name, or ustar prefix + name).
    public let name: String
    /// Its kind.
    public let kind: Kind
    /// Its data size in bytes.
    public let size: Int
    /// Offset of its header block in the (decompressed) archive.
    public let headerOffset: Int
}

/// Reads a tar archive (POSIX ustar and pax, GNU tar, and the old v7 layout) from a
/// `ByteStream`, one member at a time, without seeking.
///
/// The layout: 512-byte header blocks (name at 0, size in octal at 124 or GNU base-256,
/// header checksum at 148, type flag at 156, `ustar` magic at 257, path prefix at 345),
/// each followed by the member's data padded to a multiple of 512; two zero blocks end
/// the archive. Type `x` (pax) headers may override the next member's `path` and `size`,
/// type `L` (GNU) its name; `g` (pax global) headers are skipped.
///
///     let tar = TarReader(try GzipByteStream(path: archive))
///     while let entry = try tar.next() {
///         try tar.readData { chunk in … }     // optional: unread data is skipped
///     }
public final class TarReader {
    public static let blockSize = 512
    private let source: ByteStream
    /// Archive bytes consumed so far.
    private var position = 0
    /// Data bytes of the current member not yet read, and its padding.
    private var remaining = 0
    private var padding = 0
    private var scratch = [UInt8](repeating: 0, count: 1 << 16)

    public init(_ source: ByteStream) { self.source = source }

    /// The next member, after skipping what is left of the current one; nil at the
    /// end-of-archive marker (or at a clean end of the stream on a block boundary).
    ///
    /// - Throws: `DatasetError` naming the archive and the header's offset: `.wrongMagic`
    ///   for a header whose checksum does not match, `.badValue` for an unreadable size
    ///   field, `.wrongSize` for an archive that ends inside a header or member.
    public func next() throws -> TarEntry? {
        try skipRest()
        var longName: String?
        var paxPath: String?
        var paxSize: Int?
        while true {
            let headerOffset = position
            guard let header = try readHeaderBlock() else { return nil }
            if header.allSatisfy({ $0 == 0 }) {
                // End of archive: a second zero block normally follows; a missing one is tolerated.
                _ = try readHeaderBlock()
                return nil
            }
            try checkHeaderChecksum(header, at: headerOffset)
            let type = header[156]
            let size = try parseSize(header, at: headerOffset)
            remaining = size
            padding = (TarReader.blockSize - size % TarReader.blockSize) % TarReader.blockSize
            switch type {
            case UInt8(ascii: "L"):
                longName = cString(try readAll(size, headerOffset: headerOffset))
            case UInt8(ascii: "x"):
                let records = try parsePax(try readAll(size, headerOffset: headerOffset), at: headerOffset)
                if let path = records["path"] { paxPath = path }
                if let text = records["size"] {
                    guard let value = Int(text), value >= 0 else {
                        throw DatasetError(.badValue, path: source.path, byteOffset: headerOffset, problem: "bad pax size record",
                                           expected: "a non-negative decimal size", found: "\"\(text)\"")
                    }
                    paxSize = value
                }
            case UInt8(ascii: "g"):
                try skipRest()
            default:
                if let paxSize {
                    remaining = paxSize
                    padding = (TarReader.blockSize - paxSize % TarReader.blockSize) % TarReader.blockSize
                }
                let kind: TarEntry.Kind
                switch type {
                case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .file
                case UInt8(ascii: "5"): kind = .directory
                case UInt8(ascii: "1"), UInt8(ascii: "2"): kind = .link
                default: kind = .other(type)
                }
                // Links and directories carry no data even if a size is recorded.
                if kind == .link || kind == .directory { remaining = 0; padding = 0 }
                return TarEntry(name: paxPath ?? longName ?? ustarName(header), kind: kind,
                                size: remaining, headerOffset: headerOffset)
            }
        }
    }

    /// Streams the current member's data to `body` in chunks of at most 64 KiB.
    ///
    /// - Throws: `.wrongSize` if the archive ends before the member's data does, and
    ///   whatever `body` throws.
    public func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let entryStart = position
        while remaining > 0 {
            let wanted = min(remaining, scratch.count)
            let got = try scratch.withUnsafeMutableBytes { try fill(UnsafeMutableRawBufferPointer(rebasing: $0[..<wanted])) }
            guard got == wanted else {
                throw DatasetError(.wrongSize, path: source.path, byteOffset: position, problem: "tar archive ends inside a member",
                                   expected: "\(remaining) more data bytes (member data from byte \(entryStart))", found: "end of archive")
            }
            remaining -= got
            try scratch.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<got])) }
        }
        try skipPadding()
    }

    // MARK: - Blocks

    private func skipRest() throws {
        if remaining > 0 { try readData { _ in } } else { try skipPadding() }
    }

    private func skipPadding() throws {
        guard padding > 0 else { return }
        let count = padding
        let got = try scratch.withUnsafeMutableBytes { try fill(UnsafeMutableRawBufferPointer(rebasing: $0[..<count])) }
        guard got == count else {
            throw DatasetError(.wrongSize, path: source.path, byteOffset: position, problem: "tar archive ends inside a member's padding",
                               expected: "\(count) padding bytes", found: "end of archive")
        }
        padding = 0
    }

    /// Reads exactly `buffer.count` bytes unless the stream ends first; returns the count read.
    private func fill(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            if n == 0 { break }
            done += n
        }
        position += done
        return done
    }

    /// The next 512-byte block, or nil at a clean end of the stream.
    private func readHeaderBlock() throws -> [UInt8]? {
        var block = [UInt8](repeating: 0, count: TarReader.blockSize)
        let start = position
        let got = try block.withUnsafeMutableBytes { try fill($0) }
        if got == 0 { return nil }
        guard got == TarReader.blockSize else {
            throw DatasetError(.wrongSize, path: source.path, byteOffset: start, problem: "tar archive ends inside a header block",
                               expected: "512 header bytes", found: "\(got) bytes")
        }
        return block
    }

    /// The whole data of the current (small, metadata) member.
    private func readAll(_ size: Int, headerOffset: Int) throws -> [UInt8] {
        guard size <= 1 << 20 else {
            throw DatasetError(.wrongSize, path: source.path, byteOffset: headerOffset, problem: "tar metadata member too large",
                               expected: "at most 1 MiB of pax or long-name data", found: "\(size) bytes")
        }
        var bytes = [UInt8]()
        try readData { bytes.append(contentsOf: $0) }
        return bytes
    }

    // MARK: - Header fields

    /// The sum of the header's bytes with the checksum field read as spaces; tar writers
    /// differ on signed vs unsigned bytes, so both are accepted.
    private func checkHeaderChecksum(_ header: [UInt8], at offset: Int) throws {
        var unsigned = 0, signed = 0
        for (i, byte) in header.enumerated() {
            let value = (148..<156).contains(i) ? 0x20 : byte
            unsigned += Int(value)
            signed += Int(Int8(bitPattern: value))
        }
        let stored = octal(header[148..<156])
        guard let stored, stored == unsigned || stored == signed else {
            throw DatasetError(.wrongMagic, path: source.path, byteOffset: offset, problem: "tar header checksum mismatch",
                               expected: "a header checksum of \(unsigned) (a tar header block)",
                               found: stored.map { "\($0)" } ?? "an unreadable checksum field")
        }
    }

    /// The size field: octal digits, or GNU's base-256 (high bit of the first byte set).
    private func parseSize(_ header: [UInt8], at offset: Int) throws -> Int {
        let field = header[124..<136]
        if field.first! & 0x80 != 0 {
            var value = Int(field.first! & 0x7F)
            for byte in field.dropFirst() {
                guard value <= (Int.max >> 8) else { break }
                value = value << 8 | Int(byte)
            }
            return value
        }
        guard let value = octal(field) else {
            throw DatasetError(.badValue, path: source.path, byteOffset: offset + 124, problem: "unreadable tar size field",
                               expected: "octal digits", found: "\(Array(field))")
        }
        return value
    }

    /// An octal number padded with spaces or NULs; nil if it holds anything else.
    private func octal(_ field: ArraySlice<UInt8>) -> Int? {
        var value = 0, digits = 0
        for byte in field {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard value <= (Int.max >> 3) else { return nil }
                value = value << 3 | Int(byte - UInt8(ascii: "0"))
                digits += 1
            case 0, UInt8(ascii: " "):
                if digits > 0 { return value }
            default:
                return nil
            }
        }
        return digits > 0 ? value : nil
    }

    /// ustar's prefix + "/" + name; the prefix only with the POSIX magic (`ustar\0`):
    /// GNU's `ustar  \0` headers keep other fields there.
    private func ustarName(_ header: [UInt8]) -> String {
        let name = cString(header[0..<100])
        let isPOSIX = Array(header[257..<263]) == Array("ustar\0".utf8)
        let prefix = isPOSIX ? cString(header[345..<500]) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    private func cString(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// pax records: "LENGTH KEY=VALUE\n", LENGTH counting the whole record.
    private func parsePax(_ bytes: [UInt8], at offset: Int) throws -> [String: String] {
        var records = [String: String]()
        var i = 0
        while i < bytes.count {
            guard let space = bytes[i...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: bytes[i..<space], as: UTF8.self)),
                  length > space - i, i + length <= bytes.count, bytes[i + length - 1] == UInt8(ascii: "\n"),
                  let equals = bytes[(space + 1)..<(i + length)].firstIndex(of: UInt8(ascii: "=")) else {
                throw DatasetError(.badValue, path: source.path, byteOffset: offset, problem: "malformed pax extended header",
                                   expected: "records \"LENGTH KEY=VALUE\\n\"", found: "a bad record at byte \(i) of the header data")
            }
            let key = String(decoding: bytes[(space + 1)..<equals], as: UTF8.self)
            records[key] = String(decoding: bytes[(equals + 1)..<(i + length - 1)], as: UTF8.self)
            i += length
        }
        return records
    }
}
