import Foundation
import LedgerAsterisk
import LedgerEvents
import LedgerLog
import LedgerProjections
import LedgerReports
import LedgerTestSupport
import Testing

/// A small day of two queues (`day.queue_log`, `day-Master.csv`), imported into a real ledger;
/// the department report and the unprocessed queue must give the numbers worked out by hand
/// below (sales is never configured: UTC, always open, short abandon 10 s).
///
/// | call | what the logs say | sales |
/// |---|---|---|
/// | A 14:00 | CONNECT 201 after 5 s | answered, wait 5 |
/// | B 14:10 client 2 | RNA 201, RNA 202 (15 s each), ABANDON at 40 s | missed not_answered, wait 40 |
/// | C 14:20 client 3 | ABANDON at 6 s | missed abandoned_short, wait 6 |
/// | D 14:30 client 4 | RNA 202 1000 ms (rejected), EXITWITHTIMEOUT 60 s, ENTERQUEUE q-support, CONNECT 301 | missed not_answered (moved on), wait 60, total 70 |
/// | E 15:00 anonymous | EXITEMPTY at 30 s | missed no_free_agents, hidden |
/// | F 15:10 client 2 | RNA 201, ABANDON at 50 s | missed not_answered, wait 50 |
/// | G 15:20 | CONNECT 202 after 4 s, BLINDTRANSFER | answered, wait 4 |
/// | H 15:30 client 6 | RINGCANCELED 201, ABANDON at 12 s | missed not_answered, wait 12 |
/// | CDR 16:00 client 7 | Playback 8 s on the sales line | missed abandoned_greeting, total 8 |
/// | CDR 16:10 client 8 | BackGround 25 s on the sales line | missed abandoned_ivr, total 25 |
///
/// Callbacks (CDR, national numbers): 201 → client 2 at 14:12 no answer; 202 → client 2 at 14:15,
/// answered 14:15:10.
@Suite struct DayReportTests {
    static let day = ReportPeriod(from: 1_794_787_200_000, to: 1_794_873_600_000)

    func importDay(_ dir: TemporaryDirectory) async throws -> (ProjectionEngine, ImportStatistics) {
        let (events, stats) = mapFixtures(queueLog: "day.queue_log", cdr: "day-Master.csv", configuration: try dayConfiguration())
        expectValid(events)
        let log = try EventLog(directory: dir.sub("ledger"))
        let r = try await log.append(events)
        #expect(r.appended == events.count)
        let engine = try ProjectionEngine(log: log)
        try engine.register(CallsProjection())
        try engine.register(ClientsProjection())
        try engine.register(LeadsProjection())
        try engine.catchUp()
        return (engine, stats)
    }

    @Test func importSummaryOfTheDay() async throws {
        let (_, stats) = mapFixtures(queueLog: "day.queue_log", cdr: "day-Master.csv", configuration: try dayConfiguration())
        #expect(stats.queueLogLines == 35 && stats.cdrRows == 7 && stats.malformed == 0)
        #expect(stats.skipped["cdr: call described by queue_log"] == 2)
        #expect(stats.skipped["cdr: internal call"] == 1)
        #expect(stats.verbs["CDR outbound"] == 2 && stats.verbs["CDR inbound"] == 2)
        #expect(stats.verbs["(overflow)"] == 1)
    }

    @Test func departmentReportMatchesTheHandCount() async throws {
        let dir = TemporaryDirectory("asterisk-day")
        let (engine, _) = try await importDay(dir)
        let report = try DepartmentView(engine: engine, department: "sales").report(Self.day)
        let v = report.volume
        #expect(v.incoming == 10 && v.answered == 2 && v.missed == 8)
        #expect(v.missedShare == 0.8)
        #expect(v.uniqueMissed == 6 && v.repeatMissed == 1 && v.hiddenMissed == 1)
        // Queue waits of the 8 queued calls: 5+40+6+60+30+50+4+12 = 207.
        #expect(abs(v.avgWaitS - 207.0 / 8) < 1e-9)
        // Total waits of all 10: 5+40+6+70+30+50+4+12+8+25 = 250.
        #expect(abs(v.avgTotalWaitS - 25) < 1e-9)
        #expect(v.reasons["not_answered"] == 4 && v.reasons["abandoned_short"] == 1 && v.reasons["no_free_agents"] == 1)
        #expect(v.reasons["abandoned_greeting"] == 1 && v.reasons["abandoned_ivr"] == 1 && v.reasons["outside_hours"] == 0)
        #expect(v.classes["agents"] == 4 && v.classes["capacity"] == 1 && v.classes["other"] == 3 && v.classes["schedule"] == 0)

        // Episodes: client 2 twice (B, then F after the callback closed the first), 3, 4, 6, 7, 8.
        let c = report.callbacks
        #expect(c.episodes == 7)
        #expect(c.calledBackByDepartment == 1)   // client 2 by 202 (a member of sales)
        #expect(c.calledBackElsewhere == 1)      // client 4 got through to support
        #expect(c.dismissed == 0 && c.notCalledBack == 5)
        // First attempt 14:12:00, 80 s after B ended; closed 14:15:10, 270 s after.
        #expect(c.avgCallbackDelayS == 80)
        #expect(abs(c.resolvedWithin["300"] - 1.0 / 7) < 1e-12 && abs(c.resolvedWithin["3600"] - 1.0 / 7) < 1e-12)

        let agents = Dictionary(uniqueKeysWithValues: report.agents.map { ($0.agent, $0) })
        #expect(Set(agents.keys) == ["201", "202"])
        let a201 = agents["201"]!, a202 = agents["202"]!
        #expect(a201.offered == 4 && a201.answered == 1 && a201.missedOffered == 3 && a201.rejected == 0)
        #expect(a201.missedShare == 3.0 / 8 && a201.callbackAttempts == 1 && a201.removed)
        #expect(a202.offered == 3 && a202.answered == 1 && a202.missedOffered == 2 && a202.rejected == 1)
        #expect(a202.missedShare == 2.0 / 8 && a202.callbackAttempts == 1 && !a202.removed)

        let support = try DepartmentView(engine: engine, department: "support").report(Self.day).volume
        #expect(support.incoming == 1 && support.answered == 1 && support.missed == 0)
    }

    @Test func unprocessedQueueHoldsWhoWasNeverCalledBack() async throws {
        let dir = TemporaryDirectory("asterisk-queue")
        let (engine, _) = try await importDay(dir)
        let view = try DepartmentView(engine: engine, department: "sales")
        let open = try view.unprocessed()
        #expect(open.map(\.client) == ["12484363603", "12484363602", "12484363606", "12484363607", "12484363608"])
        #expect(open.map(\.lastReason) == ["abandoned_short", "not_answered", "not_answered", "abandoned_greeting", "abandoned_ivr"])
        let processed = try view.processed()
        #expect(processed.count == 2)
        let byCallback = processed.first { $0.closedHow == "callback" }!
        #expect(byCallback.client == "12484363602" && byCallback.closedBy == "202" && byCallback.callbackAttempts == 2)
        #expect(processed.contains { $0.closedHow == "client_got_through" && $0.client == "12484363604" && $0.closedBy == "301" })
    }
}
