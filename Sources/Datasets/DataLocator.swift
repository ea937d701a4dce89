import Foundation

/// Finds data set directories (SPEC §4).
///
/// Search order, first complete match wins:
/// 1. the `--data-dir` argument (`dataDirectory`),
/// 2. the `BMRS_DATA_DIR` environment variable,
/// 3. the per-user cache `UserCache.dataRoot` (`~/.cache/bmrs/datasets`), where `bmrs data
///    fetch` installs by default: only its named subfolders,
/// 4. system directories: by default only `/usr/share/datasets/fashion-mnist` (Debian
///    package `dataset-fashion-mnist`), for Fashion-MNIST only,
/// 5. `./data`'s named subfolders.
///
/// Within a root from 1 or 2, a data set may live in a subfolder named after it
/// (checked first; see `subfolders(of:)`) or in the root itself. Because MNIST and
/// Fashion-MNIST use the same file names, a root holding IDX files directly serves
/// as either; use subfolders to keep both. A directory counts as a match only if it
/// holds every file of the data set.
public struct DataLocator: Sendable {
    /// The environment variable naming a data root.
    public static let environmentVariable = "BMRS_DATA_DIR"
    /// Where Debian's `dataset-fashion-mnist` installs its files.
    public static let debianFashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"
    /// System directories searched last, per data set.
    public static let defaultSystemDirectories: [DatasetName: [String]] = [
        .fashionMNIST: [debianFashionMNISTDirectory],
    ]

    /// The `--data-dir` argument, if any.
    public let dataDirectory: String?
    /// `data/` under the working directory, searched after everything else (nil: not searched).
    public let localDataDirectory: String?
    /// The value of `BMRS_DATA_DIR`, if set and not empty.
    public let environmentDirectory: String?
    /// Directories searched after the roots, per data set.
    public let systemDirectories: [DatasetName: [String]]
    /// The per-user cache's data root (`UserCache.dataRoot`), nil when the environment
    /// names no home or cache folder.
    public let userCacheDirectory: String?
    /// Where `loadSplits(_:locator:…)` keeps decoded tensors; nil decodes every time.
    /// The command line sets it (unless `--no-decoded-cache`); library callers opt in.
    public var decodedCache: DecodedCache?

    /// - Parameters:
    ///   - dataDirectory: the `--data-dir` argument (nil or empty when not given).
    ///   - environment: the process environment (`BMRS_DATA_DIR`, and `BMRS_CACHE_DIR`,
    ///     `XDG_CACHE_HOME`, `HOME` for the per-user cache).
    ///   - systemDirectories: last-resort directories per data set; tests replace them.
    public init(dataDirectory: String?, environment: [String: String],
                systemDirectories: [DatasetName: [String]] = DataLocator.defaultSystemDirectories,
                localDataDirectory: String? = FileManager.default.currentDirectoryPath + "/data") {
        self.localDataDirectory = localDataDirectory
        func nonEmpty(_ s: String?) -> String? {
            guard let s, !s.isEmpty else { return nil }
            return NSString(string: s).expandingTildeInPath
        }
        self.dataDirectory = nonEmpty(dataDirectory)
        self.environmentDirectory = nonEmpty(environment[DataLocator.environmentVariable])
        self.systemDirectories = systemDirectories
        self.userCacheDirectory = UserCache.dataRoot(environment: environment)?.path
    }

    /// Where `bmrs data fetch` installs (`<root>/<name>`): `--data-dir`, else
    /// `BMRS_DATA_DIR`, else the per-user cache; nil if none is known.
    public var fetchRoot: URL? {
        (dataDirectory ?? environmentDirectory ?? userCacheDirectory).map { URL(fileURLWithPath: $0, isDirectory: true) }
    }

    /// One place searched for a data set, and why it is searched.
    public struct Candidate: Sendable, Equatable {
        /// The directory searched.
        public let directory: URL
        /// "--data-dir", "BMRS_DATA_DIR", "user cache", "system" or "./data".
        public let origin: String
    }

    /// Subfolders of a root that may hold `name`, in search order.
    public static func subfolders(of name: DatasetName) -> [String] {
        switch name {
        case .mnist: return ["mnist", "MNIST/raw"]
        case .fashionMNIST: return ["fashion-mnist", "FashionMNIST/raw"]
        case .mnist5k: return ["mnist-5k"]
        case .cifar10: return ["cifar10", "cifar-10-batches-bin", "cifar10/cifar-10-batches-bin"]
        }
    }

    /// Every directory searched for `name`, in order.
    public func candidates(for name: DatasetName) -> [Candidate] {
        var result = [Candidate]()
        for (root, origin) in [(dataDirectory, "--data-dir"), (environmentDirectory, DataLocator.environmentVariable)] {
            guard let root else { continue }
            let rootURL = URL(fileURLWithPath: root, isDirectory: true)
            for sub in DataLocator.subfolders(of: name) {
                result.append(Candidate(directory: rootURL.appendingPathComponent(sub, isDirectory: true), origin: origin))
            }
            result.append(Candidate(directory: rootURL, origin: origin))
        }
        // Only the named subfolders: the fetcher installs there, and MNIST and
        // Fashion-MNIST files in the root itself could not be told apart.
        if let cache = userCacheDirectory {
            let root = URL(fileURLWithPath: cache, isDirectory: true)
            for sub in DataLocator.subfolders(of: name) {
                result.append(Candidate(directory: root.appendingPathComponent(sub, isDirectory: true), origin: "user cache"))
            }
        }
        for dir in systemDirectories[name] ?? [] {
            result.append(Candidate(directory: URL(fileURLWithPath: dir, isDirectory: true), origin: "system"))
        }
        // Last: ./data, where scripts/fetch-mnist-5k.sh puts the sample (so a fresh
        // checkout finds it without setting BMRS_DATA_DIR).
        if let local = localDataDirectory {
            let root = URL(fileURLWithPath: local, isDirectory: true)
            for sub in DataLocator.subfolders(of: name) {
                result.append(Candidate(directory: root.appendingPathComponent(sub, isDirectory: true), origin: "./data"))
            }
        }
        return result
    }

    /// The directory holding every file of `name` (first match in search order).
    ///
    /// - Throws: `DatasetError` (`.missingFile`) listing every place searched and what
    ///   was missing there.
    public func locate(_ name: DatasetName) throws -> URL {
        let places = candidates(for: name)
        var report = [String]()
        for place in places {
            let missing = DataLocator.missingFiles(of: name, in: place.directory)
            if missing.isEmpty { return place.directory }
            let path = place.directory.path
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || !isDirectory.boolValue {
                report.append("\(path) (\(place.origin)): no such directory")
            } else {
                report.append("\(path) (\(place.origin)): missing \(missing.joined(separator: ", "))")
            }
        }

        var expected = "\(DataLocator.requiredFilesDescription(of: name)) in --data-dir or \(DataLocator.environmentVariable) (or their \(DataLocator.subfolders(of: name).joined(separator: "|")) subfolder)"
        if name == .mnist5k { expected += "; scripts/fetch-mnist-5k.sh downloads it" }
        if name == .fashionMNIST { expected += ", or the Debian package dataset-fashion-mnist" }
        if DatasetCatalog.source(for: name) != nil {
            let into = fetchRoot.map { " (into \($0.appendingPathComponent(DataLocator.subfolders(of: name)[0]).path))" } ?? ""
            expected += "; `bmrs data fetch \(name.rawValue)` downloads and verifies it\(into), or add --fetch to a grid, report or train command"
        }
        let found = places.isEmpty
            ? "no place to search (no --data-dir given, \(DataLocator.environmentVariable) not set, no default directory for \(name.rawValue))"
            : "it in none of: " + report.joined(separator: "; ")
        throw DatasetError(.missingFile, path: places.first?.directory.path ?? name.rawValue,
                           problem: "data set \(name.rawValue) not found", expected: expected, found: found)
    }

    /// The files of `name` missing from `directory` (empty if it is complete); an IDX
    /// or CSV file counts as present raw or gzip-compressed.
    public static func missingFiles(of name: DatasetName, in directory: URL) -> [String] {
        switch name {
        case .mnist, .fashionMNIST:
            return IDX.allFiles.filter { IDX.path(of: $0, in: directory) == nil }.map { "\($0)[.gz]" }
        case .mnist5k:
            return MNIST5k.path(in: directory) == nil ? [MNIST5k.fileName] : []
        case .cifar10:
            return CIFAR10.allFiles.filter { !isRegularFile(directory.appendingPathComponent($0).path) }
        }
    }

    static func requiredFilesDescription(of name: DatasetName) -> String {
        switch name {
        case .mnist, .fashionMNIST: return IDX.allFiles.map { "\($0)[.gz]" }.joined(separator: ", ")
        case .mnist5k: return MNIST5k.fileName
        case .cifar10: return CIFAR10.allFiles.joined(separator: ", ")
        }
    }

    /// The files making up `name` in a complete `directory`.
    static func files(of name: DatasetName, in directory: URL) -> [String] {
        switch name {
        case .mnist, .fashionMNIST: return IDX.allFiles.compactMap { IDX.path(of: $0, in: directory) }
        case .mnist5k: return MNIST5k.path(in: directory).map { [$0] } ?? []
        case .cifar10: return CIFAR10.allFiles.map { directory.appendingPathComponent($0).path }
        }
    }

    /// What is available, for every data set (for `bmrs data`). Reads only headers
    /// and file sizes, except for MNIST-5k whose small CSV is parsed to count the split.
    public func survey() -> [DatasetAvailability] {
        DatasetName.allCases.map { name in
            let directory: URL
            do {
                directory = try locate(name)
            } catch {
                return DatasetAvailability(name: name, directory: nil, totalBytes: 0,
                                           trainCount: nil, testCount: nil, problem: "\(error)")
            }
            let files = DataLocator.files(of: name, in: directory)
            let totalBytes = files.reduce(Int64(0)) { sum, path in
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
                return sum + (size ?? 0)
            }
            do {
                let (train, test) = try DataLocator.counts(of: name, in: directory)
                return DatasetAvailability(name: name, directory: directory, totalBytes: totalBytes,
                                           trainCount: train, testCount: test, problem: nil)
            } catch {
                return DatasetAvailability(name: name, directory: directory, totalBytes: totalBytes,
                                           trainCount: nil, testCount: nil, problem: "\(error)")
            }
        }
    }

    /// Official train and test image counts, from headers or file sizes.
    static func counts(of name: DatasetName, in directory: URL) throws -> (train: Int, test: Int) {
        switch name {
        case .mnist, .fashionMNIST:
            let train = try IDX.requirePath(of: IDX.trainImages, in: directory)
            let test = try IDX.requirePath(of: IDX.testImages, in: directory)
            return (try readIDXCount(train, magic: IDX.imagesMagic), try readIDXCount(test, magic: IDX.imagesMagic))
        case .mnist5k:
            let (train, test) = try readMNIST5kDataset(in: directory)
            return (train.count, test.count)
        case .cifar10:
            func records(_ file: String) throws -> Int {
                let path = directory.appendingPathComponent(file).path
                let file = try InputFile(path)
                let size = file.size
                // Compressed batches: the size says nothing; read the whole file.
                if Compression(magic: try file.bytes(at: 0, count: 2)) != .none {
                    return try readCIFAR10Batch(path).count
                }
                guard size % CIFAR10.recordSize == 0 else {
                    throw DatasetError(.wrongSize, path: path, problem: "file size is not a whole number of CIFAR-10 records",
                                       expected: "a multiple of \(CIFAR10.recordSize) bytes", found: "\(size) bytes")
                }
                return size / CIFAR10.recordSize
            }
            return (try CIFAR10.trainBatches.reduce(0) { try $0 + records($1) }, try records(CIFAR10.testBatch))
        }
    }
}

/// One line of `DataLocator.survey()`.
public struct DatasetAvailability: Sendable, Equatable, Codable {
    /// The data set.
    public let name: DatasetName
    /// Where it was found, or nil.
    public let directory: URL?
    /// Total size of its files on disk (0 if not found).
    public let totalBytes: Int64
    /// Images in the official training set (before the validation split); for
    /// MNIST-5k, the 4,000 left after its fixed test split.
    public let trainCount: Int?
    /// Images in the official test set (MNIST-5k: its fixed 1,000-image test split).
    public let testCount: Int?
    /// Why it is unavailable or could not be read, if so (lists the places searched).
    public let problem: String?

    /// True if the data set was found and its headers read.
    public var isAvailable: Bool { directory != nil && problem == nil }
}
