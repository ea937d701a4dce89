/// An I/O or format error while reading a data set file.
///
/// Every error names the file it concerns, the position in it where relevant
/// (a byte offset for binary files, a line for CSV) and what was expected versus
/// what was found, e.g.
///
///     /data/mnist/train-images-idx3-ubyte at byte 0: wrong IDX magic number:
///     expected 2051 (images: unsigned bytes, 3 dimensions), found 2049
public struct DatasetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, in categories tests and callers can match on.
    public enum Kind: String, Sendable, Equatable {
        /// A file or a whole data set could not be found.
        case missingFile
        /// A file exists but could not be opened or read.
        case unreadable
        /// The gzip/zlib stream is corrupt or ends early.
        case corruptCompression
        /// The IDX magic number is not the one for the expected kind of file.
        case wrongMagic
        /// The file is shorter (or longer) than its header or record size says.
        case wrongSize
        /// The number of images and labels differ.
        case countMismatch
        /// A label is not in 0..<10.
        case labelOutOfRange
        /// A pixel value is not an integer in 0...255 (CSV).
        case badValue
        /// A CSV row has the wrong number of columns.
        case wrongColumnCount
    }

    /// The category of the error.
    public let kind: Kind
    /// The file (or directory) concerned.
    public let path: String
    /// Byte offset into the (decompressed) content, where relevant.
    public let byteOffset: Int?
    /// 1-based line number for text files, where relevant.
    public let line: Int?
    /// A short statement of the problem.
    public let problem: String
    /// What the reader expected.
    public let expected: String
    /// What it found instead.
    public let found: String

    /// Creates an error; `path` should be the full path of the file concerned.
    public init(_ kind: Kind, path: String, byteOffset: Int? = nil, line: Int? = nil,
                problem: String, expected: String, found: String) {
        self.kind = kind
        self.path = path
        self.byteOffset = byteOffset
        self.line = line
        self.problem = problem
        self.expected = expected
        self.found = found
    }

    public var description: String {
        var place = path
        if let line { place += " line \(line)" }
        if let byteOffset { place += " at byte \(byteOffset)" }
        return "\(place): \(problem): expected \(expected), found \(found)"
    }
}
