import Foundation
import Testing
@testable import Datasets

/// The decoded-data cache: it must not change a single bit of what a run trains on,
/// and must never serve a stale or damaged file.
@Suite("Decoded-data cache")
struct DecodedCacheTests {
    /// Bit patterns, so that -0.0 vs 0.0 or NaN payloads could not hide a difference.
    func bits(_ set: ImageSet) -> [UInt32] { set.images.map(\.bitPattern) }

    func expectIdentical(_ a: DatasetSplits, _ b: DatasetSplits, sourceLocation: SourceLocation = #_sourceLocation) {
        for (x, y, part) in [(a.train, b.train, "train"), (a.validation, b.validation, "validation"), (a.test, b.test, "test")] {
            #expect(x.count == y.count && x.channels == y.channels && x.height == y.height && x.width == y.width, "\(part) shape", sourceLocation: sourceLocation)
            #expect(bits(x) == bits(y), "\(part) images", sourceLocation: sourceLocation)
            #expect(x.labels == y.labels, "\(part) labels", sourceLocation: sourceLocation)
        }
    }

    /// Messages the cache logged, for assertions.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
    }

    func cache(_ directory: URL, _ log: Log = Log()) -> DecodedCache {
        DecodedCache(directory: directory, log: { log.append($0) })
    }

    /// Splits without and with the cache (twice: building it, then mapping it), from
    /// generators in the same state; they and the generators' next draws must agree.
    func checkIdentical(_ name: DatasetName, in data: URL, validationFraction: Double = 0.2) throws {
        let cacheRoot = try TemporaryDirectory()
        let decoded = cache(cacheRoot.url)
        var plainRNG = TestSplitMix64(seed: 42)
        let plain = try loadSplits(name, in: data, validationFraction: validationFraction, using: &plainRNG)
        for pass in ["building", "mapped"] {
            var rng = TestSplitMix64(seed: 42)
            let cached = try decoded.loadSplits(name, in: data, validationFraction: validationFraction, using: &rng)
            expectIdentical(plain, cached)
            var after = plainRNG
            #expect(rng.next() == after.next(), "\(name) \(pass): the cache drew differently from the generator")
        }
        #expect(try decoded.prepare(name, in: data) == .current)
        #expect(decoded.entries().count == 1)
    }

    @Test func sameSplitsBitForBitAsDecoding() throws {
        let root = try TemporaryDirectory()
        let idx = try root.subdirectory("mnist")
        try writeIDXDataset(in: idx, trainCount: 23, testCount: 7, gzip: true)
        try checkIdentical(.mnist, in: idx)
        try checkIdentical(.fashionMNIST, in: idx, validationFraction: 0.3)   // other normalisation key, same files
        let cifar = try root.subdirectory("cifar10")
        try writeCIFARDataset(in: cifar, recordsPerBatch: 3, testRecords: 4)
        try checkIdentical(.cifar10, in: cifar)
        let sample = try root.subdirectory("mnist-5k")
        try writeFile(Array(mnist5kCSV(rows: 50).utf8), named: MNIST5k.fileName, in: sample, gzip: true)
        try checkIdentical(.mnist5k, in: sample)
    }

    @Test func locatorWithCacheGivesTheSameSplits() throws {
        let root = try TemporaryDirectory(), cacheRoot = try TemporaryDirectory()
        try writeIDXDataset(in: try root.subdirectory("fashion-mnist"), trainCount: 15, testCount: 4)
        let plainLocator = DataLocator(dataDirectory: root.path, environment: [:], systemDirectories: [:], localDataDirectory: nil)
        var cachedLocator = plainLocator
        cachedLocator.decodedCache = cache(cacheRoot.url)
        var a = TestSplitMix64(seed: 7), b = TestSplitMix64(seed: 7)
        expectIdentical(try loadSplits(.fashionMNIST, locator: plainLocator, using: &a),
                        try loadSplits(.fashionMNIST, locator: cachedLocator, using: &b))
        #expect(cachedLocator.decodedCache?.entries().count == 1)
        #expect(plainLocator.decodedCache == nil)
    }

    @Test func secondLoadMapsTheFileWithoutRewritingIt() throws {
        let root = try TemporaryDirectory(), cacheRoot = try TemporaryDirectory()
        try writeIDXDataset(in: root.url, trainCount: 10, testCount: 3)
        let log = Log()
        let decoded = cache(cacheRoot.url, log)
        #expect(try decoded.prepare(.mnist, in: root.url) == .built(reason: "no cache file yet"))
        let file = decoded.cacheFile(for: .mnist, in: root.url)
        let before = try FileManager.default.attributesOfItem(atPath: file.path)
        var rng = TestSplitMix64(seed: 1)
        _ = try decoded.loadSplits(.mnist, in: root.url, using: &rng)
        let after = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect(before[.systemFileNumber] as? Int == after[.systemFileNumber] as? Int)
        #expect(before[.modificationDate] as? Date == after[.modificationDate] as? Date)
        #expect(log.all.isEmpty, "a current cache is used silently: \(log.all)")
        // Header + (10 + 3) images of 32×32 floats and as many Int32 labels.
        let size = try #require((after[.size] as? NSNumber)?.intValue)
        #expect((size - 13 * (1024 + 1) * 4) % 64 == 0)
        #expect(file.lastPathComponent.hasPrefix("mnist-32px-") && file.pathExtension == "f32")
    }

    @Test func staleCacheIsDetectedAndRebuilt() throws {
        let root = try TemporaryDirectory(), cacheRoot = try TemporaryDirectory()
        try writeIDXDataset(in: root.url, trainCount: 10, testCount: 3)
        let log = Log()
        let decoded = cache(cacheRoot.url, log)
        var rng = TestSplitMix64(seed: 2)
        let first = try decoded.loadSplits(.mnist, in: root.url, using: &rng)

        // New test images under the same name and of the same size, written as tools do
        // (a new file renamed over the old): the key's inode differs.
        let newTest = syntheticImages(first: 2000, count: 3)
        try Data(idxImagesFile(count: 3, rows: 28, columns: 28, pixels: newTest))
            .write(to: root.url.appendingPathComponent("t10k-images-idx3-ubyte"), options: .atomic)
        var rng2 = TestSplitMix64(seed: 2)
        let second = try decoded.loadSplits(.mnist, in: root.url, using: &rng2)
        #expect(log.all.last?.contains("stale") == true, "\(log.all)")
        #expect(bits(second.test) != bits(first.test))
        var rng3 = TestSplitMix64(seed: 2)
        expectIdentical(second, try loadSplits(.mnist, in: root.url, using: &rng3))
        #expect(decoded.entries().count == 1, "rebuilt in place, not beside")

        // Only the modification time changes: stale too.
        let path = root.url.appendingPathComponent("train-labels-idx1-ubyte").path
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: path)
        guard case let .built(reason) = try decoded.prepare(.mnist, in: root.url) else {
            Issue.record("a source file with another mtime did not make the cache stale")
            return
        }
        #expect(reason.hasPrefix("stale"))
        // Another preprocessing parameter is another file, both kept.
        #expect(try decoded.prepare(.mnist, in: root.url, side: 28) == .built(reason: "no cache file yet"))
        #expect(decoded.entries().count == 2)
        #expect(try decoded.prepare(.mnist, in: root.url) == .current)
    }

    @Test(arguments: ["payload", "header", "key", "truncated", "extended", "garbage", "empty"])
    func damagedCacheIsDetectedAndRebuilt(damage: String) throws {
        let root = try TemporaryDirectory(), cacheRoot = try TemporaryDirectory()
        try writeCIFARDataset(in: root.url, recordsPerBatch: 2, testRecords: 2)
        let decoded = cache(cacheRoot.url)
        try decoded.prepare(.cifar10, in: root.url)
        let file = decoded.cacheFile(for: .cifar10, in: root.url)
        var bytes = [UInt8](try Data(contentsOf: file))
        let headerLength = Int(bytes[12]) | Int(bytes[13]) << 8
        let expected: String
        switch damage {
        case "payload": bytes[headerLength + 5000] ^= 0x01; expected = "damaged: payload checksum mismatch"
        case "header": bytes[33] ^= 0x01; expected = "damaged: header checksum mismatch"   // the train count
        case "key": bytes[70] ^= 0x20; expected = "damaged: header checksum mismatch"
        case "truncated": bytes.removeLast(100); expected = "damaged"
        case "extended": bytes += [0, 0, 0, 0]; expected = "damaged"
        case "garbage": bytes = Array(repeating: 0x41, count: 4096); expected = "damaged: not a decoded-data cache file"
        default: bytes = []; expected = "damaged"
        }
        try Data(bytes).write(to: file)
        guard case let .built(reason) = try decoded.prepare(.cifar10, in: root.url) else {
            Issue.record("\(damage): the damaged file was taken as current")
            return
        }
        #expect(reason.hasPrefix(expected), "\(damage): \(reason)")
        var a = TestSplitMix64(seed: 9), b = TestSplitMix64(seed: 9)
        expectIdentical(try decoded.loadSplits(.cifar10, in: root.url, using: &a), try loadSplits(.cifar10, in: root.url, using: &b))
        #expect(try decoded.prepare(.cifar10, in: root.url) == .current)
    }

    @Test func damagedFileIsRebuiltByLoadSplitsToo() throws {
        let root = try TemporaryDirectory(), cacheRoot = try TemporaryDirectory()
        try writeIDXDataset(in: root.url, trainCount: 8, testCount: 2)
        let log = Log()
        let decoded = cache(cacheRoot.url, log)
        try decoded.prepare(.mnist, in: root.url)
        let file = decoded.cacheFile(for: .mnist, in: root.url)
        let handle = try FileHandle(forUpdating: file)
        try handle.seek(toOffset: try handle.seekToEnd() - 3)
        try handle.write(contentsOf: Data([0xFF]))
        try handle.close()
        var a = TestSplitMix64(seed: 4), b = TestSplitMix64(seed: 4)
        expectIdentical(try decoded.loadSplits(.mnist, in: root.url, using: &a), try loadSplits(.mnist, in: root.url, using: &b))
        #expect(log.all.contains { $0.contains("damaged: payload checksum mismatch") }, "\(log.all)")
        #expect(try decoded.prepare(.mnist, in: root.url) == .current)
    }

    @Test func unwritableCacheFallsBackToDecodingInMemory() throws {
        let root = try TemporaryDirectory(), scratch = try TemporaryDirectory()
        try writeIDXDataset(in: root.url, trainCount: 8, testCount: 2)
        // A folder below a regular file can never be created (whoever runs the test).
        let blocker = scratch.url.appendingPathComponent("not-a-folder")
        try Data([1]).write(to: blocker)
        let log = Log()
        let decoded = cache(blocker.appendingPathComponent("decoded"), log)
        var a = TestSplitMix64(seed: 5), b = TestSplitMix64(seed: 5)
        expectIdentical(try decoded.loadSplits(.mnist, in: root.url, using: &a), try loadSplits(.mnist, in: root.url, using: &b))
        #expect(log.all.contains { $0.contains("decoded-data cache bypassed") && $0.contains(blocker.path) }, "\(log.all)")
        #expect(throws: DatasetError.self) { try decoded.prepare(.mnist, in: root.url) }
    }

    @Test func missingSourceFilesAreADatasetErrorNotACacheProblem() throws {
        let root = try TemporaryDirectory(), cacheRoot = try TemporaryDirectory()
        try writeIDXDataset(in: root.url)
        try FileManager.default.removeItem(at: root.url.appendingPathComponent("t10k-labels-idx1-ubyte"))
        var rng = TestSplitMix64(seed: 1)
        expectDatasetError(.missingFile, mentioning: ["t10k-labels-idx1-ubyte"]) {
            _ = try cache(cacheRoot.url).loadSplits(.mnist, in: root.url, using: &rng)
        }
    }

    @Test func filesOfDeletedDataDirectoriesAreRemoved() throws {
        let cacheRoot = try TemporaryDirectory()
        let decoded = cache(cacheRoot.url)
        var gone: TemporaryDirectory? = try TemporaryDirectory()
        try writeIDXDataset(in: gone!.url, trainCount: 5, testCount: 2)
        try decoded.prepare(.mnist, in: gone!.url)
        let orphan = decoded.cacheFile(for: .mnist, in: gone!.url)
        #expect(FileManager.default.fileExists(atPath: orphan.path))
        gone = nil                                     // the data directory is deleted
        // A writer killed mid-write left its temporary file (pid 2^22 + 1 exceeds Linux's
        // pid_max, so no such process exists); a live writer's is kept.
        let dead = cacheRoot.url.appendingPathComponent(".\(orphan.lastPathComponent).tmp-4194305-abcd1234")
        let live = cacheRoot.url.appendingPathComponent(".\(orphan.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-abcd1234")
        try Data([1, 2, 3]).write(to: dead)
        try Data([1, 2, 3]).write(to: live)
        let kept = try TemporaryDirectory()
        try writeIDXDataset(in: kept.url, trainCount: 5, testCount: 2)
        try decoded.prepare(.mnist, in: kept.url)
        #expect(!FileManager.default.fileExists(atPath: orphan.path))
        #expect(!FileManager.default.fileExists(atPath: dead.path))
        #expect(FileManager.default.fileExists(atPath: live.path))
        #expect(decoded.entries().map { $0.source } == [CacheKey.canonicalPath(kept.url)])
    }

    @Test func concurrentLoadsBuildOnceAndAgree() async throws {
        let root = try TemporaryDirectory(), cacheRoot = try TemporaryDirectory()
        try writeIDXDataset(in: root.url, trainCount: 30, testCount: 6)
        let log = Log()
        let decoded = cache(cacheRoot.url, log)
        let directory = root.url
        let results = try await withThrowingTaskGroup(of: [UInt32].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var rng = TestSplitMix64(seed: 8)
                    let splits = try decoded.loadSplits(.mnist, in: directory, using: &rng)
                    return splits.train.images.map(\.bitPattern) + splits.test.images.map(\.bitPattern)
                }
            }
            var all = [[UInt32]]()
            for try await r in group { all.append(r) }
            return all
        }
        #expect(Set(results).count == 1)
        #expect(log.all.filter { $0.hasPrefix("decoding") }.count == 1, "\(log.all)")
    }

    @Test func standardCacheFollowsTheEnvironment() {
        #expect(DecodedCache.standard(environment: ["HOME": "/home/u"])?.directory.path == "/home/u/.cache/bmrs/decoded")
        #expect(DecodedCache.standard(environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "/xdg"])?.directory.path == "/xdg/bmrs/decoded")
        #expect(DecodedCache.standard(environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "relative"])?.directory.path == "/home/u/.cache/bmrs/decoded")
        #expect(DecodedCache.standard(environment: ["HOME": "/home/u", UserCache.environmentVariable: "/scratch/b"])?.directory.path == "/scratch/b/decoded")
        #expect(DecodedCache.standard(environment: ["HOME": "/home/u", DecodedCache.environmentVariable: "/fast/cache"])?.directory.path == "/fast/cache")
        for off in ["off", "0", "false", "NO"] {
            #expect(DecodedCache.standard(environment: ["HOME": "/home/u", DecodedCache.environmentVariable: off]) == nil)
        }
        #expect(DecodedCache.standard(environment: [:]) == nil)
        // Discovery searches the same per-user cache that `bmrs data fetch` installs into.
        let locator = DataLocator(dataDirectory: nil, environment: ["HOME": "/home/u"], systemDirectories: [:], localDataDirectory: nil)
        #expect(locator.candidates(for: .mnist).first?.directory.path == "/home/u/.cache/bmrs/datasets/mnist")
        #expect(locator.candidates(for: .mnist).allSatisfy { $0.origin == "user cache" })
        #expect(locator.fetchRoot?.path == "/home/u/.cache/bmrs/datasets")
        let explicit = DataLocator(dataDirectory: "/data", environment: ["HOME": "/home/u", DataLocator.environmentVariable: "/env"])
        #expect(explicit.fetchRoot?.path == "/data")
        #expect(DataLocator(dataDirectory: nil, environment: ["HOME": "/home/u", DataLocator.environmentVariable: "/env"]).fetchRoot?.path == "/env")
    }
}
