/// Writes a zip archive in memory, the counterpart of `ZipArchive` (PKWARE APPNOTE 6.3):
/// stored entries only (what `torch.save` writes), CRC-32 from zlib, each entry's data
/// aligned to `alignment` bytes by padding the local header's extra field as PyTorch's
/// writer does (its reader can then map storages in place). ZIP64 fields and end records
/// appear only when an offset, a size or the entry count needs them.
///
///     var zip = ZipWriter()
///     zip.add("archive/data.pkl", pickle)
///     let bytes = zip.finish()
struct ZipWriter {
    /// The extra-field id PyTorch's writer pads with (ASCII "FB").
    static let paddingExtraID: UInt16 = 0x4246
    /// APPNOTE version 4.5: ZIP64.
    private static let zip64Version: UInt16 = 45
    private static let plainVersion: UInt16 = 20
    private static let saturated32: UInt64 = 0xFFFF_FFFF

    let alignment: Int
    /// Sizes and offsets from here on go into ZIP64 fields. 2^32 − 1 as APPNOTE says; tests
    /// lower it to exercise the ZIP64 fields without writing 4 GiB.
    var zip64Threshold: UInt64 = 0xFFFF_FFFF
    private(set) var bytes: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0

    init(alignment: Int = 64) {
        precondition(alignment >= 1, "ZipWriter: alignment \(alignment) < 1")
        self.alignment = alignment
    }

    /// Appends a stored entry. Names are UTF-8 (flag bit 11 set).
    mutating func add(_ name: String, _ data: [UInt8]) {
        let nameBytes = Array(name.utf8)
        precondition(nameBytes.count <= 0xFFFF, "ZipWriter: entry name of \(nameBytes.count) bytes")
        let crc = Zlib.crc32(data[...])
        let offset = UInt64(bytes.count), size = UInt64(data.count)
        let sizeNeeds64 = size >= zip64Threshold
        let offsetNeeds64 = offset >= zip64Threshold

        // Local header: a ZIP64 extra field holds both sizes when they do not fit (APPNOTE 4.5.3).
        var localExtra: [UInt8] = []
        if sizeNeeds64 { Self.put16(1, &localExtra); Self.put16(16, &localExtra); Self.put64(size, &localExtra); Self.put64(size, &localExtra) }
        let unpadded = bytes.count + 30 + nameBytes.count + localExtra.count
        var padding = (alignment - unpadded % alignment) % alignment
        // A padding field needs 4 bytes of its own header: go to the next boundary when it does not fit.
        if padding > 0 && padding < 4 { padding += alignment }
        if padding > 0 {
            Self.put16(Self.paddingExtraID, &localExtra)
            Self.put16(UInt16(padding - 4), &localExtra)
            localExtra += [UInt8](repeating: UInt8(ascii: "Z"), count: padding - 4)
        }
        let version = sizeNeeds64 || offsetNeeds64 ? Self.zip64Version : Self.plainVersion
        Self.put32(ZipArchive.localSignature, &bytes)
        Self.put16(version, &bytes)
        Self.put16(1 << 11, &bytes)      // flags: UTF-8 names
        Self.put16(0, &bytes)            // method: stored
        Self.put16(0, &bytes); Self.put16(0x21, &bytes)   // time 00:00, date 1980-01-01 (reproducible bytes)
        Self.put32(crc, &bytes)
        Self.put32(sizeNeeds64 ? UInt32(Self.saturated32) : UInt32(size), &bytes)
        Self.put32(sizeNeeds64 ? UInt32(Self.saturated32) : UInt32(size), &bytes)
        Self.put16(UInt16(nameBytes.count), &bytes)
        Self.put16(UInt16(localExtra.count), &bytes)
        bytes += nameBytes
        bytes += localExtra
        bytes += data

        // Central entry: the ZIP64 field lists exactly the saturated fields, in APPNOTE order.
        var centralExtra: [UInt8] = []
        if sizeNeeds64 || offsetNeeds64 {
            var values: [UInt64] = []
            if sizeNeeds64 { values += [size, size] }
            if offsetNeeds64 { values.append(offset) }
            Self.put16(1, &centralExtra); Self.put16(UInt16(8 * values.count), &centralExtra)
            for v in values { Self.put64(v, &centralExtra) }
        }
        Self.put32(ZipArchive.centralSignature, &central)
        Self.put16(version, &central)    // made by (MS-DOS attributes)
        Self.put16(version, &central)    // needed to extract
        Self.put16(1 << 11, &central)
        Self.put16(0, &central)
        Self.put16(0, &central); Self.put16(0x21, &central)
        Self.put32(crc, &central)
        Self.put32(sizeNeeds64 ? UInt32(Self.saturated32) : UInt32(size), &central)
        Self.put32(sizeNeeds64 ? UInt32(Self.saturated32) : UInt32(size), &central)
        Self.put16(UInt16(nameBytes.count), &central)
        Self.put16(UInt16(centralExtra.count), &central)
        Self.put16(0, &central)          // comment length
        Self.put16(0, &central)          // disk number
        Self.put16(0, &central)          // internal attributes
        Self.put32(0, &central)          // external attributes
        Self.put32(offsetNeeds64 ? UInt32(Self.saturated32) : UInt32(offset), &central)
        central += nameBytes
        central += centralExtra
        count += 1
    }

    /// The archive: entries, central directory, ZIP64 end records when needed, end record.
    func finish() -> [UInt8] {
        var out = bytes
        let directoryOffset = UInt64(out.count), directorySize = UInt64(central.count)
        out += central
        let needs64 = count >= 0xFFFF || directoryOffset >= zip64Threshold || directorySize >= zip64Threshold
        if needs64 {
            let end64 = UInt64(out.count)
            Self.put32(ZipArchive.end64Signature, &out)
            Self.put64(44, &out)                         // size of the rest of this record
            Self.put16(Self.zip64Version, &out); Self.put16(Self.zip64Version, &out)
            Self.put32(0, &out); Self.put32(0, &out)     // this disk, directory disk
            Self.put64(UInt64(count), &out); Self.put64(UInt64(count), &out)
            Self.put64(directorySize, &out); Self.put64(directoryOffset, &out)
            Self.put32(ZipArchive.end64LocatorSignature, &out)
            Self.put32(0, &out); Self.put64(end64, &out); Self.put32(1, &out)
        }
        Self.put32(ZipArchive.endSignature, &out)
        Self.put16(0, &out); Self.put16(0, &out)
        Self.put16(needs64 ? 0xFFFF : UInt16(count), &out)
        Self.put16(needs64 ? 0xFFFF : UInt16(count), &out)
        Self.put32(needs64 ? UInt32(Self.saturated32) : UInt32(directorySize), &out)
        Self.put32(needs64 ? UInt32(Self.saturated32) : UInt32(directoryOffset), &out)
        Self.put16(0, &out)                              // comment length
        return out
    }

    private static func put16(_ v: UInt16, _ out: inout [UInt8]) { out += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private static func put32(_ v: UInt32, _ out: inout [UInt8]) { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    private static func put64(_ v: UInt64, _ out: inout [UInt8]) { for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
}
