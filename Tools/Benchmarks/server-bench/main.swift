// server-bench: the HTTP targets of issue 6, load from this process against `call-ledger serve`
// running as a second process on 127.0.0.1, each next to a baseline measured in the same run.
//
//   swift build -c release --scratch-path .build-bench --product call-ledger --product server-bench
//   .build-bench/release/server-bench [--seconds 10] [--cli PATH] [--work DIR]
//
// 1. ingest: 8 clients posting NDJSON batches of 500 (distinct simulated events) for N seconds
//    → events/s and request latency p50/p99        (baseline: the same batches appended in-process by EventLog)
//    Ingest load comes from ``RawLoad`` (one epoll thread, keep-alive), or with `--client async-http`
//    from AsyncHTTPClient; the report polls of (3) always use AsyncHTTPClient.
// 2. 64 clients posting one event each              (baseline: 64 in-process tasks appending single events)
// 3. report endpoints (unprocessed queue, a month's department report) polled during (1) → latency p50/p99;
//    the report over the whole history is polled too and shown apart (info: it grows with the ledger)
import AsyncHTTPClient
import Foundation
import LedgerEvents
import LedgerLog
import LedgerSimulator
import LedgerTestSupport
import Synchronization

// MARK: Options

struct Options: Sendable {
    var seconds = 10.0
    var work = "./.build-bench-work/server-bench"
    var cliPath = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/call-ledger"
    var jsonOut: String?
    /// `raw` (default): ``RawLoad``, one epoll thread; `async-http`: AsyncHTTPClient, as before session 7.
    var loadClient = "raw"
    /// `--only s1` or `--only s2` runs one target (S3 runs with S1), without the in-process baselines.
    var only: String?

    static func parse() -> Options {
        var o = Options()
        var args = CommandLine.arguments.dropFirst().makeIterator()
        while let a = args.next() {
            switch a {
            case "--seconds": o.seconds = Double(args.next() ?? "") ?? o.seconds
            case "--work": o.work = args.next() ?? o.work
            case "--cli": o.cliPath = args.next() ?? o.cliPath
            case "--json": o.jsonOut = args.next()
            case "--client": o.loadClient = args.next() ?? o.loadClient
            case "--only": o.only = args.next()
            default:
                FileHandle.standardError.write(Data("usage: server-bench [--seconds S] [--work DIR] [--cli PATH] [--json FILE] [--client raw|async-http] [--only s1|s2|floor]\n".utf8))
                exit(64)
            }
        }
        return o
    }
}

let options = Options.parse()
let seconds = options.seconds
let work = options.work

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
func percentile(_ xs: [Double], _ p: Double) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    return s[min(s.count - 1, Int(p / 100 * Double(s.count - 1) + 0.5))]
}
func rate(_ v: Double) -> String { v >= 1e6 ? String(format: "%.2f M", v / 1e6) : String(format: "%.1f k", v / 1e3) }
func ms(_ s: Double) -> String { String(format: "%.1f ms", s * 1000) }
func note(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

// MARK: Workload

/// Simulated days as NDJSON lines, enough for `needed` events (ids, calls and clients all distinct
/// per day, so the read models see realistic traffic, not one call repeated).
func simulatedLines(_ needed: Int) -> [String] {
    var config = SimulatorConfiguration()
    config.days = needed / 5_000 + 1  // about 9 k events a simulated day
    config.maxEvents = needed
    return TrafficSimulator(config).lines()
}

/// A counter shared by tasks (a `Mutex` itself cannot be captured by a sending closure).
final class Shared<T: Sendable>: Sendable {
    let value: Mutex<T>
    init(_ v: T) { value = Mutex(v) }
    func next() -> T where T == Int { value.withLock { n in defer { n += 1 }; return n } }
}

final class Results: Sendable {
    let latencies = Mutex<[Double]>([])
    let events = Mutex(0)
    let failures = Mutex<[String]>([])
}

/// The server under test, as a child process.
struct Server {
    let serve: ServeProcess
    var port: Int { serve.port }
    let token = "server-bench-token"

    /// Starts after the write-run reset of `../shared/limits.md` (`sync; sleep 1`), so the
    /// writeback of the run before (S1 stores 2 M+ events) does not land in this one's clock.
    static func start(data: String) throws -> Server {
        sync()
        sleep(1)
        return Server(serve: try ServeProcess.start(executable: options.cliPath, data: data, tokens: "server-bench-token=bench:admin"))
    }

    func stop() {
        serve.process.terminate()
        serve.process.waitUntilExit()
    }
}

let client = HTTPClient(eventLoopGroupProvider: .singleton,
                        configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 128)))

func post(_ server: Server, _ body: [UInt8]) async throws -> (Int, Double) {
    var r = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/v1/events")
    r.method = .POST
    r.headers.add(name: "Authorization", value: "Bearer \(server.token)")
    r.headers.add(name: "Content-Type", value: "application/x-ndjson")
    r.body = .bytes(body)
    let t0 = now()
    let response = try await client.execute(r, timeout: .seconds(60))
    _ = try await response.body.collect(upTo: 1 << 22)
    return (Int(response.status.code), now() - t0)
}

func get(_ server: Server, _ path: String) async throws -> (Int, Double) {
    var r = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)\(path)")
    r.headers.add(name: "Authorization", value: "Bearer \(server.token)")
    let t0 = now()
    let response = try await client.execute(r, timeout: .seconds(60))
    _ = try await response.body.collect(upTo: 1 << 26)
    return (Int(response.status.code), now() - t0)
}

/// The server's `/metrics` samples (`name{labels}` → value); nil when it does not answer.
func metricValues(_ server: Server) async -> [String: Double]? {
    var r = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/metrics")
    r.method = .GET
    guard let response = try? await client.execute(r, timeout: .seconds(10)),
          let body = try? await response.body.collect(upTo: 1 << 24) else { return nil }
    var values: [String: Double] = [:]
    for line in String(buffer: body).split(separator: "\n") where !line.hasPrefix("#") {
        let parts = line.split(separator: " ")
        if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v }
    }
    return values
}

/// How far the `calls` read model got: S3's report covers every call it has applied, so the
/// further it is, the more a report reads (a faster projection makes S3's reports larger).
func readModelSummary(_ server: Server) async -> String {
    guard let values = await metricValues(server), let head = values["ledger_last_position"],
          let calls = values["ledger_projection_checkpoint{projection=\"calls\"}"] else { return "(no /metrics)" }
    return String(format: "read model calls at %.0f of %.0f events (%.0f %%)", calls, head, head > 0 ? 100 * calls / head : 0)
}

/// Group commits so far, from the server's `/metrics`: how many, records per commit, mean duration.
func commitSummary(_ server: Server) async -> String {
    guard let values = await metricValues(server) else { return "(no /metrics)" }
    let commits = values["ledger_commit_group_records_count"] ?? 0
    let records = values["ledger_commit_group_records_sum"] ?? 0
    let seconds = values["ledger_commit_duration_seconds_sum"] ?? 0
    guard commits > 0 else { return "no commits" }
    // Commits slower than 25 ms, from the duration histogram's cumulative buckets.
    let within25 = values.first { $0.key.hasPrefix("ledger_commit_duration_seconds_bucket") && $0.key.contains("le=\"0.025\"") }?.value ?? commits
    return String(format: "%.0f commits, %.1f records per commit, %.2f ms per commit, %.0f over 25 ms",
                  commits, records / commits, seconds / commits * 1000, commits - within25)
}

/// `clients` connections each posting `bodies` in turn (shared queue) until `until`.
func ingest(_ server: Server, bodies: [[UInt8]], eventsPerBody: [Int], clients: Int, until: Double) async -> Results {
    let results = Results()
    if options.loadClient == "raw" {
        let r = await withCheckedContinuation { (done: CheckedContinuation<RawLoadResults, Never>) in
            Thread {
                done.resume(returning: RawLoad.run(port: server.port, path: "/v1/events", token: server.token,
                                                   contentType: "application/x-ndjson", bodies: bodies,
                                                   eventsPerBody: eventsPerBody, connections: clients, until: until))
            }.start()
        }
        results.latencies.withLock { $0 = r.latencies }
        results.events.withLock { $0 = r.events }
        results.failures.withLock { $0 = r.failures }
        return results
    }
    let next = Shared(0)
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<clients {
            group.addTask {
                while now() < until {
                    let k = next.next()
                    guard k < bodies.count else { return }
                    do {
                        let (status, latency) = try await post(server, bodies[k])
                        if status == 200 {
                            results.latencies.withLock { $0.append(latency) }
                            results.events.withLock { $0 += eventsPerBody[k] }
                        } else {
                            results.failures.withLock { $0.append("HTTP \(status)") }
                        }
                    } catch {
                        results.failures.withLock { $0.append("\(error)") }
                    }
                }
            }
        }
    }
    return results
}

/// The same bodies appended in-process (no HTTP): what the log itself does on this machine now.
func libraryBaseline(_ batches: [[Event]], concurrency: Int, seconds: Double, dir: String) async throws -> Double {
    try? FileManager.default.removeItem(atPath: dir)
    let log = try EventLog(directory: dir)
    let until = now() + seconds
    let next = Shared(0)
    let total = Shared(0)
    let t0 = now()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                while now() < until {
                    let k = next.next()
                    guard k < batches.count else { return }
                    let r = try await log.append(batches[k])
                    total.value.withLock { $0 += r.appended }
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = now() - t0
    log.close()
    try? FileManager.default.removeItem(atPath: dir)
    return Double(total.value.withLock { $0 }) / elapsed
}

// MARK: Run

try? FileManager.default.removeItem(atPath: work)
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
let batchSize = 500
let neededBatch = Int(seconds * 250_000)  // enough for 250 k events/s
note("simulating \(neededBatch) events …")
let lines = simulatedLines(neededBatch + 200_000)
let batchLines = stride(from: 0, to: neededBatch, by: batchSize).map { Array(lines[$0..<min(neededBatch, $0 + batchSize)]) }
let bodies = batchLines.map { Array(($0.joined(separator: "\n") + "\n").utf8) }
let singles = lines[neededBatch...].map { Array(($0 + "\n").utf8) }
var report: [String: Double] = [:]
var rows: [String] = []

// 1 + 3: ingest of batches, with the report endpoints polled meanwhile.
if options.only != "s2" {
    let server = try Server.start(data: work + "/ingest")
    defer { server.stop() }
    // A little history first so the report endpoints have a department and a month to answer.
    _ = try await post(server, bodies[0])
    let firstDay = try JSONParser.parse(Array(lines[0].utf8)).objectValue!["at"]!.stringValue!.prefix(10)
    let department = "sales"
    note("[1] ingest: 8 clients × batches of \(batchSize) for \(seconds) s, report endpoints polled meanwhile …")
    let until = now() + seconds
    let t0 = now()
    // (seconds into the run, which path, latency): the report's cost grows with the calls applied.
    let readTrace = Shared<[(at: Double, path: Int, latency: Double)]>([])
    let readFailures = Shared(0)
    async let ingestResults = ingest(server, bodies: Array(bodies.dropFirst()), eventsPerBody: batchLines.dropFirst().map(\.count),
                                     clients: 8, until: until)
    async let reads: Void = {
        // The queue; the department report for a month (the first month of the history, which
        // fills up as the read model applies S1's events), the workload of issue 4's report
        // target; and, for information, the report over the whole history, whose cost grows with
        // every call the read model applies (no fixed bound can hold for it).
        let paths = ["/v1/departments/\(department)/unprocessed",
                     "/v1/departments/\(department)/report?from=\(firstDay)&to=\(monthAfter(String(firstDay)))",
                     "/v1/departments/\(department)/report?from=\(firstDay)&to=2099-01-01"]
        var k = 0
        while now() < until {
            do {
                let (status, latency) = try await get(server, paths[k % paths.count])
                if status == 200 {
                    readTrace.value.withLock { $0.append((now() - t0, k % paths.count, latency)) }
                } else { readFailures.value.withLock { $0 += 1 } }
            } catch { readFailures.value.withLock { $0 += 1 } }
            k += 1
            try? await Task.sleep(for: .milliseconds(50))
        }
    }()
    let r = await ingestResults
    await reads
    let elapsed = now() - t0
    let evs = Double(r.events.withLock { $0 }) / elapsed
    let lat = r.latencies.withLock { $0 }
    let trace = readTrace.value.withLock { $0 }
    // S3 is the queue and the month report; the whole-history report is shown apart.
    let rl = trace.filter { $0.path < 2 }.map(\.latency)
    let whole = trace.filter { $0.path == 2 }.map(\.latency)
    report["reads_all_history_p99_ms"] = percentile(whole, 99) * 1000
    report["reads_all_history_p50_ms"] = percentile(whole, 50) * 1000
    report["ingest_events_per_s"] = evs
    report["ingest_p50_ms"] = percentile(lat, 50) * 1000
    report["ingest_p99_ms"] = percentile(lat, 99) * 1000
    report["reads_p50_ms"] = percentile(rl, 50) * 1000
    report["reads_p99_ms"] = percentile(rl, 99) * 1000
    report["reads_count"] = Double(rl.count)
    note("    \(rate(evs)) events/s, request p50 \(ms(percentile(lat, 50))) p90 \(ms(percentile(lat, 90))) p99 \(ms(percentile(lat, 99))) max \(ms(lat.max() ?? 0)), failures \(r.failures.withLock { $0.count })")
    for (k, name) in ["unprocessed queue", "month report", "whole-history report (info)"].enumerated() {
        let own = trace.filter { $0.path == k }
        let quarters = (0..<4).map { q in
            own.filter { Int($0.at / seconds * 4) == q }.map(\.latency).max().map(ms) ?? "-"
        }
        note("    reports, \(name): p50 \(ms(percentile(own.map(\.latency), 50))) p99 \(ms(percentile(own.map(\.latency), 99))); "
             + "slowest in each quarter of the run: \(quarters.joined(separator: ", "))")
    }
    // Read before the commit summary: the read models keep catching up after the load stops.
    let models = await readModelSummary(server)
    note("    server: \(await commitSummary(server))")
    note("    reports during ingest: \(rl.count) answered, p50 \(ms(percentile(rl, 50))) p99 \(ms(percentile(rl, 99))), failures \(readFailures.value.withLock { $0 }); at the end, \(models)")
}
// One target alone (`--only`, for profiling the server): its figures are the notes above.
if options.only == "s1" { try await client.shutdown().get(); exit(0) }
var libBatch = 0.0
if options.only == nil {
    note("[1] baseline: the same batches appended in-process by EventLog, 8 tasks …")
    let parsedBatches = try batchLines.prefix(Int(seconds * 600)).map { batch in try batch.map { try EventValidator.validate(JSONParser.parse(Array($0.utf8)), index: 0).get() } }
    libBatch = try await libraryBaseline(parsedBatches, concurrency: 8, seconds: seconds, dir: work + "/lib-batch")
    report["library_batch_events_per_s"] = libBatch
    note("    \(rate(libBatch)) events/s")
}

// 2: 64 clients, single events.
if options.only != "floor" {
    let server = try Server.start(data: work + "/single")
    defer { server.stop() }
    note("[2] 64 clients × single events for \(seconds) s …")
    let t0 = now()
    let r = await ingest(server, bodies: Array(singles), eventsPerBody: Array(repeating: 1, count: singles.count), clients: 64, until: now() + seconds)
    let elapsed = now() - t0
    let evs = Double(r.events.withLock { $0 }) / elapsed
    let lat = r.latencies.withLock { $0 }
    report["single_events_per_s"] = evs
    report["single_p50_ms"] = percentile(lat, 50) * 1000
    report["single_p99_ms"] = percentile(lat, 99) * 1000
    note("    server: \(await commitSummary(server))")
    note("    \(rate(evs)) events/s, request p50 \(ms(percentile(lat, 50))) p99 \(ms(percentile(lat, 99))), failures \(r.failures.withLock { $0.count })")
}
if options.only == "floor" || options.only == nil {
    // The HTTP stack's own ceiling here: the same 64 keep-alive connections asking `GET /healthz`
    // (routing, one small JSON answer, no body, no log) from the same load generator.
    let server = try Server.start(data: work + "/floor")
    defer { server.stop() }
    note("[2] ceiling: 64 clients × GET /healthz for \(min(seconds, 5)) s …")
    let t0 = now()
    let r = await withCheckedContinuation { (done: CheckedContinuation<RawLoadResults, Never>) in
        Thread {
            done.resume(returning: RawLoad.run(port: server.port, method: "GET", path: "/healthz", token: server.token, contentType: "",
                                               bodies: Array(repeating: [], count: 10_000_000), eventsPerBody: Array(repeating: 1, count: 10_000_000),
                                               connections: 64, until: now() + min(seconds, 5)))
        }.start()
    }
    let rps = Double(r.events) / (now() - t0)
    report["healthz_requests_per_s"] = rps
    note("    \(rate(rps)) requests/s, p50 \(ms(percentile(r.latencies, 50))) p99 \(ms(percentile(r.latencies, 99)))")
}
if options.only != nil { try await client.shutdown().get(); exit(0) }
note("[2] baseline: 64 in-process tasks appending single events …")
let singleEvents = try lines[neededBatch...].prefix(200_000).map { [try EventValidator.validate(JSONParser.parse(Array($0.utf8)), index: 0).get()] }
let libSingle = try await libraryBaseline(singleEvents, concurrency: 64, seconds: min(seconds, 5), dir: work + "/lib-single")
report["library_single_events_per_s"] = libSingle
note("    \(rate(libSingle)) events/s")
try await client.shutdown().get()

func verdict(_ ok: Bool) -> String { ok ? "PASS" : "MISS" }
print("""
# server-bench (\(ISO8601DateFormatter().string(from: Date())), \(Int(seconds)) s per target, load from a second process on 127.0.0.1, \(options.loadClient) client)
| # | measurement | ours | baseline (same run) | ratio | target | verdict |
|---|---|---|---|---|---|---|
| S1 | ingest, 8 clients × NDJSON batches of 500 | \(rate(report["ingest_events_per_s"]!)) ev/s | EventLog.append in-process, 8 tasks: \(rate(libBatch)) ev/s | \(String(format: "%.2f×", report["ingest_events_per_s"]! / libBatch)) | ≥ 150 k ev/s | \(verdict(report["ingest_events_per_s"]! >= 150_000)) |
| S1b | same, request latency p99 | \(String(format: "%.1f ms", report["ingest_p99_ms"]!)) (p50 \(String(format: "%.1f", report["ingest_p50_ms"]!))) | | | ≤ 50 ms | \(verdict(report["ingest_p99_ms"]! <= 50)) |
| S2 | 64 clients × single events | \(rate(report["single_events_per_s"]!)) ev/s (p99 \(String(format: "%.1f ms", report["single_p99_ms"]!))) | 64 in-process tasks: \(rate(libSingle)) ev/s | \(String(format: "%.2f×", report["single_events_per_s"]! / libSingle)) | ≥ 20 k ev/s | \(verdict(report["single_events_per_s"]! >= 20_000)) |
| S2b | same, against the HTTP stack's ceiling here | | 64 connections × `GET /healthz`: \(rate(report["healthz_requests_per_s"]!)) requests/s | \(String(format: "%.2f×", report["single_events_per_s"]! / report["healthz_requests_per_s"]!)) | | |
| S3 | report endpoints during S1 (queue + month report), p99 | \(String(format: "%.1f ms", report["reads_p99_ms"]!)) (p50 \(String(format: "%.1f", report["reads_p50_ms"]!)), \(Int(report["reads_count"]!)) requests) | | | ≤ 100 ms | \(verdict(report["reads_p99_ms"]! <= 100)) |
| S3i | (info) the report over the whole history during S1, p99 | \(String(format: "%.1f ms", report["reads_all_history_p99_ms"]!)) (p50 \(String(format: "%.1f", report["reads_all_history_p50_ms"]!))) | | | | |
""")
if let jsonOut = options.jsonOut {
    let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted])
    try data.write(to: URL(fileURLWithPath: jsonOut))
}
try? FileManager.default.removeItem(atPath: work)

/// The first day of the month after `day` (`YYYY-MM-DD`): the end of a one-month period.
func monthAfter(_ day: String) -> String {
    let p = day.split(separator: "-").compactMap { Int($0) }
    guard p.count == 3 else { return "2099-01-01" }
    let (y, m) = p[1] == 12 ? (p[0] + 1, 1) : (p[0], p[1] + 1)
    return String(format: "%04d-%02d-%02d", y, m, p[2])
}
