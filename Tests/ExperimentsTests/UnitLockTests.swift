import Foundation
import Testing
@testable import Experiments

/// Issue 15, item 3: locks that are safe when several hosts share one grid directory.
@Suite("Unit locks across hosts")
struct UnitLockTests {
    func store(_ dir: URL, host: String, lease: TimeInterval = 300) throws -> UnitStore {
        try UnitStore(directory: dir, host: host, lease: lease)
    }

    func age(_ dir: URL, _ key: String, by seconds: TimeInterval) throws {
        let path = dir.appendingPathComponent("\(key).lock").path
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-seconds)], ofItemAtPath: path)
    }

    @Test func anotherHostsLockIsTakenOverOnlyAfterItsLease() throws {
        let dir = temporaryDirectory("locks-hosts")
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try store(dir, host: "node-a"), b = try store(dir, host: "node-b")
        #expect(a.claim("u1"))
        #expect(!b.claim("u1"))            // fresh: node-b cannot tell whether node-a is alive
        #expect(b.isClaimed("u1"))
        try age(dir, "u1", by: 200)
        #expect(!b.claim("u1"))            // still within the 300 s lease
        try age(dir, "u1", by: 301)
        #expect(!b.isClaimed("u1"))
        #expect(b.claim("u1"))             // abandoned: taken over
        let text = try String(contentsOf: dir.appendingPathComponent("u1.lock"), encoding: .utf8)
        #expect(text.contains("\"host\":\"node-b\""))
    }

    @Test func thisHostsLockIsTakenOverWhenItsProcessIsGoneOrThePidWasReused() throws {
        let dir = temporaryDirectory("locks-local")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let s = try store(dir, host: "node-a")
        // A dead process (old format: a bare pid).
        try "999999\n".write(to: dir.appendingPathComponent("dead.lock"), atomically: true, encoding: .utf8)
        #expect(s.claim("dead"))
        // A live pid (this process) with another start time: the pid was reused.
        let reused = LockOwner(host: "node-a", pid: getpid(), start: 1)
        try reused.text.write(to: dir.appendingPathComponent("reused.lock"), atomically: true, encoding: .utf8)
        #expect(s.claim("reused"))
        // A live process that is what the lock says: kept, however old the file.
        let live = LockOwner.current(host: "node-a")
        try live.text.write(to: dir.appendingPathComponent("live.lock"), atomically: true, encoding: .utf8)
        try age(dir, "live", by: 10_000)
        #expect(!s.claim("live"))
        #expect(LockOwner.processStartTime(getpid()) != nil)
    }

    @Test func aHeldLockIsRefreshed() throws {
        let dir = temporaryDirectory("locks-refresh")
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try store(dir, host: "node-a", lease: 0.5)
        #expect(a.claim("u"))
        try age(dir, "u", by: 100)
        Thread.sleep(forTimeInterval: 0.35)  // the refresher touches every lease/5 = 0.1 s
        let b = try store(dir, host: "node-b", lease: 0.5)
        #expect(!b.claim("u"))
        a.release("u")
        #expect(b.claim("u"))
    }

    @Test func twoHostsNeverHoldTheSameUnitAtOnce() async throws {
        let dir = temporaryDirectory("locks-race")
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try store(dir, host: "node-a"), b = try store(dir, host: "node-b")
        let keys = (0..<300).map { "k\($0)" }
        async let fromA = Task.detached { keys.filter { a.claim($0) } }.value
        async let fromB = Task.detached { keys.filter { b.claim($0) } }.value
        let (claimedA, claimedB) = await (fromA, fromB)
        #expect(Set(claimedA).isDisjoint(with: claimedB))
        #expect(claimedA.count + claimedB.count == keys.count)
    }
}
