import Foundation
import LedgerAsterisk
import LedgerEvents
import LedgerLog

// import-bench: generates a queue_log of N lines (default 1 M) of a busy multi-queue center and
// times, in one run and on the same file:
//   baseline  read the file and split it into lines (no mapping);
//   map       read + split + AsteriskMapper → wire-format v1 events (the adapter's own work);
//   append    EventLog.append alone of the mapped events, in batches of 50,000 (mapped beforehand);
//   import    map + EventLog.append in batches of 50,000 into a fresh ledger (durable);
//   cli       the whole `call-ledger import asterisk` process, when --cli PATH is given.
// Each figure is the median of --reps runs (default 3). Usage:
//   import-bench [--lines 1000000] [--reps 3] [--dir /tmp/import-bench] [--cli .build-bench/release/call-ledger]
//                [--only map,append,import,cli] [--write-queue-log PATH]  (the last writes the file and exits)

struct Options {
    var lines = 1_000_000
    var reps = 3
    var dir = NSTemporaryDirectory() + "import-bench"
    var cli: String?
    /// Rows to run (baseline always runs: every row is a ratio against it).
    var only: Set<String> = ["map", "import", "cli"]
    /// Only write the generated queue_log to this path (for profiling the CLI on it) and exit.
    var writeTo: String?

    init() {
        var args = CommandLine.arguments.dropFirst()
        while let a = args.popFirst() {
            switch a {
            case "--lines": lines = Int(args.popFirst() ?? "") ?? lines
            case "--reps": reps = Int(args.popFirst() ?? "") ?? reps
            case "--dir": dir = args.popFirst() ?? dir
            case "--cli": cli = args.popFirst()
            case "--only": only = Set((args.popFirst() ?? "").split(separator: ",").map(String.init))
            case "--write-queue-log": writeTo = args.popFirst()
            default:
                FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8))
                exit(2)
            }
        }
    }
}

/// A deterministic queue_log: 4 queues with overflow, 40 agents, pauses; ~5 lines per call.
func generate(lines target: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(target * 70)
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    func rand(_ n: Int) -> Int {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((seed >> 33) % UInt64(n))
    }
    var count = 0
    func line(_ t: Int, _ callID: String, _ queue: String, _ agent: String, _ verb: String, _ data: String...) {
        out.append(contentsOf: "\(t)|\(callID)|\(queue)|\(agent)|\(verb)".utf8)
        for d in data { out.append(UInt8(ascii: "|")); out.append(contentsOf: d.utf8) }
        out.append(0x0A)
        count += 1
    }
    let queues = ["q-sales", "q-support", "q-billing", "q-vip"]
    var t = 1_794_787_200
    line(t, "NONE", "NONE", "NONE", "QUEUESTART")
    for a in 0..<40 { line(t, "MANAGER", queues[a % 4], "PJSIP/\(200 + a)", "ADDMEMBER", "") }
    var seq = 0
    while count < target {
        t += 1 + rand(6)
        seq += 1
        let callID = "\(t).\(seq)"
        var q = queues[rand(4)]
        let client = "1248\(String(1_000_000 + rand(8_999_999)))"
        line(t, callID, q, "NONE", "ENTERQUEUE", "", client, "1")
        var now = t
        if rand(10) == 0 {
            // Overflow: timeout in the first queue, then the next one.
            now += 60
            line(now, callID, q, "NONE", "EXITWITHTIMEOUT", "1", "1", "60")
            q = queues[(queues.firstIndex(of: q)! + 1) % 4]
            line(now, callID, q, "NONE", "ENTERQUEUE", "", client, "1")
        }
        for _ in 0..<rand(3) {
            now += 15
            line(now, callID, q, "PJSIP/\(200 + rand(40))", "RINGNOANSWER", rand(5) == 0 ? "1000" : "15000")
        }
        let r = rand(10)
        if r < 7 {
            now += 1 + rand(10)
            let agent = "PJSIP/\(200 + rand(40))"
            line(now, callID, q, agent, "CONNECT", String(now - t), "\(now).\(seq + 500_000)", String(1 + rand(8)))
            let talk = 20 + rand(400)
            line(now + talk, callID, q, agent, rand(2) == 0 ? "COMPLETECALLER" : "COMPLETEAGENT", String(now - t), String(talk), "1")
        } else if r < 9 {
            line(now + 5 + rand(60), callID, q, "NONE", "ABANDON", "1", "1", String(now - t + 5))
        } else {
            line(now + 3, callID, q, "NONE", "EXITEMPTY", "1", "1", "3")
        }
        if rand(50) == 0 {
            let agent = "PJSIP/\(200 + rand(40))"
            line(now, "NONE", q, agent, "PAUSE", "Break")
            line(now + 300, "NONE", q, agent, "UNPAUSE", "")
        }
    }
    return out
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

/// CPU seconds of this thread: on a shared machine the wall clock also counts other people's work.
func threadCPU() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Runs `body`; returns wall seconds and appends its thread CPU seconds to `cpu`.
func time(_ cpu: inout [Double], _ body: () throws -> Void) rethrows -> Double {
    let c0 = threadCPU()
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    cpu.append(threadCPU() - c0)
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func main() async throws {
    let o = Options()
    if let target = o.writeTo {
        try Data(generate(lines: o.lines)).write(to: URL(fileURLWithPath: target))
        return
    }
    try? FileManager.default.removeItem(atPath: o.dir)
    try FileManager.default.createDirectory(atPath: o.dir, withIntermediateDirectories: true)
    let path = o.dir + "/queue_log"
    let bytes = generate(lines: o.lines)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    var lineCount = 0
    AsteriskMapper.forEachLine(bytes[...]) { _ in lineCount += 1 }
    print("queue_log: \(lineCount) lines, \(bytes.count / 1_048_576) MiB, \(ProcessInfo.processInfo.activeProcessorCount) cores, median of \(o.reps)")

    var baseline: [Double] = [], map: [Double] = [], appendOnly: [Double] = [], full: [Double] = [], cli: [Double] = []
    var baselineCPU: [Double] = [], mapCPU: [Double] = [], unused: [Double] = []
    var events = 0
    for rep in 0..<o.reps {
        baseline.append(time(&baselineCPU) {
            let b = Array(FileManager.default.contents(atPath: path)!)
            var n = 0, fields = 0
            AsteriskMapper.forEachLine(b[...]) { line in
                n += 1
                for c in line where c == UInt8(ascii: "|") { fields += 1 }
            }
            precondition(n == lineCount && fields > 0)
        })
        if o.only.contains("map") { map.append(time(&mapCPU) {
            let b = Array(FileManager.default.contents(atPath: path)!)
            var mapper = AsteriskMapper(configuration: AsteriskConfiguration())
            var out: [Event] = []
            var n = 0
            // Pieces of ~256 KiB, events handed on (here: dropped) after each.
            for piece in AsteriskMapper.pieces(b[...]) {
                mapper.mapQueueLog(piece, endOfInput: false, into: &out)
                n += out.count
                out.removeAll(keepingCapacity: true)
            }
            mapper.flushPendingExits(olderThan: nil, into: &out)
            events = n + out.count
        }) }
        let dataDir = o.dir + "/ledger-\(rep)"
        if o.only.contains("append") {
            let b = Array(FileManager.default.contents(atPath: path)!)
            var mapper = AsteriskMapper(configuration: AsteriskConfiguration())
            var batches: [[Event]] = [[]]
            for piece in AsteriskMapper.pieces(b[...]) {
                mapper.mapQueueLog(piece, endOfInput: false, into: &batches[batches.count - 1])
                if batches[batches.count - 1].count >= 50_000 { batches.append([]) }
            }
            mapper.flushPendingExits(olderThan: nil, into: &batches[batches.count - 1])
            let log = try EventLog(directory: dataDir)
            let start = DispatchTime.now().uptimeNanoseconds
            for batch in batches { _ = try await log.append(batch) }
            log.close()
            appendOnly.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            try? FileManager.default.removeItem(atPath: dataDir)
        }
        if o.only.contains("import") {
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            let b = Array(FileManager.default.contents(atPath: path)!)
            var mapper = AsteriskMapper(configuration: AsteriskConfiguration())
            var out: [Event] = []
            let log = try EventLog(directory: dataDir)
            // As `call-ledger import` does it: the next events are mapped while these are appended.
            var inFlight: Task<AppendResult, any Error>?
            for piece in AsteriskMapper.pieces(b[...]) {
                mapper.mapQueueLog(piece, endOfInput: false, into: &out)
                if out.count >= 50_000 {
                    _ = try await inFlight?.value
                    let batch = out
                    inFlight = Task { try await log.append(batch) }
                    out = []
                    out.reserveCapacity(60_000)
                }
            }
            mapper.flushPendingExits(olderThan: nil, into: &out)
            _ = try await inFlight?.value
            _ = try await log.append(out)
            log.close()
        }
        full.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        try? FileManager.default.removeItem(atPath: dataDir)
        }
        if let exe = o.cli, o.only.contains("cli") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = ["import", "asterisk", "--data", dataDir, "--queue-log", path, "--format", "json"]
            p.standardOutput = FileHandle.nullDevice
            cli.append(try time(&unused) {
                try p.run()
                p.waitUntilExit()
            })
            try? FileManager.default.removeItem(atPath: dataDir)
        }
    }
    func row(_ name: String, _ secs: [Double], cpu: [Double] = []) {
        let m = median(secs)
        let rate = Double(lineCount) / m
        let vs = median(baseline) / m
        var line = name.padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%8.3f s  %10.0f lines/s  %6.2f× baseline", m, rate, vs)
        if !cpu.isEmpty {
            let c = median(cpu)
            line += String(format: "   (CPU %.3f s: %.0f lines per CPU-second, %.2f× baseline's)", c, Double(lineCount) / c, median(baselineCPU) / c)
        }
        print(line)
    }
    var load = "?"
    if let l = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) { load = String(l.split(separator: " ").first ?? "?") }
    print("load average (1 min) at the end: \(load)")
    print("events mapped: \(events) (\(String(format: "%.2f", Double(events) / Double(lineCount))) per line)")
    row("baseline: read + split lines", baseline, cpu: baselineCPU)
    if !map.isEmpty { row("map: read + parse + map to events", map, cpu: mapCPU) }
    if !appendOnly.isEmpty { row("append: EventLog.append of the events", appendOnly) }
    if !full.isEmpty { row("import: map + EventLog.append", full) }
    if !cli.isEmpty { row("cli: call-ledger import asterisk", cli) }
    try? FileManager.default.removeItem(atPath: o.dir)
}

try await main()
