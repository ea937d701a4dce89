import ArgumentParser
import Datasets
import Experiments
import Foundation

/// How many worker processes a command starts by default: one group of options fixes one
/// default, and `report` (the main job, on a 2-core machine) starts two where `grid run`
/// and `sweep` start one.
protocol WorkerCount {
    static var jobs: Int { get }
}
enum OneJob: WorkerCount { static let jobs = 1 }
enum TwoJobs: WorkerCount { static let jobs = 2 }

/// `--jobs N` (this process and N − 1 workers claiming units through the store's lock
/// files) and the hidden `--worker` that marks a worker (`WorkerCommandLine`).
struct WorkerOptions<Default: WorkerCount>: ParsableArguments {
    @Option(help: "Worker processes on this machine (units are claimed through lock files).")
    var jobs: Int = Default.jobs
    @Flag(help: .hidden) var worker = false

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be ≥ 1, got \(jobs)") }
    }

    /// Runs `work` here beside `jobs − 1` worker processes (started after `prepare`), waits
    /// for them, then runs `work` once more to pick up units whose dependencies finished in
    /// another worker. SIGINT/SIGTERM stop it and its workers cleanly (the units in flight are
    /// abandoned; a rerun resumes).
    func run<T>(signals: StopSignals, prepare: () throws -> Void = {}, _ work: () throws -> T) throws -> T {
        var workers: [Process] = []
        do {
            try prepare()
            workers = try spawnWorkers(jobs - 1)
            signals.adopt(workers)
            var result = try work()
            for p in workers { p.waitUntilExit() }
            try signals.request.check()
            if !workers.isEmpty { result = try work() }
            return result
        } catch is Interrupted {
            for p in workers { p.waitUntilExit() }
            throw signals.interrupted(resume: "rerun the same command to resume")
        }
    }

    /// Runs `runner`'s share of a grid with these workers.
    func runGrid(_ runner: GridRunner, locator: DataLocator) throws -> GridRunner.Progress {
        let signals = StopSignals.install()
        var runner = runner
        runner.stop = signals.request
        let log: (String) -> Void = { printErr($0) }
        return try run(signals: signals) { try runner.run(locator: locator, log: log) }
    }
}

/// `--shard i/n`: this process takes the units at positions i mod n of the sorted keys;
/// the shard directories are combined by the command's `merge`.
struct ShardOptions: ParsableArguments {
    @Option(help: "Run only shard i of n (i/n, i counting from 0); combine the shard directories with `merge` (`bmrs grid merge`, `bmrs sweep merge`).")
    var shard: String?

    func validate() throws {
        _ = try parsed
    }

    var parsed: Shard? {
        get throws { try shard.map { try Shard(parsing: $0) } }
    }
}

/// Starts the `count` extra worker processes of `--jobs count+1`: copies of this command
/// line with `--jobs 1 --worker` (see `WorkerCommandLine`) that claim units through the
/// store's lock files. In a worker this starts nothing, so the number of processes is
/// exactly what `--jobs` asked for.
func spawnWorkers(_ count: Int) throws -> [Process] {
    let environment = ProcessInfo.processInfo.environment
    guard count > 0, !WorkerCommandLine.isWorker(arguments: CommandLine.arguments, environment: environment) else { return [] }
    let arguments = WorkerCommandLine.arguments(from: Array(CommandLine.arguments.dropFirst()))
    return try (0..<count).map { _ in
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        p.arguments = arguments
        p.environment = WorkerCommandLine.environment(from: environment)
        try p.run()
        return p
    }
}

/// In a worker: end this process when its parent ends. Foundation starts each child in a
/// process group of its own, so a Ctrl-C or a kill of the parent's group would otherwise
/// leave the workers training as orphans (re-parented, still holding their units). A
/// watcher thread polls the parent (prctl(PR_SET_PDEATHSIG) is variadic C, which Swift
/// cannot call); the abandoned unit's lock names a dead process and is taken over.
func bindWorkerToParent() {
    guard WorkerCommandLine.isWorker(arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment) else { return }
    let parent = getppid()
    let watcher = Thread {
        while getppid() == parent { usleep(200_000) }
        exit(1)
    }
    watcher.start()
}
