import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// How far a download has got, for a progress display.
public struct DownloadProgress: Sendable, Equatable {
    /// The URL being read.
    public let url: URL
    /// Bytes of the file on disk so far (including a resumed prefix).
    public let bytes: Int64
    /// The file's full size when the server says it, else nil.
    public let total: Int64?
}

/// The result of one HTTP request made by `HTTPDownloader`.
public enum DownloadOutcome: Sendable, Equatable {
    /// The body was received completely; the file holds `bytes` bytes, `received` of
    /// them from this request.
    case complete(bytes: Int64, received: Int64)
    /// The server answered 416 to a Range request: the partial file is already as long
    /// as the resource (or longer), so it is either complete or wrong; the caller verifies.
    case rangeNotSatisfiable(bytes: Int64)

    /// Body bytes this request delivered.
    public var received: Int64 {
        switch self {
        case let .complete(_, received): return received
        case .rangeNotSatisfiable: return 0
        }
    }
}

/// Why a download did not complete, with what the server or network said.
public struct DownloadFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// An HTTP status other than 200/206/416 (e.g. 404, 500).
        case httpStatus(Int)
        /// No connection, DNS failure, timeout, or the connection dropped; `received`
        /// bytes arrived in this request before it ended.
        case transport(received: Int64)
        /// The connection ended before the announced `Content-Length`.
        case truncated(received: Int64, expected: Int64)
        /// The partial file could not be written.
        case localFile(String)
    }

    public let url: URL
    public let kind: Kind
    /// The error text from the HTTP layer, if any.
    public let detail: String

    /// Body bytes the request delivered before it failed (written to the partial file).
    public var received: Int64 {
        switch kind {
        case let .transport(received), let .truncated(received, _): return received
        case .httpStatus, .localFile: return 0
        }
    }

    public var description: String {
        switch kind {
        case let .httpStatus(code): return "\(url.absoluteString): HTTP \(code)"
        case let .transport(received): return "\(url.absoluteString): \(detail)" + (received > 0 ? " after \(received) bytes" : "")
        case let .truncated(received, expected): return "\(url.absoluteString): connection ended after \(received) of \(expected) bytes"
        case let .localFile(message): return "\(url.absoluteString): cannot write the download: \(message)"
        }
    }
}

/// Downloads one URL into a partial file with HTTP/1.1 (or whatever the URL's scheme
/// needs) through Foundation's `URLSession` (libcurl on Linux), resuming with a `Range`
/// request when the file already holds a prefix.
///
/// One request per call; retry and mirror policy belong to the caller (`DatasetFetcher`).
/// `Accept-Encoding: identity` is sent so that a server cannot hand back a transparently
/// decompressed `.gz` (whose checksum would then not match) or a range of the encoded form.
public struct HTTPDownloader: Sendable {
    /// Seconds without any data before a request fails (URLSession's request timeout).
    public var idleTimeout: TimeInterval

    public init(idleTimeout: TimeInterval = 30) {
        self.idleTimeout = idleTimeout
    }

    /// Requests `url` and appends the body to `partialFile` (created if missing).
    ///
    /// If the file holds N > 0 bytes, sends `Range: bytes=N-`: a 206 reply whose
    /// `Content-Range` starts at N is appended; a 200 reply (range ignored) replaces the
    /// file's content; a 416 reply returns `.rangeNotSatisfiable`.
    ///
    /// - Throws: `DownloadFailure`.
    public func fetch(_ url: URL, into partialFile: URL,
                      progress: @escaping @Sendable (DownloadProgress) -> Void = { _ in }) throws -> DownloadOutcome {
        let existing = (try? FileManager.default.attributesOfItem(atPath: partialFile.path)[.size] as? NSNumber)?.int64Value ?? 0
        if !FileManager.default.fileExists(atPath: partialFile.path) {
            guard FileManager.default.createFile(atPath: partialFile.path, contents: nil) else {
                throw DownloadFailure(url: url, kind: .localFile("cannot create \(partialFile.path)"), detail: "")
            }
        }
        let handle: FileHandle
        do { handle = try FileHandle(forWritingTo: partialFile) } catch {
            throw DownloadFailure(url: url, kind: .localFile("cannot open \(partialFile.path): \(error.localizedDescription)"), detail: "")
        }
        defer { try? handle.close() }

        let receiver = BodyReceiver(url: url, file: handle, existing: existing, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        let session = URLSession(configuration: configuration, delegate: receiver, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }

        var request = URLRequest(url: url)
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue("bmrs-swift (dataset fetch)", forHTTPHeaderField: "User-Agent")
        if existing > 0 { request.setValue("bytes=\(existing)-", forHTTPHeaderField: "Range") }
        session.dataTask(with: request).resume()
        return try receiver.waitForResult()
    }
}

/// URLSession delegate that writes the body to the partial file as it arrives.
///
/// URLSession calls it on its own serial delegate queue; `lock` guards the state that
/// the waiting caller reads afterwards.
private final class BodyReceiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let url: URL
    private let file: FileHandle
    private let existing: Int64
    private let progress: @Sendable (DownloadProgress) -> Void
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()

    private var status = 0
    /// Where the body starts in the file: `existing` for a 206 reply, 0 for a 200.
    private var offset: Int64 = 0
    private var received: Int64 = 0
    private var expectedBody: Int64 = -1
    private var total: Int64?
    private var failure: DownloadFailure?
    private var transportError: String?
    /// True once a 200/206 reply was accepted: only then is body data the file's. On
    /// Linux, URLSession still delivers the body of a reply cancelled in
    /// `didReceive response` (an error page), which must not reach the partial file.
    private var writing = false

    init(url: URL, file: FileHandle, existing: Int64, progress: @escaping @Sendable (DownloadProgress) -> Void) {
        self.url = url
        self.file = file
        self.existing = existing
        self.progress = progress
    }

    func waitForResult() throws -> DownloadOutcome {
        finished.wait()
        lock.lock(); defer { lock.unlock() }
        if let failure { throw failure }
        if let transportError {
            throw DownloadFailure(url: url, kind: .transport(received: received), detail: transportError)
        }
        switch status {
        case 416:
            return .rangeNotSatisfiable(bytes: existing)
        case 200, 206:
            if expectedBody >= 0, received < expectedBody {
                throw DownloadFailure(url: url, kind: .truncated(received: received, expected: expectedBody), detail: "")
            }
            return .complete(bytes: offset + received, received: received)
        default:
            throw DownloadFailure(url: url, kind: .httpStatus(status), detail: "")
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        lock.lock(); defer { lock.unlock() }
        let http = response as? HTTPURLResponse
        status = http?.statusCode ?? 0
        expectedBody = response.expectedContentLength
        switch status {
        case 206:
            // Append only if the server resumed exactly where the file ends.
            let range = (http?.value(forHTTPHeaderField: "Content-Range")).flatMap(ContentRange.init)
            guard let range, range.first == existing else {
                failure = DownloadFailure(url: url, kind: .httpStatus(206),
                                          detail: "Content-Range \(http?.value(forHTTPHeaderField: "Content-Range") ?? "missing") does not start at byte \(existing)")
                completionHandler(.cancel)
                return
            }
            offset = existing
            total = range.total
        case 200:
            offset = 0
            total = expectedBody >= 0 ? expectedBody : nil
            do {
                try file.truncate(atOffset: 0)
            } catch {
                failure = DownloadFailure(url: url, kind: .localFile(error.localizedDescription), detail: "")
                completionHandler(.cancel)
                return
            }
        default:
            // 416, 404, 500, …: the body is an error page, not the file.
            completionHandler(.cancel)
            finishedEarly = true
            return
        }
        do { try file.seek(toOffset: UInt64(offset)) } catch {
            failure = DownloadFailure(url: url, kind: .localFile(error.localizedDescription), detail: "")
            completionHandler(.cancel)
            return
        }
        writing = true
        completionHandler(.allow)
    }

    /// The task was cancelled on purpose after its status line; its error is not a transport error.
    private var finishedEarly = false

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        guard writing else {
            lock.unlock()
            return
        }
        do {
            try file.write(contentsOf: data)
            received += Int64(data.count)
        } catch {
            failure = DownloadFailure(url: url, kind: .localFile(error.localizedDescription), detail: "")
            writing = false
            lock.unlock()
            dataTask.cancel()
            return
        }
        let report = DownloadProgress(url: url, bytes: offset + received, total: total)
        lock.unlock()
        progress(report)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        if let error, failure == nil, !finishedEarly {
            transportError = (error as NSError).localizedDescription
        }
        lock.unlock()
        finished.signal()
    }
}

/// A `Content-Range: bytes FIRST-LAST/TOTAL` header (TOTAL may be `*`).
struct ContentRange: Equatable {
    let first: Int64
    let last: Int64
    let total: Int64?

    init?(_ header: String) {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("bytes ") else { return nil }
        let spec = text.dropFirst(6)
        let parts = spec.split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let bounds = parts[0].split(separator: "-", maxSplits: 1)
        guard bounds.count == 2, let first = Int64(bounds[0]), let last = Int64(bounds[1]), first <= last else { return nil }
        self.first = first
        self.last = last
        self.total = parts[1] == "*" ? nil : Int64(parts[1])
    }
}
