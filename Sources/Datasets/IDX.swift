import Foundation

/// Unsigned-byte images from an IDX file (MNIST, Fashion-MNIST), row-major.
public struct IDXImages: Sendable, Equatable {
    /// Number of images.
    public let count: Int
    /// Rows per image (28 for MNIST).
    public let rows: Int
    /// Columns per image (28 for MNIST).
    public let columns: Int
    /// `count·rows·columns` pixel bytes.
    public let pixels: [UInt8]
}

/// The IDX file layout (big-endian, http://yann.lecun.com/exdb/mnist/): a 4-byte
/// magic number `00 00 TT DD` (TT = 08 for unsigned bytes, DD = number of
/// dimensions), then DD 32-bit sizes, then the data.
public enum IDX {
    /// Magic number of an image file: unsigned bytes, 3 dimensions (count, rows, columns).
    public static let imagesMagic: UInt32 = 2051
    /// Magic number of a label file: unsigned bytes, 1 dimension (count).
    public static let labelsMagic: UInt32 = 2049

    /// Training images (each file may also carry a `.gz` suffix).
    public static let trainImages = "train-images-idx3-ubyte"
    /// Training labels.
    public static let trainLabels = "train-labels-idx1-ubyte"
    /// Test images.
    public static let testImages = "t10k-images-idx3-ubyte"
    /// Test labels.
    public static let testLabels = "t10k-labels-idx1-ubyte"
    /// The four files of an IDX data set.
    public static let allFiles = [trainImages, trainLabels, testImages, testLabels]

    /// The path of `baseName` in `directory`: the raw file if present, else the
    /// `.gz` one, else nil.
    public static func path(of baseName: String, in directory: URL) -> String? {
        for name in [baseName, baseName + ".gz"] {
            let path = directory.appendingPathComponent(name).path
            if isRegularFile(path) { return path }
        }
        return nil
    }

    /// Like `path(of:in:)` but throws a `.missingFile` error naming both candidates.
    static func requirePath(of baseName: String, in directory: URL) throws -> String {
        if let path = path(of: baseName, in: directory) { return path }
        throw DatasetError(.missingFile, path: directory.appendingPathComponent(baseName).path,
                           problem: "IDX file not found",
                           expected: "\(baseName) or \(baseName).gz in \(directory.path)",
                           found: "neither")
    }

    static func describe(magic: UInt32) -> String {
        switch magic {
        case imagesMagic: return "\(magic) (an IDX image file)"
        case labelsMagic: return "\(magic) (an IDX label file)"
        default: return "\(magic) (0x\(String(magic, radix: 16, uppercase: true)))"
        }
    }
}

@inline(__always)
private func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
}

/// Checks the magic number and that the file holds exactly header + data bytes;
/// returns the dimension sizes.
private func readIDXHeader(_ bytes: [UInt8], path: String, magic: UInt32, dimensions: Int,
                           what: String) throws -> [Int] {
    let headerSize = 4 + 4 * dimensions
    guard bytes.count >= 4 else {
        throw DatasetError(.wrongSize, path: path, byteOffset: bytes.count, problem: "truncated IDX header",
                           expected: "at least \(headerSize) header bytes", found: "\(bytes.count) bytes")
    }
    let found = bigEndianUInt32(bytes, at: 0)
    guard found == magic else {
        throw DatasetError(.wrongMagic, path: path, byteOffset: 0, problem: "wrong IDX magic number",
                           expected: "\(magic) (\(what): unsigned bytes, \(dimensions) dimension\(dimensions == 1 ? "" : "s"))",
                           found: IDX.describe(magic: found))
    }
    guard bytes.count >= headerSize else {
        throw DatasetError(.wrongSize, path: path, byteOffset: bytes.count, problem: "truncated IDX header",
                           expected: "\(headerSize) header bytes", found: "\(bytes.count) bytes")
    }
    let sizes = (0..<dimensions).map { Int(bigEndianUInt32(bytes, at: 4 + 4 * $0)) }
    // A corrupt header can hold sizes whose product overflows: treat that as "too short".
    var dataSize = 1, overflow = false
    for size in sizes where !overflow {
        (dataSize, overflow) = dataSize.multipliedReportingOverflow(by: size)
    }
    let expected = overflow || dataSize > Int.max - headerSize ? Int.max : headerSize + dataSize
    if bytes.count != expected {
        let shape = sizes.map(String.init).joined(separator: "×")
        throw DatasetError(.wrongSize, path: path, byteOffset: min(bytes.count, expected),
                           problem: bytes.count < expected ? "truncated IDX file" : "extra bytes after the IDX data",
                           expected: "\(expected) bytes (\(headerSize)-byte header + \(shape) \(what) bytes)",
                           found: "\(bytes.count) bytes")
    }
    return sizes
}

/// Reads an IDX image file (magic 2051, unsigned bytes, 3 dimensions), raw or gzip.
///
/// - Throws: `DatasetError` naming the file: missing file, broken gzip, wrong magic,
///   truncated file or extra bytes (the size must be exactly 16 + count·rows·columns).
public func readIDXImages(_ path: String) throws -> IDXImages {
    var bytes = try readMaybeGzip(path)
    let sizes = try readIDXHeader(bytes, path: path, magic: IDX.imagesMagic, dimensions: 3, what: "images")
    bytes.removeFirst(16)
    return IDXImages(count: sizes[0], rows: sizes[1], columns: sizes[2], pixels: bytes)
}

/// Reads an IDX label file (magic 2049, unsigned bytes, 1 dimension), raw or gzip,
/// and checks every label is in 0..<`classCount`.
///
/// - Throws: `DatasetError` naming the file: missing file, broken gzip, wrong magic,
///   wrong size, or `.labelOutOfRange` with the byte offset of the first bad label.
public func readIDXLabels(_ path: String, classCount: Int = 10) throws -> [Int32] {
    let bytes = try readMaybeGzip(path)
    let sizes = try readIDXHeader(bytes, path: path, magic: IDX.labelsMagic, dimensions: 1, what: "labels")
    var labels = [Int32](repeating: 0, count: sizes[0])
    try bytes.withUnsafeBufferPointer { src in
        try labels.withUnsafeMutableBufferPointer { dst in
            for i in 0..<dst.count {
                let label = src[8 + i]
                guard Int(label) < classCount else {
                    throw DatasetError(.labelOutOfRange, path: path, byteOffset: 8 + i,
                                       problem: "label of item \(i) out of range",
                                       expected: "a label in 0..<\(classCount)", found: "\(label)")
                }
                dst[i] = Int32(label)
            }
        }
    }
    return labels
}

/// Reads a matching pair of IDX image and label files into one raw set (1 channel).
///
/// - Throws: the errors of `readIDXImages` / `readIDXLabels`, and `.countMismatch`
///   (naming both files) if they hold different numbers of items.
public func readIDXPair(images imagesPath: String, labels labelsPath: String) throws -> RawImageSet {
    let images = try readIDXImages(imagesPath)
    let labels = try readIDXLabels(labelsPath)
    guard images.count == labels.count else {
        throw DatasetError(.countMismatch, path: labelsPath, byteOffset: 4,
                           problem: "image and label counts differ",
                           expected: "\(images.count) labels (the image count of \(imagesPath))",
                           found: "\(labels.count) labels")
    }
    return RawImageSet(pixels: images.pixels, labels: labels, channels: 1,
                       height: images.rows, width: images.columns)
}

/// Reads the official train and test sets of an IDX data set (MNIST or
/// Fashion-MNIST) from `directory` (files `train-images-idx3-ubyte[.gz]`,
/// `train-labels-idx1-ubyte[.gz]`, `t10k-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`).
public func readIDXDataset(in directory: URL) throws -> (train: RawImageSet, test: RawImageSet) {
    let trainImages = try IDX.requirePath(of: IDX.trainImages, in: directory)
    let trainLabels = try IDX.requirePath(of: IDX.trainLabels, in: directory)
    let testImages = try IDX.requirePath(of: IDX.testImages, in: directory)
    let testLabels = try IDX.requirePath(of: IDX.testLabels, in: directory)
    return (try readIDXPair(images: trainImages, labels: trainLabels),
            try readIDXPair(images: testImages, labels: testLabels))
}

/// Item count from the header of an IDX file with the given magic number (reads
/// only the first bytes, decompressing as needed).
func readIDXCount(_ path: String, magic expectedMagic: UInt32) throws -> Int {
    let header = try readMaybeGzip(path, prefix: 8)
    guard header.count >= 8 else {
        throw DatasetError(.wrongSize, path: path, byteOffset: header.count, problem: "truncated IDX header",
                           expected: "at least 8 bytes", found: "\(header.count) bytes")
    }
    let magic = bigEndianUInt32(header, at: 0)
    guard magic == expectedMagic else {
        throw DatasetError(.wrongMagic, path: path, byteOffset: 0, problem: "wrong IDX magic number",
                           expected: IDX.describe(magic: expectedMagic), found: IDX.describe(magic: magic))
    }
    return Int(bigEndianUInt32(header, at: 4))
}

/// True if `path` names an existing regular file (following symbolic links).
func isRegularFile(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
}
