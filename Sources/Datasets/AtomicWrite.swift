import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `data` to `url` through a temporary file in the same directory and a rename,
/// so that a reader sees either the old file or the whole new one, never a part.
///
/// - Throws: `DatasetError` (`.unreadable`) naming the file if it cannot be written.
func writeAtomically(_ data: Data, to url: URL) throws {
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
    do {
        try data.write(to: temporary)
        try replaceItem(at: url, with: temporary)
    } catch let error as DatasetError {
        try? FileManager.default.removeItem(at: temporary)
        throw error
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw DatasetError(.unreadable, path: url.path, problem: "cannot write file",
                           expected: "a writable directory", found: error.localizedDescription)
    }
}

/// Renames `source` onto `destination` (a file), replacing it atomically (rename(2)).
func replaceItem(at destination: URL, with source: URL) throws {
    guard rename(source.path, destination.path) == 0 else {
        throw DatasetError(.unreadable, path: destination.path, problem: "cannot rename \(source.lastPathComponent) into place",
                           expected: "a writable directory on the same file system", found: String(cString: strerror(errno)))
    }
}
