// report-bench: the read-model targets of issues 3 and 4 on a simulated log, each next to a
// baseline measured in the same run.
//
//   report-bench [--events N] [--work DIR] [--keep] [--ledger DIR] [--only rebuild,report,queue,asof,lag,live] [--repeat N] [--seed N] [--positions P,Q,…]
//
// --ledger reuses an existing ledger (its projections are caught up, not rebuilt, unless
// "rebuild" is asked for); --repeat multiplies the report and queue iterations (for profiling);
// --seed picks the as-of positions (default 42: runs compare on the same cuts).
//
// 1. rebuild of every built-in projection together   (baseline: sequential read + decode of the log)
// 2. department report for a month, live             (baseline: reading that month's events by time)
// 3. unprocessed queue, live
// 4. as-of report at random positions                (baseline: replaying the cut into memory)
// 5. live lag from commit to read model at 20 k events/s (baseline: the append's own commit latency)
// 6. live panel lag (issue 8): commit → the live panels of every department recomputed with it, at
//    20 k events/s, and the panel's computation alone (baseline: the append's own commit latency)
import CallsPerLineHour
import Foundation
import LedgerEvents
import LedgerLog
import LedgerProjections
import LedgerReports
import LedgerSimulator

/// Commits shared between the appender and the lag monitor.
final class CommitsBox: @unchecked Sendable {
    // @unchecked: guarded by the lock.
    private var items: [(position: UInt64, at: Double)] = []
    private let lock = NSLock()
    func append(_ x: (position: UInt64, at: Double)) { lock.lock(); items.append(x); lock.unlock() }
    func get() -> [(position: UInt64, at: Double)] { lock.lock(); defer { lock.unlock() }; return items }
}
let commitsBox = CommitsBox()

var events = 1_000_000
var work = "./.build-bench-work/report-bench"
var keep = false
var existing: String?
var only: Set<String> = ["rebuild", "report", "queue", "asof", "lag", "live"]
var repeatFactor = 1
var seed: UInt64 = 42
/// `--positions P,Q,…`: the as-of target at these positions instead of 8 random ones (to profile one).
var fixedPositions: [UInt64] = []
var it = CommandLine.arguments.dropFirst().makeIterator()
while let a = it.next() {
    switch a {
    case "--events": events = Int(it.next() ?? "") ?? events
    case "--work": work = it.next() ?? work
    case "--keep": keep = true
    case "--ledger": existing = it.next()
    case "--only": only = Set((it.next() ?? "").split(separator: ",").map(String.init))
    case "--repeat": repeatFactor = max(1, Int(it.next() ?? "") ?? 1)
    case "--seed": seed = UInt64(it.next() ?? "") ?? seed
    case "--positions": fixedPositions = (it.next() ?? "").split(separator: ",").compactMap { UInt64($0) }
    default:
        FileHandle.standardError.write(Data("usage: report-bench [--events N] [--work DIR] [--keep] [--ledger DIR] [--only rebuild,report,queue,asof,lag,live] [--repeat N] [--seed N] [--positions P,Q,…]\n".utf8))
        exit(64)
    }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
func ms(_ s: Double) -> String { String(format: "%.1f ms", s * 1000) }
func rate(_ n: Int, _ s: Double) -> String {
    let r = Double(n) / s
    return r >= 1e6 ? String(format: "%.2f M/s", r / 1e6) : String(format: "%.0f k/s", r / 1e3)
}
func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? 0 : s[min(s.count - 1, Int(Double(s.count - 1) * p / 100 + 0.5))]
}
var rows: [[String]] = []
@MainActor func row(_ what: String, _ ours: String, _ base: String, _ ratio: String, _ target: String, _ ok: Bool?) {
    rows.append([what, ours, base, ratio, target, ok.map { $0 ? "PASS" : "MISS" } ?? ""])
    print("  \(what): \(ours) | baseline \(base) | \(ratio) | target \(target) | \(ok.map { $0 ? "PASS" : "MISS" } ?? "")")
}

let log: EventLog
var t0 = now()
if let existing {
    log = try EventLog(directory: existing)
    print("report-bench: ledger \(existing), \(log.lastPosition) events")
} else {
    try? FileManager.default.removeItem(atPath: work)
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    print("report-bench: \(events) simulated events, work dir \(work)")
    // Load the log (not timed as a target).
    var config = SimulatorConfiguration()
    config.maxEvents = events
    config.days = max(3, events / 5_300 + 1)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(events * 180)
    TrafficSimulator(config).generate { line in
        bytes.append(contentsOf: line.utf8)
        bytes.append(0x0A)
    }
    let parsed = try NDJSONReader.parse(bytes).get()
    bytes = []
    log = try EventLog(directory: work + "/ledger")
    for start in stride(from: 0, to: parsed.count, by: 10_000) {
        _ = try await log.append(Array(parsed[start..<min(parsed.count, start + 10_000)]))
    }
    print("  loaded \(parsed.count) events in \(String(format: "%.1f", now() - t0)) s")
}
let eventCount = Int(log.lastPosition)
let firstAt = try log.events(after: 0, limit: 1).first!.event.at.milliseconds

// 1. Rebuild every built-in projection together.
let engine = try ProjectionEngine(log: log)
try engine.register(CallsProjection())
try engine.register(ClientsProjection())
try engine.register(LeadsProjection())
try engine.register(CallsPerLineHour())
if only.contains("rebuild") || existing == nil {
    t0 = now()
    var decoded = 0
    try log.scan(after: 0, limit: .max) { _ in decoded += 1 }
    let scanSeconds = now() - t0
    t0 = now()
    try engine.rebuild()
    let rebuildSeconds = now() - t0
    row("rebuild calls+clients+leads+calls-per-line-hour", rate(eventCount, rebuildSeconds), "read+decode " + rate(decoded, scanSeconds),
        String(format: "%.2f×", scanSeconds / rebuildSeconds), "≥ 1 M/s", Double(eventCount) / rebuildSeconds >= 1e6)
} else {
    try engine.rebuild(try engine.namesNeedingRebuild())
    try engine.catchUp()
}

// The busiest month of sales.
let view = try DepartmentView(engine: engine, department: "sales")
let tz = view.timeZone
let firstDay = Calendar2.day(of: firstAt, in: tz)
let (y, m, _) = EventTime.civilFromDays(firstDay + 40)
let monthStart = Calendar2.startOfDay(EventTime.daysFromCivil(year: y, month: m, day: 1), in: tz)
let monthEnd = Calendar2.startOfDay(EventTime.daysFromCivil(year: m == 12 ? y + 1 : y, month: m == 12 ? 1 : m + 1, day: 1), in: tz)
let month = ReportPeriod(from: monthStart, to: monthEnd)

// 2. Department report for a month, live.
var times: [Double] = []
var report = try view.report(month, by: .day)
if only.contains("report") {
for _ in 0..<(20 * repeatFactor) {
    t0 = now()
    report = try DepartmentView(engine: engine, department: "sales").report(month, by: .day)
    times.append(now() - t0)
}
t0 = now()
let monthEvents = try log.events(occurredFrom: EventTime(milliseconds: monthStart), to: EventTime(milliseconds: monthEnd))
let monthRead = now() - t0
row("department report, a month (\(report.volume.incoming) calls), p50", ms(percentile(times, 50)),
    "read \(monthEvents.count) events " + ms(monthRead), String(format: "%.1f×", monthRead / percentile(times, 50)), "≤ 50 ms",
    percentile(times, 50) <= 0.050)
}

// 3. Unprocessed queue, live.
times = []
var queue = try view.unprocessed()
if only.contains("queue") {
for _ in 0..<(50 * repeatFactor) {
    t0 = now()
    queue = try DepartmentView(engine: engine, department: "sales").unprocessed()
    times.append(now() - t0)
}
row("unprocessed queue (\(queue.count) open), p50", ms(percentile(times, 50)), "", "", "≤ 10 ms", percentile(times, 50) <= 0.010)
}

// 4. As-of report at random positions.
if only.contains("asof") {
/// SplitMix64: the as-of positions are random but the same for the same seed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
var rng = SplitMix(state: seed)
times = []
var replayTimes: [Double] = []
let positions = fixedPositions.isEmpty ? (0..<8).map { _ in UInt64.random(in: 1...log.lastPosition, using: &rng) } : fixedPositions
for (k, p) in positions.enumerated() {
    t0 = now()
    _ = try DepartmentView(engine: engine, department: "sales", cut: .position(p)).report(month)
    times.append(now() - t0)
    print("    as of position \(p): \(ms(times.last!))")
    if k < 2 {
        t0 = now()
        _ = try engine.replayedFacts(of: CallsProjection(), in: CallsProjection.range(department: "sales", from: month.from, to: month.to),
                                     cut: .position(p))
        replayTimes.append(now() - t0)
    }
}
row("as-of month report at a random position, p50 (max \(ms(times.max()!)))", ms(percentile(times, 50)),
    "fresh replay of the cut " + ms(percentile(replayTimes, 50)), String(format: "%.1f×", percentile(replayTimes, 50) / percentile(times, 50)),
    "≤ 200 ms", times.max()! <= 0.200)
}

/// Simulated traffic for the live targets (its own seed and dates, so its ids are new).
func liveTraffic(seed: UInt64, startDate: String) throws -> [Event] {
    var config = SimulatorConfiguration()
    config.seed = seed
    config.maxEvents = 200_000
    config.days = 40
    config.startDate = startDate
    var bytes: [UInt8] = []
    TrafficSimulator(config).generate { line in
        bytes.append(contentsOf: line.utf8)
        bytes.append(0x0A)
    }
    return try NDJSONReader.parse(bytes).get()
}

/// Appends `events` at 20 k events/s (200 every 10 ms, `batches` times), recording each commit
/// (last position, time) in `commits` and the newest occurred time of each batch in `newest`.
/// Returns the appends' latencies.
func appendAt20k(_ events: [Event], batches: Int, start: Double, commits: CommitsBox, newest: CommitsBox? = nil) async throws -> [Double] {
    var latency: [Double] = []
    for b in 0..<batches {
        let due = start + Double(b) * 0.010
        let wait = due - now()
        if wait > 0 { try await Task.sleep(for: .microseconds(Int(wait * 1e6))) }
        let chunk = Array(events[(b * 200)..<min(events.count, b * 200 + 200)])
        let s = now()
        let r = try await log.append(chunk)
        let e = now()
        latency.append(e - s)
        newest?.append((r.lastPosition, Double(chunk.map(\.at.milliseconds).max() ?? 0)))
        commits.append((r.lastPosition, e))
    }
    return latency
}

// 5. Live lag at 20 k events/s: workers follow the tail while an appender writes 200 events every 10 ms.
if only.contains("lag") {
// A seed of its own per run, as for the live target below: with a fixed seed, a rerun on a kept
// ledger (--ledger) appended only duplicates and measured a lag of nothing.
let live = try liveTraffic(seed: 500 + log.lastPosition, startDate: "2030-01-07")
let workers = engine.workers()
let runners = workers.map { w in Task { try await w.run() } }
let seconds = 8
let batches = seconds * 100
let lagStart = now()
let monitor = Task { () -> [Double] in
    var lags: [Double] = []
    var next = 0
    while next < batches {
        let cp = try engine.status().map(\.checkpoint).min() ?? 0
        let t = now()
        let snapshot = commitsBox.get()
        while next < snapshot.count && snapshot[next].position <= cp {
            lags.append(t - snapshot[next].at)
            next += 1
        }
        if next < snapshot.count || snapshot.count < batches { try await Task.sleep(for: .microseconds(500)) }
    }
    return lags
}
let appendLatency = try await appendAt20k(live, batches: batches, start: lagStart, commits: commitsBox)
let lags = try await monitor.value
for r in runners { r.cancel() }
let achieved = Double(batches * 200) / (now() - lagStart)
row(String(format: "live lag commit → read models at %.1f k events/s, p99 (p50 %@)", achieved / 1000, ms(percentile(lags, 50))),
    ms(percentile(lags, 99)), "append commit p99 " + ms(percentile(appendLatency, 99)), "", "≤ 100 ms", percentile(lags, 99) <= 0.100)
}

// 6. Live panel lag: the same 20 k events/s, while a follower (what the server's monitor does)
// recomputes the panel of every department whenever the calls read model moves, at the instant of
// the newest event (the simulated clock), and records commit → panel computed with that commit.
if only.contains("live") {
// A seed of its own per run, so a rerun on a kept ledger (--ledger) appends new events, not duplicates.
let live = try liveTraffic(seed: 1_000 + log.lastPosition, startDate: "2031-01-06")
let panelCommits = CommitsBox()
let newestAt = CommitsBox()
let workers = engine.workers()
let runners = workers.map { w in Task { try await w.run() } }
let departments = ["sales", "support", "billing"]
let presence = PresenceCache(log: log)
let batches = 8 * 100
let lagStart = now()
let follower = Task { () -> ([Double], [Double]) in
    var lags: [Double] = []
    var computeTimes: [Double] = []
    var next = 0
    var lastCheckpoint: UInt64 = 0
    var lastPass = 0.0
    while next < batches {
        let cp = try engine.status().first { $0.name == "calls" }!.checkpoint
        let pending = panelCommits.get()
        // As the server's monitor: at most one pass per 20 ms.
        if (cp == lastCheckpoint && !(next < pending.count && pending[next].position <= cp)) || now() - lastPass < 0.020 {
            try await Task.sleep(for: .microseconds(500))
            continue
        }
        lastPass = now()
        lastCheckpoint = cp
        let at = Int64(newestAt.get().last { $0.position <= cp }?.at ?? 0)
        let s = now()
        for d in departments { _ = try LiveView(engine: engine, department: d, at: at, presence: presence).panel() }
        let t = now()
        computeTimes.append(t - s)
        let snapshot = panelCommits.get()
        while next < snapshot.count && snapshot[next].position <= cp {
            lags.append(t - snapshot[next].at)
            next += 1
        }
    }
    return (lags, computeTimes)
}
let appendLatency = try await appendAt20k(live, batches: batches, start: lagStart, commits: panelCommits, newest: newestAt)
let (lags, computeTimes) = try await follower.value
for r in runners { r.cancel() }
let achieved = Double(batches * 200) / (now() - lagStart)
row(String(format: "live panels (3 departments) lag commit → panel at %.1f k events/s, p99 (p50 %@; computing the 3 panels p50 %@, p99 %@)",
           achieved / 1000, ms(percentile(lags, 50)), ms(percentile(computeTimes, 50)), ms(percentile(computeTimes, 99))),
    ms(percentile(lags, 99)), "append commit p99 " + ms(percentile(appendLatency, 99)), "", "≤ 100 ms", percentile(lags, 99) <= 0.100)
}

print("")
print("| measurement | ours | baseline (same run) | ratio | target | verdict |")
print("|---|---|---|---|---|---|")
for r in rows { print("| " + r.joined(separator: " | ") + " |") }
log.close()
if !keep && existing == nil { try? FileManager.default.removeItem(atPath: work) }
