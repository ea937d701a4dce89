import Foundation
import Datasets

// Archives in the exact formats the data sets are published in, written from the format
// descriptions (not with the library): gzip-compressed IDX files (MNIST, Fashion-MNIST)
// and a gzip-compressed tar of CIFAR-10's binary batches under cifar-10-batches-bin/.

/// One member of a test tar archive.
struct TarMember {
    enum Kind { case file, directory, symlink(String) }
    var name: String
    var kind: Kind = .file
    var data: [UInt8] = []
    /// How a name longer than ustar's 100 bytes is stored.
    var longName: LongName = .ustarPrefix

    enum LongName { case ustarPrefix, gnuLongLink, pax }
}

/// A tar archive: POSIX ustar headers (name 0, mode 100, uid 108, gid 116, size 124 in
/// octal, mtime 136, checksum 148, type flag 156, link name 157, magic "ustar\0" + "00" at
/// 257, uname 265, gname 297, prefix 345), data padded to 512, two zero blocks at the end.
/// GNU long names use a `././@LongLink` member of type `L`; pax a type `x` member with a
/// `path` record.
func tarArchive(_ members: [TarMember], endBlocks: Int = 2) -> [UInt8] {
    var out = [UInt8]()
    func pad(_ bytes: inout [UInt8]) {
        let extra = (512 - bytes.count % 512) % 512
        bytes += [UInt8](repeating: 0, count: extra)
    }
    func header(name: String, prefix: String = "", size: Int, type: UInt8, link: String = "", gnu: Bool = false) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            let bytes = Array(text.utf8.prefix(width))
            h.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            put(String(repeating: "0", count: max(0, width - 1 - String(value, radix: 8).count)) + String(value, radix: 8), at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(type == UInt8(ascii: "5") ? 0o755 : 0o644, at: 100, width: 8)
        octal(1000, at: 108, width: 8)
        octal(1000, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(1_234_567_890, at: 136, width: 12)
        h[156] = type
        put(link, at: 157, width: 100)
        if gnu {
            put("ustar  ", at: 257, width: 8)        // GNU magic "ustar  \0"
        } else {
            put("ustar", at: 257, width: 6)          // "ustar\0"
            put("00", at: 263, width: 2)
        }
        put("user", at: 265, width: 32)
        put("group", at: 297, width: 32)
        if !prefix.isEmpty { put(prefix, at: 345, width: 155) }
        // Checksum: the unsigned byte sum with the field itself read as eight spaces,
        // stored as six octal digits, NUL, space.
        for i in 148..<156 { h[i] = 0x20 }
        let sum = h.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: 6 - digits.count) + digits, at: 148, width: 6)
        h[154] = 0
        h[155] = 0x20
        return h
    }
    for member in members {
        let type: UInt8
        var link = ""
        switch member.kind {
        case .file: type = UInt8(ascii: "0")
        case .directory: type = UInt8(ascii: "5")
        case let .symlink(target): type = UInt8(ascii: "2"); link = target
        }
        let size = type == UInt8(ascii: "0") ? member.data.count : 0
        var name = member.name
        var prefix = ""
        if Array(name.utf8).count > 100 {
            switch member.longName {
            case .ustarPrefix:
                let cut = name.lastIndex(of: "/")!
                prefix = String(name[..<cut])
                name = String(name[name.index(after: cut)...])
            case .gnuLongLink:
                var data = Array(member.name.utf8) + [0]
                out += header(name: "././@LongLink", size: data.count, type: UInt8(ascii: "L"), gnu: true)
                pad(&data)
                out += data
                name = String(member.name.prefix(100))
            case .pax:
                let record = { (key: String, value: String) -> String in
                    // "LENGTH KEY=VALUE\n", LENGTH counting itself.
                    let body = " \(key)=\(value)\n"
                    var length = body.utf8.count + 1
                    while String(length).count + body.utf8.count != length { length += 1 }
                    return "\(length)\(body)"
                }
                var data = Array(record("path", member.name).utf8)
                out += header(name: "PaxHeaders/x", size: data.count, type: UInt8(ascii: "x"))
                pad(&data)
                out += data
                name = "truncated-name-in-ustar-field"
            }
        }
        out += header(name: name, prefix: prefix, size: size, type: type, link: link)
        var data = size > 0 ? member.data : []
        pad(&data)
        out += data
    }
    out += [UInt8](repeating: 0, count: 512 * endBlocks)
    return out
}

/// The files of a small MNIST-format data set, each gzip-compressed IDX, by name.
func idxArchiveFiles(trainCount: Int = 12, testCount: Int = 5, salt: Int = 0) throws -> [String: [UInt8]] {
    var trainPixels = syntheticImages(first: salt, count: trainCount)
    trainPixels[0] = UInt8(salt % 256)
    return [
        "train-images-idx3-ubyte.gz": try gzipCompress(idxImagesFile(count: trainCount, rows: 28, columns: 28, pixels: trainPixels)),
        "train-labels-idx1-ubyte.gz": try gzipCompress(idxLabelsFile((0..<trainCount).map { UInt8(($0 + salt) % 10) })),
        "t10k-images-idx3-ubyte.gz": try gzipCompress(idxImagesFile(count: testCount, rows: 28, columns: 28,
                                                                    pixels: syntheticImages(first: 500 + salt, count: testCount))),
        "t10k-labels-idx1-ubyte.gz": try gzipCompress(idxLabelsFile((0..<testCount).map { UInt8(($0 + 7) % 10) })),
    ]
}

/// `cifar-10-binary.tar.gz` as published: a gzip'd tar holding cifar-10-batches-bin/ with
/// batches.meta.txt, data_batch_1…5.bin, test_batch.bin and readme.html.
func cifarArchive(recordsPerBatch: Int = 2, testRecords: Int = 3) throws -> [UInt8] {
    var members = [TarMember(name: "cifar-10-batches-bin/", kind: .directory)]
    members.append(TarMember(name: "cifar-10-batches-bin/batches.meta.txt", data: Array("airplane\nautomobile\n".utf8)))
    for b in 1...5 {
        members.append(TarMember(name: "cifar-10-batches-bin/data_batch_\(b).bin",
                                 data: cifarBatch(batch: b, labels: cifarLabels(batch: b, records: recordsPerBatch))))
    }
    members.append(TarMember(name: "cifar-10-batches-bin/test_batch.bin", data: cifarBatch(batch: 6, labels: cifarLabels(batch: 6, records: testRecords))))
    members.append(TarMember(name: "cifar-10-batches-bin/readme.html", data: Array("<html></html>".utf8)))
    return try gzipCompress(tarArchive(members))
}

/// The catalog's source for `dataset`, served from `mirrors` with checksums of `files`.
func testSource(_ dataset: DatasetName, files: [String: [UInt8]], mirrors: [URL]) -> DatasetSource {
    let base = DatasetCatalog.source(for: dataset)!
    return base.withMirrors(mirrors).withChecksums(files.mapValues { MD5.digest($0).hexString })
}
