import Foundation
import FileOutput

/// A directory of finished units of work, each stored under the hash of its full
/// configuration (content-addressed): a finished unit is never recomputed, results are
/// written atomically, and a unit in flight holds a lock file naming its process, so
/// `kill -9` loses only that unit (its stale lock is taken over by the next claimer).
public struct UnitStore: Sendable {
    public let directory: URL
    /// This process's host as locks name it (tests simulate several hosts).
    public var host: String
    /// Seconds after its last refresh at which another host's lock counts as abandoned;
    /// a held lock is refreshed every lease/5.
    public var lease: TimeInterval

    public init(directory: URL, host: String = LockOwner.localHostName, lease: TimeInterval = 300) throws {
        self.directory = directory
        self.host = host
        self.lease = lease
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public func resultURL(_ key: String) -> URL { directory.appendingPathComponent("\(key).json") }
    private func lockURL(_ key: String) -> URL { directory.appendingPathComponent("\(key).lock") }

    public func isDone(_ key: String) -> Bool { FileManager.default.fileExists(atPath: resultURL(key).path) }

    /// The unit's result, or nil when it is not done. A stored file that does not decode
    /// as `T` or carries another unit's key is never trusted: it is moved aside into
    /// `rejected/` (kept for inspection), reported on stderr by name, and the unit counts
    /// as not done, so it is computed again (issue 15, item 2).
    public func load<T: Decodable>(_ type: T.Type, key: String) throws -> T? {
        guard isDone(key) else { return nil }
        let url = resultURL(key)
        guard let data = try? Data(contentsOf: url) else { return nil }  // removed meanwhile
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        if let stored = object?[UnitStore.keyField] as? String, stored != key {
            reject(key, because: "it is the result of unit \(stored)")
            return nil
        }
        do {
            return try JSONCoding.decoder().decode(T.self, from: data)
        } catch {
            reject(key, because: object == nil ? "it is not JSON" : "it does not decode as \(T.self): \(error)")
            return nil
        }
    }

    /// The key stored inside every result file, checked when it is read.
    static let keyField = "unit_key"

    public func save<T: Encodable>(_ value: T, key: String) throws {
        var data = try JSONCoding.encode(value)
        if var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
            object[UnitStore.keyField] = key
            data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        }
        try AtomicFile.write(data, to: resultURL(key))
    }

    var rejectedDirectory: URL { directory.appendingPathComponent("rejected") }

    /// Moves a damaged result (and anything named after its key, e.g. a checkpoint kept
    /// beside it by the caller) out of the store; it will be recomputed.
    public func reject(_ key: String, because reason: String) {
        let from = resultURL(key)
        let to = rejectedDirectory.appendingPathComponent("\(key).json.\(Int(Date().timeIntervalSince1970))")
        try? FileManager.default.createDirectory(at: rejectedDirectory, withIntermediateDirectories: true)
        let moved = rename(from.path, to.path) == 0
        FileHandle.standardError.write(Data(("unit \(from.path) rejected (\(reason))"
            + (moved ? ": moved to \(to.path);" : ";") + " it will be computed again\n").utf8))
        if !moved { unlink(from.path) }
    }

    /// Claims `key` for this process: true if it created the lock (or took over the lock
    /// of a process that no longer exists). Claims of finished units fail.
    public func claim(_ key: String) -> Bool {
        guard !isDone(key) else { return false }
        let path = lockURL(key).path
        let owner = LockOwner.current(host: host)
        for _ in 0..<2 {
            // The lock appears with its whole text or not at all: written to a file of our own,
            // then hard-linked into place (link fails if the lock exists). Creating it empty
            // and writing after left a moment in which another claimer read no owner, judged
            // the lock stale and took it over, so two hosts held one unit (seen under load).
            let temp = path + ".claim.\(UUID().uuidString)"
            let fd = open(temp, O_CREAT | O_EXCL | O_WRONLY, 0o644)
            guard fd >= 0 else { return false }
            _ = owner.text.withCString { write(fd, $0, strlen($0)) }
            close(fd)
            let linked = link(temp, path) == 0
            unlink(temp)
            if linked {
                if isDone(key) { release(key); return false }  // finished while we raced
                LockRefresher.start(path: path, owner: owner, every: lease / 5)
                return true
            }
            // Someone holds it: take it over only if its holder is gone (see LockOwner).
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), !holderIsAlive(text, path: path) else { return false }
            // Move the stale lock aside atomically; if what was moved is not the lock judged
            // stale (another claimer took it over meanwhile), put it back and give up.
            let aside = path + ".stale.\(getpid())"
            guard rename(path, aside) == 0 else { continue }
            if (try? String(contentsOfFile: aside, encoding: .utf8)) != text {
                if link(aside, path) != 0 { /* a third claimer holds it now */ }
                unlink(aside)
                return false
            }
            unlink(aside)
        }
        return false
    }

    private func holderIsAlive(_ text: String, path: String) -> Bool {
        guard let holder = LockOwner.parse(text, localHost: host) else { return false }  // unreadable: stale
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date()
        return holder.isAlive(localHost: host, age: Date().timeIntervalSince(modified), lease: lease)
    }

    public func release(_ key: String) { unlink(lockURL(key).path) }

    /// True while a live process holds `key`'s lock (worth waiting for its result).
    public func isClaimed(_ key: String) -> Bool {
        let path = lockURL(key).path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        return holderIsAlive(text, path: path)
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
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") && $0 != "rejected" }
            .map { String($0.dropLast(5)) }.sorted()
    }
}

/// A stable 64-bit content hash (FNV-1a) of a value's canonical JSON (sorted keys), as 16
/// hex digits: the key of a unit of work.
public func contentKey<T: Encodable>(_ value: T) -> String {
    let data = (try? JSONCoding.canonicalEncoder().encode(value)) ?? Data()
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
