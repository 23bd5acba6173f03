import Foundation
import LedgerEvents
import LedgerProjections

/// One episode as the queues and the audit show it (reports.md, "Episodes").
public struct EpisodeRow: Codable, Sendable, Equatable, ExplicitNulls {
    public var department: String
    public var client: String
    public var firstCallAt: String
    public var lastCallAt: String
    public var lostForS: Double
    public var missedCalls: Int
    public var callbackAttempts: Int
    public var lastReason: String
    public var openedAt: String
    public var closedAt: String?
    public var closedHow: String?
    public var closedBy: String?
    public var reason: String?
    public var comment: String?
    /// The missed calls of the episode (call ids, oldest first).
    public var calls: [String]

    enum CodingKeys: String, CodingKey {
        case department, client, firstCallAt = "first_call_at", lastCallAt = "last_call_at", lostForS = "lost_for_s"
        case missedCalls = "missed_calls", callbackAttempts = "callback_attempts", lastReason = "last_reason"
        case openedAt = "opened_at", closedAt = "closed_at", closedHow = "closed_how", closedBy = "closed_by"
        case reason, comment, calls
    }
}

/// One dismissal in the audit (`"closed_episode": null` when none was open).
public struct DismissalRow: Codable, Sendable, Equatable, ExplicitNulls {
    public var eventID: String
    public var at: String
    public var by: String
    public var department: String
    /// The normalised number; `null` for a hidden one.
    public var client: String?
    public var reason: String
    public var comment: String?
    public var closedEpisode: EpisodeRow?
    public var attemptsBefore: Int
    public var contactedLater: Bool

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", at, by, department, client, reason, comment, closedEpisode = "closed_episode"
        case attemptsBefore = "attempts_before", contactedLater = "contacted_later"
    }
}

extension DepartmentView {
    func row(_ e: ClientFact.Episode, client: String, tz: TimeZone) -> EpisodeRow {
        // Equal times: the later call_id is the later happening (reports.md).
        let last = e.missedCalls.max { ($0.startedAt, $0.missedAt, $0.callID) < ($1.startedAt, $1.missedAt, $1.callID) }
        return EpisodeRow(department: e.department, client: client, firstCallAt: Calendar2.rfc3339(e.firstCallAt, in: tz),
                          lastCallAt: Calendar2.rfc3339(e.lastCallAt, in: tz), lostForS: Double(e.lastCallAt - e.firstCallAt) / 1000,
                          missedCalls: e.missedCalls.count, callbackAttempts: e.attempts.count,
                          lastReason: last.map { reason($0.inputs).rawValue } ?? "", openedAt: Calendar2.rfc3339(e.openedAt, in: tz),
                          closedAt: e.closedAt.map { Calendar2.rfc3339($0, in: tz) }, closedHow: e.closedHow, closedBy: e.closedBy,
                          reason: e.reason, comment: e.comment, calls: e.missedCalls.map(\.callID))
    }

    // The lists below sort an index permutation by (time, client): moving rows of a dozen strings
    // through a sort cost more than the rows themselves.

    /// The unprocessed queue: open episodes of the department, oldest first call first.
    public func unprocessed() throws -> [EpisodeRow] {
        let facts = try engine.facts(of: ClientsProjection(), in: QueryKey.prefix("open", department), cut: cut)
        var keys: [(Int64, String)] = []
        var rows: [EpisodeRow] = []
        for f in facts {
            for e in f.fact.episodes where e.department == department && e.isOpen {
                keys.append((e.firstCallAt, f.entity))
                rows.append(row(e, client: f.entity, tz: timeZone))
            }
        }
        return rows.indices.sorted { keys[$0] < keys[$1] }.map { rows[$0] }
    }

    /// Processed: closed episodes of the department, newest `closed_at` first (then by client, as
    /// the queue), closed in `period` when given.
    public func processed(_ period: ReportPeriod? = nil, limit: Int = .max) throws -> [EpisodeRow] {
        let range = period.map { QueryKey.range("closed", department, from: $0.from, to: $0.to) } ?? QueryKey.prefix("closed", department)
        let facts = try engine.facts(of: ClientsProjection(), in: range, cut: cut)
        var keys: [(Int64, String)] = []
        var rows: [EpisodeRow] = []
        for f in facts {
            for e in f.fact.episodes where e.department == department {
                guard let closed = e.closedAt, period.map({ closed >= $0.from && closed < $0.to }) ?? true else { continue }
                keys.append((closed, f.entity))
                rows.append(row(e, client: f.entity, tz: timeZone))
            }
        }
        return rows.indices.sorted { keys[$0].0 != keys[$1].0 ? keys[$0].0 > keys[$1].0 : keys[$0].1 < keys[$1].1 }
            .prefix(limit).map { rows[$0] }
    }
}

/// Filters of the dismissal audit; nil means any.
public struct DismissalFilter: Sendable {
    public var by: String?
    public var reason: String?
    public var department: String?
    public var client: String?
    public var from: Int64?
    public var to: Int64?
    public init(by: String? = nil, reason: String? = nil, department: String? = nil, client: String? = nil, from: Int64? = nil, to: Int64? = nil) {
        self.by = by
        self.reason = reason
        self.department = department
        self.client = client
        self.from = from
        self.to = to
    }
}

/// The audit of dismissals: who dismissed which missed call, when and why, and what happened after.
public enum DismissalAudit {
    public static func rows(engine: ProjectionEngine, filter: DismissalFilter, cut: Cut = .all) throws -> [DismissalRow] {
        let range = QueryKey.range("dismissal", from: filter.from ?? Int64.min / 2, to: filter.to ?? Int64.max / 2)
        let facts = try engine.facts(of: ClientsProjection(), in: range, cut: cut)
        var views: [String: DepartmentView] = [:]
        var out: [(Int64, String, DismissalRow)] = []
        let wantedClient = filter.client.map { ClientNumber($0).digits }
        for f in facts {
            // Dismissals naming a hidden number: no number to show (`null`, as in the call list).
            let client = f.entity == ClientsProjection.hiddenEntity ? nil : f.entity
            if let wantedClient, (client ?? "") != wantedClient { continue }
            for d in f.fact.dismissals {
                if let x = filter.by, d.by != x { continue }
                if let x = filter.reason, d.reason != x { continue }
                if let x = filter.department, d.department != x { continue }
                if let x = filter.from, d.at < x { continue }
                if let x = filter.to, d.at >= x { continue }
                if views[d.department] == nil { views[d.department] = try DepartmentView(engine: engine, department: d.department, cut: cut) }
                let view = views[d.department]!
                let episode = d.episode.map { view.row(f.fact.episodes[$0], client: f.entity, tz: view.timeZone) }
                out.append((d.at, d.eventID, DismissalRow(
                    eventID: d.eventID, at: Calendar2.rfc3339(d.at, in: view.timeZone), by: d.by, department: d.department,
                    client: client, reason: d.reason, comment: d.comment, closedEpisode: episode,
                    attemptsBefore: d.attemptsBefore, contactedLater: d.contactedLater)))
            }
        }
        return out.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }
}

/// One call of the call list (seed 003, Mango's "Incoming calls"); absent values are null.
public struct CallRow: Codable, Sendable, Equatable, ExplicitNulls {
    public var callID: String
    public var line: String?
    public var client: String?
    /// Null only in a call's summary (`call ID`) when its `call.started` has not arrived: nothing
    /// is guessed. The call list selects calls by their start, so it never has such a row.
    public var startedAt: String?
    public var result: String
    public var reason: String?
    public var ivrOptions: [String]
    public var queueWaitS: Double?
    public var totalWaitS: Double?
    public var answeredBy: String?
    public var lastRung: String?
    public var rung: [Rung]

    public struct Rung: Codable, Sendable, Equatable {
        public var agent: String
        public var outcome: String
    }

    enum CodingKeys: String, CodingKey {
        case callID = "call_id", line, client, startedAt = "started_at", result, reason, ivrOptions = "ivr_options"
        case queueWaitS = "queue_wait_s", totalWaitS = "total_wait_s", answeredBy = "answered_by", lastRung = "last_rung", rung
    }
}

extension DepartmentView {
    /// A call as the department's call list shows it.
    public func row(_ c: CallFact) -> CallRow {
        let outcome = c.outcome(in: department)
        let rings = c.rings.filter { $0.department == department }
        var order: [String] = []
        var lastOutcome: [String: String] = [:]
        for r in rings.sorted(by: { $0.at < $1.at }) {
            if lastOutcome[r.agent] == nil { order.append(r.agent) }
            lastOutcome[r.agent] = r.outcome ?? "ringing"
        }
        let answeredHere = outcome == .answered
        let rung = order.map { a in
            CallRow.Rung(agent: a, outcome: answeredHere && c.answeredBy == a ? "answered" : lastOutcome[a]!)
        }
        var missedReason: String?
        if case .missed = outcome { missedReason = reason(c.reasonInputs(in: department)).rawValue }
        return CallRow(callID: c.callID, line: c.line, client: c.client.flatMap { $0.isEmpty ? nil : $0 }, startedAt: c.startedAt.map { Calendar2.rfc3339($0, in: timeZone) },
                       result: outcome.name, reason: missedReason, ivrOptions: c.ivr.compactMap(\.option),
                       queueWaitS: c.queueWait(in: department), totalWaitS: c.totalWait,
                       answeredBy: answeredHere ? c.answeredBy : nil, lastRung: Self.lastRung(rings), rung: rung)
    }

    /// The agent of the last ring to start: the latest, and of rings starting at the same instant,
    /// the later in occurrence order (the order `rung` lists agents in). `max(by:)` would keep the first.
    static func lastRung(_ rings: [CallFact.Ring]) -> String? {
        guard let latest = rings.map(\.at).max() else { return nil }
        return rings.last { $0.at == latest }?.agent
    }

    /// The calls of the department started in the period, oldest first, filtered by result and reason.
    public func callList(_ p: ReportPeriod, result: String? = nil, reason wanted: String? = nil) throws -> [CallRow] {
        try calls(p).map(row).filter { r in
            (result.map { r.result == $0 } ?? true) && (wanted.map { r.reason == $0 } ?? true)
        }
    }
}

/// One call's whole story: its events in occurred order plus the summary per department.
public struct CallDetail: Codable, Sendable {
    public var callID: String
    public var summary: [CallRow]
    public var timeline: [Step]
    /// The department of each summary row (not in the JSON, whose shape the spec fixes; the
    /// workbook's summary sheet names it).
    public var departments: [String] = []

    public struct Step: Codable, Sendable, Equatable {
        public var at: String
        public var type: String
        public var text: String
        public var position: UInt64
    }

    enum CodingKeys: String, CodingKey {
        case callID = "call_id", summary, timeline
    }

    public static func load(engine: ProjectionEngine, callID: String, cut: Cut = .all) throws -> CallDetail? {
        let source = try engine.eventSource(for: cut, consistentWith: "calls")
        let events = try source.events(callID: callID)
        guard let fact = CallFact.compute(callID: callID, events: events) else { return nil }
        var summary: [CallRow] = []
        var tz = TimeZone(identifier: "UTC")!
        for d in fact.departments {
            let view = try DepartmentView(engine: engine, department: d, cut: cut)
            tz = view.timeZone
            summary.append(view.row(fact))
        }
        let steps = events.map { r -> Step in
            let e = r.event
            let d = e.data
            let text: String
            switch e.type {
            case .callStarted: text = "\(d.string("direction") ?? "") call from \(d.string("client") ?? "?") on line \(d.string("line") ?? "-")"
            case .callGreeting: text = "greeting"
            case .callIVR: text = "IVR" + (d.string("option").map { ": pressed \($0)" } ?? "")
            case .callRoutingFailed: text = "routing failed: \(d.string("cause") ?? "")"
            case .callQueued: text = "queued in \(d.string("department") ?? "")"
            case .callRinging: text = "ringing \(d.string("agent") ?? "")"
            case .callRingEnded: text = "ring of \(d.string("agent") ?? "") ended: \(d.string("outcome") ?? "")"
            case .callAnswered: text = "answered by \(d.string("agent") ?? "")"
            case .callTransferred: text = "transferred by \(d.string("agent") ?? "") to \(d.string("to_agent") ?? d.string("to_department") ?? "?")"
            case .callEnded: text = "ended by \(d.string("by") ?? "")" + (d.string("cause").map { " (\($0))" } ?? "")
            default: text = e.type.rawValue
            }
            return Step(at: Calendar2.rfc3339(e.at.milliseconds, in: tz), type: e.type.rawValue, text: text, position: r.position)
        }
        return CallDetail(callID: callID, summary: summary, timeline: steps, departments: fact.departments)
    }
}
