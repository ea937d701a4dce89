import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small HTTP/1.1 server on 127.0.0.1 (an ephemeral port) for the fetch tests: it
/// serves byte ranges, answers 416 past the end, and misbehaves on demand (error
/// statuses, bodies cut short, connections dropped mid-file), which `python3 -m
/// http.server` cannot. One request per connection (`Connection: close`), each on its
/// own thread; every request is recorded for the tests to inspect.
final class LoopbackHTTPServer: @unchecked Sendable {
    /// What the server does for one path.
    enum Behaviour {
        /// 200 with the whole body, or 206 for `Range: bytes=N-` (416 if N ≥ size).
        case serve([UInt8])
        /// This status with a short HTML body (an error page, not the file).
        case status(Int)
        /// The first `times` requests: the headers `serve` would send (full Content-Length),
        /// then only `bytes` bytes of the body, then the connection is closed. Later
        /// requests are served normally, Range included.
        case dropAfter([UInt8], bytes: Int, times: Int)
        /// Every request: 200 with the full Content-Length, Range ignored, and the body cut
        /// after `bytes` bytes (a broken mirror that never completes).
        case alwaysCut([UInt8], bytes: Int)
    }

    /// One request as received.
    struct Request: Equatable {
        let path: String
        /// The Range header, if any.
        let range: String?
        /// Body bytes the server sent in reply.
        var bodyBytesSent: Int
    }

    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var routes: [String: Behaviour]
    private var served: [String: Int] = [:]
    private var log: [Request] = []
    private var stopped = false

    init(routes: [String: Behaviour]) throws {
        self.routes = routes
        _ = LoopbackHTTPServer.bypassProxies
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ServerError("bind/listen on 127.0.0.1: \(reason)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    /// libcurl (URLSession on Linux) honours http_proxy: where one is configured, exempt
    /// loopback so the tests talk to this server directly. Done once (a global's lazy
    /// initialisation), and only when a proxy is set, since setenv is not thread-safe.
    private static let bypassProxies: Bool = {
        let names = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
        guard names.contains(where: { getenv($0) != nil }) else { return false }
        setenv("no_proxy", "127.0.0.1,localhost", 1)
        setenv("NO_PROXY", "127.0.0.1,localhost", 1)
        return true
    }()

    /// `http://127.0.0.1:PORT/prefix/`: a mirror's base URL.
    func baseURL(_ prefix: String) -> URL {
        URL(string: "http://127.0.0.1:\(port)/\(prefix)/")!
    }

    /// Every request so far, in arrival order.
    var requests: [Request] {
        lock.lock(); defer { lock.unlock() }
        return log
    }

    func requests(under prefix: String) -> [Request] {
        requests.filter { $0.path.hasPrefix("/\(prefix)/") }
    }

    func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        guard !wasStopped else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return   // closed by stop()
            }
            let thread = Thread { [self] in handle(client) }
            thread.start()
        }
    }

    private func handle(_ client: Int32) {
        defer { close(client) }
        guard let head = readHead(client) else { return }
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2 else { return }
        let path = String(parts[1])
        var range: String?
        for line in lines.dropFirst() {
            let pieces = line.split(separator: ":", maxSplits: 1)
            if pieces.count == 2, pieces[0].lowercased() == "range" {
                range = pieces[1].trimmingCharacters(in: .whitespaces)
            }
        }
        lock.lock()
        let behaviour = routes[path]
        let count = served[path, default: 0]
        served[path] = count + 1
        let index = log.count
        log.append(Request(path: path, range: range, bodyBytesSent: 0))
        lock.unlock()

        let sent: Int
        switch behaviour {
        case nil:
            sent = sendError(client, 404)
        case let .status(code):
            sent = sendError(client, code)
        case let .serve(body):
            sent = sendFile(client, body, range: range, cutAfter: nil)
        case let .dropAfter(body, bytes, times):
            sent = sendFile(client, body, range: range, cutAfter: count < times ? bytes : nil)
        case let .alwaysCut(body, bytes):
            sent = sendFile(client, body, range: nil, cutAfter: bytes)
        }
        lock.lock()
        log[index].bodyBytesSent = sent
        lock.unlock()
    }

    /// The request line and headers (up to the blank line), or nil if the client left.
    private func readHead(_ client: Int32) -> String? {
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            bytes += buffer[0..<n]
            if let text = String(bytes: bytes, encoding: .utf8), let end = text.range(of: "\r\n\r\n") {
                return String(text[..<end.lowerBound])
            }
        }
        return nil
    }

    /// Sends `body` (or the range asked for); with `cutAfter`, stops after that many body
    /// bytes and lets the caller close the connection. Returns the body bytes sent.
    private func sendFile(_ client: Int32, _ body: [UInt8], range: String?, cutAfter: Int?) -> Int {
        var start = 0
        if let range, range.hasPrefix("bytes="), let dash = range.firstIndex(of: "-"),
           let first = Int(range[range.index(range.startIndex, offsetBy: 6)..<dash]) {
            start = first
        }
        let head: String
        if range != nil && start >= body.count {
            head = "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */\(body.count)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            sendAll(client, Array(head.utf8))
            return 0
        }
        if range != nil && start > 0 {
            head = "HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes \(start)-\(body.count - 1)/\(body.count)\r\nContent-Length: \(body.count - start)\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n"
        } else {
            start = 0
            head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: \(body.count)\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n"
        }
        sendAll(client, Array(head.utf8))
        let end = cutAfter.map { min(body.count, start + $0) } ?? body.count
        sendAll(client, Array(body[start..<end]))
        return end - start
    }

    private func sendError(_ client: Int32, _ code: Int) -> Int {
        let page = Array("<html><body>error \(code)</body></html>".utf8)
        let reason = code == 404 ? "Not Found" : code == 500 ? "Internal Server Error" : "Error"
        let head = "HTTP/1.1 \(code) \(reason)\r\nContent-Type: text/html\r\nContent-Length: \(page.count)\r\nConnection: close\r\n\r\n"
        sendAll(client, Array(head.utf8) + page)
        return page.count
    }

    private func sendAll(_ client: Int32, _ bytes: [UInt8]) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { send(client, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            done += n
        }
    }

    struct ServerError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
