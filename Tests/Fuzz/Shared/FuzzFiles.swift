// What every fuzz target shares (compiled into each by scripts/fuzz.sh): the per-process
// scratch file a reader is given, and a way to silence stderr around readers that log.
import Foundation
import Glibc

/// The file the reader is given: one per fuzzing process (under $BMRS_FUZZ_SCRATCH, which
/// scripts/fuzz.sh sets and removes), rewritten for every input.
enum FuzzFiles {
    static func path(_ name: String) -> String {
        let base = ProcessInfo.processInfo.environment["BMRS_FUZZ_SCRATCH"] ?? NSTemporaryDirectory()
        let directory = "\(base)/\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return "\(directory)/\(name)"
    }

    static func write(_ data: UnsafePointer<UInt8>, _ size: Int, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "fuzz harness: cannot open \(path)")
        var done = 0
        while done < size {
            let n = Glibc.write(fd, data + done, size - done)
            precondition(n > 0, "fuzz harness: cannot write \(path)")
            done += n
        }
        close(fd)
    }
}

extension FuzzFiles {
    /// Runs `body` with stderr sent to /dev/null.
    static func quietly(_ body: () -> Void) {
        let saved = dup(2), null = open("/dev/null", O_WRONLY)
        dup2(null, 2)
        body()
        dup2(saved, 2)
        close(saved); close(null)
    }
}
