import Synchronization

/// A request to stop, set from a signal handler and read by long loops (training steps,
/// the grid's units): SIGINT/SIGTERM end a run within a step, abandoning only the unit
/// in flight (issue 15, item 4). Passed explicitly; there is no global flag.
public final class StopRequest: Sendable {
    private let requested = Atomic<Bool>(false)

    public init() {}

    public func request() { requested.store(true, ordering: .relaxed) }
    public var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Throws `Interrupted` once a stop was requested.
    public func check() throws {
        if isRequested { throw Interrupted() }
    }
}

/// Thrown where a requested stop ended the work: finished units are kept, the unit in
/// flight is abandoned (its lock released), and rerunning the command resumes.
public struct Interrupted: Error, CustomStringConvertible, Sendable {
    public init() {}
    public var description: String { "interrupted" }
}
