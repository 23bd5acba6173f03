import LedgerEvents
import LedgerProjections

/// Calls: one ``CallFact`` per call, found by (department, start) for each department the call was in,
/// outbound calls by start, and for the live panel: answered calls by (talking agent, answer time),
/// and calls and talks by their end, or as still going on, whatever their age.
public struct CallsProjection: Projection {
    public let name = "calls"
    /// 2: hand-written binary fact layout. 3: `talk` keys (who talks on the call, from when).
    /// 4: an outbound call's dialler known from its answer. 5: `end`/`open`, `talk-end`/`talk-open` keys.
    /// 6: rings closed by their own end when they have one; `no_route` wins among routing failures;
    /// a queue sent after the end remembered for the missed reason. 7: a ring after the first
    /// answer (a transfer) closed by its own agent's later answer. 8: every answering agent's
    /// talk (`talk` keys for the agent a call was transferred to); a queued call whose
    /// `call.started` has not arrived is inbound (`end`/`open` keys). 9: queues after the answer
    /// (`end`/`open` keys in the departments of transfer queues too). 10: a ring after the first
    /// answer is closed by the next answer, another agent's too (`answered_elsewhere`).
    /// 11: `long`/`talk-long` keys for calls and talks that last longer than the live panel's
    /// search by start (``LiveView/freeSinceHorizonMs``).
    public let version = 11
    public init() {}

    public func entities(touchedBy e: RecordedEvent, source: any EventSource) -> [String] {
        e.event.type.isCallEvent ? [e.event.callID!] : []
    }

    public func fact(of callID: String, source: any EventSource) throws -> CallFact? {
        CallFact.compute(callID: callID, events: try source.events(callID: callID))
    }

    public func queryKeys(of c: CallFact) -> [QueryKey] {
        var keys: [QueryKey] = []
        // A talk is found without knowing the call's department: an agent's personal calls count too.
        for t in c.talkers {
            keys.append(QueryKey("talk", t.agent, time: t.at))
            keys.append(c.endedAt.map { QueryKey("talk-end", t.agent, time: $0) } ?? QueryKey("talk-open", t.agent))
            if let e = c.endedAt, e - t.at > LiveView.freeSinceHorizonMs { keys.append(QueryKey("talk-long", t.agent, time: t.at)) }
        }
        if c.isInbound {
            let departments = c.departments
            for d in departments {
                // Periods select by the start: a call whose start has not arrived is in none.
                if let s = c.startedAt { keys.append(QueryKey("dept", d, time: s)) }
            }
            // A call without its end is in progress however long ago it started (events.md). The
            // live panel of a department it was transferred to finds it waiting there too.
            var live = departments
            for q in c.transferQueues where !live.contains(q.department) { live.append(q.department) }
            for d in live { keys.append(c.endedAt.map { QueryKey("end", d, time: $0) } ?? QueryKey("open", d)) }
            // Going on at instants the panel's search by start does not reach: found by their start.
            if let s = c.startedAt ?? c.stints.first?.queuedAt, let e = c.endedAt, e - s > LiveView.freeSinceHorizonMs {
                for d in live { keys.append(QueryKey("long", d, time: s)) }
            }
            return keys
        }
        guard let s = c.startedAt else { return keys }
        return [QueryKey("outbound", time: s)] + keys
    }

    /// Inbound calls of `department` still going on (no `call.ended`), however old.
    public static func openRange(department: String) -> QueryKey.ClosedOpenRange { QueryKey.prefix("open", department) }

    /// Inbound calls of `department` that ended in `(after, through]` (ms).
    public static func endedRange(department: String, after: Int64, through: Int64) -> QueryKey.ClosedOpenRange {
        QueryKey.range("end", department, from: after + 1, to: through + 1)
    }

    /// Inbound calls of `department` that started (or were queued) before `through` and lasted longer
    /// than ``LiveView/freeSinceHorizonMs``.
    public static func longRange(department: String, through: Int64) -> QueryKey.ClosedOpenRange {
        QueryKey.range("long", department, from: .min, to: through + 1)
    }

    /// Talks of `agent` answered before `through` that lasted longer than ``LiveView/freeSinceHorizonMs``.
    public static func longTalkRange(agent: String, through: Int64) -> QueryKey.ClosedOpenRange {
        QueryKey.range("talk-long", agent, from: .min, to: through + 1)
    }

    /// Calls `agent` is talking on (answered, not ended), however old.
    public static func openTalkRange(agent: String) -> QueryKey.ClosedOpenRange { QueryKey.prefix("talk-open", agent) }

    /// Calls `agent` talked on whose talk ended in `(after, through]` (ms).
    public static func endedTalkRange(agent: String, after: Int64, through: Int64) -> QueryKey.ClosedOpenRange {
        QueryKey.range("talk-end", agent, from: after + 1, to: through + 1)
    }

    /// Outbound calls (of any department) started in `[from, to)`.
    public static func outboundRange(from: Int64, to: Int64) -> QueryKey.ClosedOpenRange {
        QueryKey.range("outbound", from: from, to: to)
    }

    /// Calls `agent` answered (inbound) or dialled and got answered (outbound) in `[from, to)`.
    public static func talkRange(agent: String, from: Int64, to: Int64) -> QueryKey.ClosedOpenRange {
        QueryKey.range("talk", agent, from: from, to: to)
    }

    /// Calls of `department` started in `[from, to)`.
    public static func range(department: String, from: Int64, to: Int64) -> QueryKey.ClosedOpenRange {
        QueryKey.range("dept", department, from: from, to: to)
    }
}

/// Clients: one ``ClientFact`` (episodes, dismissals) per non-hidden client, and one, the
/// ``hiddenEntity``, holding the dismissals that name a hidden number (kept for the audit).
public struct ClientsProjection: Projection {
    public let name = "clients"
    /// 2: hand-written binary fact layout. 3: dismissals of hidden numbers; outbound diallers
    /// known from the answer. 4: numbers whose normal form starts with `00` found; rings closed
    /// by their own end, not the call's, when they have one. 5: a memo of the fact's calls and
    /// dismissals with their events' spans (as-of queries recompute only what straddles the cut).
    public let version = 5
    public init() {}

    /// The entity of dismissals naming a hidden number: it has no episodes, so none of them
    /// closes one. Not digits, so no client's number can be it.
    public static let hiddenEntity = "hidden"

    public func entities(touchedBy e: RecordedEvent, source: any EventSource) throws -> [String] {
        let ev = e.event
        switch ev.type {
        case .missedHandled:
            guard let c = ev.client else { return [] }
            return [c.isHidden ? Self.hiddenEntity : c.digits]
        case .callStarted:
            guard let c = ev.client, !c.isHidden else { return [] }
            return [c.digits]
        case _ where ev.type.isCallEvent:
            // Other call events do not name the client: find it in the call's start, if it has arrived.
            let start = try source.events(callID: ev.callID!).first { $0.event.type == .callStarted }
            guard let c = start?.event.client, !c.isHidden else { return [] }
            return [c.digits]
        default:
            return []
        }
    }

    public func fact(of client: String, source: any EventSource) throws -> ClientFact? {
        // As of a cut: from what the stored fact remembers, recomputing only the calls that straddle the cut.
        if var memo = try source.storedMemo(of: self, entity: client) {
            return try fact(of: client, from: ClientFact.Ingredients(from: &memo), source: source)
        }
        // The entity is already normalised (or the hidden numbers' entity).
        let own = try source.events(client: client == Self.hiddenEntity ? ClientNumber("") : ClientNumber(normalized: client))
        var callIDs: [String] = []
        var seen = Set<String>()
        for e in own where e.event.type == .callStarted {
            if let id = e.event.callID, seen.insert(id).inserted { callIDs.append(id) }
        }
        // Applying a page of new events: a call the page has no events of contributes what it did
        // before (its events are all older), so only the page's calls are read and computed again.
        var remembered: [String: (span: FactWindow, contribution: ClientFact.Contribution?)] = [:]
        if var before = try source.memoBeforePage(of: self, entity: client) {
            for c in try ClientFact.Ingredients(from: &before.memo).calls where !before.changedCalls.contains(c.callID) {
                remembered[c.callID] = (c.span, c.contribution)
            }
        }
        var ingredients: ClientFact.Ingredients? = ClientFact.Ingredients()
        var calls: [ClientFact.Contribution] = []
        for id in callIDs {
            if let r = remembered[id], source.coverage(of: r.span) == .inside {
                ingredients?.calls.append((id, r.span, r.contribution))
                if let mine = r.contribution { calls.append(mine) }
                continue
            }
            // As of a cut, a call the calls projection has already stored whole is taken from there.
            if let f = try source.storedFact(of: CallsProjection(), entity: id) {
                ingredients = nil  // its events are not at hand: nothing to remember
                if f.client == client { calls.append(ClientFact.Contribution(f)) }
                continue
            }
            let events = try source.events(callID: id)
            let f = CallFact.compute(callID: id, events: events)
            let mine = f.flatMap { $0.client == client ? ClientFact.Contribution($0) : nil }
            ingredients?.calls.append((id, FactWindow(events), mine))
            if let mine { calls.append(mine) }
        }
        let handled = own.filter { $0.event.type == .missedHandled }
        ingredients?.dismissals = handled.map { (FactWindow([$0]), ClientFact.Handled($0)) }
        var fact = ClientFact.compute(client: client, calls: calls, dismissals: handled.map(ClientFact.Handled.init))
        fact?.ingredients = ingredients
        return fact
    }

    /// The fact as of the source's cut from a stored fact's ingredients: parts inside the cut as
    /// remembered, parts outside it dropped, calls straddling it recomputed from their events in it.
    /// Equal to computing it from the cut's events, without reading the client's events or
    /// decoding a call fact for every call.
    private func fact(of client: String, from ingredients: ClientFact.Ingredients, source: any EventSource) throws -> ClientFact? {
        var calls: [ClientFact.Contribution] = []
        for c in ingredients.calls {
            switch source.coverage(of: c.span) {
            case .inside:
                if let mine = c.contribution { calls.append(mine) }
            case .outside:
                continue
            case .straddling:
                if let f = CallFact.compute(callID: c.callID, events: try source.events(callID: c.callID)), f.client == client {
                    calls.append(ClientFact.Contribution(f))
                }
            }
        }
        let handled = ingredients.dismissals.filter { source.coverage(of: $0.span) == .inside }.map(\.handled)
        return ClientFact.compute(client: client, calls: calls, dismissals: handled)
    }

    /// The fact's ingredients (calls and dismissals with their events' spans), when it was
    /// computed from events.
    public func memo(of f: ClientFact) -> [UInt8]? {
        guard let ingredients = f.ingredients else { return nil }
        var w = FactWriter()
        ingredients.write(to: &w)
        return w.bytes
    }

    public func queryKeys(of f: ClientFact) -> [QueryKey] {
        var keys: [QueryKey] = []
        for e in f.episodes {
            keys.append(QueryKey("episode", e.department, time: e.openedAt))
            if let c = e.closedAt { keys.append(QueryKey("closed", e.department, time: c)) } else { keys.append(QueryKey("open", e.department)) }
            for a in e.attempts { keys.append(QueryKey("attempt", e.department, time: a.at)) }
        }
        for d in f.dismissals { keys.append(QueryKey("dismissal", time: d.at)) }
        return Array(Set(keys))
    }
}
