import Foundation
import LedgerEvents
import LedgerProjections
import LedgerReports
import LedgerTestSupport
import Testing

extension Scene {
    func lead(_ id: String, type: String, _ day: Int, _ time: String, client: String? = nil, call: String? = nil, assignee: String? = nil) {
        var d: JSONObject = ["lead_id": .string(id), "type": .string(type)]
        if let client { d["client"] = .string(client) }
        if let call { d["call_id"] = .string(call) }
        if let assignee { d["assignee"] = .string(assignee) }
        add(.leadCreated, day, time, d)
    }
    func status(_ id: String, _ status: String, _ group: String, _ day: Int, _ time: String) {
        add(.leadStatusChanged, day, time, ["lead_id": .string(id), "status": .string(status), "group": .string(group)])
    }
    func convert(_ id: String, into: String, amount: Int, _ day: Int, _ time: String) {
        add(.leadConverted, day, time, ["lead_id": .string(id), "into": .string(into), "amount": .number(String(amount))])
    }
    func assign(_ id: String, to a: String, _ day: Int, _ time: String) {
        add(.leadAssigned, day, time, ["lead_id": .string(id), "assignee": .string(a)])
    }
}

@Suite struct LeadScenarioTests {
    @Test func conversionPerTypeAndTotal() async throws {
        let dir = TemporaryDirectory("leads-conv")
        let s = Scene()
        s.lead("L1", type: "repair", 0, "10:00:00", assignee: "ann")
        s.lead("L2", type: "repair", 0, "11:00:00", assignee: "ann")
        s.lead("L3", type: "purchase", 0, "12:00:00", assignee: "bob")
        s.lead("L4", type: "purchase", 1, "12:00:00", assignee: "bob")
        s.lead("OLD", type: "repair", -3, "12:00:00", assignee: "bob")  // before the period
        s.convert("L1", into: "order", amount: 100, 0, "15:00:00")
        s.convert("L3", into: "order", amount: 10, 1, "10:00:00")
        s.convert("L3", into: "sale", amount: 50, 2, "10:00:00")
        s.convert("L4", into: "sale", amount: 70, 2, "11:00:00")
        let engine = try await s.engine(dir)
        let r = try LeadView(engine: engine).conversion(s.week)
        #expect(r.types.map(\.type) == ["purchase", "repair"])
        let purchase = r.types[0], repair = r.types[1]
        #expect(purchase.leads == 2 && purchase.toOrder == 1 && purchase.toSale == 2 && purchase.converted == 2 && purchase.conversionPct == 100)
        #expect(repair.leads == 2 && repair.toOrder == 1 && repair.toSale == 0 && repair.converted == 1 && repair.conversionPct == 50)
        #expect(r.total.leads == 4 && r.total.converted == 3 && r.total.conversionPct == 75 && r.total.type == nil)
        #expect(try LeadView(engine: engine).conversion(s.week, type: "repair").total.leads == 2)
        // As of before the sales, only orders had happened.
        let early = try LeadView(engine: engine, cut: .occurredAt(try EventTime(rfc3339: s.at(1, "23:00:00")))).conversion(s.week)
        #expect(early.total.converted == 2 && early.total.toSale == 0)
    }

    /// Without bounds, every lead: one from 1969 and one from 2100 too (the default period once
    /// ran from 1970 to 2100 only).
    @Test func anUnboundedPeriodHasEveryLead() async throws {
        let dir = TemporaryDirectory("leads-all")
        let s = Scene()
        s.lead("NOW", type: "repair", 0, "10:00:00")
        for (id, at) in [("OLD", "1969-12-31T23:59:59.999Z"), ("FAR", "2100-01-01T00:00:00Z"), ("LAST", "9999-12-31T23:59:59.999Z")] {
            s.events.append(Event(id: id, type: .leadCreated, at: try EventTime(rfc3339: at), source: "scene",
                                  data: ["lead_id": .string(id), "type": "repair"]))
        }
        let engine = try await s.engine(dir)
        let all = try LeadView(engine: engine).conversion(.bounded(from: nil, to: nil))
        #expect(all.total.leads == 4)
        #expect(all.from == "0000-01-01T00:00:00.000Z" && all.to == "9999-12-31T23:59:59.999Z")
        #expect(try LeadView(engine: engine).conversion(.bounded(from: 0, to: nil)).total.leads == 3)
    }

    @Test func reassignmentStatusBackAndForthAndConversionAfterFailure() async throws {
        let dir = TemporaryDirectory("leads-rules")
        let s = Scene()
        // Re-assigned: counted for the current assignee only.
        s.lead("A", type: "repair", 0, "10:00:00", assignee: "ann")
        s.assign("A", to: "bob", 0, "11:00:00")
        // Lost, reopened, lost again: lost, closed when it was lost the second time.
        s.lead("B", type: "repair", 0, "10:30:00", assignee: "ann")
        s.status("B", "price", "closed_failure", 0, "12:00:00")
        s.status("B", "in_work", "in_progress", 1, "09:00:00")
        s.status("B", "too_slow", "closed_failure", 1, "16:00:00")
        // Lost, then bought anyway: converted, and still lost until a status says otherwise.
        s.lead("C", type: "purchase", 0, "11:00:00", assignee: "ann")
        s.status("C", "changed_mind", "closed_failure", 0, "13:00:00")
        s.convert("C", into: "sale", amount: 5, 2, "10:00:00")
        // Lost and then won: not lost.
        s.lead("D", type: "purchase", 0, "11:30:00")
        s.status("D", "price", "closed_failure", 0, "13:00:00")
        s.status("D", "done", "closed_success", 1, "13:00:00")
        // Events of a lead whose lead.created has not arrived: in no report.
        s.status("GHOST", "price", "closed_failure", 0, "13:00:00")
        let engine = try await s.engine(dir)
        let view = LeadView(engine: engine, timeZone: TimeZone(identifier: "Europe/Moscow")!)
        let employees = try view.employees(s.week).employees
        #expect(employees.map(\.assignee) == [nil, "ann", "bob"])
        #expect(employees[2].leadsList.map(\.leadID) == ["A"])
        #expect(employees[1].leadsList.map(\.leadID) == ["B", "C"])
        #expect(employees[1].toSale == 1 && employees[1].conversionPct == 50)
        let lost = try view.lost(s.week)
        #expect(lost.leads.map(\.leadID) == ["B", "C"])
        #expect(lost.leads[0].status == "too_slow" && lost.leads[0].closedAt == "2026-11-17T16:00:00.000+03:00")
        #expect(lost.byStatus.keys == ["changed_mind", "too_slow"] && lost.byStatus["too_slow"] == 1)
        #expect(try view.conversion(s.week).total.leads == 4)
        // As of Monday evening, B was lost for price and D for price.
        let monday = LeadView(engine: engine, cut: .occurredAt(try EventTime(rfc3339: s.at(0, "20:00:00"))))
        #expect(try monday.lost(s.week).leads.map(\.leadID) == ["B", "C", "D"])
        #expect(try monday.lost(s.week).leads.first?.status == "price")
    }

    @Test func leadsBehindMissedCalls() async throws {
        let dir = TemporaryDirectory("leads-calls")
        let s = Scene()
        s.standardSetup()
        // A missed call, the client still waiting; the lead is lost.
        s.inbound("m1", from: "79000000001", 0, "10:00:00", [queued(1), ended(40)])
        s.lead("L1", type: "repair", 0, "10:05:00", client: "+7 900 000-00-01", assignee: "ann")
        s.status("L1", "too_slow", "closed_failure", 0, "12:00:00")
        // The lead's own call was missed; the client was called back.
        s.inbound("m2", from: "79000000002", 0, "11:00:00", [queued(1), ended(40)])
        s.outbound("cb", to: "79000000002", by: "a1", 0, "11:30:00", answerAfter: 5)
        s.lead("L2", type: "repair", 0, "11:40:00", call: "m2", assignee: "ann")
        // No missed call behind it.
        s.inbound("ok", from: "79000000003", 0, "12:00:00", [queued(1), ringing(2, "a1"), answered(5, "a1"), ended(60, by: "agent")])
        s.lead("L3", type: "repair", 0, "12:05:00", client: "79000000003", call: "ok")
        let engine = try await s.engine(dir)
        let r = try LeadView(engine: engine).calls(s.week)
        #expect(r.withMissedCalls == 2 && r.lost == 1)
        #expect(r.leads.map(\.leadID) == ["L1", "L2"])
        #expect(r.leads[0].waitingInQueue && r.leads[0].lost && r.leads[0].missedCalls == 1)
        #expect(!r.leads[1].waitingInQueue && !r.leads[1].lost)
    }
}

@Suite struct LeadPropertyTests {
    func everything(_ engine: ProjectionEngine, cut: Cut = .all) throws -> String {
        let view = LeadView(engine: engine, cut: cut)
        let p = ReportPeriod(from: 0, to: 4_102_444_800_000)
        return try [reportJSON(view.conversion(p)), reportJSON(view.lost(p)), reportJSON(view.employees(p)), reportJSON(view.calls(p))]
            .joined(separator: "\n")
    }

    @Test func countsAddUpOrderDoesNotMatterAndAsOfEqualsReplay() async throws {
        let dir = TemporaryDirectory("leads-props")
        let events = simulatedEvents(days: 3, seed: 21)
        let engine = try await reportEngine(dir, events)
        let view = LeadView(engine: engine)
        let p = ReportPeriod(from: 0, to: 4_102_444_800_000)
        let conv = try view.conversion(p)
        #expect(conv.total.leads > 100)
        #expect(conv.types.reduce(0) { $0 + $1.leads } == conv.total.leads)
        #expect(conv.types.reduce(0) { $0 + $1.converted } == conv.total.converted)
        #expect(conv.total.converted <= conv.total.toOrder + conv.total.toSale)
        let lost = try view.lost(p)
        #expect(Int(lost.byStatus.values.values.reduce(0, +)) == lost.leads.count && !lost.leads.isEmpty)
        let emps = try view.employees(p)
        #expect(emps.employees.reduce(0) { $0 + $1.leads } == conv.total.leads)
        #expect(emps.employees.reduce(0) { $0 + $1.leadsList.count } == conv.total.leads)
        let calls = try view.calls(p)
        #expect(calls.lost <= calls.withMissedCalls && calls.withMissedCalls > 0)

        let expected = try everything(engine)
        var reversed = events
        reversed.reverse()
        let backwards = try await reportEngine(dir, reversed, batch: 333)
        #expect(try everything(backwards) == expected)
        let late = try await reportEngine(dir, simulatedEvents(days: 3, seed: 21, late: 0.3), batch: 97)
        #expect(try everything(late) == expected)

        let all = try engine.log.events(after: 0, limit: .max)
        let cutAt = UInt64(all.count * 2 / 3)
        let replay = try await reportEngine(dir, Array(all.prefix(Int(cutAt))).map(\.event))
        #expect(try everything(engine, cut: .position(cutAt)) == everything(replay))
    }
}
