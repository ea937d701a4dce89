import Foundation
import Testing
import Datasets

/// A `ByteStream` over bytes in memory, handing them out in small pieces so that the
/// reader's block assembly is exercised.
final class MemoryByteStream: ByteStream {
    let bytes: [UInt8]
    let piece: Int
    var offset = 0
    let path = "memory.tar"
    init(_ bytes: [UInt8], piece: Int = 97) { self.bytes = bytes; self.piece = piece }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, piece, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }
}

/// Every member of `tar` with its data (nil for members whose data was skipped).
func readAll(_ tar: TarReader, readingData: (TarEntry) -> Bool = { _ in true }) throws -> [(TarEntry, [UInt8]?)] {
    var result = [(TarEntry, [UInt8]?)]()
    while let entry = try tar.next() {
        if readingData(entry) {
            var data = [UInt8]()
            try tar.readData { data += $0 }
            result.append((entry, data))
        } else {
            result.append((entry, nil))
        }
    }
    return result
}

@Suite("Tar reader")
struct TarReaderTests {
    let longName = "cifar-10-batches-bin/" + String(repeating: "d", count: 90) + "/" + String(repeating: "f", count: 40) + ".bin"

    @Test func readsUstarMembersNamesSizesAndData() throws {
        let payload = (0..<1500).map { UInt8($0 % 251) }
        let archive = tarArchive([
            TarMember(name: "dir/", kind: .directory),
            TarMember(name: "dir/a.bin", data: payload),
            TarMember(name: "dir/empty", data: []),
            TarMember(name: "dir/exact", data: [UInt8](repeating: 7, count: 512)),
            TarMember(name: "dir/link", kind: .symlink("a.bin")),
        ])
        let members = try readAll(TarReader(MemoryByteStream(archive)))
        #expect(members.map(\.0.name) == ["dir/", "dir/a.bin", "dir/empty", "dir/exact", "dir/link"])
        #expect(members.map(\.0.kind) == [.directory, .file, .file, .file, .link])
        #expect(members[1].1 == payload && members[1].0.size == 1500)
        #expect(members[2].1 == [] && members[3].1 == [UInt8](repeating: 7, count: 512))
        #expect(members.map(\.0.headerOffset) == [0, 512, 512 + 512 + 1536, 3 * 512 + 1536, 5 * 512 + 1536])
    }

    @Test func skipsUnreadDataAndTheMissingSecondEndBlock() throws {
        let archive = tarArchive([TarMember(name: "a", data: [UInt8](repeating: 1, count: 700)),
                                  TarMember(name: "b", data: [2, 3])], endBlocks: 1)
        let members = try readAll(TarReader(MemoryByteStream(archive))) { $0.name == "b" }
        #expect(members.map(\.0.name) == ["a", "b"])
        #expect(members[0].1 == nil && members[1].1 == [2, 3])
        // No end blocks at all: a clean end of the stream on a block boundary.
        let bare = Array(tarArchive([TarMember(name: "c", data: [9])]).dropLast(1024))
        #expect(try readAll(TarReader(MemoryByteStream(bare))).map(\.0.name) == ["c"])
    }

    @Test func longNamesFromUstarPrefixGNULongLinkAndPax() throws {
        for style in [TarMember.LongName.ustarPrefix, .gnuLongLink, .pax] {
            let archive = tarArchive([TarMember(name: longName, data: [1, 2, 3], longName: style), TarMember(name: "next", data: [4])])
            let members = try readAll(TarReader(MemoryByteStream(archive)))
            #expect(members.map(\.0.name) == [longName, "next"], "\(style)")
            #expect(members.first?.1 == [1, 2, 3], "\(style)")
        }
    }

    @Test func readsWhatGNUTarWrites() throws {
        let tarTool = ["/usr/bin/tar", "/bin/tar"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let tool = try #require(tarTool, "GNU tar (Debian's tar package) is needed to write the reference archives")
        let root = try TemporaryDirectory()
        let folder = try root.subdirectory("cifar-10-batches-bin")
        let deep = try root.subdirectory("cifar-10-batches-bin/" + String(repeating: "d", count: 90))
        let big = (0..<70_000).map { UInt8(($0 * 7) % 256) }
        try writeFile(big, named: "data_batch_1.bin", in: folder)
        try writeFile(Array("x".utf8), named: String(repeating: "f", count: 40) + ".bin", in: deep)
        for format in ["gnu", "pax", "ustar"] {
            let archive = root.url.appendingPathComponent("a-\(format).tar.gz")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = ["--format=\(format)", "-czf", archive.path, "-C", root.path, "cifar-10-batches-bin"]
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            if format == "ustar" {
                // ustar fits the 131-byte path with its prefix field.
                #expect(process.terminationStatus == 0)
            }
            guard process.terminationStatus == 0 else { continue }
            let members = try readAll(TarReader(try GzipByteStream(path: archive.path)))
            let files = Dictionary(members.filter { $0.0.kind == .file }.map { ($0.0.name, $0.1 ?? []) }, uniquingKeysWith: { a, _ in a })
            #expect(files["cifar-10-batches-bin/data_batch_1.bin"] == big, "\(format)")
            #expect(files[longName] == Array("x".utf8), "\(format): \(files.keys.sorted())")
            #expect(members.contains { $0.0.kind == .directory && $0.0.name.hasPrefix("cifar-10-batches-bin") }, "\(format)")
        }
    }

    @Test func rejectsABadHeaderChecksum() throws {
        var archive = tarArchive([TarMember(name: "a", data: [1]), TarMember(name: "b", data: [2])])
        archive[1024 + 10] ^= 0x55                       // a name byte of the second header
        let tar = TarReader(MemoryByteStream(archive))
        #expect(try tar.next()?.name == "a")
        expectDatasetError(.wrongMagic, mentioning: ["memory.tar at byte 1024", "tar header checksum mismatch"]) { _ = try tar.next() }
    }

    @Test func rejectsAnArchiveEndingInsideAMember() throws {
        let archive = tarArchive([TarMember(name: "a", data: [UInt8](repeating: 5, count: 2000))])
        let cut = Array(archive.prefix(512 + 1000))
        let tar = TarReader(MemoryByteStream(cut))
        let entry = try #require(try tar.next())
        #expect(entry.size == 2000)
        expectDatasetError(.wrongSize, mentioning: ["tar archive ends inside a member", "2000 more data bytes"]) { try tar.readData { _ in } }
        // A header cut short.
        let half = Array(archive.prefix(300))
        expectDatasetError(.wrongSize, mentioning: ["ends inside a header block", "300 bytes"]) { _ = try TarReader(MemoryByteStream(half)).next() }
    }

    @Test func rejectsAnUnreadableSizeField() throws {
        var archive = tarArchive([TarMember(name: "a", data: [1])])
        archive[124] = UInt8(ascii: "9")
        // Keep the header checksum right, so that the size field is what fails.
        for i in 148..<156 { archive[i] = 0x20 }
        let sum = archive[0..<512].reduce(0) { $0 + Int($1) }
        let digits = Array(String(sum, radix: 8).utf8)
        archive.replaceSubrange(148..<(148 + 6), with: [UInt8](repeating: UInt8(ascii: "0"), count: 6 - digits.count) + digits)
        archive[154] = 0
        expectDatasetError(.badValue, mentioning: ["unreadable tar size field", "octal digits"]) { _ = try TarReader(MemoryByteStream(archive)).next() }
    }
}
