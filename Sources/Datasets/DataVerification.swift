import Foundation

/// Whether a data set's files are the published ones.
public enum DataVerification: Sendable, Equatable, CustomStringConvertible {
    /// Every file matched; says against what.
    case verified(String)
    /// Not verified; says why (a differing checksum, or nothing to check against).
    case notVerified(String)

    public var isVerified: Bool { if case .verified = self { return true } else { return false } }

    public var description: String {
        switch self {
        case let .verified(how): return "verified: \(how)"
        case let .notVerified(why): return "not verified: \(why)"
        }
    }

    /// Checks the files of `name` in `directory` by MD5.
    ///
    /// MNIST and Fashion-MNIST: each `.gz` file against its published MD5
    /// (`DatasetCatalog`). CIFAR-10: the batches against the MD5s recorded in the
    /// `FetchManifest` when they were extracted from an archive whose published MD5
    /// matched (the batches have no published checksum of their own). MNIST-5k: nothing
    /// to check against here (`scripts/fetch-mnist-5k.sh` checks its SHA-256).
    public static func check(_ name: DatasetName, in directory: URL) -> DataVerification {
        guard let source = DatasetCatalog.source(for: name) else {
            return .notVerified("no published MD5 (scripts/fetch-mnist-5k.sh checks the file's SHA-256 when it downloads it)")
        }
        let result = check(source, in: directory)
        if !result.isVerified, directory.standardizedFileURL.path == DataLocator.debianFashionMNISTDirectory {
            // Debian's package rewrote each gzip header (no stored file name, its own time
            // stamp: every file is 23-24 bytes shorter than the published one), so no
            // published MD5 can match; apt checked the package's own checksums.
            return .notVerified("Debian's dataset-fashion-mnist rewrote the gzip headers (no file name, new time stamp), so the published MD5s (\(source.checksumSource)) cannot match; apt verified the package")
        }
        return result
    }

    /// Checks the files of `source.dataset` in `directory` against `source`'s checksums
    /// (the catalog's, or a test's own).
    public static func check(_ source: DatasetSource, in directory: URL) -> DataVerification {
        let name = source.dataset
        switch source.layout {
        case .asDownloaded:
            for file in source.files {
                let path = directory.appendingPathComponent(file.name).path
                guard isRegularFile(path) else {
                    return .notVerified("\(file.name) absent (stored decompressed?); the published MD5s are of the .gz files")
                }
                guard let digest = try? md5OfFile(path) else { return .notVerified("\(path) unreadable") }
                if digest.hexString != file.md5 {
                    return .notVerified("\(file.name) has MD5 \(digest.hexString), the published file \(file.md5) (\(source.checksumSource)): another or repackaged copy")
                }
            }
            return .verified("MD5 of every file matches \(source.checksumSource)")
        case .extractTarGz:
            guard let manifest = FetchManifest.read(in: directory) else {
                return .notVerified("the extracted batches have no published checksum; a copy installed by `bmrs data fetch \(name.rawValue)` is verified through its archive's")
            }
            let archives = Set(manifest.downloads.map(\.md5))
            guard source.files.allSatisfy({ archives.contains($0.md5) }) else {
                return .notVerified("\(FetchManifest.fileName) records an archive whose MD5 is not the published \(source.files.map(\.md5).joined(separator: ", "))")
            }
            let recorded = Dictionary(manifest.files.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for name in source.installedFiles {
                let path = directory.appendingPathComponent(name).path
                guard let entry = recorded[name] else { return .notVerified("\(name) is not in \(FetchManifest.fileName)") }
                guard let digest = try? md5OfFile(path) else { return .notVerified("\(path) missing or unreadable") }
                if digest.hexString != entry.md5 {
                    return .notVerified("\(name) has MD5 \(digest.hexString), but \(entry.md5) when it was extracted: changed since")
                }
            }
            let archive = source.files.map { "\($0.name) (MD5 \($0.md5))" }.joined(separator: ", ")
            return .verified("extracted \(manifest.fetchedAt) from \(archive), published at \(source.checksumSource); every file unchanged since")
        }
    }
}
