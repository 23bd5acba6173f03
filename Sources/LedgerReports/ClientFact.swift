import LedgerEvents
import LedgerProjections

/// One client's missed-call episodes per department, their callbacks and dismissals: a pure
/// function of the client's calls and `missed.handled` events (reports.md, "Episodes").
public struct ClientFact: Codable, Sendable, Equatable {
    /// Normalised digits.
    public var client: String
    public var episodes: [Episode]
    /// Every `missed.handled` for this client, with the episode it closed (if any).
    public var dismissals: [Dismissal]
    /// What the fact was computed from, call by call and dismissal by dismissal, with the events
    /// each part came from: an as-of query then recomputes only the calls that straddle its cut
    /// (``ClientsProjection``). Stored as the fact's memo; not part of its value, never reported.
    var ingredients: Ingredients?

    enum CodingKeys: String, CodingKey { case client, episodes, dismissals }

    public static func == (a: ClientFact, b: ClientFact) -> Bool {
        a.client == b.client && a.episodes == b.episodes && a.dismissals == b.dismissals
    }

    public struct Episode: Codable, Sendable, Equatable {
        public var department: String
        /// `call.started` of the first and last missed call.
        public var firstCallAt: Int64
        public var lastCallAt: Int64
        /// When the first missed call became missed (ended, or moved on).
        public var openedAt: Int64
        public var missedCalls: [MissedCall]
        /// Outbound calls to the client started while the episode was open.
        public var attempts: [Attempt]
        public var closedAt: Int64?
        /// `callback`, `client_got_through` or `dismissed`.
        public var closedHow: String?
        /// The dialling agent (callback), the answering agent (client got through), or the dismisser.
        public var closedBy: String?
        /// The outbound call's department when closed by a callback.
        public var closingDepartment: String?
        public var closingCallID: String?
        public var reason: String?
        public var comment: String?

        public var isOpen: Bool { closedAt == nil }
    }

    public struct MissedCall: Codable, Sendable, Equatable {
        public var callID: String
        public var startedAt: Int64
        public var missedAt: Int64
        public var inputs: ReasonInputs
    }

    public struct Attempt: Codable, Sendable, Equatable {
        public var callID: String
        public var at: Int64
        public var agent: String?
        /// The outbound call's `department` (on whose behalf), if given.
        public var department: String?
        public var connected: Bool
    }

    public struct Dismissal: Codable, Sendable, Equatable {
        public var eventID: String
        public var at: Int64
        public var department: String
        public var by: String
        public var reason: String
        public var comment: String?
        /// Index in ``ClientFact/episodes`` of the episode it closed; nil when none was open.
        public var episode: Int?
        /// Callback attempts in that episode before the dismissal.
        public var attemptsBefore: Int
        /// Whether the client reached us, or we reached the client, after it.
        public var contactedLater: Bool
    }

    private enum Happening {
        case attempt(Attempt)
        case missed(department: String, call: MissedCall)
        case contact(how: String, by: String?, department: String?, callID: String)
        case dismissal(Handled)

        var rank: Int {
            switch self {
            case .attempt: 0
            case .missed: 1
            case .contact: 2
            case .dismissal: 3
            }
        }

        var tiebreak: String {
            switch self {
            case .attempt(let a): a.callID
            case .missed(_, let c): c.callID
            case .contact(_, _, _, let id): id
            case .dismissal(let d): d.eventID
            }
        }
    }

    /// What one call contributes to its client's episodes: all ``compute`` needs of a ``CallFact``.
    struct Contribution: Sendable {
        var callID: String
        var startedAt: Int64?
        var direction: String?
        /// The departments that missed it, when, and the missed-reason inputs.
        var missed: [(department: String, at: Int64, inputs: ReasonInputs)]
        var answeredAt: Int64?
        var answeredBy: String?
        var finalDepartment: String?
        var dialler: String?
        var ownerDepartment: String?

        init(_ c: CallFact) {
            callID = c.callID
            startedAt = c.startedAt
            direction = c.direction
            missed = []
            if c.startedAt != nil && c.isInbound {
                for d in c.departments {
                    if case .missed(let at) = c.outcome(in: d) { missed.append((d, at, c.reasonInputs(in: d))) }
                }
            }
            answeredAt = c.answeredAt
            answeredBy = c.answeredBy
            finalDepartment = c.finalDepartment
            dialler = c.dialler
            ownerDepartment = c.ownerDepartment
        }

        init(callID: String, startedAt: Int64?, direction: String?, missed: [(department: String, at: Int64, inputs: ReasonInputs)],
             answeredAt: Int64?, answeredBy: String?, finalDepartment: String?, dialler: String?, ownerDepartment: String?) {
            self.callID = callID
            self.startedAt = startedAt
            self.direction = direction
            self.missed = missed
            self.answeredAt = answeredAt
            self.answeredBy = answeredBy
            self.finalDepartment = finalDepartment
            self.dialler = dialler
            self.ownerDepartment = ownerDepartment
        }
    }

    /// A `missed.handled` as ``compute`` reads it.
    struct Handled: Sendable {
        var eventID: String
        var at: Int64
        var department: String
        var by: String?
        var reason: String?
        var comment: String?

        init(eventID: String, at: Int64, department: String, by: String?, reason: String?, comment: String?) {
            self.eventID = eventID
            self.at = at
            self.department = department
            self.by = by
            self.reason = reason
            self.comment = comment
        }

        init(_ r: RecordedEvent) {
            let d = r.event.data
            self.init(eventID: r.event.id, at: r.event.at.milliseconds, department: d.string("department") ?? "", by: d.string("by"),
                      reason: d.string("reason"), comment: d.string("comment"))
        }
    }

    /// The parts a stored fact was computed from: every call whose `call.started` named the client
    /// (with what it contributes, or nil when its fact names another client) and every dismissal,
    /// each with the span of the events it came from.
    struct Ingredients: Sendable {
        var calls: [(callID: String, span: FactWindow, contribution: Contribution?)] = []
        var dismissals: [(span: FactWindow, handled: Handled)] = []
    }

    /// Builds the fact from the client's calls (as ``CallFact``s) and `missed.handled` events.
    /// Hidden numbers have no episodes. Happenings at the same instant are taken in the order
    /// callback attempts, missed calls, connected contacts, dismissals; then by call id.
    public static func compute(client: String, calls: [CallFact], dismissals handled: [RecordedEvent]) -> ClientFact? {
        compute(client: client, calls: calls.map(Contribution.init), dismissals: handled.filter { $0.event.type == .missedHandled }.map(Handled.init))
    }

    static func compute(client: String, calls: [Contribution], dismissals handled: [Handled]) -> ClientFact? {
        guard !client.isEmpty, !(calls.isEmpty && handled.isEmpty) else { return nil }
        var happenings: [(at: Int64, h: Happening)] = []
        for c in calls {
            guard let started = c.startedAt else { continue }
            if c.direction == "inbound" {
                for m in c.missed {
                    happenings.append((m.at, .missed(department: m.department, call: MissedCall(
                        callID: c.callID, startedAt: started, missedAt: m.at, inputs: m.inputs))))
                }
                if let a = c.answeredAt {
                    happenings.append((a, .contact(how: "client_got_through", by: c.answeredBy, department: c.finalDepartment, callID: c.callID)))
                }
            } else if c.direction == "outbound" {
                happenings.append((started, .attempt(Attempt(callID: c.callID, at: started, agent: c.dialler,
                                                             department: c.ownerDepartment, connected: c.answeredAt != nil))))
                if let a = c.answeredAt {
                    happenings.append((a, .contact(how: "callback", by: c.dialler, department: c.ownerDepartment, callID: c.callID)))
                }
            }
        }
        for d in handled { happenings.append((d.at, .dismissal(d))) }
        happenings.sort { a, b in
            if a.at != b.at { return a.at < b.at }
            if a.h.rank != b.h.rank { return a.h.rank < b.h.rank }
            return a.h.tiebreak < b.h.tiebreak
        }

        var episodes: [Episode] = []
        var open: [String: Int] = [:]
        var dismissals: [Dismissal] = []
        var contactTimes: [Int64] = []
        for (at, h) in happenings {
            switch h {
            case .attempt(let a):
                for i in open.values { episodes[i].attempts.append(a) }
            case .missed(let d, let call):
                if let i = open[d] {
                    episodes[i].missedCalls.append(call)
                    episodes[i].lastCallAt = max(episodes[i].lastCallAt, call.startedAt)
                    episodes[i].firstCallAt = min(episodes[i].firstCallAt, call.startedAt)
                } else {
                    open[d] = episodes.count
                    episodes.append(Episode(department: d, firstCallAt: call.startedAt, lastCallAt: call.startedAt, openedAt: at,
                                            missedCalls: [call], attempts: []))
                }
            case .contact(let how, let by, let dept, let callID):
                contactTimes.append(at)
                for i in open.values {
                    episodes[i].closedAt = at
                    episodes[i].closedHow = how
                    episodes[i].closedBy = by
                    episodes[i].closingDepartment = how == "callback" ? dept : nil
                    episodes[i].closingCallID = callID
                }
                open.removeAll()
            case .dismissal(let d):
                let dept = d.department
                var closed: Int?
                if let i = open[dept] {
                    episodes[i].closedAt = at
                    episodes[i].closedHow = "dismissed"
                    episodes[i].closedBy = d.by
                    episodes[i].reason = d.reason
                    episodes[i].comment = d.comment
                    open[dept] = nil
                    closed = i
                }
                dismissals.append(Dismissal(eventID: d.eventID, at: at, department: dept, by: d.by ?? "",
                                            reason: d.reason ?? "", comment: d.comment, episode: closed,
                                            attemptsBefore: closed.map { episodes[$0].attempts.count } ?? 0, contactedLater: false))
            }
        }
        for k in dismissals.indices {
            dismissals[k].contactedLater = contactTimes.contains { $0 > dismissals[k].at }
        }
        return ClientFact(client: client, episodes: episodes, dismissals: dismissals)
    }
}
