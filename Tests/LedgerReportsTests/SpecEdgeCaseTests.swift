import Foundation
import LedgerEvents
import LedgerProjections
import LedgerReports
import LedgerTestSupport
import Testing

/// Cases where an independent implementation of the spec (`Tools/Oracle`) disagreed with ours.
@Suite struct SpecEdgeCaseTests {
    /// Calendar days where the clocks jump forward at midnight (Santiago, 2026-09-06: 00:00 -04
    /// becomes 01:00 -03): the day begins at the jump, not an hour into the day before.
    @Test func aDayWhoseMidnightIsSkippedBeginsAtTheJump() throws {
        let santiago = TimeZone(identifier: "America/Santiago")!
        let day = Calendar2.day(of: "2026-09-06")!
        let start = Calendar2.startOfDay(day, in: santiago)
        #expect(start == (try EventTime(rfc3339: "2026-09-06T04:00:00Z")).milliseconds)
        #expect(Calendar2.rfc3339(start, in: santiago).hasPrefix("2026-09-06T01:00:00"))
        // 23:30 on the 5th (-04) is on the 5th; the 5th ends where the 6th begins.
        let lateEvening = (try EventTime(rfc3339: "2026-09-05T23:30:00-04:00")).milliseconds
        #expect(Calendar2.day(of: lateEvening, in: santiago) == day - 1)
        #expect(Calendar2.endOfDay(of: lateEvening, in: santiago) == start)
        // Days around it, and a zone without the jump, are unchanged.
        #expect(Calendar2.startOfDay(day + 1, in: santiago) == (try EventTime(rfc3339: "2026-09-07T03:00:00Z")).milliseconds)
        #expect(Calendar2.startOfDay(day - 1, in: santiago) == (try EventTime(rfc3339: "2026-09-05T04:00:00Z")).milliseconds)
        let moscow = TimeZone(identifier: "Europe/Moscow")!
        #expect(Calendar2.startOfDay(day, in: moscow) == (try EventTime(rfc3339: "2026-09-05T21:00:00Z")).milliseconds)
    }

    /// "Every `missed.handled`": one naming a hidden number too, with no episode and no number.
    @Test func dismissalsOfHiddenNumbersAreAudited() async throws {
        let dir = TemporaryDirectory("hidden-dismissal")
        let s = Scene()
        s.standardSetup()
        s.inbound("h1", from: "anonymous", 0, "09:10:00", [queued(1), ended(30)])
        s.dismiss("anonymous", 0, "09:30:00", reason: "spam")
        s.dismiss("79990000003", 0, "09:31:00", reason: "not_a_client")
        s.dismiss("Private", 0, "09:32:00", by: "ann", reason: "duplicate")
        let engine = try await s.engine(dir)
        let rows = try DismissalAudit.rows(engine: engine, filter: DismissalFilter())
        #expect(rows.map(\.client) == [nil, "79990000003", nil])
        #expect(rows.allSatisfy { $0.closedEpisode == nil && $0.attemptsBefore == 0 && !$0.contactedLater })
        #expect(try DismissalAudit.rows(engine: engine, filter: DismissalFilter(client: "anonymous")).map(\.by) == ["boss", "ann"])
        #expect(try DismissalAudit.rows(engine: engine, filter: DismissalFilter(client: "+7 999 000 00 03")).count == 1)
        // Hidden numbers still have no queue of their own.
        #expect(try DepartmentView(engine: engine, department: "sales").unprocessed().isEmpty)
        // As of a cut between the two hidden dismissals, and after a rebuild from the log alone.
        let cut = try DismissalAudit.rows(engine: engine, filter: DismissalFilter(), cut: .occurredAt(try EventTime(rfc3339: s.at(0, "09:31:30"))))
        #expect(cut.map(\.client) == [nil, "79990000003"])
        try engine.rebuild()
        #expect(try DismissalAudit.rows(engine: engine, filter: DismissalFilter()) == rows)
        // A hidden dismissal arriving after the others joins the same entity through the log's index.
        _ = try await engine.log.append([Event(id: "late-1", type: .missedHandled, at: try EventTime(rfc3339: s.at(1, "10:00:00")),
                                               data: ["department": "sales", "client": "unknown", "by": "cat", "reason": "spam"])])
        try engine.catchUp()
        #expect(try DismissalAudit.rows(engine: engine, filter: DismissalFilter(client: "hidden")).map(\.by) == ["boss", "ann", "cat"])
    }

    /// `call.answered` of an outbound call names the dialler: it credits a callback whose start did not.
    @Test func theDiallerOfAnOutboundCallIsKnownFromItsAnswer() async throws {
        let dir = TemporaryDirectory("dialler")
        let x = "79000000011"
        let s = Scene()
        s.standardSetup()
        s.inbound("m1", from: x, 0, "10:00:00", [queued(1), ended(30)])
        s.add(.callStarted, 0, "10:04:30", ["call_id": "cb1", "direction": "outbound", "client": .string(x)])
        s.add(.callAnswered, 0, "10:04:40", ["call_id": "cb1", "agent": "a2"])
        s.add(.callEnded, 0, "10:06:00", ["call_id": "cb1", "by": "agent"])
        let engine = try await s.engine(dir)
        let view = try DepartmentView(engine: engine, department: "sales")
        let processed = try view.processed()
        #expect(processed.count == 1 && processed[0].closedHow == "callback" && processed[0].closedBy == "a2")
        let report = try view.report(s.week)
        #expect(report.callbacks.calledBackByDepartment == 1 && report.callbacks.calledBackElsewhere == 0)
        #expect(report.callbacks.avgCallbackDelayS == 240)
        #expect(report.callbacks.resolvedWithin["300"] == 1)
        let a2 = try #require(report.agents.first { $0.agent == "a2" })
        #expect(a2.callbackAttempts == 1 && a2.avgAttemptsPerEpisode == 1)
    }

    /// Section III lists members and agents rung for the department's calls, whatever order the
    /// calls come in; someone who only picked up, unrung and not a member, gets no row.
    @Test func anAnswerWithoutARingAddsNoAgentRow() async throws {
        let dir = TemporaryDirectory("unrung")
        let s = Scene()
        s.standardSetup()
        s.inbound("c1", from: "79000000021", 0, "10:00:00", [queued(1), answered(5, "x.nobody"), ended(60, by: "agent")])
        // b1 (support) picks up unrung first, and is rung for a later sales call: b1 has a row, with both.
        s.inbound("c2", from: "79000000022", 0, "10:10:00", [queued(1), answered(5, "b1"), ended(60, by: "agent")])
        s.inbound("c3", from: "79000000023", 0, "10:20:00", [queued(1), ringing(2, "b1"), answered(5, "b1"), ended(60, by: "agent")])
        let engine = try await s.engine(dir)
        let report = try DepartmentView(engine: engine, department: "sales").report(s.week)
        #expect(report.agents.map(\.agent) == ["a1", "a2", "b1"])
        let b1 = try #require(report.agents.first { $0.agent == "b1" })
        #expect(b1.offered == 1 && b1.answered == 2)
        #expect(report.volume.answered == 3)
    }

    /// Rings that start at the same instant: the last rung is the later in occurrence order, the
    /// order `rung` lists them in, whatever order they arrived in.
    @Test func theLastRungOfRingsStartingTogether() async throws {
        let s = Scene()
        s.standardSetup()
        s.inbound("t1", from: "79000000031", 0, "10:00:00", [queued(1), ringing(2, "a2"), ringing(2, "a1"), answered(6, "a1"), ended(60, by: "agent")])
        for (k, order) in [s.events, s.events.reversed()].enumerated() {
            let dir = TemporaryDirectory("last-rung-\(k)")
            let engine = try await s.engine(dir, order: order)
            let row = try #require(try DepartmentView(engine: engine, department: "sales").callList(s.week).first)
            // Same instant: occurrence order falls back to the producers' ids (s8 before s9).
            #expect(row.rung.map(\.agent) == ["a2", "a1"])
            #expect(row.lastRung == "a1")
        }
    }
}
