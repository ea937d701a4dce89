/// MD5 (RFC 1321), streaming.
///
/// Only here because the data sets publish MD5 checksums (the MNIST, Fashion-MNIST and
/// CIFAR-10 pages, and torchvision's lists): it verifies downloads against them, not
/// against an adversary. Tested against RFC 1321's appendix A.5 vectors.
///
///     var md5 = MD5()
///     md5.update(bytes)
///     let hex = md5.finalize().hexString    // 32 lowercase hex digits
public struct MD5: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476)
    /// Bytes of an unfinished 64-byte block.
    private var pending = [UInt8]()
    /// Total message length in bytes.
    private var length: UInt64 = 0

    public init() { pending.reserveCapacity(64) }

    /// The digest of `bytes`.
    public static func digest(_ bytes: some Collection<UInt8>) -> MD5Digest {
        var md5 = MD5()
        md5.update(Array(bytes))
        return md5.finalize()
    }

    /// Appends `bytes` to the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Appends the bytes of `buffer` to the message.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        length &+= UInt64(buffer.count)
        var offset = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, buffer.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            offset = take
            if pending.count == 64 {
                pending.withUnsafeBytes { compress($0.baseAddress!) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        while buffer.count - offset >= 64 {
            compress(base + offset)
            offset += 64
        }
        if offset < buffer.count {
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base + offset, count: buffer.count - offset))
        }
    }

    /// Pads the message (RFC 1321 §3.1–3.2) and returns its digest.
    public consuming func finalize() -> MD5Digest {
        let bitLength = length &* 8
        var tail = pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for shift in stride(from: 0, to: 64, by: 8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        tail.withUnsafeBytes { raw in
            for block in stride(from: 0, to: raw.count, by: 64) { compress(raw.baseAddress! + block) }
        }
        var bytes = [UInt8]()
        for word in [state.0, state.1, state.2, state.3] {
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return MD5Digest(bytes: bytes)
    }

    /// Per-step left-rotation amounts (RFC 1321 §3.4).
    private static let shifts: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                           5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                                           4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                           6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]

    /// T[i] = ⌊2^32 · |sin(i + 1)|⌋ (RFC 1321 §3.4), written out rather than computed
    /// so the table does not depend on the platform's `sin`.
    private static let sines: [UInt32] = [
        0xD76A_A478, 0xE8C7_B756, 0x2420_70DB, 0xC1BD_CEEE, 0xF57C_0FAF, 0x4787_C62A, 0xA830_4613, 0xFD46_9501,
        0x6980_98D8, 0x8B44_F7AF, 0xFFFF_5BB1, 0x895C_D7BE, 0x6B90_1122, 0xFD98_7193, 0xA679_438E, 0x49B4_0821,
        0xF61E_2562, 0xC040_B340, 0x265E_5A51, 0xE9B6_C7AA, 0xD62F_105D, 0x0244_1453, 0xD8A1_E681, 0xE7D3_FBC8,
        0x21E1_CDE6, 0xC337_07D6, 0xF4D5_0D87, 0x455A_14ED, 0xA9E3_E905, 0xFCEF_A3F8, 0x676F_02D9, 0x8D2A_4C8A,
        0xFFFA_3942, 0x8771_F681, 0x6D9D_6122, 0xFDE5_380C, 0xA4BE_EA44, 0x4BDE_CFA9, 0xF6BB_4B60, 0xBEBF_BC70,
        0x289B_7EC6, 0xEAA1_27FA, 0xD4EF_3085, 0x0488_1D05, 0xD9D4_D039, 0xE6DB_99E5, 0x1FA2_7CF8, 0xC4AC_5665,
        0xF429_2244, 0x432A_FF97, 0xAB94_23A7, 0xFC93_A039, 0x655B_59C3, 0x8F0C_CC92, 0xFFEF_F47D, 0x8584_5DD1,
        0x6FA8_7E4F, 0xFE2C_E6E0, 0xA301_4314, 0x4E08_11A1, 0xF753_7E82, 0xBD3A_F235, 0x2AD7_D2BB, 0xEB86_D391,
    ]

    /// One 64-byte block (RFC 1321 §3.4), message words little-endian.
    private mutating func compress(_ block: UnsafeRawPointer) {
        var (a, b, c, d) = state
        MD5.sines.withUnsafeBufferPointer { sines in
            MD5.shifts.withUnsafeBufferPointer { shifts in
                for i in 0..<64 {
                    var f: UInt32
                    let g: Int
                    switch i {
                    case 0..<16: f = (b & c) | (~b & d); g = i
                    case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) & 15
                    case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) & 15
                    default: f = c ^ (b | ~d); g = (7 * i) & 15
                    }
                    let word = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4 * g, as: UInt32.self))
                    f = f &+ a &+ sines[i] &+ word
                    a = d; d = c; c = b
                    let s = shifts[i]
                    b = b &+ (f << s | f >> (32 - s))
                }
            }
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}

/// A 16-byte MD5 digest.
public struct MD5Digest: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The 16 digest bytes.
    public let bytes: [UInt8]

    /// 32 lowercase hex digits, the form checksums are published in.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hexString }
}

/// The MD5 of the file at `path`, read in 1 MiB chunks.
///
/// - Throws: `DatasetError` (`.missingFile`, `.unreadable`) naming the file.
public func md5OfFile(_ path: String) throws -> MD5Digest {
    let file = try InputFile(path)
    var md5 = MD5()
    let chunk = 1 << 20
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
    defer { buffer.deallocate() }
    var offset = 0
    while offset < file.size {
        let n = try file.read(into: buffer, count: min(chunk, file.size - offset), at: offset)
        if n == 0 { break }
        md5.update(UnsafeRawBufferPointer(start: buffer, count: n))
        offset += n
    }
    return md5.finalize()
}
