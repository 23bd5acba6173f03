import Foundation
import LedgerEvents
import LedgerLog
import LedgerProjections
import LedgerReports
import LedgerSimulator
import LedgerTestSupport
import Testing

func simulatedEvents(days: Int, seed: UInt64, late: Double = 0) -> [Event] {
    var c = SimulatorConfiguration()
    c.days = days
    c.seed = seed
    c.lateFraction = late
    return try! NDJSONReader.parse(Array(TrafficSimulator(c).lines().joined(separator: "\n").utf8)).get()
}

func reportEngine(_ dir: TemporaryDirectory, _ events: [Event], batch: Int = 1000) async throws -> ProjectionEngine {
    let log = try EventLog(directory: dir.sub("l-\(UUID().uuidString.prefix(8))"))
    for start in stride(from: 0, to: events.count, by: batch) {
        _ = try await log.append(Array(events[start..<min(events.count, start + batch)]))
    }
    let engine = try ProjectionEngine(log: log)
    try engine.register(CallsProjection())
    try engine.register(ClientsProjection())
    try engine.register(LeadsProjection())
    try engine.catchUp()
    return engine
}

/// Everything a manager could ask of the missed-call read models, as one JSON text.
func allReports(_ engine: ProjectionEngine, cut: Cut = .all) throws -> String {
    var out = ""
    let period = ReportPeriod(from: try EventTime(rfc3339: "2026-11-16T00:00:00Z").milliseconds,
                              to: try EventTime(rfc3339: "2026-11-23T00:00:00Z").milliseconds)
    for d in ["sales", "support", "billing"] {
        let view = try DepartmentView(engine: engine, department: d, cut: cut)
        out += try reportJSON(view.report(period, by: .day)) + "\n"
        out += try reportJSON(view.unprocessed()) + "\n"
        out += try reportJSON(view.processed()) + "\n"
        out += try reportJSON(view.callList(period)) + "\n"
    }
    out += try reportJSON(DismissalAudit.rows(engine: engine, filter: DismissalFilter(), cut: cut))
    return out
}

@Suite struct ReportPropertyTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func totalsAddUp(seed: UInt64) async throws {
        let dir = TemporaryDirectory("totals")
        let engine = try await reportEngine(dir, simulatedEvents(days: 3, seed: seed))
        let period = ReportPeriod(from: try EventTime(rfc3339: "2026-11-16T00:00:00Z").milliseconds,
                                  to: try EventTime(rfc3339: "2026-11-20T00:00:00Z").milliseconds)
        for d in ["sales", "support", "billing"] {
            let view = try DepartmentView(engine: engine, department: d)
            let r = try view.report(period, by: .day)
            let v = r.volume
            let calls = try view.callList(period)
            let inProgress = calls.filter { $0.result == "in_progress" }.count
            #expect(v.incoming > 100)
            #expect(v.answered + v.missed + inProgress == v.incoming)
            #expect(Int(v.reasons.values.values.reduce(0, +)) == v.missed)
            #expect(Int(v.classes.values.values.reduce(0, +)) == v.missed)
            #expect(v.uniqueMissed + v.repeatMissed + v.hiddenMissed == v.missed)
            let c = r.callbacks
            #expect(c.calledBackByDepartment + c.calledBackElsewhere + c.dismissed + c.notCalledBack == c.episodes)
            #expect(c.episodes > 10)
            // Dynamics add up to the whole period.
            let buckets = try #require(r.dynamics)
            #expect(buckets.reduce(0) { $0 + $1.volume.incoming } == v.incoming)
            #expect(buckets.reduce(0) { $0 + $1.volume.missed } == v.missed)
            #expect(buckets.reduce(0) { $0 + $1.statuses.episodes } == c.episodes)
            #expect(buckets.reduce(0) { $0 + $1.statuses.notCalledBack } == c.notCalledBack)
            // The call list agrees with section I.
            #expect(calls.count == v.incoming && calls.filter { $0.result == "missed" }.count == v.missed)
            // Agents: answered by agents adds up to answered.
            #expect(r.agents.reduce(0) { $0 + $1.answered } == v.answered)
            // Every open episode is in the unprocessed queue, each client once.
            let queue = try view.unprocessed()
            #expect(Set(queue.map(\.client)).count == queue.count)
        }
    }

    @Test(arguments: [UInt64(4), 5])
    func arrivalOrderDoesNotChangeAnyReport(seed: UInt64) async throws {
        let dir = TemporaryDirectory("order-reports")
        let ordered = try await reportEngine(dir, simulatedEvents(days: 2, seed: seed))
        let late = try await reportEngine(dir, simulatedEvents(days: 2, seed: seed, late: 0.3), batch: 77)
        var reversed = simulatedEvents(days: 2, seed: seed)
        reversed.reverse()
        let backwards = try await reportEngine(dir, reversed, batch: 501)
        let expected = try allReports(ordered)
        #expect(expected.count > 10_000)
        #expect(try allReports(late) == expected)
        #expect(try allReports(backwards) == expected)
    }

    /// Live workers apply small pages while the log grows: a client's fact keeps what its calls
    /// the page does not touch contributed, and recomputes the rest. The reports, now and as of
    /// cuts, equal those of one bulk rebuild of the same log, with late events (a call's start
    /// after its other events, an old call's end in a later page) and repeat callers.
    @Test func pagesAppliedLiveEqualABulkRebuild() async throws {
        let dir = TemporaryDirectory("live-vs-rebuild")
        let events = simulatedEvents(days: 3, seed: 8, late: 0.3)
        let log = try EventLog(directory: dir.sub("live"))
        let live = try ProjectionEngine(log: log)
        try live.register(CallsProjection())
        try live.register(ClientsProjection())
        try live.register(LeadsProjection())
        var start = 0, size = 1
        while start < events.count {
            _ = try await log.append(Array(events[start..<min(events.count, start + size)]))
            try live.catchUp(pageSize: 64)
            start += size
            size = size % 97 + 13  // batches of 1 to 109 events, pages of at most 64
        }
        let rebuilt = try await reportEngine(dir, events)
        try rebuilt.rebuild()
        // A client called often enough that later pages found its fact in the memo.
        let repeatCaller = Dictionary(grouping: events.filter { $0.type == .callStarted }, by: { $0.client?.digits ?? "" })
            .filter { !$0.key.isEmpty }.values.map(\.count).max() ?? 0
        #expect(repeatCaller >= 5)
        #expect(try allReports(live) == allReports(rebuilt))
        for p in [UInt64(events.count / 3), UInt64(events.count * 2 / 3)] {
            #expect(try allReports(live, cut: .position(p)) == allReports(rebuilt, cut: .position(p)))
        }
        // Cuts in occurred time, where a fact's window must span every call it kept (a long call
        // kept from an earlier page can end after the calls the last page recomputed).
        let times = events.map(\.at).sorted()
        for k in 1...8 {
            let t = times[times.count * k / 9]
            #expect(try allReports(live, cut: .occurredAt(t)) == allReports(rebuilt, cut: .occurredAt(t)), "as of \(t)")
        }
    }

    /// A long call kept from an earlier page ends after the call the last page added: the
    /// client's fact was computed from both, so as of a time between their ends it is recomputed
    /// (the long call in progress then), not taken as stored.
    @Test func aKeptCallStillCountsInTheFactsWindow() async throws {
        let dir = TemporaryDirectory("kept-call-window")
        func e(_ id: String, _ type: String, _ time: String, _ data: String) throws -> Event {
            try EventValidator.validate(JSONParser.parse(Array(#"{"id":"\#(id)","type":"\#(type)","at":"2026-11-17T\#(time)Z","data":{\#(data)}}"#.utf8)), index: 0).get()
        }
        let client = #""client":"79001112233","department":"sales""#
        let pages: [[Event]] = [
            [try e("a-s", "call.started", "10:00:00", #""call_id":"A","direction":"inbound",\#(client)"#),
             try e("a-q", "call.queued", "10:00:05", #""call_id":"A","department":"sales""#)],
            [try e("a-e", "call.ended", "10:30:00", #""call_id":"A","by":"client""#)],
            [try e("b-s", "call.started", "10:10:00", #""call_id":"B","direction":"inbound",\#(client)"#),
             try e("b-q", "call.queued", "10:10:05", #""call_id":"B","department":"sales""#),
             try e("b-e", "call.ended", "10:12:00", #""call_id":"B","by":"client""#)],
        ]
        let log = try EventLog(directory: dir.sub("live"))
        let live = try ProjectionEngine(log: log)
        try live.register(CallsProjection())
        try live.register(ClientsProjection())
        for page in pages {
            _ = try await log.append(page)
            try live.catchUp()
        }
        let rebuilt = try await reportEngine(dir, pages.flatMap { $0 })
        try rebuilt.rebuild()
        let t = try EventTime(rfc3339: "2026-11-17T10:20:00Z")
        let asOf = try allReports(live, cut: .occurredAt(t))
        #expect(asOf == (try allReports(rebuilt, cut: .occurredAt(t))))
        #expect(asOf.contains(#""missed_calls":1"#) && !asOf.contains(#""missed_calls":2"#))
        #expect(try allReports(live) == allReports(rebuilt))
    }

    @Test func asOfEqualsAFreshReplayOfTheCut() async throws {
        let dir = TemporaryDirectory("asof-reports")
        let events = simulatedEvents(days: 2, seed: 6, late: 0.1)
        let engine = try await reportEngine(dir, events)
        let all = try engine.log.events(after: 0, limit: .max)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2 {
            let p = UInt64.random(in: 1...UInt64(all.count), using: &rng)
            let replay = try await reportEngine(dir, Array(all.prefix(Int(p))).map(\.event))
            #expect(try allReports(engine, cut: .position(p)) == allReports(replay))
            let t = all[Int.random(in: 0..<all.count, using: &rng)].event.at
            let replayT = try await reportEngine(dir, all.filter { $0.event.at <= t }.map(\.event))
            #expect(try allReports(engine, cut: .occurredAt(t)) == allReports(replayT))
        }
    }
}
