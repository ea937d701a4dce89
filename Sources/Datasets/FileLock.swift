import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock (`flock`) on a lock file, held until `unlock()` or deinit.
///
/// Serialises processes that would otherwise do the same work at once: two `bmrs data
/// fetch` runs, or grid workers building the same decoded-data cache file. The kernel
/// drops the lock when the process dies, so a crash never leaves it held. The lock file
/// itself is left in place: deleting it while another process waits on it would let a
/// third take a lock on a new file at the same path.
final class FileLock {
    private var descriptor: Int32
    let path: String

    /// Takes the lock on `path` (created if missing), waiting for it if another process
    /// holds it; `onWait` is called once before waiting.
    ///
    /// - Throws: `DatasetError` (`.unreadable`) if the file cannot be created or locked.
    init(path: String, onWait: () -> Void = {}) throws {
        self.path = path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw DatasetError(.unreadable, path: path, problem: "cannot create lock file",
                               expected: "a writable directory", found: String(cString: strerror(errno)))
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            onWait()
            while flock(descriptor, LOCK_EX) != 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw DatasetError(.unreadable, path: path, problem: "cannot lock", expected: "an flock-able file", found: reason)
            }
        }
    }

    func unlock() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { unlock() }
}
