import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A data set could not be fetched: what was tried, and how to finish by hand.
public struct FetchError: Error, Sendable, CustomStringConvertible {
    public let dataset: DatasetName
    /// A short statement of the problem.
    public let problem: String
    /// Every URL tried, with what happened, in order.
    public let attempts: [String]
    /// What to put where to install the data set by hand.
    public let manualSteps: [String]

    public var description: String {
        var lines = ["cannot fetch \(dataset.rawValue): \(problem)"]
        if !attempts.isEmpty {
            lines.append("URLs tried:")
            lines += attempts.map { "  \($0)" }
        }
        if !manualSteps.isEmpty {
            lines.append("to install it by hand:")
            lines += manualSteps.map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

/// What `DatasetFetcher.fetch` did.
public struct FetchResult: Sendable, Equatable {
    public let dataset: DatasetName
    /// The installed directory.
    public let directory: URL
    /// True if a verified copy was already there and nothing was downloaded.
    public let wasPresent: Bool
    /// Bytes received over the network by this call.
    public let bytesDownloaded: Int64
    /// The URL each downloaded file came from.
    public let sources: [URL]
    /// Where an earlier, unverified content of `directory` was moved to, if any.
    public let previousContentMovedTo: URL?
}

/// Downloads, verifies and installs data sets (`bmrs data fetch`).
///
/// Into `root/<name>` (`mnist`, `fashion-mnist`, `cifar10`: the first subfolder
/// `DataLocator` searches). Work happens in `root/.partial/<name>/`, which discovery
/// never searches: each file is downloaded to `<file>.part` (resumed with an HTTP Range
/// request after an interruption, by this run or the next), checked against its published
/// MD5 and renamed to `<file>`; archives are extracted; the complete directory, with a
/// `FetchManifest`, is then renamed to `root/<name>` in one step. A half-finished fetch is
/// therefore never found. A lock file serialises concurrent fetches of one data set.
///
/// Per file, mirrors are tried in order. On one mirror a dropped connection is resumed
/// (up to `attemptsPerMirror` requests); an HTTP error (404, 500, …), a refused
/// connection, or a checksum mismatch moves on to the next mirror.
public struct DatasetFetcher: Sendable {
    /// The data root.
    public let root: URL
    public var downloader: HTTPDownloader
    /// Requests per mirror and file before moving on (resumes count).
    public var attemptsPerMirror: Int
    /// Human-readable steps ("downloading …", "verified …").
    public var log: @Sendable (String) -> Void
    /// Byte progress of the current download.
    public var progress: @Sendable (DownloadProgress) -> Void

    public init(root: URL, downloader: HTTPDownloader = HTTPDownloader(), attemptsPerMirror: Int = 3,
                log: @escaping @Sendable (String) -> Void = { _ in },
                progress: @escaping @Sendable (DownloadProgress) -> Void = { _ in }) {
        self.root = root
        self.downloader = downloader
        self.attemptsPerMirror = max(1, attemptsPerMirror)
        self.log = log
        self.progress = progress
    }

    /// Where `dataset` is installed under `root`.
    public func installDirectory(for dataset: DatasetName) -> URL {
        root.appendingPathComponent(DataLocator.subfolders(of: dataset)[0], isDirectory: true)
    }

    /// The work directory of `dataset` (partial downloads, staging).
    public func workDirectory(for dataset: DatasetName) -> URL {
        root.appendingPathComponent(".partial", isDirectory: true).appendingPathComponent(dataset.rawValue, isDirectory: true)
    }

    /// Makes `installDirectory(for: source.dataset)` hold a verified copy of `source`,
    /// downloading only what is missing.
    ///
    /// - Throws: `FetchError` (every URL tried and the files to place by hand) if some
    ///   file could not be had from any mirror; `DatasetError` for local file problems
    ///   and broken archives.
    public func fetch(_ source: DatasetSource) throws -> FetchResult {
        let target = installDirectory(for: source.dataset)
        if DataVerification.check(source, in: target).isVerified {
            return FetchResult(dataset: source.dataset, directory: target, wasPresent: true, bytesDownloaded: 0,
                               sources: [], previousContentMovedTo: nil)
        }
        let work = workDirectory(for: source.dataset)
        try createDirectory(work)
        let lock = try FileLock(path: work.deletingLastPathComponent().appendingPathComponent("\(source.dataset.rawValue).lock").path) {
            log("waiting for another fetch of \(source.dataset.rawValue) to finish")
        }
        defer { lock.unlock() }
        // Another process may have installed it while this one waited.
        if DataVerification.check(source, in: target).isVerified {
            return FetchResult(dataset: source.dataset, directory: target, wasPresent: true, bytesDownloaded: 0,
                               sources: [], previousContentMovedTo: nil)
        }

        var downloaded = [FetchManifest.Download]()
        var sources = [URL]()
        var received: Int64 = 0
        for file in source.files {
            let (url, bytes) = try obtain(file, of: source, in: work)
            downloaded.append(FetchManifest.Download(name: file.name, url: url?.absoluteString ?? "(already downloaded)", md5: file.md5))
            if let url { sources.append(url) }
            received += bytes
        }

        let staging = work.appendingPathComponent("staging-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)
        try? FileManager.default.removeItem(at: staging)
        try createDirectory(staging)
        let installed = try stage(source, from: work, into: staging)
        let manifest = FetchManifest(schema: FetchManifest.currentSchema, dataset: source.dataset,
                                     fetchedAt: ISO8601DateFormatter().string(from: Date()),
                                     checksumSource: source.checksumSource, downloads: downloaded, files: installed)
        try manifest.write(in: staging)
        let moved = try install(staging, at: target, work: work)
        // The downloads now live in the installed directory (or were extracted from).
        for file in source.files { try? FileManager.default.removeItem(at: work.appendingPathComponent(file.name)) }
        try? FileManager.default.removeItem(at: staging)
        if (try? FileManager.default.contentsOfDirectory(atPath: work.path))?.isEmpty == true {
            try? FileManager.default.removeItem(at: work)
        }
        log("installed \(source.dataset.rawValue) in \(target.path)")
        return FetchResult(dataset: source.dataset, directory: target, wasPresent: false, bytesDownloaded: received,
                           sources: sources, previousContentMovedTo: moved)
    }

    // MARK: - Downloading

    /// Makes `work/<file>` a verified copy of `file`; returns the URL it came from
    /// (nil if it was already there) and the bytes received.
    ///
    /// A request that ends early but left the partial file longer than before is progress
    /// and is resumed without counting against `attemptsPerMirror`; one that adds nothing
    /// (a server that ignores Range and drops again, a stalled connection) counts, so a
    /// bad mirror is given up after that many fruitless requests.
    private func obtain(_ file: RemoteFile, of source: DatasetSource, in work: URL) throws -> (URL?, Int64) {
        let done = work.appendingPathComponent(file.name)
        if isRegularFile(done.path) {
            if (try? md5OfFile(done.path))?.hexString == file.md5 { return (nil, 0) }
            try? FileManager.default.removeItem(at: done)
        }
        let part = work.appendingPathComponent(file.name + ".part")
        var attempts = [String]()
        var received: Int64 = 0
        for mirror in source.mirrors {
            let url = source.url(of: file, on: mirror)
            var fruitless = 0
            mirrorLoop: while fruitless < attemptsPerMirror {
                let before = fileSize(part)
                log(before > 0 ? "resuming \(url.absoluteString) at byte \(before)" : "downloading \(url.absoluteString)")
                let outcome: DownloadOutcome
                do {
                    outcome = try downloader.fetch(url, into: part, progress: progress)
                } catch let failure as DownloadFailure {
                    received += failure.received
                    attempts.append(failure.description)
                    log("  \(failure.description)")
                    switch failure.kind {
                    case .localFile:
                        throw DatasetError(.unreadable, path: part.path, problem: "cannot write download", expected: "a writable file", found: failure.description)
                    case .transport(let got) where got > 0:
                        if fileSize(part) <= before { fruitless += 1 }
                        continue mirrorLoop          // dropped mid-file: resume here
                    case .truncated:
                        if fileSize(part) <= before { fruitless += 1 }
                        continue mirrorLoop
                    case .httpStatus, .transport:
                        break mirrorLoop             // 404, 500, refused, DNS: next mirror
                    }
                }
                received += outcome.received
                let digest = try md5OfFile(part.path).hexString
                if digest == file.md5 {
                    try replaceItem(at: done, with: part)
                    log("verified \(file.name) (MD5 \(digest))")
                    return (url, received)
                }
                try? FileManager.default.removeItem(at: part)
                fruitless += 1
                switch outcome {
                case .rangeNotSatisfiable:
                    attempts.append("\(url.absoluteString): the partial file (\(before) bytes) is as long as the file but its MD5 is \(digest), expected \(file.md5); restarting")
                    continue mirrorLoop
                case let .complete(bytes, _):
                    attempts.append("\(url.absoluteString): checksum mismatch: MD5 \(digest) of \(bytes) bytes, expected \(file.md5)")
                    log("  checksum mismatch for \(file.name) (MD5 \(digest), expected \(file.md5)); discarded")
                    // A resumed file may have mixed two mirrors' bytes: retry whole once here.
                    if before > 0 { continue mirrorLoop }
                    break mirrorLoop
                }
            }
        }
        throw FetchError(dataset: source.dataset, problem: "no mirror delivered \(file.name) with MD5 \(file.md5)",
                         attempts: attempts, manualSteps: manualSteps(for: source))
    }

    /// The files to place by hand, with their checksums.
    public func manualSteps(for source: DatasetSource) -> [String] {
        let target = installDirectory(for: source.dataset).path
        let from = source.mirrors.isEmpty ? "the data set's page" : "any of " + source.mirrors.map(\.absoluteString).joined(separator: ", ")
        switch source.layout {
        case .asDownloaded:
            return ["download " + source.files.map { "\($0.name) (MD5 \($0.md5))" }.joined(separator: ", ")
                        + " from " + from,
                    "and place them, still gzip-compressed, as " + source.files.map { "\(target)/\($0.name)" }.joined(separator: ", "),
                    "(or anywhere, with --data-dir DIR or BMRS_DATA_DIR pointing at their folder)"]
        case let .extractTarGz(folder, required):
            return ["download " + source.files.map { "\($0.name) (MD5 \($0.md5))" }.joined(separator: ", ")
                        + " from " + from,
                    "extract it (tar xzf) and place the files of its \(folder)/ folder as "
                        + required.map { "\(target)/\($0)" }.joined(separator: ", "),
                    "(or place \(folder)/ anywhere, with --data-dir DIR or BMRS_DATA_DIR pointing at its parent)"]
        }
    }

    // MARK: - Installing

    /// Fills `staging` with the installed files of `source`; returns them with their MD5s.
    private func stage(_ source: DatasetSource, from work: URL, into staging: URL) throws -> [FetchManifest.InstalledFile] {
        switch source.layout {
        case .asDownloaded:
            return try source.files.map { file in
                let from = work.appendingPathComponent(file.name)
                let size = fileSize(from)
                try replaceItem(at: staging.appendingPathComponent(file.name), with: from)
                return FetchManifest.InstalledFile(name: file.name, bytes: size, md5: file.md5)
            }
        case let .extractTarGz(folder, required):
            var installed = [FetchManifest.InstalledFile]()
            for file in source.files {
                let archive = work.appendingPathComponent(file.name)
                log("extracting \(file.name)")
                installed += try extract(archive: archive, folder: folder, into: staging)
            }
            let names = Set(installed.map(\.name))
            let missing = required.filter { !names.contains($0) }
            guard missing.isEmpty else {
                throw DatasetError(.missingFile, path: work.appendingPathComponent(source.files[0].name).path,
                                   problem: "archive lacks files of the data set",
                                   expected: required.map { "\(folder)/\($0)" }.joined(separator: ", "),
                                   found: "no \(missing.joined(separator: ", "))")
            }
            return installed
        }
    }

    /// Extracts the regular files directly inside `folder/` of a `.tar.gz`, flat into
    /// `directory`. Other members are skipped; names are taken only from that folder
    /// level, so no member can be written outside `directory`.
    private func extract(archive: URL, folder: String, into directory: URL) throws -> [FetchManifest.InstalledFile] {
        let tar = TarReader(try GzipByteStream(path: archive.path))
        var installed = [FetchManifest.InstalledFile]()
        while let entry = try tar.next() {
            var name = entry.name
            while name.hasPrefix("./") { name.removeFirst(2) }
            guard entry.kind == .file, name.hasPrefix(folder + "/") else { continue }
            let base = String(name.dropFirst(folder.count + 1))
            guard !base.isEmpty, !base.contains("/"), !base.hasPrefix(".") else { continue }
            let destination = directory.appendingPathComponent(base)
            guard FileManager.default.createFile(atPath: destination.path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: destination.path) else {
                throw DatasetError(.unreadable, path: destination.path, problem: "cannot create extracted file",
                                   expected: "a writable directory", found: "creation failed")
            }
            var md5 = MD5()
            do {
                try tar.readData { chunk in
                    md5.update(chunk)
                    try handle.write(contentsOf: Data(chunk))
                }
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            installed.append(FetchManifest.InstalledFile(name: base, bytes: Int64(entry.size), md5: md5.finalize().hexString))
        }
        return installed
    }

    /// Renames `staging` to `target`. An existing `target` (it did not verify, or this
    /// would not run) is first moved into the work directory, not deleted: it may hold
    /// files someone placed by hand. Returns where it went.
    private func install(_ staging: URL, at target: URL, work: URL) throws -> URL? {
        var moved: URL?
        if FileManager.default.fileExists(atPath: target.path) {
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            let aside = work.deletingLastPathComponent().appendingPathComponent("\(target.lastPathComponent)-previous-\(stamp)", isDirectory: true)
            try replaceItem(at: aside, with: target)
            log("moved the previous, unverified \(target.path) to \(aside.path)")
            moved = aside
        }
        try createDirectory(target.deletingLastPathComponent())
        try replaceItem(at: target, with: staging)
        return moved
    }

    private func createDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw DatasetError(.unreadable, path: url.path, problem: "cannot create directory",
                               expected: "a writable location (choose another with --data-dir)", found: error.localizedDescription)
        }
    }
}

/// The size of the file at `url`, 0 if there is none.
func fileSize(_ url: URL) -> Int64 {
    (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value ?? 0
}

/// Renames `source` onto `destination`, replacing it atomically (rename(2)): how a fetch
/// moves a verified download or a staged directory into place (and the decoded-data cache
/// its file). Not `AtomicFile`, which writes bytes it is given; this moves what is already
/// on disk, and a failure is the data set's (`DatasetError`), not a report's write.
func replaceItem(at destination: URL, with source: URL) throws {
    guard rename(source.path, destination.path) == 0 else {
        throw DatasetError(.unreadable, path: destination.path, problem: "cannot rename \(source.lastPathComponent) into place",
                           expected: "a writable directory on the same file system", found: String(cString: strerror(errno)))
    }
}
