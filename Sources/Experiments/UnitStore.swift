import Foundation

/// A directory of finished units of work, each stored under the hash of its full
/// configuration (content-addressed): a finished unit is never recomputed, results are
/// written atomically, and a unit in flight holds a lock file naming its process, so
/// `kill -9` loses only that unit (its stale lock is taken over by the next claimer).
public struct UnitStore: Sendable {
    public let directory: URL

    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public func resultURL(_ key: String) -> URL { directory.appendingPathComponent("\(key).json") }
    private func lockURL(_ key: String) -> URL { directory.appendingPathComponent("\(key).lock") }

    public func isDone(_ key: String) -> Bool { FileManager.default.fileExists(atPath: resultURL(key).path) }

    public func load<T: Decodable>(_ type: T.Type, key: String) throws -> T? {
        guard isDone(key) else { return nil }
        return try JSONCoding.decoder().decode(T.self, from: Data(contentsOf: resultURL(key)))
    }

    public func save<T: Encodable>(_ value: T, key: String) throws {
        try AtomicFile.writeJSON(value, to: resultURL(key))
    }

    /// Claims `key` for this process: true if it created the lock (or took over the lock
    /// of a process that no longer exists). Claims of finished units fail.
    public func claim(_ key: String) -> Bool {
        guard !isDone(key) else { return false }
        let path = lockURL(key).path
        for _ in 0..<2 {
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o644)
            if fd >= 0 {
                let pid = "\(getpid())\n"
                _ = pid.withCString { write(fd, $0, strlen($0)) }
                close(fd)
                if isDone(key) { release(key); return false }  // finished while we raced
                return true
            }
            // Someone holds it: take it over only if that process is gone.
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  kill(pid, 0) != 0 && errno == ESRCH else { return false }
            unlink(path)
        }
        return false
    }

    public func release(_ key: String) { unlink(lockURL(key).path) }

    /// True while a live process holds `key`'s lock (worth waiting for its result).
    public func isClaimed(_ key: String) -> Bool {
        guard let text = try? String(contentsOfFile: lockURL(key).path, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return false }
        return kill(pid, 0) == 0 || errno != ESRCH
    }

    /// Copies every finished unit of `other` that this store lacks; a unit present in both
    /// must be byte-identical (units are deterministic), else the merge stops with an error.
    /// Returns how many units were copied.
    @discardableResult
    public func merge(from other: UnitStore) throws -> Int {
        var copied = 0
        for key in try other.finishedKeys() {
            let source = try Data(contentsOf: other.resultURL(key))
            if isDone(key) {
                let mine = try Data(contentsOf: resultURL(key))
                guard mine == source else {
                    throw ConfigError(field: "merge", expected: "identical results for unit \(key)",
                                      found: "different files in \(directory.path) and \(other.directory.path)")
                }
            } else {
                try AtomicFile.write(source, to: resultURL(key))
                copied += 1
            }
        }
        return copied
    }

    /// Finished unit keys in this store.
    public func finishedKeys() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
            .map { String($0.dropLast(5)) }.sorted()
    }
}

/// A stable 64-bit content hash (FNV-1a) of a value's canonical JSON (sorted keys), as 16
/// hex digits: the key of a unit of work.
public func contentKey<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let data = (try? encoder.encode(value)) ?? Data()
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in data { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return String(format: "%016llx", h)
}

/// `i/n`: this process takes the units whose position in the sorted key list is i mod n.
public struct Shard: Codable, Hashable, Sendable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw ConfigError(field: "--shard", expected: "i/n with 0 ≤ i < n", found: "\(index)/\(count)")
        }
        self.index = index
        self.count = count
    }

    public init(parsing text: String) throws {
        let parts = text.split(separator: "/").map { Int($0) }
        guard parts.count == 2, let i = parts[0], let n = parts[1] else {
            throw ConfigError(field: "--shard", expected: "i/n, e.g. 0/4", found: text)
        }
        try self.init(index: i, count: n)
    }

    public static let all = try! Shard(index: 0, count: 1)

    public func selects(position: Int) -> Bool { position % count == index }
    public var description: String { "\(index)/\(count)" }
}
