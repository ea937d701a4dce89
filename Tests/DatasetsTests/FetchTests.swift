import Foundation
import Testing
@testable import Datasets

/// `DatasetFetcher` against a real HTTP server on 127.0.0.1 (`LoopbackHTTPServer`),
/// serving archives built here in the published formats, with the catalog's checksums
/// replaced by theirs. No other traffic: every mirror is the loopback server.
@Suite("Data set fetch over loopback HTTP")
struct FetchTests {
    /// Routes serving `files` under `/prefix/`.
    func routes(_ prefix: String, _ files: [String: [UInt8]], _ behaviour: ([UInt8]) -> LoopbackHTTPServer.Behaviour = { .serve($0) })
        -> [String: LoopbackHTTPServer.Behaviour] {
        Dictionary(uniqueKeysWithValues: files.map { ("/\(prefix)/\($0.key)", behaviour($0.value)) })
    }

    func fetcher(_ root: URL, attempts: Int = 3) -> DatasetFetcher {
        DatasetFetcher(root: root, downloader: HTTPDownloader(idleTimeout: 10), attemptsPerMirror: attempts)
    }

    func contents(_ directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    /// Expects a `FetchError` from `body`; returns it.
    func expectFetchError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> FetchError? {
        do {
            try body()
            Issue.record("expected a FetchError, the fetch succeeded", sourceLocation: sourceLocation)
        } catch let error as FetchError {
            return error
        } catch {
            Issue.record("expected a FetchError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    @Test func normalFetchInstallsVerifiedFilesWhereDiscoveryLooks() throws {
        let files = try idxArchiveFiles()
        let archive = try cifarArchive()
        let server = try LoopbackHTTPServer(routes: routes("mnist", files).merging(["/cifar/cifar-10-binary.tar.gz": .serve(archive)]) { a, _ in a })
        defer { server.stop() }
        let root = try TemporaryDirectory()
        let fetch = fetcher(root.url)

        let mnist = try fetch.fetch(testSource(.mnist, files: files, mirrors: [server.baseURL("mnist")]))
        #expect(!mnist.wasPresent)
        #expect(mnist.directory.standardizedFileURL == root.url.appendingPathComponent("mnist").standardizedFileURL)
        #expect(mnist.bytesDownloaded == Int64(files.values.reduce(0) { $0 + $1.count }))
        for (name, bytes) in files {
            #expect(try Data(contentsOf: mnist.directory.appendingPathComponent(name)) == Data(bytes), "\(name)")
        }
        #expect(FetchManifest.read(in: mnist.directory)?.downloads.count == 4)

        let cifarSource = testSource(.cifar10, files: ["cifar-10-binary.tar.gz": archive], mirrors: [server.baseURL("cifar")])
        let cifar = try fetch.fetch(cifarSource)
        let installed = contents(cifar.directory)
        for name in CIFAR10.allFiles { #expect(installed.contains(name), "\(name) not in \(installed)") }
        #expect(try Data(contentsOf: cifar.directory.appendingPathComponent("data_batch_3.bin"))
                == Data(cifarBatch(batch: 3, labels: cifarLabels(batch: 3, records: 2))))
        #expect(DataVerification.check(cifarSource, in: cifar.directory).isVerified)

        // Discovery finds both where they were installed; nothing half-done is left.
        let locator = DataLocator(dataDirectory: root.path, environment: [:], systemDirectories: [:], localDataDirectory: nil)
        #expect(try locator.locate(.mnist).standardizedFileURL == mnist.directory.standardizedFileURL)
        #expect(try locator.locate(.cifar10).standardizedFileURL == cifar.directory.standardizedFileURL)
        var rng = TestSplitMix64(seed: 3)
        let splits = try loadSplits(.cifar10, locator: locator, using: &rng)
        #expect(splits.train.count + splits.validation.count == 10 && splits.test.count == 3)
        let partial = root.url.appendingPathComponent(".partial")
        #expect(contents(partial).allSatisfy { $0.hasSuffix(".lock") }, "left in .partial: \(contents(partial))")
        // Every request went to the loopback server's two mirrors.
        #expect(server.requests.count == 5)
        #expect(server.requests.allSatisfy { $0.range == nil })
    }

    @Test func secondFetchDownloadsNothing() throws {
        let files = try idxArchiveFiles()
        let server = try LoopbackHTTPServer(routes: routes("m", files))
        defer { server.stop() }
        let root = try TemporaryDirectory()
        let source = testSource(.fashionMNIST, files: files, mirrors: [server.baseURL("m")])
        let first = try fetcher(root.url).fetch(source)
        #expect(!first.wasPresent && server.requests.count == 4)
        let modified = try FileManager.default.attributesOfItem(atPath: first.directory.appendingPathComponent(FetchManifest.fileName).path)[.modificationDate] as? Date

        let second = try fetcher(root.url).fetch(source)
        #expect(second.wasPresent && second.bytesDownloaded == 0 && second.sources.isEmpty)
        #expect(server.requests.count == 4, "the second fetch made requests: \(server.requests.dropFirst(4))")
        #expect(try FileManager.default.attributesOfItem(atPath: second.directory.appendingPathComponent(FetchManifest.fileName).path)[.modificationDate] as? Date == modified)
    }

    @Test func checksumMismatchIsRejectedAndNothingInstalled() throws {
        let files = try idxArchiveFiles()
        let other = try idxArchiveFiles(salt: 9)     // same names and format, other content
        let server = try LoopbackHTTPServer(routes: routes("a", other).merging(routes("b", other)) { a, _ in a })
        defer { server.stop() }
        let root = try TemporaryDirectory()
        let source = testSource(.mnist, files: files, mirrors: [server.baseURL("a"), server.baseURL("b")])
        let error = expectFetchError { _ = try fetcher(root.url).fetch(source) }
        let first = "train-images-idx3-ubyte.gz"
        #expect(error?.attempts.count == 2)
        #expect(error?.attempts.first?.contains("\(server.baseURL("a").absoluteString)\(first): checksum mismatch") == true, "\(String(describing: error))")
        #expect(error?.attempts.last?.contains(server.baseURL("b").absoluteString + first) == true)
        #expect(error?.description.contains("expected \(MD5.digest(files[first]!).hexString)") == true)
        // Rejected: no install directory, no partial file, discovery finds nothing.
        #expect(!FileManager.default.fileExists(atPath: root.url.appendingPathComponent("mnist").path))
        #expect(contents(root.url.appendingPathComponent(".partial/mnist")).isEmpty)
        let locator = DataLocator(dataDirectory: root.path, environment: [:], systemDirectories: [:], localDataDirectory: nil)
        #expect(throws: DatasetError.self) { try locator.locate(.mnist) }
    }

    @Test func mismatchedArchiveOfCIFARIsNotExtracted() throws {
        let archive = try cifarArchive()
        let server = try LoopbackHTTPServer(routes: ["/c/cifar-10-binary.tar.gz": .serve(try cifarArchive(recordsPerBatch: 3))])
        defer { server.stop() }
        let root = try TemporaryDirectory()
        let source = testSource(.cifar10, files: ["cifar-10-binary.tar.gz": archive], mirrors: [server.baseURL("c")])
        let error = expectFetchError { _ = try fetcher(root.url).fetch(source) }
        #expect(error?.manualSteps.joined().contains("cifar-10-batches-bin") == true)
        #expect(!FileManager.default.fileExists(atPath: root.url.appendingPathComponent("cifar10").path))
    }

    @Test func truncatedBodyMovesOnToTheNextMirror() throws {
        let files = try idxArchiveFiles(trainCount: 40)
        let name = "train-images-idx3-ubyte.gz"
        let body = files[name]!
        // Mirror "cut" announces the whole length, ignores Range and always stops halfway;
        // mirror "short" serves a complete response that is only a prefix of the file.
        var cut = routes("cut", files)
        cut["/cut/\(name)"] = .alwaysCut(body, bytes: body.count / 2)
        var short = routes("short", files)
        short["/short/\(name)"] = .serve(Array(body.prefix(body.count / 2)))
        let server = try LoopbackHTTPServer(routes: cut.merging(short) { a, _ in a }.merging(routes("good", files)) { a, _ in a })
        defer { server.stop() }

        let root = try TemporaryDirectory()
        let source = testSource(.mnist, files: files, mirrors: [server.baseURL("cut"), server.baseURL("good")])
        let result = try fetcher(root.url, attempts: 3).fetch(source)
        #expect(try Data(contentsOf: result.directory.appendingPathComponent(name)) == Data(body))
        // The first request gets half the file (progress, resumed); the resumed requests
        // get a 200 that restarts and ends at the same byte: three of those are fruitless,
        // then the next mirror resumes the half it has with a Range request.
        let cutRequests = server.requests(under: "cut").filter { $0.path.hasSuffix(name) }
        #expect(cutRequests.count == 4)
        #expect(cutRequests.dropFirst().allSatisfy { $0.range == "bytes=\(body.count / 2)-" })
        #expect(server.requests(under: "good").first { $0.path.hasSuffix(name) }?.range == "bytes=\(body.count / 2)-")
        #expect(result.sources.contains(source.url(of: source.files[0], on: server.baseURL("good"))))

        let root2 = try TemporaryDirectory()
        let onlyShort = testSource(.mnist, files: files, mirrors: [server.baseURL("short")])
        let error = expectFetchError { _ = try fetcher(root2.url).fetch(onlyShort) }
        #expect(error?.attempts.first?.contains("checksum mismatch: MD5") == true)
        #expect(error?.attempts.first?.contains("of \(body.count / 2) bytes") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: root2.url.appendingPathComponent("mnist").path))

        let root3 = try TemporaryDirectory()
        let onlyCut = testSource(.mnist, files: files, mirrors: [server.baseURL("cut")])
        let cutError = expectFetchError { _ = try fetcher(root3.url, attempts: 2).fetch(onlyCut) }
        #expect(cutError?.attempts.count == 3)
        #expect(cutError?.attempts.allSatisfy { $0.contains(server.baseURL("cut").absoluteString + name) } == true, "\(String(describing: cutError))")
        #expect(!FileManager.default.fileExists(atPath: root3.url.appendingPathComponent("mnist").path))
    }

    @Test func notFoundAndServerErrorMoveOnToTheNextMirror() throws {
        let files = try idxArchiveFiles()
        let server = try LoopbackHTTPServer(routes: routes("e500", files) { _ in .status(500) }.merging(routes("ok", files)) { a, _ in a })
        defer { server.stop() }
        let root = try TemporaryDirectory()
        // "/e404/" has no routes: every file is a 404 there.
        let source = testSource(.fashionMNIST, files: files,
                                mirrors: [server.baseURL("e404"), server.baseURL("e500"), server.baseURL("ok")])
        let result = try fetcher(root.url).fetch(source)
        #expect(!result.wasPresent)
        #expect(server.requests(under: "e404").count == 4 && server.requests(under: "e500").count == 4)
        #expect(server.requests(under: "ok").count == 4, "\(server.requests)")
        // An error page's body is never taken for the start of the file (no Range follows).
        #expect(server.requests.allSatisfy { $0.range == nil }, "\(server.requests)")
        #expect(DataVerification.check(source, in: result.directory).isVerified)
        for file in source.files {
            // The error pages never end up as data.
            #expect(try Data(contentsOf: result.directory.appendingPathComponent(file.name)) == Data(files[file.name]!))
        }
    }

    @Test func offlineErrorNamesEveryURLAndTheFilesToPlaceByHand() throws {
        let files = try idxArchiveFiles()
        let server = try LoopbackHTTPServer(routes: routes("e500", files) { _ in .status(500) })
        defer { server.stop() }
        // A port with nothing listening: connection refused, as offline.
        let dead = try LoopbackHTTPServer(routes: [:])
        let deadURL = dead.baseURL("x")
        dead.stop()
        let root = try TemporaryDirectory()
        let source = testSource(.mnist, files: files, mirrors: [deadURL, server.baseURL("e404"), server.baseURL("e500")])
        let error = expectFetchError { _ = try fetcher(root.url).fetch(source) }
        let text = error?.description ?? ""
        let first = source.files[0].name
        #expect(text.contains("URLs tried:"))
        #expect(text.contains(deadURL.absoluteString + first))
        #expect(text.contains(server.baseURL("e404").absoluteString + first + ": HTTP 404"))
        #expect(text.contains(server.baseURL("e500").absoluteString + first + ": HTTP 500"))
        #expect(text.contains("to install it by hand:"))
        for file in source.files {
            #expect(text.contains(root.url.appendingPathComponent("mnist").appendingPathComponent(file.name).path), "\(file.name) not in: \(text)")
            #expect(text.contains(file.md5))
        }
        #expect(!FileManager.default.fileExists(atPath: root.url.appendingPathComponent("mnist").path))
    }

    @Test func droppedConnectionIsResumedWithRange() throws {
        let files = try idxArchiveFiles(trainCount: 60)
        let name = "train-images-idx3-ubyte.gz"
        let body = files[name]!
        let dropAt = body.count / 3
        var served = routes("m", files)
        served["/m/\(name)"] = .dropAfter(body, bytes: dropAt, times: 1)
        let server = try LoopbackHTTPServer(routes: served)
        defer { server.stop() }
        let root = try TemporaryDirectory()
        let source = testSource(.mnist, files: files, mirrors: [server.baseURL("m")])
        let result = try fetcher(root.url).fetch(source)

        let requests = server.requests.filter { $0.path == "/m/\(name)" }
        #expect(requests.count == 2)
        #expect(requests.first?.range == nil && requests.first?.bodyBytesSent == dropAt)
        #expect(requests.last?.range == "bytes=\(dropAt)-")
        #expect(requests.last?.bodyBytesSent == body.count - dropAt)
        #expect(try Data(contentsOf: result.directory.appendingPathComponent(name)) == Data(body))
        #expect(result.bytesDownloaded == Int64(files.values.reduce(0) { $0 + $1.count }), "only each byte once")
    }

    @Test func partialFileOfAnEarlierRunIsResumed() throws {
        let files = try idxArchiveFiles(trainCount: 30)
        let name = "train-images-idx3-ubyte.gz"
        let body = files[name]!
        let server = try LoopbackHTTPServer(routes: routes("m", files))
        defer { server.stop() }
        let root = try TemporaryDirectory()
        let source = testSource(.mnist, files: files, mirrors: [server.baseURL("m")])
        // An interrupted earlier run left a prefix in the work directory.
        let work = fetcher(root.url).workDirectory(for: .mnist)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try Data(body.prefix(1000)).write(to: work.appendingPathComponent(name + ".part"))
        // …and a whole, verified file of another: it is not downloaded again.
        let labels = "train-labels-idx1-ubyte.gz"
        try Data(files[labels]!).write(to: work.appendingPathComponent(labels))

        let result = try fetcher(root.url).fetch(source)
        #expect(server.requests.first { $0.path == "/m/\(name)" }?.range == "bytes=1000-")
        #expect(!server.requests.contains { $0.path == "/m/\(labels)" })
        #expect(try Data(contentsOf: result.directory.appendingPathComponent(name)) == Data(body))
        #expect(DataVerification.check(source, in: result.directory).isVerified)
    }

    @Test func unverifiedInstallIsMovedAsideNotDeleted() throws {
        let files = try idxArchiveFiles()
        let server = try LoopbackHTTPServer(routes: routes("m", files))
        defer { server.stop() }
        let root = try TemporaryDirectory()
        // Files placed by hand, decompressed: found by discovery but not verifiable.
        let placed = try root.subdirectory("mnist")
        try writeIDXDataset(in: placed)
        let source = testSource(.mnist, files: files, mirrors: [server.baseURL("m")])
        #expect(!DataVerification.check(source, in: placed).isVerified)
        let result = try fetcher(root.url).fetch(source)
        let aside = try #require(result.previousContentMovedTo)
        #expect(contents(aside).contains("train-images-idx3-ubyte"))
        #expect(DataVerification.check(source, in: result.directory).isVerified)
    }

    @Test func catalogChecksumsAreThePublishedOnes() {
        // torchvision MNIST.resources / FashionMNIST.resources and the CIFAR-10 page.
        let published: [DatasetName: [String: String]] = [
            .mnist: ["train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873", "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
                     "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3", "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"],
            .fashionMNIST: ["train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
                            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79", "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"],
            .cifar10: ["cifar-10-binary.tar.gz": "c32a1d4ab5d03f1284b67883e8d87530"],
        ]
        for source in DatasetCatalog.all {
            #expect(Dictionary(uniqueKeysWithValues: source.files.map { ($0.name, $0.md5) }) == published[source.dataset])
            #expect(source.mirrors.allSatisfy { $0.absoluteString.hasSuffix("/") })
        }
    }
}
