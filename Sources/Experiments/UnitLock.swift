import Foundation
import FileOutput

/// Who holds a unit's lock file, and when a lock may be taken over (issue 15, item 3).
///
/// The lock names host, pid and the process's start time (clock ticks since boot, from
/// /proc/<pid>/stat) and its file's modification time is refreshed while the unit runs.
/// On the holder's own host a lock is stale when that process is gone, or when the pid
/// now belongs to another process (start time differs: pid reuse). A lock from another
/// host cannot be checked that way: it is stale only once it has not been refreshed for
/// the lease. Locks of the older format (a bare pid) count as this host's.
public struct LockOwner: Codable, Equatable, Sendable {
    public var host: String
    public var pid: Int32
    public var start: UInt64?

    public static func current(host: String) -> LockOwner {
        LockOwner(host: host, pid: getpid(), start: processStartTime(getpid()))
    }

    /// Parses a lock file's text (JSON, or the older bare pid).
    static func parse(_ text: String, localHost: String) -> LockOwner? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let pid = Int32(trimmed) { return LockOwner(host: localHost, pid: pid, start: nil) }
        return try? JSONDecoder().decode(LockOwner.self, from: Data(trimmed.utf8))
    }

    var text: String {
        String(decoding: (try? JSONCoding.canonicalEncoder().encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }

    /// Whether this lock's holder is still at work, seen from `localHost`; `age` is the
    /// seconds since the lock file was last refreshed.
    func isAlive(localHost: String, age: TimeInterval, lease: TimeInterval) -> Bool {
        guard host == localHost else { return age < lease }
        if kill(pid, 0) != 0 && errno == ESRCH { return false }
        if let start, let now = LockOwner.processStartTime(pid), now != start { return false }
        return true
    }

    /// Field 22 of /proc/<pid>/stat (nil where /proc is missing).
    static func processStartTime(_ pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces) start at field 3.
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    public static var localHostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        return gethostname(&buffer, buffer.count) == 0 ? String(cString: buffer) : ProcessInfo.processInfo.hostName
    }
}

/// Touches a lock file while it still names this process, until it is released; the
/// other hosts' lease counts from the last touch.
final class LockRefresher: Sendable {
    static func start(path: String, owner: LockOwner, every interval: TimeInterval) {
        let text = owner.text
        let thread = Thread {
            while true {
                Thread.sleep(forTimeInterval: interval)
                guard let now = try? String(contentsOfFile: path, encoding: .utf8), now == text else { return }
                utimes(path, nil)
            }
        }
        thread.start()
    }
}
