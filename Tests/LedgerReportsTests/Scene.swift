import Foundation
import LedgerEvents
import LedgerLog
import LedgerProjections
import LedgerReports
import LedgerTestSupport

/// A hand-written scenario: events at local times of one week (Monday 2026-11-16, +03:00).
final class Scene {
    var events: [Event] = []
    private var n = 0
    let offset = "+03:00"

    /// `day` 0 = Monday 2026-11-16; `time` "HH:MM:SS".
    func at(_ day: Int, _ time: String) -> String {
        String(format: "2026-11-%02d", 16 + day) + "T" + time + ".000" + offset
    }

    @discardableResult
    func add(_ type: EventType, _ day: Int, _ time: String, _ data: JSONObject) -> Event {
        n += 1
        let e = Event(id: "s\(n)", type: type, at: try! EventTime(rfc3339: at(day, time)), source: "scene", data: data)
        events.append(e)
        return e
    }

    /// sales: Europe/Moscow, Mon–Fri 09–18, short abandon 10 s; agents a1, a2 (members), b1 in support.
    func standardSetup(hours: JSONValue? = nil) {
        var d: JSONObject = ["department": "sales", "timezone": "Europe/Moscow", "short_abandon_s": 10, "service_level_s": 20]
        d["hours"] = hours ?? ["mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]], "wed": [["09:00", "18:00"]],
                              "thu": [["09:00", "18:00"]], "fri": [["09:00", "18:00"]]]
        add(.departmentConfigured, 0, "00:00:00", d)
        add(.departmentConfigured, 0, "00:00:00", ["department": "support", "timezone": "Europe/Moscow"])
        add(.agentJoined, 0, "00:00:01", ["agent": "a1", "department": "sales", "name": "Анна"])
        add(.agentJoined, 0, "00:00:01", ["agent": "a2", "department": "sales", "name": "Борис"])
        add(.agentJoined, 0, "00:00:01", ["agent": "b1", "department": "support", "name": "Вера"])
    }

    /// An inbound call: `steps` are (seconds after start, type, data without call_id).
    func inbound(_ id: String, from client: String, _ day: Int, _ time: String, line: String = "+74950000001",
                 department: String = "sales", _ steps: [(Int, EventType, JSONObject)]) {
        let start = try! EventTime(rfc3339: at(day, time))
        add(.callStarted, day, time, ["call_id": .string(id), "direction": "inbound", "client": .string(client),
                                      "line": .string(line), "department": .string(department)])
        for (sec, type, data) in steps {
            var d = data
            d["call_id"] = .string(id)
            n += 1
            events.append(Event(id: "s\(n)", type: type, at: EventTime(milliseconds: start.milliseconds + Int64(sec) * 1000, offsetMinutes: 180),
                                 source: "scene", data: JSONObject([("call_id", .string(id))] + d.members.filter { $0.key != "call_id" })))
        }
    }

    /// An outbound call by `agent` to `client`; answered after `answerAfter` seconds (nil: not answered), ends 60 s later.
    func outbound(_ id: String, to client: String, by agent: String, department: String? = "sales", _ day: Int, _ time: String,
                  answerAfter: Int? = nil) {
        var d: JSONObject = ["call_id": .string(id), "direction": "outbound", "client": .string(client), "agent": .string(agent)]
        if let department { d["department"] = .string(department) }
        add(.callStarted, day, time, d)
        let start = try! EventTime(rfc3339: at(day, time)).milliseconds
        func step(_ sec: Int, _ type: EventType, _ data: JSONObject) {
            n += 1
            events.append(Event(id: "s\(n)", type: type, at: EventTime(milliseconds: start + Int64(sec) * 1000, offsetMinutes: 180),
                                source: "scene", data: data))
        }
        if let a = answerAfter {
            step(a, .callAnswered, ["call_id": .string(id), "agent": .string(agent)])
            step(a + 60, .callEnded, ["call_id": .string(id), "by": "agent"])
        } else {
            step(30, .callEnded, ["call_id": .string(id), "by": "system", "cause": "no_answer"])
        }
    }

    func dismiss(_ client: String, _ day: Int, _ time: String, by: String = "boss", reason: String = "spam", comment: String? = nil,
                 department: String = "sales") {
        var d: JSONObject = ["department": .string(department), "client": .string(client), "by": .string(by), "reason": .string(reason)]
        if let comment { d["comment"] = .string(comment) }
        add(.missedHandled, day, time, d)
    }

    /// Appends everything (in the given order) to a fresh ledger and catches the projections up.
    func engine(_ dir: TemporaryDirectory, order: [Event]? = nil) async throws -> ProjectionEngine {
        let log = try EventLog(directory: dir.sub("scene-\(UUID().uuidString.prefix(8))"))
        _ = try await log.append(order ?? events)
        let engine = try ProjectionEngine(log: log)
        try engine.register(CallsProjection())
        try engine.register(ClientsProjection())
        try engine.register(LeadsProjection())
        try engine.catchUp()
        return engine
    }

    /// The week of the scene as a period, in sales' zone.
    var week: ReportPeriod {
        ReportPeriod(from: try! EventTime(rfc3339: at(0, "00:00:00")).milliseconds, to: try! EventTime(rfc3339: at(7, "00:00:00")).milliseconds)
    }
}

// Call step shorthands.
func greeting(_ s: Int) -> (Int, EventType, JSONObject) { (s, .callGreeting, [:]) }
func ivr(_ s: Int, _ option: String) -> (Int, EventType, JSONObject) { (s, .callIVR, ["option": .string(option)]) }
func queued(_ s: Int, _ d: String = "sales") -> (Int, EventType, JSONObject) { (s, .callQueued, ["department": .string(d)]) }
func ringing(_ s: Int, _ a: String) -> (Int, EventType, JSONObject) { (s, .callRinging, ["agent": .string(a)]) }
func ringEnded(_ s: Int, _ a: String, _ outcome: String) -> (Int, EventType, JSONObject) {
    (s, .callRingEnded, ["agent": .string(a), "outcome": .string(outcome)])
}
func answered(_ s: Int, _ a: String) -> (Int, EventType, JSONObject) { (s, .callAnswered, ["agent": .string(a)]) }
func ended(_ s: Int, by: String = "client") -> (Int, EventType, JSONObject) { (s, .callEnded, ["by": .string(by)]) }
func routingFailed(_ s: Int, _ cause: String) -> (Int, EventType, JSONObject) { (s, .callRoutingFailed, ["cause": .string(cause)]) }
