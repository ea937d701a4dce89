/// The command line of a worker process that `--jobs N` starts (N − 1 of them).
///
/// A worker must never start workers of its own: it runs with `--jobs 1` whatever the
/// parent's command line said (`--jobs 3`, `--jobs=3`, or no `--jobs` at all with a
/// default of 2), carries `--worker`, and has `BMRS_WORKER=1` in its environment, which
/// the spawner checks before starting anything (issue 15, item 0: a default of 2
/// inherited by every worker made each one spawn again until memory ran out).
public enum WorkerCommandLine {
    public static let flag = "--worker"
    public static let environmentKey = "BMRS_WORKER"

    /// `arguments` without the executable path; returns the worker's arguments.
    public static func arguments(from arguments: [String]) -> [String] {
        var result: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { result += arguments[i...]; break }
            if a == "--jobs" { i += 2; continue }            // `--jobs N`
            if a.hasPrefix("--jobs=") || a == flag { i += 1; continue }
            result.append(a)
            i += 1
        }
        // Options go before a `--` terminator, if there is one.
        let insertAt = result.firstIndex(of: "--") ?? result.count
        result.insert(contentsOf: ["--jobs", "1", flag], at: insertAt)
        return result
    }

    /// The worker's environment: the parent's plus the worker marker.
    public static func environment(from environment: [String: String]) -> [String: String] {
        var e = environment
        e[environmentKey] = "1"
        return e
    }

    /// True in a process started as a worker (by flag or environment).
    public static func isWorker(arguments: [String], environment: [String: String]) -> Bool {
        arguments.contains(flag) || environment[environmentKey] == "1"
    }
}
