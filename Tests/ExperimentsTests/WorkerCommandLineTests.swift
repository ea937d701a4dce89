import Testing
@testable import Experiments

/// Issue 15, item 0: a worker's command line must never let it spawn workers again.
@Suite struct WorkerCommandLineTests {
    private func jobsValues(_ args: [String]) -> [String] {
        var values: [String] = []
        for (i, a) in args.enumerated() {
            if a == "--jobs", i + 1 < args.count { values.append(args[i + 1]) }
            if a.hasPrefix("--jobs=") { values.append(String(a.dropFirst(7))) }
        }
        return values
    }

    @Test(arguments: [
        ["report", "--profile", "quick", "--out", "DIR"],            // no --jobs: default 2
        ["report", "--profile", "quick", "--jobs", "3"],
        ["grid", "run", "g.yaml", "--jobs=4", "--out", "x"],
        ["sweep", "--jobs", "2", "--jobs", "5", "--out", "s"],       // repeated: all removed
        ["grid", "run", "g.yaml", "--worker", "--jobs", "2"],         // already a worker
    ])
    func workerRunsWithOneJobAndTheMarker(_ parent: [String]) {
        let worker = WorkerCommandLine.arguments(from: parent)
        #expect(jobsValues(worker) == ["1"])
        #expect(worker.filter { $0 == WorkerCommandLine.flag }.count == 1)
        #expect(WorkerCommandLine.isWorker(arguments: worker, environment: [:]))
        // Everything else is kept, in order.
        let kept = parent.enumerated().filter { i, a in
            !(a == "--jobs" || a.hasPrefix("--jobs=") || a == "--worker" || (i > 0 && parent[i - 1] == "--jobs"))
        }.map(\.element)
        #expect(worker.filter { $0 != "--jobs" && $0 != "1" && $0 != "--worker" } == kept.filter { $0 != "1" })
    }

    @Test func rewritingIsIdempotent() {
        let once = WorkerCommandLine.arguments(from: ["report", "--profile", "quick"])
        #expect(WorkerCommandLine.arguments(from: once) == once)
    }

    @Test func optionsStayBeforeATerminator() {
        let worker = WorkerCommandLine.arguments(from: ["grid", "run", "--jobs", "2", "--", "--jobs"])
        #expect(worker == ["grid", "run", "--jobs", "1", "--worker", "--", "--jobs"])
    }

    @Test func environmentMarksAWorker() {
        let env = WorkerCommandLine.environment(from: ["PATH": "/bin"])
        #expect(env["PATH"] == "/bin")
        #expect(WorkerCommandLine.isWorker(arguments: ["report"], environment: env))
        #expect(!WorkerCommandLine.isWorker(arguments: ["report"], environment: ["PATH": "/bin"]))
    }
}
