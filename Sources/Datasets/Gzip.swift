import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Files

/// A read-only file descriptor with its size; closed on deinit.
final class InputFile {
    let path: String
    let descriptor: Int32
    let size: Int

    init(_ path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let code = errno
            let reason = String(cString: strerror(code))
            if code == ENOENT {
                throw DatasetError(.missingFile, path: path, problem: "cannot open file",
                                   expected: "an existing file", found: "no such file")
            }
            throw DatasetError(.unreadable, path: path, problem: "cannot open file",
                               expected: "a readable file", found: reason)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw DatasetError(.unreadable, path: path, problem: "cannot stat file",
                               expected: "a readable file", found: reason)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw DatasetError(.unreadable, path: path, problem: "not a regular file",
                               expected: "a regular file", found: "a directory or special file")
        }
        descriptor = fd
        size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns the number read
    /// (less than `count` only at end of file).
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws -> Int {
        var done = 0
        while done < count {
            let n = pread(descriptor, buffer + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw DatasetError(.unreadable, path: path, byteOffset: offset + done,
                                   problem: "read failed", expected: "readable bytes",
                                   found: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Up to `count` bytes starting at `offset`.
    func bytes(at offset: Int, count: Int) throws -> [UInt8] {
        let wanted = max(0, min(count, size - offset))
        var result = [UInt8](repeating: 0, count: wanted)
        let got = try result.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: wanted, at: offset) }
        result.removeLast(wanted - got)
        return result
    }
}

/// How a file's content is stored, judged by its first bytes.
enum Compression: Equatable {
    case none, gzip, zlib

    /// gzip: 1F 8B. zlib: CMF = 78 (deflate, 32 KiB window: what zlib writes by
    /// default), FDICT clear and (CMF·256 + FLG) divisible by 31 (RFC 1950). Smaller
    /// zlib windows (CMF 08…68) are not recognised on purpose: such a first byte is a
    /// valid CIFAR-10 label (08) and "80" can start a CSV, whereas 78 can start none of
    /// the raw formats read here (IDX starts with 00 00, CIFAR-10 with a label < 10,
    /// CSV with a digit).
    init(magic: [UInt8]) {
        if magic.count >= 2, magic[0] == 0x1F, magic[1] == 0x8B {
            self = .gzip
        } else if magic.count >= 2, magic[0] == 0x78, magic[1] & 0x20 == 0,
                  (Int(magic[0]) * 256 + Int(magic[1])) % 31 == 0 {
            self = .zlib
        } else {
            self = .none
        }
    }
}

// MARK: - Reading

/// The content of the file at `path`, decompressed if it is a gzip or zlib stream.
///
/// The format is chosen by the file's first bytes, not by its name: gzip (`1F 8B`),
/// zlib (RFC 1950 header with a 32 KiB window, first byte `78`), otherwise the raw
/// bytes. Compressed files are streamed through zlib in 1 MiB chunks (`inflateInit2_`
/// with window bits `MAX_WBITS + 32`); concatenated gzip members are read one after
/// another, as `gzip -d` does.
///
/// - Throws: `DatasetError` naming the file: `.missingFile` / `.unreadable` if it
///   cannot be read, `.corruptCompression` (with the compressed byte offset) if the
///   stream is corrupt, fails its CRC check, ends early or is followed by other data.
public func readMaybeGzip(_ path: String) throws -> [UInt8] {
    try readMaybeGzip(path, prefix: nil)
}

/// Like `readMaybeGzip(_:)` but, if `prefix` is given, stops once at least that many
/// decompressed bytes are available and returns only those (used to read headers).
func readMaybeGzip(_ path: String, prefix: Int?) throws -> [UInt8] {
    let file = try InputFile(path)
    let compression = Compression(magic: try file.bytes(at: 0, count: 2))
    if compression == .none {
        return try file.bytes(at: 0, count: prefix ?? file.size)
    }
    return try inflateFile(file, compression: compression, prefix: prefix)
}

private let inputChunkSize = 1 << 20

private func inflateFile(_ file: InputFile, compression: Compression, prefix: Int?) throws -> [UInt8] {
    // Size hint: gzip's trailer holds the uncompressed size mod 2^32 (of the last
    // member). Only a hint: the output grows if it is wrong, and it is capped so a
    // corrupt trailer cannot demand absurd memory (deflate expands at most ~1032×).
    var capacity = max(4 * file.size, 1 << 16)
    if compression == .gzip, file.size >= 18 {
        let trailer = try file.bytes(at: file.size - 4, count: 4)
        let isize = Int(trailer[0]) | Int(trailer[1]) << 8 | Int(trailer[2]) << 16 | Int(trailer[3]) << 24
        if isize > 0 { capacity = min(isize, 1032 * file.size + (1 << 16)) }
    }
    if let prefix { capacity = min(capacity, max(prefix, 1)) }

    var stream = z_stream()
    let initCode = inflateInit2_(&stream, MAX_WBITS + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    guard initCode == Z_OK else {
        throw DatasetError(.unreadable, path: file.path, problem: "zlib inflateInit2_ failed",
                           expected: "Z_OK", found: "code \(initCode)")
    }
    defer { inflateEnd(&stream) }

    let input = UnsafeMutablePointer<UInt8>.allocate(capacity: inputChunkSize)
    defer { input.deallocate() }

    var output = [UInt8](repeating: 0, count: capacity)
    var produced = 0
    var fileOffset = 0          // bytes of the file handed to zlib so far
    var streamEnded = false     // the current member has reached Z_STREAM_END

    /// File offset of the next byte zlib will read (for error messages).
    func position(_ s: z_stream) -> Int { fileOffset - Int(s.avail_in) }

    var endOfFile = false
    reading: while true {
        if let prefix, produced >= prefix { break reading }
        if stream.avail_in == 0, !endOfFile {
            let n = try file.read(into: input, count: min(inputChunkSize, file.size - fileOffset), at: fileOffset)
            fileOffset += n
            stream.next_in = input
            stream.avail_in = UInt32(n)
            endOfFile = n == 0
        }
        if streamEnded {
            if stream.avail_in == 0, endOfFile { break reading }
            // More input after a complete member: another gzip member, or an error.
            if compression == .gzip, stream.avail_in >= 1, stream.next_in[0] == 0x1F {
                inflateReset(&stream)
                streamEnded = false
            } else {
                throw DatasetError(.corruptCompression, path: file.path, byteOffset: position(stream),
                                   problem: "unexpected data after the end of the compressed stream",
                                   expected: "end of file or another gzip member",
                                   found: "\(file.size - position(stream)) more bytes")
            }
        }
        if produced == output.count {
            output.append(contentsOf: repeatElement(0, count: max(output.count, 1 << 16)))
        }
        var roomLeft = 0
        let code = output.withUnsafeMutableBufferPointer { out -> Int32 in
            let room = min(out.count - produced, Int(UInt32.max))
            stream.next_out = out.baseAddress! + produced
            stream.avail_out = UInt32(room)
            let code = inflate(&stream, Z_NO_FLUSH)
            produced += room - Int(stream.avail_out)
            roomLeft = Int(stream.avail_out)
            return code
        }
        switch code {
        case Z_OK:
            continue
        case Z_BUF_ERROR:
            // No progress: either the output is full (grow and go on) or the input
            // is exhausted (read more, or the stream is truncated).
            if roomLeft > 0, stream.avail_in == 0, endOfFile { break reading }
            continue
        case Z_STREAM_END:
            streamEnded = true
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "zlib error code \(code)"
            throw DatasetError(.corruptCompression, path: file.path, byteOffset: position(stream),
                               problem: "corrupt \(compression == .gzip ? "gzip" : "zlib") stream",
                               expected: "valid deflate data with a matching checksum",
                               found: message)
        }
    }
    if let prefix, produced >= prefix {
        output.removeLast(output.count - prefix)
        return output
    }
    guard streamEnded else {
        throw DatasetError(.corruptCompression, path: file.path, byteOffset: file.size,
                           problem: "compressed stream ends early",
                           expected: "the end of the deflate stream and its checksum trailer",
                           found: "end of file after \(produced) decompressed bytes")
    }
    output.removeLast(output.count - produced)
    return output
}

// MARK: - Writing

/// Compresses `bytes` into a single gzip member (zlib `deflateInit2_` with window bits
/// `MAX_WBITS + 16`, default level). Used to write gzip fixtures in tests.
public func gzipCompress(_ bytes: [UInt8]) throws -> [UInt8] {
    var stream = z_stream()
    let initCode = deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, MAX_WBITS + 16, 8,
                                 Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    guard initCode == Z_OK else {
        throw DatasetError(.unreadable, path: "<memory>", problem: "zlib deflateInit2_ failed",
                           expected: "Z_OK", found: "code \(initCode)")
    }
    defer { deflateEnd(&stream) }
    let bound = Int(deflateBound(&stream, UInt(bytes.count))) + 64
    var output = [UInt8](repeating: 0, count: bound)
    let (code, written) = bytes.withUnsafeBufferPointer { inp in
        output.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
            stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
            stream.avail_in = UInt32(inp.count)
            stream.next_out = out.baseAddress
            stream.avail_out = UInt32(out.count)
            let code = deflate(&stream, Z_FINISH)
            return (code, out.count - Int(stream.avail_out))
        }
    }
    guard code == Z_STREAM_END else {
        throw DatasetError(.corruptCompression, path: "<memory>", problem: "zlib deflate did not finish",
                           expected: "Z_STREAM_END", found: "code \(code)")
    }
    output.removeLast(output.count - written)
    return output
}
