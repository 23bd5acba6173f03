import Foundation
import LedgerEvents
import LedgerProjections
import LedgerReports
import LedgerTestSupport
import Testing

/// Episodes: every way to open, join and close one, the same-instant order, the calendar day.
@Suite struct EpisodeScenarioTests {
    let x = "79000000001"

    @Test func callbacksAttemptsAndTheWaysToClose() async throws {
        let dir = TemporaryDirectory("episodes")
        let s = Scene()
        s.standardSetup()
        // Episode 1: missed twice, one failed attempt by a1, then a connected callback by a2.
        s.inbound("m1", from: x, 0, "10:00:00", [queued(1), ringing(2, "a1"), ringEnded(10, "a1", "rejected"), ended(30)])
        s.outbound("cb1", to: x, by: "a1", 0, "10:05:00")
        s.inbound("m2", from: x, 0, "10:20:00", [queued(1), ended(25)])
        s.outbound("cb2", to: x, by: "a2", 0, "10:40:00", answerAfter: 10)
        // Episode 2 (same client): missed again, then the client gets through.
        s.inbound("m3", from: x, 0, "12:00:00", [queued(1), ended(40)])
        s.inbound("in4", from: x, 0, "12:30:00", [queued(1), ringing(2, "a1"), answered(4, "a1"), ended(100, by: "agent")])
        // Episode 3: missed, dismissed with a comment; then a dismissal with nothing open.
        s.inbound("m5", from: x, 0, "14:00:00", [queued(1), ended(40)])
        s.dismiss(x, 0, "14:30:00", by: "ann", reason: "other", comment: "called back on WhatsApp")
        s.dismiss(x, 0, "14:31:00", by: "bob", reason: "duplicate")
        s.outbound("cb3", to: x, by: "a1", 0, "15:00:00", answerAfter: 5)
        let engine = try await s.engine(dir)
        let view = try DepartmentView(engine: engine, department: "sales")
        let processed = try view.processed().sorted { $0.openedAt < $1.openedAt }
        #expect(processed.count == 3)
        #expect(processed[0].missedCalls == 2 && processed[0].callbackAttempts == 2)
        #expect(processed[0].closedHow == "callback" && processed[0].closedBy == "a2")
        #expect(processed[0].lostForS == 20 * 60)
        #expect(processed[0].lastReason == "no_free_agents")
        #expect(processed[1].closedHow == "client_got_through" && processed[1].closedBy == "a1")
        #expect(processed[2].closedHow == "dismissed" && processed[2].closedBy == "ann")
        #expect(processed[2].reason == "other" && processed[2].comment == "called back on WhatsApp")
        #expect(try view.unprocessed().isEmpty)

        let audit = try DismissalAudit.rows(engine: engine, filter: DismissalFilter())
        #expect(audit.count == 2)
        #expect(audit[0].by == "ann" && audit[0].closedEpisode?.calls == ["m5"] && audit[0].attemptsBefore == 0 && audit[0].contactedLater)
        #expect(audit[1].by == "bob" && audit[1].closedEpisode == nil)
        #expect(try DismissalAudit.rows(engine: engine, filter: DismissalFilter(by: "bob")).count == 1)
        #expect(try DismissalAudit.rows(engine: engine, filter: DismissalFilter(reason: "spam")).isEmpty)
        #expect(try DismissalAudit.rows(engine: engine, filter: DismissalFilter(client: "+7 900 000 00 01")).count == 2)

        // Section II: episode 1 by the department (a2 is a member), 2 elsewhere, 3 dismissed.
        let c = try view.report(s.week).callbacks
        #expect(c.episodes == 3 && c.calledBackByDepartment == 1 && c.calledBackElsewhere == 1 && c.dismissed == 1 && c.notCalledBack == 0)
        // First attempt of the department 4 min 30 s after episode 1 opened (m1 ended at 10:00:30).
        #expect(c.avgCallbackDelayS == 270)
        // Closed by the department's callback 40:10 - 00:30 = 39 min 40 s after opening: within 3600 only.
        #expect(c.resolvedWithin["300"] == 0 && c.resolvedWithin["900"] == 0 && abs(c.resolvedWithin["3600"] - 1.0 / 3) < 1e-12)
    }

    @Test func aConnectedContactClosesEpisodesInEveryDepartment() async throws {
        let dir = TemporaryDirectory("every")
        let s = Scene()
        s.standardSetup()
        s.inbound("m1", from: x, 0, "10:00:00", [queued(1), ended(30)])
        s.inbound("m2", from: x, 0, "10:10:00", department: "support", [queued(1, "support"), ended(30)])
        // A support agent calls back on behalf of support.
        s.outbound("cb", to: x, by: "b1", department: "support", 0, "11:00:00", answerAfter: 5)
        let engine = try await s.engine(dir)
        let sales = try DepartmentView(engine: engine, department: "sales")
        let support = try DepartmentView(engine: engine, department: "support")
        #expect(try sales.unprocessed().isEmpty && support.unprocessed().isEmpty)
        #expect(try sales.processed().first?.closedHow == "callback")
        // For sales the callback was someone else's; for support it was its own.
        #expect(try sales.report(s.week).callbacks.calledBackElsewhere == 1)
        #expect(try support.report(s.week).callbacks.calledBackByDepartment == 1)
    }

    @Test func happeningsAtTheSameInstantAreOrdered() async throws {
        let dir = TemporaryDirectory("same-at")
        let s = Scene()
        s.standardSetup()
        // The missed call ends at 10:00:30; an outbound call starts at the same instant: attempts come
        // first, so it is not an attempt of the episode it precedes.
        s.inbound("m1", from: x, 0, "10:00:00", [queued(1), ended(30)])
        s.outbound("cb", to: x, by: "a1", 0, "10:00:30")
        // A contact and a dismissal at the same instant: the contact closes, the dismissal finds nothing.
        s.inbound("m2", from: "79000000002", 0, "11:00:00", [queued(1), ended(30)])
        s.outbound("cb2", to: "79000000002", by: "a1", 0, "11:05:00", answerAfter: 30)  // answered 11:05:30
        s.dismiss("79000000002", 0, "11:05:30")
        let engine = try await s.engine(dir)
        let view = try DepartmentView(engine: engine, department: "sales")
        #expect(try view.unprocessed().first { $0.client == x }?.callbackAttempts == 0)
        #expect(try view.processed().first { $0.client == "79000000002" }?.closedHow == "callback")
        #expect(try DismissalAudit.rows(engine: engine, filter: DismissalFilter()).first?.closedEpisode == nil)
    }

    @Test func theCalendarDayIsTheDepartmentsNotUTCs() async throws {
        let dir = TemporaryDirectory("day")
        let s = Scene()
        s.standardSetup(hours: ["mon": [["00:00", "24:00"]], "tue": [["00:00", "24:00"]]])
        // Opened Monday 23:50 Moscow (20:50Z), called back Tuesday 00:10 Moscow (21:10Z, still Monday in UTC).
        s.inbound("late", from: x, 0, "23:49:00", [queued(1), ended(60)])
        s.outbound("cb", to: x, by: "a1", 1, "00:10:00", answerAfter: 5)
        // Opened Monday 10:00, called back 20:00 the same day.
        s.inbound("day", from: "79000000002", 0, "10:00:00", [queued(1), ended(60)])
        s.outbound("cb2", to: "79000000002", by: "a1", 0, "20:00:00", answerAfter: 5)
        let engine = try await s.engine(dir)
        let c = try DepartmentView(engine: engine, department: "sales").report(s.week, by: .day)
        #expect(c.callbacks.episodes == 2 && c.callbacks.notCalledBack == 1 && c.callbacks.calledBackByDepartment == 1)
        #expect(c.dynamics?.count == 7)
        #expect(c.dynamics?.first?.start == "2026-11-16" && c.dynamics?.first?.end == "2026-11-17")
        #expect(c.dynamics?.first?.statuses.episodes == 2)
    }
}
