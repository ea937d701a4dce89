import Foundation

/// The CIFAR-10 binary format (https://www.cs.toronto.edu/~kriz/cifar.html): each
/// batch file is a sequence of 3073-byte records, 1 label byte then 3072 pixel bytes
/// (1024 red, 1024 green, 1024 blue, each 32×32 row-major), i.e. already CHW.
public enum CIFAR10 {
    /// Image side length.
    public static let side = 32
    /// Bytes per record: 1 label + 3·32·32 pixels.
    public static let recordSize = 1 + 3 * 32 * 32
    /// The five training batches, in the order they are concatenated.
    public static let trainBatches = (1...5).map { "data_batch_\($0).bin" }
    /// The test batch.
    public static let testBatch = "test_batch.bin"
    /// Every file of the data set.
    public static let allFiles = trainBatches + [testBatch]
}

/// Reads one CIFAR-10 binary batch file (raw, or gzip-compressed under the same name).
///
/// - Returns: a 3-channel 32×32 raw set, pixels in CHW order per image.
/// - Throws: `DatasetError` naming the file: missing file, `.wrongSize` if its size is
///   not a multiple of 3073, `.labelOutOfRange` with the byte offset of the record.
public func readCIFAR10Batch(_ path: String, classCount: Int = 10) throws -> RawImageSet {
    let bytes = try readMaybeGzip(path)
    let record = CIFAR10.recordSize
    guard bytes.count % record == 0 else {
        throw DatasetError(.wrongSize, path: path, byteOffset: bytes.count - bytes.count % record,
                           problem: "file size is not a whole number of CIFAR-10 records",
                           expected: "a multiple of \(record) bytes (1 label + 3072 pixel bytes per record)",
                           found: "\(bytes.count) bytes (\(bytes.count / record) records + \(bytes.count % record) bytes)")
    }
    let count = bytes.count / record
    let imageSize = record - 1
    var labels = [Int32](repeating: 0, count: count)
    let pixels = try [UInt8](unsafeUninitializedCapacity: count * imageSize) { out, initialized in
        try bytes.withUnsafeBufferPointer { src in
            for i in 0..<count {
                let label = src[i * record]
                guard Int(label) < classCount else {
                    throw DatasetError(.labelOutOfRange, path: path, byteOffset: i * record,
                                       problem: "label of record \(i) out of range",
                                       expected: "a label in 0..<\(classCount)", found: "\(label)")
                }
                labels[i] = Int32(label)
                (out.baseAddress! + i * imageSize).initialize(from: src.baseAddress! + i * record + 1, count: imageSize)
            }
        }
        initialized = count * imageSize
    }
    return RawImageSet(pixels: pixels, labels: labels, channels: 3, height: CIFAR10.side, width: CIFAR10.side)
}

/// Reads the official CIFAR-10 train set (`data_batch_1.bin` … `data_batch_5.bin`,
/// concatenated in that order) and test set (`test_batch.bin`) from `directory`.
///
/// - Throws: `.missingFile` naming the first missing batch, or any error of
///   `readCIFAR10Batch`.
public func readCIFAR10Dataset(in directory: URL) throws -> (train: RawImageSet, test: RawImageSet) {
    func batchPath(_ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        guard isRegularFile(path) else {
            throw DatasetError(.missingFile, path: path, problem: "CIFAR-10 batch not found",
                               expected: "all of \(CIFAR10.allFiles.joined(separator: ", ")) in \(directory.path)",
                               found: "no \(name)")
        }
        return path
    }
    let trainPaths = try CIFAR10.trainBatches.map(batchPath)
    let testPath = try batchPath(CIFAR10.testBatch)
    var pixels = [UInt8]()
    var labels = [Int32]()
    for path in trainPaths {
        let batch = try readCIFAR10Batch(path)
        pixels.append(contentsOf: batch.pixels)
        labels.append(contentsOf: batch.labels)
    }
    let train = RawImageSet(pixels: pixels, labels: labels, channels: 3, height: CIFAR10.side, width: CIFAR10.side)
    return (train, try readCIFAR10Batch(testPath))
}
