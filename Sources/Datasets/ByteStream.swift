import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A forward-only source of bytes: what `TarReader` reads an archive from, so that a
/// 170 MB `.tar.gz` is extracted without holding it in memory.
public protocol ByteStream: AnyObject {
    /// The file the bytes come from (for error messages).
    var path: String { get }
    /// Reads up to `buffer.count` bytes; returns 0 only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// The bytes of a file, raw.
public final class FileByteStream: ByteStream {
    private let file: InputFile
    private var offset = 0
    public var path: String { file.path }

    /// Opens `path`. - Throws: `DatasetError` (`.missingFile`, `.unreadable`).
    public init(path: String) throws { file = try InputFile(path) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try file.read(into: buffer.baseAddress!, count: min(buffer.count, file.size - offset), at: offset)
        offset += n
        return n
    }
}

/// The decompressed bytes of a gzip (or zlib) file, inflated chunk by chunk.
///
/// Concatenated gzip members are read one after another, as `gzip -d` does.
/// - Throws (from `read`): `.corruptCompression` with the compressed byte offset if the
///   stream is corrupt, fails its CRC, or ends before its trailer.
public final class GzipByteStream: ByteStream {
    private let file: InputFile
    private var stream = z_stream()
    private let input: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 1 << 20
    private var fileOffset = 0
    private var memberEnded = false
    private var finished = false
    public var path: String { file.path }

    /// Opens `path` for inflating. - Throws: `DatasetError` if it cannot be opened.
    public init(path: String) throws {
        file = try InputFile(path)
        input = .allocate(capacity: inputCapacity)
        // Window bits MAX_WBITS + 32: zlib detects a gzip or zlib header itself.
        let code = inflateInit2_(&stream, MAX_WBITS + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard code == Z_OK else {
            input.deallocate()
            throw DatasetError(.unreadable, path: path, problem: "zlib inflateInit2_ failed", expected: "Z_OK", found: "code \(code)")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    private var compressedPosition: Int { fileOffset - Int(stream.avail_in) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        let room = min(buffer.count, Int(UInt32.max))
        while true {
            if stream.avail_in == 0 {
                let n = try file.read(into: input, count: min(inputCapacity, file.size - fileOffset), at: fileOffset)
                fileOffset += n
                stream.next_in = input
                stream.avail_in = UInt32(n)
                if n == 0 {
                    if memberEnded { finished = true; return 0 }
                    throw DatasetError(.corruptCompression, path: path, byteOffset: file.size,
                                       problem: "compressed stream ends early",
                                       expected: "the end of the deflate stream and its checksum trailer",
                                       found: "end of file")
                }
            }
            if memberEnded {
                // More input after a complete member: another gzip member, or an error.
                guard stream.next_in[0] == 0x1F else {
                    throw DatasetError(.corruptCompression, path: path, byteOffset: compressedPosition,
                                       problem: "unexpected data after the end of the compressed stream",
                                       expected: "end of file or another gzip member",
                                       found: "\(file.size - compressedPosition) more bytes")
                }
                inflateReset(&stream)
                memberEnded = false
            }
            stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = UInt32(room)
            let code = inflate(&stream, Z_NO_FLUSH)
            let produced = room - Int(stream.avail_out)
            switch code {
            case Z_OK, Z_BUF_ERROR:
                break
            case Z_STREAM_END:
                memberEnded = true
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error code \(code)"
                throw DatasetError(.corruptCompression, path: path, byteOffset: compressedPosition,
                                   problem: "corrupt compressed stream",
                                   expected: "valid deflate data with a matching checksum", found: message)
            }
            if produced > 0 { return produced }
        }
    }
}
