import Foundation
import Testing
import Datasets

@Suite("MD5")
struct MD5Tests {
    /// RFC 1321, appendix A.5.
    static let rfcVectors: [(String, String)] = [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"),
    ]

    @Test(arguments: rfcVectors)
    func rfc1321Vectors(message: String, digest: String) {
        #expect(MD5.digest(Array(message.utf8)).hexString == digest)
    }

    @Test func streamingInUnevenPiecesEqualsOneShot() {
        // Lengths around the 55/56/64-byte padding boundaries, fed in pieces of every size.
        for length in [55, 56, 57, 63, 64, 65, 119, 120, 128, 1000] {
            let message = (0..<length).map { UInt8(($0 * 31 + 7) % 256) }
            let whole = MD5.digest(message)
            for piece in [1, 3, 17, 64, 100] {
                var md5 = MD5()
                var i = 0
                while i < message.count {
                    md5.update(Array(message[i..<min(i + piece, message.count)]))
                    i += piece
                }
                #expect(md5.finalize() == whole, "length \(length), pieces of \(piece)")
            }
        }
    }

    @Test func fileDigestMatchesCoreutilsMD5sum() throws {
        let root = try TemporaryDirectory()
        // 2.5 MiB: more than one of md5OfFile's 1 MiB chunks, not a whole number of them.
        var generator = TestSplitMix64(seed: 11)
        let bytes = (0..<(5 << 19)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let path = try writeFile(bytes, named: "blob.bin", in: root.url)
        let tool = try #require(["/usr/bin/md5sum", "/bin/md5sum"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                "md5sum (coreutils) is needed as the reference")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let reference = String(output.prefix(32))
        #expect(reference.count == 32)
        #expect(try md5OfFile(path).hexString == reference)
        #expect(MD5.digest(bytes).hexString == reference)
    }

    @Test func missingFileIsNamed() {
        expectDatasetError(.missingFile, mentioning: ["/nonexistent/file.gz"]) { _ = try md5OfFile("/nonexistent/file.gz") }
    }
}
