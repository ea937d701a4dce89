import Experiments
import Foundation

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
