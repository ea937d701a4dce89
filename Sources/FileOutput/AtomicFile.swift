import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that a reader (or a rerun after `kill -9`) never sees a partial one:
/// the bytes go to a temporary file in the same directory, which is flushed to disk and
/// then renamed over the destination (rename is atomic within a file system).
///
/// A write that fails at any step (no space, a read-only or missing directory, a quota, an
/// I/O error, even one reported only when the file is flushed or closed, as on NFS) throws
/// a `FileWriteError` naming the destination and leaves it as it was: its previous content
/// if it had one, absent otherwise. The temporary file is removed.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            let cause = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            let reason = cause.map { $0.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32($0.code))) : $0.localizedDescription }
            throw FileWriteError(path: path, step: "creating its directory \(directory.path)", reason: reason ?? error.localizedDescription)
        }
        let temporary = directory.appendingPathComponent(
            ".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt64.random(in: 0...UInt64.max)).tmp").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw FileWriteError(path: path, step: "creating a temporary file in \(directory.path)", reason: String(cString: strerror(errno)))
        }
        var failure: FileWriteError?
        if let code = writeAll(data, to: fd) {
            failure = FileWriteError(path: path, step: "writing \(data.count) bytes", reason: String(cString: strerror(code)))
        } else if fsync(fd) != 0 {
            failure = FileWriteError(path: path, step: "flushing it to disk", reason: String(cString: strerror(errno)))
        }
        if close(fd) != 0, failure == nil {
            failure = FileWriteError(path: path, step: "closing it", reason: String(cString: strerror(errno)))
        }
        if failure == nil, rename(temporary, path) != 0 {
            failure = FileWriteError(path: path, step: "renaming the temporary file over it", reason: String(cString: strerror(errno)))
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    public static func write(_ bytes: [UInt8], to url: URL) throws {
        try write(Data(bytes), to: url)
    }

    /// Encodes `value` as pretty, key-sorted JSON (stable diffs) and writes it atomically.
    public static func writeJSON<T: Encodable>(_ value: T, to url: URL, keys: JSONCoding.KeyStyle = .snakeCase) throws {
        try write(JSONCoding.encode(value, keys: keys), to: url)
    }
}

/// Writes every byte of `data` to `fd`; nil on success, else the `errno` of the failure.
private func writeAll(_ data: Data, to fd: Int32) -> Int32? {
    data.withUnsafeBytes { raw -> Int32? in
        guard let base = raw.baseAddress else { return nil }
        var done = 0
        while done < raw.count {
            let n = write(fd, base + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return nil
    }
}

/// A file that could not be written: the destination, the step that failed and the
/// system's reason, e.g.
///
///     cannot write /runs/a/run.json (creating a temporary file in /runs/a: Permission
///     denied); the file is unchanged
public struct FileWriteError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// The destination that was to be written.
    public var path: String
    public var step: String
    public var reason: String

    public init(path: String, step: String, reason: String) {
        self.path = path
        self.step = step
        self.reason = reason
    }

    public var description: String { "cannot write \(path) (\(step): \(reason)); the file is unchanged" }
    public var errorDescription: String? { description }
}
