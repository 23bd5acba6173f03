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
