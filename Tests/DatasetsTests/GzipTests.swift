import Foundation
import Testing
import Datasets

@Suite("gzip and zlib reading")
struct GzipTests {
    /// Compressible but not trivial bytes, several MiB so the 1 MiB input chunks and
    /// the output growth are exercised.
    func sampleBytes(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
        var rng = TestSplitMix64(seed: seed)
        return (0..<count).map { i in UInt8(truncatingIfNeeded: i % 253 == 0 ? rng.next() : UInt64(i / 97)) }
    }

    @Test func gzipRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let original = sampleBytes(5_000_000)
        let compressed = try gzipCompress(original)
        #expect(compressed[0] == 0x1F && compressed[1] == 0x8B)
        #expect(compressed.count < original.count)
        let path = try writeFile(compressed, named: "data.bin.gz", in: dir.url)
        #expect(try readMaybeGzip(path) == original)
    }

    @Test func incompressibleDataLargerThanChunks() throws {
        // Random bytes: the gzip stream is larger than its content and spans chunks.
        var rng = TestSplitMix64(seed: 99)
        let original = (0..<2_500_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let dir = try TemporaryDirectory()
        let path = try writeFile(original, named: "random.gz", in: dir.url, gzip: true)
        #expect(try readMaybeGzip(path) == original)
    }

    @Test func rawFilesPassThrough() throws {
        let dir = try TemporaryDirectory()
        let original: [UInt8] = [0, 0, 8, 3, 1, 2, 3, 0x1F]
        let path = try writeFile(original, named: "raw", in: dir.url)
        #expect(try readMaybeGzip(path) == original)
        let empty = try writeFile([], named: "empty", in: dir.url)
        #expect(try readMaybeGzip(empty) == [])
    }

    @Test func gzipNameDoesNotMatter() throws {
        // Detection is by magic: a raw file named .gz and a gzip file without suffix.
        let dir = try TemporaryDirectory()
        let original = Array("plain text".utf8)
        #expect(try readMaybeGzip(writeFile(original, named: "plain.gz", in: dir.url)) == original)
        #expect(try readMaybeGzip(writeFile(original, named: "packed", in: dir.url, gzip: true)) == original)
    }

    @Test func rawFilesThatLookLikeSmallWindowZlibStayRaw() throws {
        // 08 1D and "80" pass the RFC 1950 header check (window < 32 KiB) but are a
        // CIFAR-10 record with label 8 and first pixel 29, and a CSV starting with 80.
        let dir = try TemporaryDirectory()
        let cifar = [8, 29] + [UInt8](repeating: 5, count: 3071)
        #expect(try readMaybeGzip(writeFile(cifar, named: "data_batch_1.bin", in: dir.url)) == cifar)
        let csv = Array("80,0,0\n".utf8)
        #expect(try readMaybeGzip(writeFile(csv, named: "mnist_5k.csv", in: dir.url)) == csv)
    }

    @Test func zlibStream() throws {
        // python3 -c "import zlib; print(list(zlib.compress(b'hello zlib hello zlib hello zlib')))"
        let zlibBytes: [UInt8] = [120, 156, 203, 72, 205, 201, 201, 87, 168, 202, 201, 76, 82, 200, 192,
                                  198, 4, 0, 197, 102, 11, 240]
        let dir = try TemporaryDirectory()
        let path = try writeFile(zlibBytes, named: "z", in: dir.url)
        #expect(try readMaybeGzip(path) == Array("hello zlib hello zlib hello zlib".utf8))
    }

    @Test func concatenatedMembers() throws {
        let dir = try TemporaryDirectory()
        let a = Array("first member, ".utf8), b = Array("second member".utf8)
        let path = try writeFile(try gzipCompress(a) + gzipCompress(b), named: "two.gz", in: dir.url)
        #expect(try readMaybeGzip(path) == a + b)
    }

    @Test func corruptByteInTheMiddle() throws {
        let dir = try TemporaryDirectory()
        var compressed = try gzipCompress(sampleBytes(400_000))
        compressed[compressed.count / 2] ^= 0x55
        let path = try writeFile(compressed, named: "broken.gz", in: dir.url)
        expectDatasetError(.corruptCompression, mentioning: [path, "corrupt gzip stream", "expected valid deflate data"]) {
            _ = try readMaybeGzip(path)
        }
    }

    @Test func truncatedStream() throws {
        let dir = try TemporaryDirectory()
        let compressed = try gzipCompress(sampleBytes(400_000))
        let path = try writeFile(Array(compressed.prefix(compressed.count - 100)), named: "cut.gz", in: dir.url)
        expectDatasetError(.corruptCompression, mentioning: [path, "ends early", "checksum trailer"]) {
            _ = try readMaybeGzip(path)
        }
    }

    @Test func trailingGarbage() throws {
        let dir = try TemporaryDirectory()
        let path = try writeFile(try gzipCompress(Array("abc".utf8)) + [1, 2, 3], named: "tail.gz", in: dir.url)
        expectDatasetError(.corruptCompression, mentioning: [path, "after the end", "3 more bytes"]) {
            _ = try readMaybeGzip(path)
        }
    }

    @Test func missingFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("nope.gz").path
        expectDatasetError(.missingFile, mentioning: [path, "no such file"]) { _ = try readMaybeGzip(path) }
    }

    @Test func directoryIsNotAFile() throws {
        let dir = try TemporaryDirectory()
        expectDatasetError(.unreadable, mentioning: [dir.path, "regular file"]) { _ = try readMaybeGzip(dir.path) }
    }
}
