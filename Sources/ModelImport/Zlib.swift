import CZlib

/// The two zlib services a zip reader needs: raw deflate (zip's method 8, no zlib/gzip
/// wrapper) and CRC-32. zlib's CRC is used rather than NeuralCore's table loop because
/// whole weight files pass through it.
enum Zlib {
    enum InflateFailure: Error {
        case corrupt(String)
        case sizeMismatch(produced: Int)
    }

    /// Inflates a raw deflate stream that must decode to exactly `size` bytes.
    static func inflateRaw(_ input: ArraySlice<UInt8>, size: Int) throws(InflateFailure) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("zlib inflateInit2_ failed")
        }
        defer { inflateEnd(&stream) }
        // One spare byte: a stream that decodes to more than `size` fills it instead of stopping silently.
        var output = [UInt8](repeating: 0, count: size + 1)
        var code: Int32 = Z_OK
        input.withUnsafeBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                var offsetIn = 0
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(min(out.count, Int(UInt32.max)))
                while true {
                    if stream.avail_in == 0, offsetIn < inp.count {
                        let n = min(inp.count - offsetIn, Int(UInt32.max))
                        stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress! + offsetIn)
                        stream.avail_in = UInt32(n)
                        offsetIn += n
                    }
                    code = inflate(&stream, Z_NO_FLUSH)
                    if code != Z_OK { break }
                    if stream.avail_in == 0, offsetIn == inp.count { code = Z_BUF_ERROR; break }
                    if stream.avail_out == 0 { break }
                }
            }
        }
        let produced = Int(stream.total_out)
        guard code == Z_STREAM_END else {
            if code == Z_BUF_ERROR || code == Z_OK {
                throw produced > size ? .sizeMismatch(produced: produced) : .corrupt("deflate stream ends early after \(produced) bytes")
            }
            throw .corrupt(stream.msg.map { String(cString: $0) } ?? "zlib error \(code)")
        }
        guard produced == size else { throw .sizeMismatch(produced: produced) }
        output.removeLast()
        return output
    }

    /// CRC-32 (IEEE, as zip and zlib define it) of `bytes`.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            var crc: UInt = CZlib.crc32(0, nil, 0)
            var offset = 0
            while offset < buffer.count {
                let n = min(buffer.count - offset, 1 << 30)
                crc = CZlib.crc32(crc, buffer.baseAddress! + offset, UInt32(n))
                offset += n
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }
}
