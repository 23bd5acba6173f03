import Foundation
import LedgerEvents
import LedgerProjections
import LedgerReports
import LedgerTestSupport
import Testing

/// One scenario per missed-reason rule, including the order of the rules.
@Suite struct MissedReasonScenarioTests {
    func reasons(_ build: (Scene) -> Void) async throws -> [String: String] {
        let dir = TemporaryDirectory("reasons")
        let s = Scene()
        s.standardSetup()
        build(s)
        let engine = try await s.engine(dir)
        let view = try DepartmentView(engine: engine, department: "sales")
        var out: [String: String] = [:]
        for r in try view.callList(s.week) { out[r.callID] = r.reason ?? r.result }
        return out
    }

    @Test func everyReasonAndTheOrderOfTheRules() async throws {
        let r = try await reasons { s in
            // Monday 08:00 is before opening: outside_hours wins over abandoned_greeting.
            s.inbound("early", from: "79000000001", 0, "08:00:00", [greeting(1), ended(15)])
            // Saturday: closed all day (absent day).
            s.inbound("saturday", from: "79000000002", 5, "12:00:00", [greeting(1), queued(5), ended(40)])
            s.inbound("noroute", from: "79000000003", 0, "10:00:00", [routingFailed(1, "no_route"), ended(2, by: "system")])
            s.inbound("forbidden", from: "79000000004", 0, "10:01:00", [routingFailed(1, "forbidden_destination"), ended(2, by: "system")])
            s.inbound("greet", from: "79000000005", 0, "10:02:00", [greeting(1), ended(15)])
            s.inbound("ivr", from: "79000000006", 0, "10:03:00", [greeting(1), ivr(8, "2"), ended(20)])
            // Queued and rung, but hung up 5 s after the start: abandoned_short beats not_answered.
            s.inbound("short", from: "79000000007", 0, "10:04:00", [greeting(0), queued(2), ringing(3, "a1"), ended(5)])
            // 10 s exactly is not short (less than short_abandon_s).
            s.inbound("ten", from: "79000000008", 0, "10:05:00", [queued(1), ended(10)])
            s.inbound("rung", from: "79000000009", 0, "10:06:00", [queued(1), ringing(2, "a1"), ringEnded(22, "a1", "no_answer"), ended(60)])
            s.inbound("nobody", from: "79000000010", 0, "10:07:00", [queued(1), ended(40)])
            // Ended by the system early: not an abandon by the client.
            s.inbound("sysdrop", from: "79000000011", 0, "10:08:00", [queued(1), ended(3, by: "system")])
            s.inbound("ok", from: "79000000012", 0, "10:09:00", [queued(1), ringing(2, "a1"), answered(5, "a1"), ended(100, by: "agent")])
            s.inbound("live", from: "79000000013", 0, "10:10:00", [queued(1), ringing(2, "a2")])
        }
        #expect(r == [
            "early": "outside_hours", "saturday": "outside_hours", "noroute": "routing_failed", "forbidden": "forbidden_destination",
            "greet": "abandoned_greeting", "ivr": "abandoned_ivr", "short": "abandoned_short", "ten": "no_free_agents",
            "rung": "not_answered", "nobody": "no_free_agents", "sysdrop": "no_free_agents", "ok": "answered", "live": "in_progress",
        ])
    }

    /// An interval whose end is before its start is a night shift: open that day from the start,
    /// the next day until the end.
    @Test func nightShiftsCrossMidnight() async throws {
        let r = try await reasons { s in
            s.add(.departmentConfigured, 0, "00:00:05", ["department": "sales", "timezone": "Europe/Moscow",
                                                          "hours": ["mon": [["09:00", "18:00"], ["22:00", "02:00"]], "sun": [["20:00", "01:00"]]]])
            for (k, (id, day, time)) in [("mon2130", 0, "21:30:00"), ("mon2300", 0, "23:00:00"), ("tue0130", 1, "01:30:00"),
                                         ("tue0230", 1, "02:30:00"), ("tue2300", 1, "23:00:00"), ("sun2330", 6, "23:30:00")].enumerated() {
                s.inbound(id, from: "790000001\(k)", day, time, [queued(1), ended(40)])
            }
        }
        #expect(r == ["mon2130": "outside_hours", "mon2300": "no_free_agents", "tue0130": "no_free_agents",
                      "tue0230": "outside_hours", "tue2300": "outside_hours", "sun2330": "no_free_agents"])
    }

    @Test func scheduleChangesAreReplayedAtTheRightTimeEvenWhenTheyArriveLate() async throws {
        let dir = TemporaryDirectory("schedule")
        let s = Scene()
        s.standardSetup()
        s.inbound("mon19", from: "79000000001", 0, "19:00:00", [queued(1), ended(40)])
        s.inbound("tue19", from: "79000000002", 1, "19:00:00", [queued(1), ended(40)])
        // From Tuesday on, sales works 08–20: appended after the calls (a late configuration).
        s.add(.departmentConfigured, 1, "00:00:00", ["department": "sales", "timezone": "Europe/Moscow",
                                                      "hours": ["tue": [["08:00", "20:00"]], "wed": [["08:00", "20:00"]]]])
        let engine = try await s.engine(dir)
        let rows = try DepartmentView(engine: engine, department: "sales").callList(s.week)
        let reason = Dictionary(uniqueKeysWithValues: rows.map { ($0.callID, $0.reason ?? "") })
        #expect(reason["mon19"] == "outside_hours")
        #expect(reason["tue19"] == "no_free_agents")
        // As of before the change arrived, Tuesday's call was outside hours.
        let before = try DepartmentView(engine: engine, department: "sales", cut: .position(UInt64(s.events.count - 1))).callList(s.week)
        #expect(before.first { $0.callID == "tue19" }?.reason == "outside_hours")
    }

    @Test func overflowCountsAsMissedByTheFirstDepartmentAndBelongsToTheLast() async throws {
        let dir = TemporaryDirectory("overflow")
        let s = Scene()
        s.standardSetup()
        s.inbound("over", from: "79000000001", 0, "10:00:00",
                  [queued(1), ringing(2, "a1"), ringEnded(20, "a1", "no_answer"), queued(60, "support"), ringing(61, "b1"), answered(65, "b1"), ended(200, by: "agent")])
        s.inbound("over2", from: "79000000002", 0, "11:00:00", [queued(1), queued(60, "support"), ended(90)])
        let engine = try await s.engine(dir)
        let sales = try DepartmentView(engine: engine, department: "sales").report(s.week)
        let support = try DepartmentView(engine: engine, department: "support").report(s.week)
        #expect(sales.volume.incoming == 2 && sales.volume.missed == 2 && sales.volume.answered == 0)
        #expect(sales.volume.reasons["not_answered"] == 1 && sales.volume.reasons["no_free_agents"] == 1)
        #expect(support.volume.incoming == 2 && support.volume.answered == 1 && support.volume.missed == 1)
        // Queue wait in sales: from its queued to moving on (59 s each).
        #expect(sales.volume.avgWaitS == 59)
        #expect(support.volume.avgWaitS == 17.5)
        // The overflowed-and-answered client reached us: its sales episode closed as client_got_through.
        let processed = try DepartmentView(engine: engine, department: "sales").processed()
        #expect(processed.first { $0.client == "79000000001" }?.closedHow == "client_got_through")
        #expect(try DepartmentView(engine: engine, department: "sales").unprocessed().map(\.client) == ["79000000002"])
    }

    @Test func hiddenNumbersAndRepeatCallers() async throws {
        let dir = TemporaryDirectory("hidden")
        let s = Scene()
        s.standardSetup()
        s.inbound("h1", from: "anonymous", 0, "10:00:00", [queued(1), ended(40)])
        s.inbound("h2", from: "", 0, "10:01:00", [queued(1), ended(40)])
        s.inbound("r1", from: "+7 (900) 000-00-01", 0, "10:02:00", [queued(1), ended(40)])
        s.inbound("r2", from: "79000000001", 0, "10:30:00", [queued(1), ended(40)])
        s.inbound("r3", from: "0079000000001", 0, "11:00:00", [queued(1), ended(40)])
        let engine = try await s.engine(dir)
        let view = try DepartmentView(engine: engine, department: "sales")
        let v = try view.report(s.week).volume
        #expect(v.missed == 5 && v.hiddenMissed == 2 && v.uniqueMissed == 1 && v.repeatMissed == 2)
        let queue = try view.unprocessed()
        #expect(queue.count == 1)
        #expect(queue[0].client == "79000000001" && queue[0].missedCalls == 3)
        #expect(queue[0].lostForS == 58 * 60)
        #expect(queue[0].calls == ["r1", "r2", "r3"])
    }
}
