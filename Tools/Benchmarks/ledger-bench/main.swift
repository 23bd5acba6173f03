// ledger-bench: our figures next to raw C LMDB, SQLite and py-lmdb measured in the same run.
//
//   swift build -c release --scratch-path .build-bench --product ledger-bench
//   swift build -c release --scratch-path .build-bench --product call-ledger
//   .build-bench/release/ledger-bench                # all four targets, N = 1,000,000, 3 reps
//   .build-bench/release/ledger-bench --only read --events 200000 --reps 1 --breakdown
//
// Every figure is printed as a ratio against a baseline measured in the same run (see
// ../shared/limits.md for the method: `rm -rf; sync; sleep 1` before each write run, medians of
// the repetitions, p50 commit latency next to the rate for fsync-bound rows).

import ArgumentParser
import Foundation
import LedgerEvents
import LedgerLog
import LedgerSimulator

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-bench",
        abstract: "Benchmarks the ledger against raw C LMDB / SQLite / py-lmdb baselines measured in the same run.",
        discussion: """
        Targets: append = library append of pre-built events in batches of 1,000 (durable); \
        cli = `call-ledger append FILE` of an N-event NDJSON file (whole process); \
        concurrent = 64 tasks appending single events; read = sequential scan + decode of N events. \
        Baselines are the C programs of the anchors directory, compiled with gcc -O3 at run time.
        """)

    @Option(help: "Events for the append, cli and read targets.")
    var events: Int = 1_000_000

    @Option(help: "Repetitions per measurement (the median is reported).")
    var reps: Int = 3

    @Option(help: "Comma-separated subset of: append, cli, concurrent, read.")
    var only: String = "append,cli,concurrent,read"

    @Option(help: "Scratch directory for databases (default <repo>/.build-bench-work, removed at the end).")
    var work: String?

    @Option(help: "Directory of the C anchors (default <repo>/../shared/anchors).")
    var anchors: String?

    @Option(help: "The call-ledger executable (default: next to this executable).")
    var cli: String?

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    @Flag(help: "Also measure where the time goes (parse / encode / store / decode), in-process.")
    var breakdown = false

    @Option(help: "Concurrent target: number of tasks.")
    var tasks: Int = 64

    @Option(help: "Concurrent target: single-event appends per task.")
    var perTask: Int = 400

    @Option(help: "Events with one durable commit each for the C baseline of the concurrent target.")
    var singleCommitEvents: Int = 5000

    @Option(help: "Seconds to sleep after `rm -rf; sync` before each write run.")
    var settle: Double = 1

    @Option(help: "Index flush threshold of the logs under test (EventLogConfiguration.indexFlushThreshold).")
    var flushThreshold: Int = EventLogConfiguration().indexFlushThreshold

    @Flag(help: "Keep the work directory (databases, NDJSON file) at the end.")
    var keepWork = false

    static let allTargets = ["append", "cli", "concurrent", "read"]

    func validate() throws {
        guard events >= 1000 else { throw ValidationError("--events must be ≥ 1000") }
        guard reps >= 1 else { throw ValidationError("--reps must be ≥ 1") }
        guard tasks >= 1, perTask >= 1 else { throw ValidationError("--tasks and --per-task must be ≥ 1") }
        for t in selected where !Self.allTargets.contains(t) {
            throw ValidationError("unknown target '\(t)' in --only (choose from \(Self.allTargets.joined(separator: ", ")))")
        }
    }

    var selected: [String] {
        only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }

    mutating func run() async throws { try await execute() }

    mutating func execute() async throws {
        #if DEBUG
        note("warning: ledger-bench was built in debug mode; build with -c release for meaningful figures")
        #endif
        let root = Self.repoRoot()
        let workDir = work ?? root + "/.build-bench-work"
        let anchorDir = anchors ?? URL(fileURLWithPath: root + "/../shared/anchors").standardizedFileURL.path
        let fm = FileManager.default
        let createdWork = !fm.fileExists(atPath: workDir)
        try fm.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        let scratch = workDir + "/scratch"
        try fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer {
            if !keepWork {
                if createdWork { try? fm.removeItem(atPath: workDir) } else {
                    for f in (try? fm.contentsOfDirectory(atPath: workDir)) ?? [] {
                        try? fm.removeItem(atPath: workDir + "/" + f)
                    }
                }
            }
        }
        let tStart = now()
        note("compiling the anchors from \(anchorDir) …")
        let a = Anchors(sourceDir: anchorDir, scratch: scratch)
        let cliPath = cli ?? (URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/call-ledger")

        var bench = Bench(n: events, reps: reps, workDir: workDir, scratch: scratch, anchors: a, settle: settle,
                          breakdown: breakdown, cliPath: cliPath)
        bench.logConfiguration.indexFlushThreshold = flushThreshold
        bench.conditions = Self.conditions(anchors: a, workDir: workDir, anchorDir: anchorDir, n: events, reps: reps)
        out("# ledger-bench — conditions")
        bench.conditions["parallel"] = Self.parallelScaling()
        for k in ["date", "cpu", "nproc", "parallel", "kernel", "filesystem", "liblmdb", "sqlite", "py-lmdb", "gcc", "swift build", "N", "reps", "anchors"] {
            if let v = bench.conditions[k] { out("  \(pad(k, 12)) \(v)") }
        }
        for (k, v) in a.missing.sorted(by: { $0.key < $1.key }) {
            let msg = "baseline \(k) skipped: \(v)"
            bench.notes.append(msg)
            out("  NOTE: \(msg)")
        }
        out()

        let targets = selected
        try bench.prepareEvents(needed: targets.contains("concurrent") && !targets.contains("append")
                                    && !targets.contains("cli") && !targets.contains("read")
                                    ? min(events, tasks * perTask) : events)
        if targets.contains("append") { try await bench.targetAppend() }
        if targets.contains("cli") { try await bench.targetCLI() }
        if targets.contains("concurrent") {
            try await bench.targetConcurrent(tasks: tasks, perTask: perTask, singleCommitEvents: singleCommitEvents)
        }
        if targets.contains("read") { try await bench.targetRead() }

        out()
        out("# Results (medians of \(reps) rep\(reps == 1 ? "" : "s"); ratio = ours / baseline)")
        printTable(bench.rows)
        if !bench.breakdownFigures.isEmpty {
            out()
            out("# Breakdown (in-process timers, one run each)")
            for line in bench.breakdownLines { out("  " + line) }
        }
        let total = now() - tStart
        out()
        out("total runtime: \(Int(total.rounded())) s")
        if let json {
            var c = bench.conditions
            c["runtime_s"] = fmt(total, 1)
            let report = Report(conditions: c, rows: bench.rows, breakdown: bench.breakdownFigures, notes: bench.notes)
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try enc.encode(report).write(to: URL(fileURLWithPath: json))
            note("wrote \(json)")
        }
    }

    /// How much work the cores do together right now: the same integer arithmetic on one thread,
    /// then on one thread per core. Targets written for "2 cores" assume 2×; this machine's two
    /// vCPUs gave anywhere from 1.3× to 2× within an hour (the host's other guests), which moves
    /// every row that parses or encodes on all cores: read the rows next to it.
    static func parallelScaling() -> String {
        // xorshift: each step needs the last, and no closed form lets the optimiser skip the loop.
        @Sendable @inline(never) func spin(_ n: Int) -> UInt64 {
            var x: UInt64 = 88_172_645_463_325_252
            for _ in 0..<n {
                x ^= x << 13
                x ^= x >> 7
                x ^= x << 17
            }
            return x
        }
        let n = 200_000_000
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var t0 = now()
        blackHole(Int(truncatingIfNeeded: spin(n)))
        let one = now() - t0
        t0 = now()
        DispatchQueue.concurrentPerform(iterations: cores) { _ in blackHole(Int(truncatingIfNeeded: spin(n))) }
        let all = now() - t0
        return "\(cores) threads of integer arithmetic do \(fmt(Double(cores) * one / all, 2))× the work of one (\(fmt(one, 2)) s alone, \(fmt(all, 2)) s together)"
    }

    /// The package root: the current directory when it holds Package.swift, else the first
    /// ancestor of this executable that does.
    static func repoRoot() -> String {
        let fm = FileManager.default
        let cwd = fm.currentDirectoryPath
        if fm.fileExists(atPath: cwd + "/Package.swift") { return cwd }
        var u = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent()
        while u.path != "/" {
            if fm.fileExists(atPath: u.path + "/Package.swift") { return u.path }
            u.deleteLastPathComponent()
        }
        return cwd
    }

    static func conditions(anchors: Anchors, workDir: String, anchorDir: String, n: Int, reps: Int) -> [String: String] {
        var c: [String: String] = [:]
        let f = ISO8601DateFormatter()
        c["date"] = f.string(from: Date())
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let v = line.split(separator: ":", maxSplits: 1).last {
            c["cpu"] = v.trimmingCharacters(in: .whitespaces)
        }
        c["nproc"] = String(ProcessInfo.processInfo.activeProcessorCount)
        var u = utsname()
        uname(&u)
        c["kernel"] = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        if let r = try? runProcess(["findmnt", "-no", "FSTYPE,SOURCE,OPTIONS", "-T", workDir], scratch: workDir), r.status == 0 {
            c["filesystem"] = firstLine(r.stdout) + " (work dir \(workDir))"
        }
        var lmdb = anchors.versions["liblmdb"] ?? "?"
        if let r = try? runProcess(["dpkg-query", "-W", "-f", "${Version}", "liblmdb0"], scratch: workDir), r.status == 0 {
            lmdb += " (Debian liblmdb0 \(r.stdout))"
        }
        c["liblmdb"] = lmdb
        c["sqlite"] = anchors.versions["sqlite"] ?? "?"
        c["py-lmdb"] = anchors.versions["py-lmdb"] ?? "not installed"
        c["gcc"] = (anchors.versions["gcc"] ?? "not found") + ", -O3"
        #if DEBUG
        c["swift build"] = "DEBUG (not meaningful)"
        #else
        c["swift build"] = "release"
        #endif
        c["N"] = thousands(n)
        c["reps"] = String(reps)
        c["anchors"] = anchorDir
        return c
    }
}

// The async entry point, spelled out: in top-level code a bare `LedgerBench.main()` resolves to
// ParsableCommand's synchronous main, which never calls the async `run()`.
do {
    var command = try LedgerBench.parseAsRoot()
    if var bench = command as? LedgerBench {
        try await bench.execute()
    } else {
        try command.run()
    }
} catch {
    LedgerBench.exit(withError: error)
}
