import ArgumentParser
import Datasets
import Foundation

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "List which data sets are found where and whether they verify; fetch them.",
        subcommands: [List.self, Fetch.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "Which data sets are found where, their sizes, whether their checksums verify, and the decoded-data cache.")

        @OptionGroup var data: DataOptions

        func run() throws {
            let locator = data.locator
            for entry in locator.survey() {
                let name = entry.name.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)
                let indent = String(repeating: " ", count: 15)
                if let dir = entry.directory, entry.isAvailable {
                    let origin = locator.candidates(for: entry.name).first { $0.directory.standardizedFileURL == dir.standardizedFileURL }?.origin
                    let counts = [entry.trainCount.map { "\($0) train" }, entry.testCount.map { "\($0) test" }]
                        .compactMap { $0 }.joined(separator: ", ")
                    print("\(name) found   \(dir.path)\(origin.map { " (\($0))" } ?? "")  \(megabytes(entry.totalBytes))\(counts.isEmpty ? "" : ", " + counts)")
                    print(indent + DataVerification.check(entry.name, in: dir).description)
                } else if entry.directory != nil {
                    print("\(name) unreadable \(entry.problem ?? "")")
                } else {
                    print("\(name) missing \(fetchHint(entry.name, locator: locator))")
                    let places = locator.candidates(for: entry.name).map { "\($0.directory.path) (\($0.origin))" }
                    print(indent + (places.isEmpty ? "no place to search" : "searched " + places.joined(separator: ", ")))
                }
            }
            if let cache = locator.decodedCache {
                let entries = cache.entries()
                let total = entries.reduce(Int64(0)) { $0 + $1.bytes }
                print("decoded-data cache: \(cache.directory.path) (\(entries.count) file\(entries.count == 1 ? "" : "s"), \(megabytes(total)); off with --no-decoded-cache or \(DecodedCache.environmentVariable)=off)")
                for entry in entries {
                    print("  \(entry.file.lastPathComponent)  \(megabytes(entry.bytes))  from \(entry.source ?? "(unreadable header)")")
                }
            } else {
                print("decoded-data cache: off")
            }
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fetch",
            abstract: "Download, verify (published MD5s) and install data sets into --data-dir, else $BMRS_DATA_DIR, else the per-user cache.",
            discussion: "Resumes a partial download; installs atomically (a half-finished fetch is never found). A data set already installed and verified is not downloaded again.")

        @Argument(help: "Data sets: \(DatasetCatalog.all.map(\.dataset.rawValue).joined(separator: ", ")), or all.")
        var names: [String]
        @OptionGroup var mirrors: MirrorOptions
        @OptionGroup var data: DataOptions

        func validate() throws {
            _ = try sources()
            _ = try mirrors.urls()
        }

        func sources() throws -> [DatasetSource] {
            if names.isEmpty { throw ValidationError("name a data set: \(DatasetCatalog.all.map(\.dataset.rawValue).joined(separator: ", ")) or all") }
            var result = [DatasetSource]()
            for name in names {
                if name == "all" { result += DatasetCatalog.all; continue }
                guard let dataset = DatasetName(rawValue: name), let source = DatasetCatalog.source(for: dataset) else {
                    let extra = name == DatasetName.mnist5k.rawValue ? " (MNIST-5k comes from scripts/fetch-mnist-5k.sh)" : ""
                    throw ValidationError("unknown data set '\(name)'\(extra): expected \(DatasetCatalog.all.map(\.dataset.rawValue).joined(separator: ", ")) or all")
                }
                result.append(source)
            }
            var seen = Set<DatasetName>()
            return result.filter { seen.insert($0.dataset).inserted }
        }

        func run() throws {
            let locator = data.locator
            for source in try sources() {
                try fetchDataset(source, locator: locator, mirrors: try mirrors.urls())
            }
        }
    }
}

/// `--mirror URL`, shared by `bmrs data fetch` and `--fetch`.
struct MirrorOptions: ParsableArguments {
    @Option(name: .customLong("mirror"),
            help: "Download from this base URL instead of the documented mirrors (repeatable, tried in order; the file name is appended).")
    var mirrors: [String] = []

    func urls() throws -> [URL] {
        try mirrors.map { text in
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw ValidationError("--mirror: expected an http:// or https:// base URL, got '\(text)'")
            }
            return url
        }
    }
}

/// `--fetch` (and `--mirror`) for the commands that train: a missing data set is fetched
/// first instead of stopping the run.
struct FetchOptions: ParsableArguments {
    @Flag(help: "Download and verify missing data sets first (as `bmrs data fetch` does) instead of stopping.")
    var fetch = false
    @OptionGroup var mirrors: MirrorOptions

    /// Makes every fetchable data set in `names` available: present, or fetched with
    /// `--fetch`, or else an error saying which command fetches it. Data sets without a
    /// download (MNIST-5k) are left to the loader's own message.
    func ensure(_ names: [DatasetName], data: DataOptions) throws {
        let locator = data.locator
        var seen = Set<DatasetName>()
        for name in names where seen.insert(name).inserted {
            guard let source = DatasetCatalog.source(for: name) else { continue }
            do {
                _ = try locator.locate(name)
                continue
            } catch let missing as DatasetError {
                guard fetch else {
                    throw MissingDataset(name: name, hint: fetchHint(name, locator: locator), searched: missing.found)
                }
            }
            try fetchDataset(source, locator: locator, mirrors: try mirrors.urls())
        }
    }
}

/// A data set a command needs is not installed, and `--fetch` was not given.
struct MissingDataset: Error, CustomStringConvertible {
    let name: DatasetName
    let hint: String
    let searched: String

    var description: String {
        "data set \(name.rawValue) not found: \(hint), or rerun this command with --fetch\n  (found \(searched))"
    }
}

/// "`bmrs data fetch X` downloads it (N MB) into DIR".
func fetchHint(_ name: DatasetName, locator: DataLocator) -> String {
    guard let source = DatasetCatalog.source(for: name) else {
        return name == .mnist5k ? "scripts/fetch-mnist-5k.sh downloads it into ./data/mnist-5k" : "no download known"
    }
    let size = source.downloadBytes > 0 ? " (\(megabytes(source.downloadBytes)))" : ""
    let into = locator.fetchRoot.map { " into \(DatasetFetcher(root: $0).installDirectory(for: name).path)" } ?? ""
    return "`bmrs data fetch \(name.rawValue)` downloads it\(size)\(into)"
}

/// Fetches `source` (from `mirrors` if any) into `locator.fetchRoot`, with progress on
/// stderr, and says what it did.
func fetchDataset(_ source: DatasetSource, locator: DataLocator, mirrors: [URL]) throws {
    guard let root = locator.fetchRoot else {
        throw ValidationError("no folder to fetch \(source.dataset.rawValue) into: pass --data-dir DIR, or set BMRS_DATA_DIR, BMRS_CACHE_DIR or HOME")
    }
    let source = mirrors.isEmpty ? source : source.withMirrors(mirrors)
    let display = TerminalProgress()
    let fetcher = DatasetFetcher(root: root, log: { display.line($0) }, progress: { display.update($0) })
    printErr("fetching \(source.dataset.rawValue) into \(fetcher.installDirectory(for: source.dataset).path)")
    let result = try fetcher.fetch(source)
    display.finish()
    if result.wasPresent {
        printErr("\(source.dataset.rawValue): already installed and verified in \(result.directory.path); nothing downloaded")
    } else {
        printErr("\(source.dataset.rawValue): \(megabytes(result.bytesDownloaded)) downloaded, verified against \(source.checksumSource), installed in \(result.directory.path)")
        if let moved = result.previousContentMovedTo { printErr("  the unverified files that were there are now in \(moved.path)") }
    }
}

func megabytes(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }

/// A one-line download bar on stderr when it is a terminal (redrawn at most ten times a
/// second), plain log lines otherwise. URLSession reports progress on its own queue,
/// hence the lock.
final class TerminalProgress: @unchecked Sendable {
    private let interactive = isatty(2) == 1
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var started = Date()
    private var currentURL: URL?
    private var startBytes: Int64 = 0
    private var drawn = 0

    /// A log line, printed above the bar.
    func line(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        clear()
        printErr(text)
    }

    func update(_ progress: DownloadProgress) {
        guard interactive else { return }
        lock.lock(); defer { lock.unlock() }
        if progress.url != currentURL {
            currentURL = progress.url
            started = Date()
            startBytes = progress.bytes
        }
        let now = Date()
        let complete = progress.total.map { progress.bytes >= $0 } ?? false
        guard complete || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(started), 1e-3)
        let rate = Double(progress.bytes - startBytes) / elapsed
        var text = "  \(progress.url.lastPathComponent)  \(megabytes(progress.bytes))"
        if let total = progress.total, total > 0 {
            let width = 24, filled = min(width, Int(Double(width) * Double(progress.bytes) / Double(total)))
            text += " / \(megabytes(total)) [" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "]"
            if rate > 0 { text += "  ETA \(formatDuration(Double(total - progress.bytes) / rate))" }
        }
        text += String(format: "  %.1f MB/s", rate / 1e6)
        FileHandle.standardError.write(Data(("\r" + text.padding(toLength: max(drawn, text.count), withPad: " ", startingAt: 0)).utf8))
        drawn = text.count
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        clear()
    }

    private func clear() {
        guard drawn > 0 else { return }
        FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: drawn) + "\r").utf8))
        drawn = 0
    }
}
