import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FileOutput

/// Decoded, resized and normalised data sets on disk, so that a grid of hundreds of runs
/// decodes each data set once instead of once per run.
///
/// One file per data set directory and preprocessing (`<dataset>-<side>px-<hash>.f32`):
/// the official train and test sets exactly as `preprocess` returns them, Float32 NCHW
/// images and Int32 labels, behind a header that records what they were made from. A run
/// maps the file read-only (`mmap`), so concurrent runs and grid workers share one copy in
/// the page cache, and copies out its train/validation split as `loadSplits` would have
/// built it: the split is drawn from the same generator over the same count, and
/// preprocessing works image by image, so preprocessing first and splitting second gives
/// the same floats, bit for bit (tested).
///
/// The header's key names the source files (path, size, modification time in
/// nanoseconds, inode) and every preprocessing parameter (side, normalisation, resize
/// method, `preprocessingRevision`). A file whose key differs is stale; one whose header
/// or payload checksum fails, or whose size is wrong, is damaged. Either is rebuilt, never
/// used. Building takes a lock file, so two workers do not decode the same data set at
/// once, and writes a temporary file renamed into place, so no reader sees half a file.
/// A cache that cannot be written (read-only disk, full disk) is reported through `log`
/// and the run goes on with the data decoded in memory.
public struct DecodedCache: Sendable {
    /// `off` (or `0`, `false`, `no`) disables the cache for the command line; an
    /// absolute path puts it there instead of `UserCache.decodedRoot`.
    public static let environmentVariable = "BMRS_DECODED_CACHE"
    /// Version of the file layout below.
    public static let formatVersion: UInt32 = 1
    /// Bump whenever the readers or `preprocess` change what the tensors hold: every
    /// existing cache file then reads as stale and is rebuilt.
    public static let preprocessingRevision = 1
    /// The resize the tensors went through (part of the key).
    static let resizeMethod = "bilinear, align_corners=False, Float32 arithmetic (PyTorch F.interpolate)"
    static let fileExtension = "f32"
    static let magic = Array("BMRSDEC\0".utf8)
    /// Fixed fields before the key; the header is padded to a multiple of this.
    static let fixedHeaderSize = 64

    /// The folder holding the cache files (created when first needed).
    public let directory: URL
    /// Says when a file is built or rebuilt and why, or why the cache was bypassed.
    public var log: @Sendable (String) -> Void

    public init(directory: URL, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.directory = directory
        self.log = log
    }

    /// The command line's cache: `BMRS_DECODED_CACHE` if it is an absolute path, else
    /// `UserCache.decodedRoot`; nil if the variable says `off` or no folder is known.
    public static func standard(environment: [String: String], log: @escaping @Sendable (String) -> Void = { _ in }) -> DecodedCache? {
        let setting = environment[environmentVariable]?.trimmingCharacters(in: .whitespaces) ?? ""
        if ["off", "0", "false", "no"].contains(setting.lowercased()) { return nil }
        if setting.hasPrefix("/") { return DecodedCache(directory: URL(fileURLWithPath: setting, isDirectory: true), log: log) }
        return UserCache.decodedRoot(environment: environment).map { DecodedCache(directory: $0, log: log) }
    }

    /// What `prepare` found.
    public enum Outcome: Sendable, Equatable {
        /// A current, intact file was there.
        case current
        /// The file was (re)built; says why the old one could not serve.
        case built(reason: String)
    }

    // MARK: - Loading

    /// `loadSplits(_:in:validationFraction:using:)` through the cache: the same splits,
    /// bit for bit, and the same draws from `rng`.
    ///
    /// - Throws: `DatasetError` from reading the source files (cache problems are logged
    ///   and bypassed, never thrown).
    public func loadSplits(_ name: DatasetName, in dataDirectory: URL, validationFraction: Double = 0.2,
                           side: Int = modelImageSide, using rng: inout some RandomNumberGenerator) throws -> DatasetSplits {
        switch try obtain(name, in: dataDirectory, side: side) {
        case let .mapped(file, _):
            return file.splits(validationFraction: validationFraction, using: &rng)
        case let .memory(train, test):
            let (trainIndices, validationIndices) = trainValidationIndices(
                count: train.count, validationFraction: validationFraction, using: &rng)
            return DatasetSplits(train: train.subset(trainIndices), validation: train.subset(validationIndices), test: test)
        }
    }

    /// Makes the cache file of `name` in `dataDirectory` current (building it if needed)
    /// and says what it found.
    ///
    /// - Throws: `DatasetError` from reading the source files, or (unlike `loadSplits`)
    ///   when the file cannot be written.
    @discardableResult
    public func prepare(_ name: DatasetName, in dataDirectory: URL, side: Int = modelImageSide) throws -> Outcome {
        let key = try CacheKey(name, in: dataDirectory, side: side)
        let file = cacheFile(for: key)
        var reason: String
        switch MappedCacheFile.open(file, key: key) {
        case .success: return .current
        case let .failure(problem): reason = problem.reason
        }
        try createCacheDirectory()
        let lock = try FileLock(path: file.path + ".lock")
        defer { lock.unlock() }
        switch MappedCacheFile.open(file, key: key) {
        case .success: return .current
        case let .failure(problem): reason = problem.reason
        }
        let (train, test) = try decode(name, in: dataDirectory, side: side)
        try write(train: train, test: test, key: key, to: file)
        return .built(reason: reason)
    }

    /// The cache file for `name` in `dataDirectory` (it may not exist).
    public func cacheFile(for name: DatasetName, in dataDirectory: URL, side: Int = modelImageSide) -> URL {
        cacheFile(for: CacheKey(name: name, directory: CacheKey.canonicalPath(dataDirectory), side: side, files: []))
    }

    /// Every cache file in `directory`, with its size and the data set directory it was
    /// made from (nil if its header cannot be read): what `bmrs data` lists.
    public func entries() -> [(file: URL, bytes: Int64, dataset: String?, source: String?)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix("." + DecodedCache.fileExtension) && !$0.hasPrefix(".") }.sorted().map { name in
            let url = directory.appendingPathComponent(name)
            let key = CacheKey.readStored(from: url)
            return (url, fileSize(url), key?.dataset, key?.directory)
        }
    }

    private enum Obtained {
        case mapped(MappedCacheFile, Outcome)
        case memory(train: ImageSet, test: ImageSet)
    }

    /// The preprocessed sets: mapped from a current file, else decoded, written and
    /// mapped, else (the cache unwritable) decoded in memory.
    private func obtain(_ name: DatasetName, in dataDirectory: URL, side: Int) throws -> Obtained {
        let key = try CacheKey(name, in: dataDirectory, side: side)
        let file = cacheFile(for: key)
        var reason: String
        switch MappedCacheFile.open(file, key: key) {
        case let .success(mapped): return .mapped(mapped, .current)
        case let .failure(problem): reason = problem.reason
        }
        let lock: FileLock
        do {
            try createCacheDirectory()
            lock = try FileLock(path: file.path + ".lock") {
                log("waiting for another process to finish the decoded-data cache \(file.path)")
            }
        } catch {
            log("decoded-data cache bypassed (\(error)); decoding \(name.rawValue) in memory")
            let (train, test) = try decode(name, in: dataDirectory, side: side)
            return .memory(train: train, test: test)
        }
        defer { lock.unlock() }
        // Another worker may have built it while this one waited for the lock.
        switch MappedCacheFile.open(file, key: key) {
        case let .success(mapped): return .mapped(mapped, .current)
        case let .failure(problem): reason = problem.reason
        }
        log("decoding \(name.rawValue) into the decoded-data cache \(file.path) (\(reason))")
        do {
            // Scoped so that the decoded arrays are freed before the file is mapped: the
            // process then holds the data once, in the page cache it shares.
            let (train, test) = try decode(name, in: dataDirectory, side: side)
            do {
                try write(train: train, test: test, key: key, to: file)
            } catch {
                log("cannot write the decoded-data cache (\(error)); using the data decoded in memory")
                return .memory(train: train, test: test)
            }
        }
        switch MappedCacheFile.open(file, key: key) {
        case let .success(mapped): return .mapped(mapped, .built(reason: reason))
        case let .failure(problem):
            log("the decoded-data cache \(file.path) just written does not read back (\(problem.reason)); decoding \(name.rawValue) in memory")
            let (train, test) = try decode(name, in: dataDirectory, side: side)
            return .memory(train: train, test: test)
        }
    }

    /// The whole official train and test sets, preprocessed as `loadSplits` does.
    private func decode(_ name: DatasetName, in dataDirectory: URL, side: Int) throws -> (ImageSet, ImageSet) {
        let (train, test) = try readRawDataset(name, in: dataDirectory)
        return (preprocess(train, normalization: name.normalization, side: side),
                preprocess(test, normalization: name.normalization, side: side))
    }

    private func cacheFile(for key: CacheKey) -> URL {
        // Named after the source directory and parameters only, so a stale file (the
        // sources changed) is found, reported and replaced in place rather than left behind.
        let identity = [key.dataset, key.directory, "\(key.side)", key.normalization, key.resize, "\(key.revision)"].joined(separator: "\n")
        let hash = MD5.digest(Array(identity.utf8)).hexString.prefix(16)
        return directory.appendingPathComponent("\(key.dataset)-\(key.side)px-\(hash).\(DecodedCache.fileExtension)")
    }

    private func createCacheDirectory() throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw DatasetError(.unreadable, path: directory.path, problem: "cannot create the decoded-data cache folder",
                               expected: "a writable folder (set \(DecodedCache.environmentVariable)=DIR or =off)",
                               found: error.localizedDescription)
        }
    }

    // MARK: - Writing

    /// Writes header and payload to a temporary file beside `file`, then renames it over
    /// `file`. No fsync: a file damaged by a crash fails its checksum and is rebuilt. Not
    /// `AtomicFile`: this streams the four arrays (hundreds of MB for CIFAR-10) without
    /// first copying them into one buffer, and names its temporary file with the writer's
    /// pid so that `removeOrphans` can delete those of writers that died.
    private func write(train: ImageSet, test: ImageSet, key: CacheKey, to file: URL) throws {
        precondition(train.channels == test.channels && train.height == key.side && train.width == key.side
                     && test.height == key.side && test.width == key.side,
                     "DecodedCache.write: sets of shape \(train.channels)×\(train.height)×\(train.width) and \(test.channels)×\(test.height)×\(test.width) for side \(key.side)")
        let keyBytes = try key.encoded()
        var checksum: UInt64 = 0
        func section<T>(_ array: [T]) { checksum = array.withUnsafeBytes { ContentChecksum.hash($0, seed: checksum) } }
        section(train.images); section(test.images); section(train.labels); section(test.labels)
        let payloadLength = (train.images.count + test.images.count) * 4 + (train.labels.count + test.labels.count) * 4

        let unpadded = DecodedCache.fixedHeaderSize + keyBytes.count + 8
        let headerLength = (unpadded + DecodedCache.fixedHeaderSize - 1) / DecodedCache.fixedHeaderSize * DecodedCache.fixedHeaderSize
        var header = [UInt8](repeating: 0, count: headerLength)
        header.replaceSubrange(0..<8, with: DecodedCache.magic)
        storeLittleEndian(DecodedCache.formatVersion, into: &header, at: 8)
        storeLittleEndian(UInt32(headerLength), into: &header, at: 12)
        storeLittleEndian(UInt64(payloadLength), into: &header, at: 16)
        storeLittleEndian(checksum, into: &header, at: 24)
        storeLittleEndian(UInt64(train.count), into: &header, at: 32)
        storeLittleEndian(UInt64(test.count), into: &header, at: 40)
        storeLittleEndian(UInt32(train.channels), into: &header, at: 48)
        storeLittleEndian(UInt32(key.side), into: &header, at: 52)
        storeLittleEndian(UInt32(keyBytes.count), into: &header, at: 56)
        header.replaceSubrange(DecodedCache.fixedHeaderSize..<(DecodedCache.fixedHeaderSize + keyBytes.count), with: keyBytes)
        let headerChecksum = header.withUnsafeBytes { ContentChecksum.hash(UnsafeRawBufferPointer(rebasing: $0[..<(headerLength - 8)]), seed: 0) }
        storeLittleEndian(headerChecksum, into: &header, at: headerLength - 8)

        let temporary = file.deletingLastPathComponent()
            .appendingPathComponent(".\(file.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        let fd = posixOpen(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DatasetError(.unreadable, path: temporary.path, problem: "cannot create the decoded-data cache file",
                               expected: "a writable folder", found: String(cString: strerror(errno)))
        }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            func put(_ bytes: UnsafeRawBufferPointer) throws {
                var done = 0
                while done < bytes.count {
                    let n = posixWrite(fd, bytes.baseAddress! + done, bytes.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw DatasetError(.unreadable, path: temporary.path, byteOffset: done, problem: "cannot write the decoded-data cache file",
                                           expected: "room for \(headerLength + payloadLength) bytes", found: String(cString: strerror(errno)))
                    }
                    done += n
                }
            }
            try header.withUnsafeBytes(put)
            try train.images.withUnsafeBytes(put)
            try test.images.withUnsafeBytes(put)
            try train.labels.withUnsafeBytes(put)
            try test.labels.withUnsafeBytes(put)
            closed = true
            guard close(fd) == 0 else {
                throw DatasetError(.unreadable, path: temporary.path, problem: "cannot close the decoded-data cache file",
                                   expected: "a successful close", found: String(cString: strerror(errno)))
            }
            try replaceItem(at: file, with: temporary)
        } catch {
            unlink(temporary.path)
            throw error
        }
        removeOrphans(keeping: file)
    }

    /// Deletes cache files made from data set directories that no longer exist (test
    /// folders, moved copies): nothing could ever use them again. Also deletes temporary
    /// files of writers that died mid-write (killed): the name carries the writer's pid.
    private func removeOrphans(keeping file: URL) {
        for entry in entries() where entry.file.lastPathComponent != file.lastPathComponent {
            guard let source = entry.source, !FileManager.default.fileExists(atPath: source) else { continue }
            try? FileManager.default.removeItem(at: entry.file)
            try? FileManager.default.removeItem(atPath: entry.file.path + ".lock")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(".") && name.contains(".\(DecodedCache.fileExtension).tmp-") {
            let fields = name.components(separatedBy: ".tmp-").last?.split(separator: "-") ?? []
            guard let pid = fields.first.flatMap({ Int32($0) }), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }
}

// MARK: - Key

/// What a cache file was made from; stored as sorted-key JSON in its header and
/// compared byte for byte.
struct CacheKey: Codable, Equatable {
    struct SourceFile: Codable, Equatable {
        let name: String
        let bytes: Int64
        /// Modification time, "seconds.nanoseconds" since the epoch.
        let modified: String
        let inode: UInt64
    }

    var format = Int(DecodedCache.formatVersion)
    var revision = DecodedCache.preprocessingRevision
    let dataset: String
    /// The data set directory, symbolic links resolved.
    let directory: String
    let side: Int
    let normalization: String
    var resize = DecodedCache.resizeMethod
    let files: [SourceFile]

    init(name: DatasetName, directory: String, side: Int, files: [SourceFile]) {
        self.dataset = name.rawValue
        self.directory = directory
        self.side = side
        self.normalization = name.normalization.rawValue
        self.files = files
    }

    /// The key of `name`'s files in `directory` as they are now.
    ///
    /// - Throws: `DatasetError` (`.missingFile`) if a file of the data set is missing.
    init(_ name: DatasetName, in directory: URL, side: Int) throws {
        let paths = DataLocator.files(of: name, in: directory)
        guard !paths.isEmpty, DataLocator.missingFiles(of: name, in: directory).isEmpty else {
            throw DatasetError(.missingFile, path: directory.path, problem: "data set \(name.rawValue) incomplete",
                               expected: DataLocator.requiredFilesDescription(of: name),
                               found: "missing \(DataLocator.missingFiles(of: name, in: directory).joined(separator: ", "))")
        }
        let files = try paths.map { path -> SourceFile in
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw DatasetError(.unreadable, path: path, problem: "cannot stat file", expected: "a readable file",
                                   found: String(cString: strerror(errno)))
            }
            #if canImport(Darwin)
            let time = info.st_mtimespec
            #else
            let time = info.st_mtim
            #endif
            return SourceFile(name: URL(fileURLWithPath: path).lastPathComponent, bytes: Int64(info.st_size),
                              modified: "\(time.tv_sec).\(String(format: "%09ld", Int(time.tv_nsec)))", inode: UInt64(info.st_ino))
        }
        self.init(name: name, directory: CacheKey.canonicalPath(directory), side: side, files: files)
    }

    static func canonicalPath(_ directory: URL) -> String {
        directory.standardizedFileURL.resolvingSymlinksInPath().path
    }

    func encoded() throws -> [UInt8] {
        Array(try JSONCoding.canonicalEncoder().encode(self))
    }

    /// The key stored in a cache file's header, or nil if it cannot be read.
    static func readStored(from file: URL) -> CacheKey? {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return nil }
        defer { try? handle.close() }
        guard let fixed = try? handle.read(upToCount: DecodedCache.fixedHeaderSize), fixed.count == DecodedCache.fixedHeaderSize,
              Array(fixed.prefix(8)) == DecodedCache.magic else { return nil }
        let bytes = Array(fixed)
        let length = Int(loadLittleEndian(UInt32.self, from: bytes, at: 56))
        guard length <= 1 << 20, let keyData = try? handle.read(upToCount: length), keyData.count == length else { return nil }
        return try? JSONDecoder().decode(CacheKey.self, from: keyData)
    }
}

// MARK: - Reading

/// A cache file mapped read-only and checked; the data stay valid until it is released,
/// even if the file is replaced meanwhile (the mapping keeps the old inode alive).
final class MappedCacheFile: @unchecked Sendable {
    /// Why a cache file cannot serve.
    struct Problem: Error {
        let reason: String
    }

    private let base: UnsafeRawPointer
    private let length: Int
    let trainCount: Int
    let testCount: Int
    let channels: Int
    let side: Int
    private let payloadOffset: Int

    private init(base: UnsafeRawPointer, length: Int, trainCount: Int, testCount: Int, channels: Int, side: Int, payloadOffset: Int) {
        self.base = base
        self.length = length
        self.trainCount = trainCount
        self.testCount = testCount
        self.channels = channels
        self.side = side
        self.payloadOffset = payloadOffset
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), length) }

    /// Maps `file` and checks it against `key`: layout, header checksum, key, sizes,
    /// payload checksum.
    static func open(_ file: URL, key: CacheKey) -> Result<MappedCacheFile, Problem> {
        let fd = posixOpen(file.path, O_RDONLY | O_CLOEXEC, 0)
        guard fd >= 0 else {
            return .failure(Problem(reason: errno == ENOENT ? "no cache file yet" : "cache file unreadable: \(String(cString: strerror(errno)))"))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Problem(reason: "cannot stat the cache file: \(String(cString: strerror(errno)))")) }
        let size = Int(info.st_size)
        guard size >= DecodedCache.fixedHeaderSize else {
            return .failure(Problem(reason: "damaged: \(size) bytes, shorter than the \(DecodedCache.fixedHeaderSize)-byte header"))
        }
        guard let raw = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), raw != UnsafeMutableRawPointer(bitPattern: -1) else {
            return .failure(Problem(reason: "cannot map the cache file: \(String(cString: strerror(errno)))"))
        }
        let bytes = UnsafeRawBufferPointer(start: raw, count: size)
        func fail(_ reason: String) -> Result<MappedCacheFile, Problem> {
            munmap(raw, size)
            return .failure(Problem(reason: reason))
        }
        guard Array(bytes[0..<8]) == DecodedCache.magic else { return fail("damaged: not a decoded-data cache file (wrong magic)") }
        let version = bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian
        guard version == DecodedCache.formatVersion else {
            return fail("stale: format version \(version), this build writes \(DecodedCache.formatVersion)")
        }
        let headerLength = Int(bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian)
        let keyLength = Int(bytes.loadUnaligned(fromByteOffset: 56, as: UInt32.self).littleEndian)
        guard headerLength % DecodedCache.fixedHeaderSize == 0, headerLength <= size,
              keyLength <= headerLength - DecodedCache.fixedHeaderSize - 8 else {
            return fail("damaged: header length \(headerLength) / key length \(keyLength) do not fit a \(size)-byte file")
        }
        let storedHeaderChecksum = bytes.loadUnaligned(fromByteOffset: headerLength - 8, as: UInt64.self).littleEndian
        let headerChecksum = ContentChecksum.hash(UnsafeRawBufferPointer(rebasing: bytes[0..<(headerLength - 8)]), seed: 0)
        guard storedHeaderChecksum == headerChecksum else { return fail("damaged: header checksum mismatch") }
        guard let expectedKey = try? key.encoded(),
              Array(bytes[DecodedCache.fixedHeaderSize..<(DecodedCache.fixedHeaderSize + keyLength)]) == expectedKey else {
            return fail("stale: made from other source files (changed since) or other preprocessing parameters")
        }
        let payloadLength = Int(bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian)
        let trainCount = Int(bytes.loadUnaligned(fromByteOffset: 32, as: UInt64.self).littleEndian)
        let testCount = Int(bytes.loadUnaligned(fromByteOffset: 40, as: UInt64.self).littleEndian)
        let channels = Int(bytes.loadUnaligned(fromByteOffset: 48, as: UInt32.self).littleEndian)
        let side = Int(bytes.loadUnaligned(fromByteOffset: 52, as: UInt32.self).littleEndian)
        guard side == key.side, channels >= 1, channels <= 4, trainCount < 1 << 32, testCount < 1 << 32,
              payloadLength == (trainCount + testCount) * (channels * side * side + 1) * 4 else {
            return fail("damaged: payload of \(payloadLength) bytes does not hold \(trainCount) + \(testCount) images of \(channels)×\(side)×\(side)")
        }
        guard size == headerLength + payloadLength else {
            return fail("damaged: \(size) bytes, expected \(headerLength + payloadLength) (truncated or extended)")
        }
        let imageFloats = channels * side * side
        var checksum: UInt64 = 0
        var offset = headerLength
        for count in [trainCount * imageFloats, testCount * imageFloats, trainCount, testCount] {
            checksum = ContentChecksum.hash(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count * 4)]), seed: checksum)
            offset += count * 4
        }
        let storedChecksum = bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self).littleEndian
        guard checksum == storedChecksum else { return fail("damaged: payload checksum mismatch") }
        return .success(MappedCacheFile(base: UnsafeRawPointer(raw), length: size, trainCount: trainCount, testCount: testCount,
                                        channels: channels, side: side, payloadOffset: headerLength))
    }

    private var imageFloats: Int { channels * side * side }
    private var trainImages: UnsafePointer<Float> { (base + payloadOffset).assumingMemoryBound(to: Float.self) }
    private var testImages: UnsafePointer<Float> { trainImages + trainCount * imageFloats }
    private var trainLabels: UnsafePointer<Int32> { UnsafeRawPointer(testImages + testCount * imageFloats).assumingMemoryBound(to: Int32.self) }
    private var testLabels: UnsafePointer<Int32> { trainLabels + trainCount }

    /// The splits `loadSplits` would return, with the same draws from `rng`.
    func splits(validationFraction: Double, using rng: inout some RandomNumberGenerator) -> DatasetSplits {
        let (trainIndices, validationIndices) = trainValidationIndices(count: trainCount, validationFraction: validationFraction, using: &rng)
        return DatasetSplits(train: gather(trainImages, trainLabels, trainIndices),
                             validation: gather(trainImages, trainLabels, validationIndices),
                             test: gather(testImages, testLabels, Array(0..<testCount)))
    }

    /// The images at `indices`, copied out of the mapping (as `ImageSet.subset`).
    private func gather(_ images: UnsafePointer<Float>, _ labels: UnsafePointer<Int32>, _ indices: [Int]) -> ImageSet {
        let size = imageFloats
        let pixels = [Float](unsafeUninitializedCapacity: indices.count * size) { out, initialized in
            for (k, i) in indices.enumerated() {
                (out.baseAddress! + k * size).initialize(from: images + i * size, count: size)
            }
            initialized = indices.count * size
        }
        return ImageSet(images: pixels, labels: indices.map { labels[$0] }, channels: channels, height: side, width: side)
    }
}

// MARK: - Checksum and byte order

/// A 64-bit content hash in the manner of XXH64 (four multiply-rotate lanes over 32-byte
/// stripes, then an avalanche; not bit-compatible with XXH64). Not cryptographic: it
/// detects a damaged or truncated cache file at memory speed, where MD5 would cost a good
/// part of what the cache saves.
enum ContentChecksum {
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    @inline(__always) private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { x << r | x >> (64 - r) }
    @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 { rotl(acc &+ input &* p2, 31) &* p1 }

    static func hash(_ buffer: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let n = buffer.count
        var h: UInt64
        var i = 0
        if n >= 32, let base = buffer.baseAddress {
            var v1 = seed &+ p1 &+ p2, v2 = seed &+ p2, v3 = seed, v4 = seed &- p1
            while i + 32 <= n {
                v1 = round(v1, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                v2 = round(v2, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)))
                v3 = round(v3, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self)))
                v4 = round(v4, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)))
                i += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            for v in [v1, v2, v3, v4] { h = (h ^ round(0, v)) &* p1 &+ p4 }
        } else {
            h = seed &+ p5
        }
        h = h &+ UInt64(n)
        if let base = buffer.baseAddress {
            while i + 8 <= n {
                h ^= round(0, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                h = rotl(h, 27) &* p1 &+ p4
                i += 8
            }
            while i < n {
                h ^= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) &* p5
                h = rotl(h, 11) &* p1
                i += 1
            }
        }
        h ^= h >> 33; h = h &* p2
        h ^= h >> 29; h = h &* p3
        h ^= h >> 32
        return h
    }
}

// File-scope names for the POSIX calls: inside the types above, `open` and `write` would
// resolve to their own methods.
private func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }

private func storeLittleEndian<T: FixedWidthInteger>(_ value: T, into bytes: inout [UInt8], at offset: Int) {
    withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + MemoryLayout<T>.size), with: $0) }
}

private func loadLittleEndian<T: FixedWidthInteger>(_ type: T.Type, from bytes: [UInt8], at offset: Int) -> T {
    bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
}
