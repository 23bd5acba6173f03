import LedgerEvents

/// Everything the reports need to know about one call leg, computed from its events alone
/// (in occurred-time order, so arrival order does not matter).
///
/// Department-dependent judgements (outside hours, short abandon threshold) are left to query
/// time, where the settings in force at the call's time are known: see ``MissedReason``.
public struct CallFact: Codable, Sendable, Equatable {
    public var callID: String
    /// `inbound` or `outbound`; nil while the call's `call.started` has not arrived.
    public var direction: String?
    /// The number as sent, and normalised ("" for a hidden number).
    public var clientRaw: String?
    public var client: String?
    public var line: String?
    public var startedAt: Int64?
    /// `call.started`'s department: the line's owner (inbound) or on whose behalf (outbound).
    public var ownerDepartment: String?
    /// Outbound: who dials (`call.started`'s `agent`, else `call.answered`'s).
    public var dialler: String?
    public var greetingAt: Int64?
    public var ivr: [IVRChoice]
    /// The cause of `call.routing_failed`: `no_route` if any says so, else the first.
    public var routingFailure: String?
    /// Queue stints up to the first answer (later queues are transfers, not the call's department).
    public var stints: [Stint]
    /// Queues after the first answer (a transfer to another department's queue), each left at the
    /// next queue elsewhere, an answer, or the end: the live panel shows the caller waiting there.
    public var transferQueues: [Stint] = []
    /// Every queue the call waited in, before the answer and after a transfer: where the live
    /// panel sees a caller waiting, and what makes an agent's call a queue call.
    public var queueStints: [Stint] { stints + transferQueues }
    /// Every offer to an agent, with how it ended.
    public var rings: [Ring]
    public var answeredAt: Int64?
    public var answeredBy: String?
    /// The answers after the first (an agent a call was transferred to picking up), in
    /// occurrence order: each answering agent talks from its own answer to the end (reports.md).
    public var laterAnswers: [Answer] = []
    public var transfers: [Transfer]
    public var endedAt: Int64?
    public var endedBy: String?
    public var endCause: String?
    /// A `call.queued` came after the end (no stint: the call is not in that queue, but the
    /// missed-reason rules' "never queued" is about whether one was sent at all).
    public var queuedAfterEnd = false

    public struct IVRChoice: Codable, Sendable, Equatable {
        public var at: Int64
        public var option: String?
    }

    public struct Stint: Codable, Sendable, Equatable {
        public var department: String
        public var queuedAt: Int64
        /// When it left this department's queue: answered, moved on, or ended; nil while waiting.
        public var leftAt: Int64?
    }

    public struct Ring: Codable, Sendable, Equatable {
        public var agent: String
        /// The department whose queue the call was in when it rang (the line's owner if never queued).
        public var department: String?
        public var at: Int64
        public var endedAt: Int64?
        /// `no_answer`, `rejected`, `caller_hung_up`, `answered_elsewhere`, `answered`; nil while ringing.
        public var outcome: String?
    }

    public struct Answer: Codable, Sendable, Equatable {
        public var agent: String
        public var at: Int64
    }

    public struct Transfer: Codable, Sendable, Equatable {
        public var at: Int64
        public var agent: String
        public var toAgent: String?
        public var toDepartment: String?
    }

    /// `call.started` says so, or, while it has not arrived (late delivery, a cut by position),
    /// the call was queued: queues distribute inbound calls. The live panel counts such a call in
    /// its queue and its agent's talk; reports by period still need the start.
    public var isInbound: Bool { direction == "inbound" || direction == nil && !stints.isEmpty }

    /// The agent on the line once the call is answered: who picked up (inbound) or who dialled (outbound).
    public var talker: String? {
        guard answeredAt != nil else { return nil }
        return isInbound ? answeredBy : (dialler ?? answeredBy)
    }

    /// Every agent who picked the call up, each once at its first answer, in order: the first
    /// answer and any after a transfer.
    public var answers: [Answer] {
        guard let a = answeredAt else { return [] }
        var out = answeredBy.map { [Answer(agent: $0, at: a)] } ?? []
        for x in laterAnswers where !out.contains(where: { $0.agent == x.agent }) { out.append(x) }
        return out
    }

    /// Every agent talking on the call and from when: "talking from `call.answered` to
    /// `call.ended` of a call it answered (inbound) or dialled (outbound)". Inbound, each of
    /// ``answers``: after a transfer the agent who picked it up talks too, and the one who
    /// answered first is on the call until its end, as the events tell nothing else. Outbound,
    /// only the dialler.
    public var talkers: [Answer] {
        guard let a = answeredAt, let first = talker else { return [] }
        return isInbound ? answers : [Answer(agent: first, at: a)]
    }
    public var isInProgress: Bool { endedAt == nil }

    /// The call's summary from its events (any order; sorted here canonically, see ``Event/occursBefore(_:_:)``).
    public static func compute(callID: String, events unsorted: [RecordedEvent]) -> CallFact? {
        let events = unsorted.inOccurrenceOrder
        guard !events.isEmpty else { return nil }
        var f = CallFact(callID: callID, ivr: [], stints: [], rings: [], transfers: [])
        // Every answer, the first and any after a transfer: a ring after the first answer is
        // closed by its own agent's answer.
        var answers: [(agent: String?, at: Int64)] = []
        for r in events {
            let e = r.event
            let at = e.at.milliseconds
            let d = e.data
            switch e.type {
            case .callStarted:
                guard f.startedAt == nil else { continue }  // a repeated start keeps the first
                f.startedAt = at
                f.direction = d.string("direction")
                f.clientRaw = d.string("client")
                f.client = f.clientRaw.map { ClientNumber($0).digits }
                f.line = d.string("line")
                f.ownerDepartment = d.string("department")
                f.dialler = d.string("agent")
            case .callGreeting:
                if f.greetingAt == nil { f.greetingAt = at }
            case .callIVR:
                f.ivr.append(IVRChoice(at: at, option: d.string("option")))
            case .callRoutingFailed:
                // `no_route` decides the reason whenever it is among the causes (it is the earlier rule).
                if f.routingFailure == nil || d.string("cause") == "no_route" { f.routingFailure = d.string("cause") }
            case .callQueued:
                if f.endedAt != nil && f.answeredAt == nil { f.queuedAfterEnd = true }
                if f.answeredAt != nil, f.endedAt == nil, let dept = d.string("department") {
                    if let last = f.transferQueues.last, last.leftAt == nil {
                        if last.department == dept { continue }
                        f.transferQueues[f.transferQueues.count - 1].leftAt = at
                    }
                    f.transferQueues.append(Stint(department: dept, queuedAt: at, leftAt: nil))
                    continue
                }
                guard f.answeredAt == nil, f.endedAt == nil, let dept = d.string("department") else { continue }
                if let last = f.stints.last, last.leftAt == nil {
                    if last.department == dept { continue }  // a repeated queued for the same department
                    f.stints[f.stints.count - 1].leftAt = at
                }
                f.stints.append(Stint(department: dept, queuedAt: at, leftAt: nil))
            case .callRinging:
                guard let agent = d.string("agent") else { continue }
                let dept = f.stints.last(where: { $0.queuedAt <= at && ($0.leftAt.map { at <= $0 } ?? true) })?.department
                    ?? (f.stints.isEmpty ? f.ownerDepartment : f.stints.last?.department)
                f.rings.append(Ring(agent: agent, department: dept, at: at, endedAt: nil, outcome: nil))
            case .callRingEnded:
                guard let agent = d.string("agent") else { continue }
                let outcome = d.string("outcome")
                // The agent's earliest open ring (first in, first out): rings stay open until the loop
                // ends (below), so one started before the answer can still get its own end.
                if let i = f.rings.firstIndex(where: { $0.agent == agent && $0.outcome == nil && $0.at <= at }) {
                    f.rings[i].endedAt = at
                    f.rings[i].outcome = outcome
                } else {
                    // An end without its start: keep it as a zero-length offer.
                    let dept = f.stints.last?.department ?? f.ownerDepartment
                    f.rings.append(Ring(agent: agent, department: dept, at: at, endedAt: at, outcome: outcome))
                }
            case .callAnswered:
                answers.append((d.string("agent"), at))
                guard f.answeredAt == nil else {
                    if let agent = d.string("agent") { f.laterAnswers.append(Answer(agent: agent, at: at)) }
                    if let i = f.transferQueues.indices.last, f.transferQueues[i].leftAt == nil { f.transferQueues[i].leftAt = at }
                    continue
                }
                f.answeredAt = at
                f.answeredBy = d.string("agent")
                // Waiting in the queue ends at the answer, even one dated after the end.
                if let i = f.stints.indices.last, f.stints[i].leftAt == nil || f.stints[i].leftAt == f.endedAt { f.stints[i].leftAt = at }
            case .callTransferred:
                f.transfers.append(Transfer(at: at, agent: d.string("agent") ?? "", toAgent: d.string("to_agent"),
                                            toDepartment: d.string("to_department")))
            case .callEnded:
                guard f.endedAt == nil else { continue }
                f.endedAt = at
                f.endedBy = d.string("by")
                f.endCause = d.string("cause")
                if let i = f.stints.indices.last, f.stints[i].leftAt == nil { f.stints[i].leftAt = at }
                if let i = f.transferQueues.indices.last, f.transferQueues[i].leftAt == nil { f.transferQueues[i].leftAt = at }
            default:
                continue
            }
        }
        // Only a ring with no `call.ring_ended` of its own is closed by the call's answer or end
        // (events.md), whenever that ring_ended is dated: rings are closed once all are known.
        for i in f.rings.indices where f.rings[i].outcome == nil {
            if let a = f.answeredAt, f.rings[i].at <= a {
                f.rings[i].endedAt = a
                f.rings[i].outcome = f.rings[i].agent == f.answeredBy ? "answered" : "answered_elsewhere"
            } else if let next = answers.first(where: { $0.at >= f.rings[i].at }) {
                // Rung after the first answer (a transfer): closed by the next answer, its own
                // agent's or another's ("answered_elsewhere if another agent answered").
                f.rings[i].endedAt = next.at
                f.rings[i].outcome = next.agent == f.rings[i].agent ? "answered" : "answered_elsewhere"
            } else if let e = f.endedAt {
                f.rings[i].endedAt = e
                f.rings[i].outcome = "caller_hung_up"
            }
        }
        // Outbound, `call.answered` names the dialler too: the one to credit when the start did not.
        if f.direction == "outbound" && f.dialler == nil { f.dialler = f.answeredBy }
        return f
    }

    // MARK: Departments

    /// The departments an inbound call was in, in order (queue stints, or the line's owner when it
    /// was never queued), each once.
    public var departments: [String] {
        guard isInbound else { return [] }
        var out: [String] = []
        for s in stints where !out.contains(s.department) { out.append(s.department) }
        if out.isEmpty, let o = ownerDepartment { out.append(o) }
        return out
    }

    /// The department the call belongs to: its last queue before answer or end, else the line's owner.
    public var finalDepartment: String? {
        guard isInbound else { return nil }
        return stints.last?.department ?? ownerDepartment
    }

    /// How the call went for department `d` (which must be in ``departments``), as the reports
    /// count it: a call with no `call.ended` is in progress, "neither answered nor missed"
    /// (reports.md), even once answered.
    public func outcome(in d: String) -> Outcome {
        if d == finalDepartment {
            guard let endedAt else { return .inProgress }
            return answeredAt != nil ? .answered : .missed(at: endedAt)
        }
        // Moved on: missed by d when the next department's queue took it.
        let lastIndex = stints.lastIndex { $0.department == d }
        if let i = lastIndex, let left = stints[i].leftAt { return .missed(at: left) }
        return .inProgress
    }

    public enum Outcome: Sendable, Equatable {
        case answered
        case missed(at: Int64)
        case inProgress

        public var name: String {
            switch self {
            case .answered: "answered"
            case .missed: "missed"
            case .inProgress: "in_progress"
            }
        }
    }

    /// Seconds waited in `d`'s queue (every stint in `d`), or nil if never queued there or still waiting.
    public func queueWait(in d: String) -> Double? {
        let mine = stints.filter { $0.department == d }
        guard !mine.isEmpty else { return nil }
        var total: Int64 = 0
        for s in mine {
            guard let left = s.leftAt else { return nil }
            total += left - s.queuedAt
        }
        return Double(total) / 1000
    }

    /// Seconds from start to answer or end; nil while in progress or without a start.
    public var totalWait: Double? {
        guard let s = startedAt, let e = answeredAt ?? endedAt else { return nil }
        return Double(e - s) / 1000
    }

    /// Whether an agent was rung while the call was in `d`.
    public func wasRung(in d: String) -> Bool { rings.contains { $0.department == d } }

    /// What the missed-reason rules need about the call in `d`.
    public func reasonInputs(in d: String) -> ReasonInputs {
        // Whether each was sent at all, whatever its time (a greeting, IVR choice or queue dated
        // after the end included): the rules read "never reached", "never queued".
        ReasonInputs(startedAt: startedAt ?? 0, greeted: greetingAt != nil, inIVR: !ivr.isEmpty, queued: !stints.isEmpty || queuedAfterEnd,
                     routingFailure: routingFailure, endedInDepartment: d == finalDepartment && endedAt != nil,
                     endedByClient: endedBy == "client",
                     durationMs: endedAt.flatMap { e in startedAt.map { e - $0 } } ?? .max,
                     rung: wasRung(in: d))
    }
}

/// The facts the missed-reason rules look at, kept with each missed call of an episode.
public struct ReasonInputs: Codable, Sendable, Equatable {
    public var startedAt: Int64
    public var greeted: Bool
    public var inIVR: Bool
    public var queued: Bool
    public var routingFailure: String?
    /// The call ended while in this department (not moved on to another).
    public var endedInDepartment: Bool
    public var endedByClient: Bool
    public var durationMs: Int64
    public var rung: Bool
}

extension Array where Element == RecordedEvent {
    /// These events in ``Event/occursBefore(_:_:)`` order: as they are when already in it (event
    /// sources hand them out sorted, so facts computed from them skip a copy and a sort), else sorted.
    /// The order is total (ids are unique), so either way the result is the same.
    var inOccurrenceOrder: [RecordedEvent] {
        isInOccurrenceOrder ? self : sorted { Event.occursBefore($0.event, $1.event) }
    }
}
