import Foundation
import Testing
@testable import ModelImport

@Suite("zip archives")
struct ZipArchiveTests {
    @Test func readsEveryEntryOfATorchSaveFile() throws {
        let zip = try ZipArchive(bytes: try Fixture.bytes("mlp.pth"), path: "mlp.pth")
        let names = zip.entries.map(\.name)
        #expect(names.contains { $0.hasSuffix("/data.pkl") })
        #expect(names.contains { $0.hasSuffix("/data/0") })
        for entry in zip.entries {
            #expect(entry.method == 0)
            #expect(try zip.data(of: entry).count == entry.uncompressedSize)
        }
    }

    @Test func readsDeflatedEntries() throws {
        let zip = try ZipArchive(bytes: try Fixture.bytes("lenet5_deflated.pth"), path: "lenet5_deflated.pth")
        let big = try #require(zip.entries.max { $0.uncompressedSize < $1.uncompressedSize })
        #expect(big.method == 8)
        #expect(big.compressedSize < big.uncompressedSize)
        #expect(try zip.data(of: big).count == big.uncompressedSize)
    }

    @Test func zip64RecordsAndExtraFields() throws {
        let a = Array("hello".utf8), b = [UInt8](repeating: 7, count: 1000)
        let zip = try ZipArchive(bytes: makeZip([("a.txt", a), ("dir/b.bin", b)], zip64: true), path: "z64.zip")
        #expect(zip.entries.map(\.name) == ["a.txt", "dir/b.bin"])
        #expect(try zip.data(of: zip.entries[0]) == a)
        #expect(try zip.data(of: zip.entries[1]) == b)
    }

    @Test func truncatedArchiveIsAClearError() throws {
        let bytes = try Fixture.bytes("mlp.pth")
        for keep in [bytes.count / 2, bytes.count - 30, 100] {
            let error = importError { _ = try TensorFile.decode(Array(bytes.prefix(keep)), path: "cut.pth") }
            #expect(error?.path == "cut.pth")
            #expect(error?.problem == "not a complete zip archive", "\(keep) bytes: \(String(describing: error))")
            #expect(error?.found.contains("truncated") == true)
        }
    }

    @Test func corruptedDataFailsTheCRC() throws {
        var bytes = try Fixture.bytes("mlp.pth")
        let zip = try ZipArchive(bytes: bytes, path: "mlp.pth")
        let big = try #require(zip.entries.max { $0.uncompressedSize < $1.uncompressedSize })
        bytes[try zip.dataOffset(of: big) + 1000] ^= 0x40
        let error = importError { _ = try TensorFile.decode(bytes, path: "flipped.pth") }
        #expect(error?.key == big.name)
        #expect(error?.problem.contains("CRC-32 mismatch") == true)
        #expect(error?.description.hasPrefix("flipped.pth [") == true)
    }

    @Test func corruptDeflateStreamIsNamed() throws {
        let data = [UInt8](repeating: 1, count: 64)
        let bytes = makeZip([("x.npy", data)], method: 8, stored: [[0xFF, 0xFF, 0xFF, 0xFF, 0x00]])
        let zip = try ZipArchive(bytes: bytes, path: "bad.npz")
        let error = importError { _ = try zip.data(of: zip.entries[0]) }
        #expect(error?.key == "x.npy")
        #expect(error?.problem == "corrupt deflate data")
    }

    @Test func unsupportedMethodIsNamed() throws {
        let zip = try ZipArchive(bytes: makeZip([("x.npy", [1, 2, 3])], method: 12), path: "bz.zip")
        let error = importError { _ = try zip.data(of: zip.entries[0]) }
        #expect(error?.problem == "unsupported compression method")
        #expect(error?.found == "method 12")
    }

    @Test func notAZipAtAll() {
        let error = importError { _ = try ZipArchive(bytes: Array("PK\u{3}\u{4} and nothing else".utf8), path: "fake.zip") }
        #expect(error?.problem == "not a complete zip archive")
    }
}
