import ArgumentParser
import Dispatch
import Experiments
import Foundation

/// SIGINT and SIGTERM as a clean stop (issue 15, item 4): the first one sets the
/// `StopRequest` that training loops check every step and is passed on to the worker
/// processes (each in a process group of its own, so a terminal's Ctrl-C reaches only
/// this one); the unit in flight is abandoned, finished units stay, and the command
/// exits non-zero saying how to resume. A second signal ends the process at once.
final class StopSignals: @unchecked Sendable {
    let request = StopRequest()
    private let lock = NSLock()
    private var workers: [Process] = []
    private var received: Int32 = 0
    private var sources: [DispatchSourceSignal] = []

    /// Takes over SIGINT and SIGTERM for the rest of the process.
    static func install() -> StopSignals {
        let signals = StopSignals()
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { signals.receive(number) }
            source.resume()
            signals.sources.append(source)
        }
        return signals
    }

    /// Workers to stop with this process.
    func adopt(_ processes: [Process]) {
        lock.withLock { workers += processes }
    }

    private func receive(_ number: Int32) {
        let (first, processes) = lock.withLock { () -> (Bool, [Process]) in
            defer { received = number }
            return (received == 0, workers)
        }
        guard first else { exit(128 + number) }
        request.request()
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        FileHandle.standardError.write(Data("\nstopping (signal \(number)): abandoning the unit in flight; a second signal ends at once\n".utf8))
    }

    /// The exit for an interrupted command: the resume hint, and 128 + the signal.
    func interrupted(resume: String) -> ExitCode {
        FileHandle.standardError.write(Data("interrupted: finished units are kept; \(resume)\n".utf8))
        return ExitCode(128 + lock.withLock { received == 0 ? SIGTERM : received })
    }
}
