import LedgerEvents
import LedgerLog
import Synchronization

/// The events a projection may read while computing a fact: one cut of the log, through its indexes.
///
/// Every list is in ``Event/occursBefore(_:_:)`` order (occurred time, call-life order, id), so a
/// fact computed from it does not depend on the order events arrived in.
public protocol EventSource {
    /// The `call.*` events of one call.
    func events(callID: String) throws -> [RecordedEvent]
    /// `call.started`, `missed.handled` and `lead.created` naming this (normalised) client; for a
    /// hidden number, the `missed.handled` naming any hidden number.
    func events(client: ClientNumber) throws -> [RecordedEvent]
    /// The `lead.*` events of one lead.
    func events(leadID: String) throws -> [RecordedEvent]
    /// `department.configured`, `agent.joined`, `agent.left` of one department.
    func events(department: String) throws -> [RecordedEvent]
    /// `agent.status`, `agent.joined`, `agent.left` of one agent.
    func events(agent: String) throws -> [RecordedEvent]

    /// `projection`'s stored fact of `entity`, when the engine knows it equals what computing it
    /// from this source would give: every event it was computed from lies in this source's cut,
    /// and that projection has applied the whole cut. `nil` means: compute it from the events. A
    /// projection whose facts build on another's (a client's calls) saves re-reading them.
    func storedFact<P: Projection>(of projection: P, entity: String) throws -> P.Fact?

    /// `projection`'s stored memo of `entity` (``Projection/memo(of:)``, a reader at its start),
    /// whatever this source's cut: offered only to as-of recomputations, by a log source whose
    /// projection has applied the whole cut. A projection can remember there what each part of
    /// its fact was computed from (with the part's ``FactWindow``), and then recompute only the
    /// parts that ``coverage(of:)`` says straddle the cut. `nil`: compute from the events.
    func storedMemo<P: Projection>(of projection: P, entity: String) throws -> FactReader?

    /// Whether the events of `span` all lie in this source's cut, none of them, or some.
    /// A part of a fact computed from events all inside the cut holds as it is; one computed
    /// from events all outside it does not exist in the cut.
    func coverage(of span: FactWindow) -> CutCoverage

    /// While a live worker applies a page of new events: `projection`'s memo of `entity` as stored
    /// before the page, and the calls the page has events of. A projection may keep the parts of
    /// its fact computed from calls the page does not touch as it remembered them (after asking
    /// ``coverage(of:)``, which also counts them in the fact's window) and recompute only the rest:
    /// a client calling every day would otherwise have every call re-read at each new event of
    /// theirs. `nil` anywhere else.
    func memoBeforePage<P: Projection>(of projection: P, entity: String) throws -> PageMemo?
}

/// A projection's memo of an entity from before the page being applied (``EventSource/memoBeforePage(of:entity:)``).
public struct PageMemo {
    /// The memo, a reader at its start.
    public var memo: FactReader
    /// The calls with events in the page: their parts of the fact must be computed again.
    public let changedCalls: Set<String>
}

/// Where a span of events lies relative to a cut (``EventSource/coverage(of:)``).
public enum CutCoverage: Sendable {
    case inside, outside, straddling
}

extension EventSource {
    /// Nothing stored to offer: compute from the events.
    public func storedFact<P: Projection>(of projection: P, entity: String) throws -> P.Fact? { nil }
    public func storedMemo<P: Projection>(of projection: P, entity: String) throws -> FactReader? { nil }
    /// Not known: read the events.
    public func coverage(of span: FactWindow) -> CutCoverage { .straddling }
    public func memoBeforePage<P: Projection>(of projection: P, entity: String) throws -> PageMemo? { nil }
}

/// Facts that projections have stored, offered to as-of recomputations (see
/// ``EventSource/storedFact(of:entity:)``): only of projections whose checkpoint covers the cut,
/// and only records whose window lies inside it.
struct StoredFacts: Sendable {
    let stores: [String: ProjectionStore]
    let cut: ResolvedCut

    func record(_ name: String, _ entity: String) throws -> (fact: [UInt8], offset: Int, window: FactWindow)? {
        guard let store = stores[name] else { return nil }
        return try store.kv.read { r -> (fact: [UInt8], offset: Int, window: FactWindow)? in
            guard let v = try r.get("facts", key: Array(entity.utf8)) else { return nil }
            let window = try FactRecord.window(v)
            guard window.isInside(cut), let at = try FactRecord.factOffset(v) else { return nil }
            return (v, at, window)
        }
    }

    /// The entity's memo, whatever its fact's window (the store has applied the whole cut).
    func memo(_ name: String, _ entity: String) throws -> FactReader? {
        guard let store = stores[name] else { return nil }
        return try store.kv.read { r in try r.get("memo", key: Array(entity.utf8)).map { FactReader($0) } }
    }
}

extension RecordedEvent {
    /// The order facts see events in: ``Event/occursBefore(_:_:)`` (occurred time, call-life
    /// order, id), never arrival order.
    @inline(__always) static func byOccurrence(_ a: RecordedEvent, _ b: RecordedEvent) -> Bool {
        Event.occursBefore(a.event, b.event)
    }
}

/// Reads a cut of the live log through its indexes.
struct LogEventSource: EventSource {
    let log: EventLog
    let cut: ResolvedCut
    var stored: StoredFacts? = nil
    /// The catch-up page being applied (its last event ends the cut): the events of its calls,
    /// clients and leads are taken from it rather than read and decoded again. Most calls a live
    /// page touches are new in it, and re-reading them was a fifth of a worker's time under load.
    var page: [RecordedEvent] = []
    /// While a live worker applies `page`: the store it applies it to, for ``memoBeforePage(of:entity:)``.
    var applying: PageTarget? = nil

    /// The projection a page is applied to, its store, and the calls the page has events of.
    struct PageTarget {
        let projection: String
        let store: ProjectionStore
        let calls: Set<String>
    }

    func memoBeforePage<P: Projection>(of projection: P, entity: String) throws -> PageMemo? {
        guard let applying, applying.projection == projection.name else { return nil }
        let memo = try applying.store.kv.read { r in try r.get("memo", key: Array(entity.utf8)) }
        return memo.map { PageMemo(memo: FactReader($0), changedCalls: applying.calls) }
    }

    func storedFact<P: Projection>(of projection: P, entity: String) throws -> P.Fact? {
        try stored?.record(projection.name, entity).map { try FactCoder.decode(P.Fact.self, from: $0.fact, at: $0.offset) }
    }

    func storedMemo<P: Projection>(of projection: P, entity: String) throws -> FactReader? {
        try stored?.memo(projection.name, entity)
    }

    func coverage(of span: FactWindow) -> CutCoverage { span.coverage(in: cut) }

    private func filtered(_ events: [RecordedEvent]) -> [RecordedEvent] {
        events.filter(cut.contains).sorted(by: RecordedEvent.byOccurrence)
    }

    func events(callID: String) throws -> [RecordedEvent] {
        filtered(try log.events(callID: callID, through: cut.maxPosition, decoded: page))
    }
    func events(client: ClientNumber) throws -> [RecordedEvent] {
        filtered(try log.events(client: client, through: cut.maxPosition, decoded: page))
    }
    func events(leadID: String) throws -> [RecordedEvent] {
        filtered(try log.events(leadID: leadID, through: cut.maxPosition, decoded: page))
    }
    func events(department: String) throws -> [RecordedEvent] { filtered(try log.events(department: department)) }
    func events(agent: String) throws -> [RecordedEvent] { filtered(try log.events(agent: agent)) }
}

/// Remembers every answer of `base` for the life of one catch-up page: a page holds many events of
/// the same calls and clients, and finding who an event touches, then recomputing those facts,
/// asks the same questions over and over. Only valid while `base`'s cut does not move.
// @unchecked: used by one thread at a time (one apply of one page); the caches sit behind a Mutex anyway.
final class MemoizingSource: EventSource, @unchecked Sendable {
    private struct Caches {
        var calls: [String: [RecordedEvent]] = [:]
        var clients: [ClientNumber: [RecordedEvent]] = [:]
        var leads: [String: [RecordedEvent]] = [:]
        var departments: [String: [RecordedEvent]] = [:]
        var agents: [String: [RecordedEvent]] = [:]
    }

    let base: any EventSource
    private let caches = Mutex(Caches())

    init(_ base: any EventSource) { self.base = base }

    private func cached<K: Hashable>(_ path: WritableKeyPath<Caches, [K: [RecordedEvent]]>, _ key: K,
                                     _ load: () throws -> [RecordedEvent]) throws -> [RecordedEvent] {
        if let hit = caches.withLock({ $0[keyPath: path][key] }) { return hit }
        let events = try load()
        caches.withLock { $0[keyPath: path][key] = events }
        return events
    }

    func events(callID: String) throws -> [RecordedEvent] { try cached(\.calls, callID) { try base.events(callID: callID) } }
    func events(client: ClientNumber) throws -> [RecordedEvent] { try cached(\.clients, client) { try base.events(client: client) } }
    func events(leadID: String) throws -> [RecordedEvent] { try cached(\.leads, leadID) { try base.events(leadID: leadID) } }
    func events(department: String) throws -> [RecordedEvent] {
        try cached(\.departments, department) { try base.events(department: department) }
    }
    func events(agent: String) throws -> [RecordedEvent] { try cached(\.agents, agent) { try base.events(agent: agent) } }
    func coverage(of span: FactWindow) -> CutCoverage { base.coverage(of: span) }
    func memoBeforePage<P: Projection>(of projection: P, entity: String) throws -> PageMemo? {
        try base.memoBeforePage(of: projection, entity: entity)
    }
}

/// A prefix of the log held in memory, grouped by entity: the source of bulk rebuilds.
// @unchecked: filled by one thread, then `seal()`ed; after that it is only read (rebuilds share it).
final class MemoryEventSource: EventSource, @unchecked Sendable {
    private(set) var byCall: [String: [RecordedEvent]] = [:]
    private(set) var byClient: [ClientNumber: [RecordedEvent]] = [:]
    private(set) var byLead: [String: [RecordedEvent]] = [:]
    private(set) var byDepartment: [String: [RecordedEvent]] = [:]
    private(set) var byAgent: [String: [RecordedEvent]] = [:]

    func add(_ r: RecordedEvent) {
        let e = r.event
        if e.type.isCallEvent, let c = e.callID { byCall[c, default: []].append(r) }
        switch e.type {
        case .callStarted, .leadCreated:
            if let c = e.client, !c.isHidden { byClient[c, default: []].append(r) }
        case .missedHandled:
            // Hidden numbers are all one client here, as in the log's index (see `EventLog.events(client:)`).
            if let c = e.client { byClient[c, default: []].append(r) }
        default: break
        }
        if e.type.rawValue.hasPrefix("lead."), let l = e.leadID { byLead[l, default: []].append(r) }
        switch e.type {
        case .departmentConfigured: if let d = e.department { byDepartment[d, default: []].append(r) }
        case .agentJoined, .agentLeft:
            if let d = e.department { byDepartment[d, default: []].append(r) }
            if let a = e.agent { byAgent[a, default: []].append(r) }
        case .agentStatus: if let a = e.agent { byAgent[a, default: []].append(r) }
        default: break
        }
    }

    /// Sorts every group into occurrence order; call once after the last `add`.
    func seal() {
        Self.sortGroups(&byCall)
        Self.sortGroups(&byClient)
        Self.sortGroups(&byLead)
        Self.sortGroups(&byDepartment)
        Self.sortGroups(&byAgent)
    }

    /// Sorts each group in place, through the values' indices: iterating `keys` while assigning
    /// kept the old storage alive, so the first assignment copied the whole dictionary (a third
    /// of a rebuild's load). Groups already in order (most: adapters append roughly in time
    /// order) are only checked.
    private static func sortGroups<K>(_ groups: inout [K: [RecordedEvent]]) {
        var i = groups.values.startIndex
        while i != groups.values.endIndex {
            if !groups.values[i].isInOccurrenceOrder { groups.values[i].sort(by: RecordedEvent.byOccurrence) }
            groups.values.formIndex(after: &i)
        }
    }

    func events(callID: String) -> [RecordedEvent] { byCall[callID] ?? [] }
    func events(client: ClientNumber) -> [RecordedEvent] { byClient[client] ?? [] }
    func events(leadID: String) -> [RecordedEvent] { byLead[leadID] ?? [] }
    func events(department: String) -> [RecordedEvent] { byDepartment[department] ?? [] }
    func events(agent: String) -> [RecordedEvent] { byAgent[agent] ?? [] }
}

/// Wraps a source and records the span of every event it hands out: the "window" of a fact.
/// A fact is unchanged in any cut that contains its whole window, and absent from a cut that
/// contains none of it.
final class TrackingSource: EventSource {
    let base: any EventSource
    /// `base` when it is the log's source, cast once: a cast per call was a tenth of a rebuild's
    /// client facts.
    private let log: LogEventSource?
    var window = FactWindow.empty

    init(_ base: any EventSource) {
        self.base = base
        log = base as? LogEventSource
    }

    private func track(_ events: [RecordedEvent]) -> [RecordedEvent] {
        for e in events { window.include(position: e.position, at: e.event.at.milliseconds) }
        return events
    }

    func events(callID: String) throws -> [RecordedEvent] { track(try base.events(callID: callID)) }
    func events(client: ClientNumber) throws -> [RecordedEvent] { track(try base.events(client: client)) }
    func events(leadID: String) throws -> [RecordedEvent] { track(try base.events(leadID: leadID)) }
    func events(department: String) throws -> [RecordedEvent] { track(try base.events(department: department)) }
    func events(agent: String) throws -> [RecordedEvent] { track(try base.events(agent: agent)) }

    /// A stored fact counts as reading the events it was computed from: its window joins ours.
    /// (Only from the log's source, the one that says which window a stored fact has.)
    func storedFact<P: Projection>(of projection: P, entity: String) throws -> P.Fact? {
        guard let log, let r = try log.stored?.record(projection.name, entity) else { return nil }
        let fact = try FactCoder.decode(P.Fact.self, from: r.fact, at: r.offset)
        window.include(r.window)
        return fact
    }

    /// Not a read of events: the projection then asks ``coverage(of:)`` about each part.
    func storedMemo<P: Projection>(of projection: P, entity: String) throws -> FactReader? {
        try log?.storedMemo(of: projection, entity: entity)
    }

    func memoBeforePage<P: Projection>(of projection: P, entity: String) throws -> PageMemo? {
        try base.memoBeforePage(of: projection, entity: entity)
    }

    /// A part inside the cut counts as reading the events it was computed from.
    func coverage(of span: FactWindow) -> CutCoverage {
        let c = base.coverage(of: span)
        if c == .inside { window.include(span) }
        return c
    }
}

/// The span (positions and occurred times) of some events: those a fact was computed from (its
/// "window"), or those of a part of it a projection remembers (see ``EventSource/coverage(of:)``).
public struct FactWindow: Sendable, Hashable {
    public var minPosition: UInt64
    public var maxPosition: UInt64
    public var minAt: Int64
    public var maxAt: Int64

    public init(minPosition: UInt64, maxPosition: UInt64, minAt: Int64, maxAt: Int64) {
        self.minPosition = minPosition
        self.maxPosition = maxPosition
        self.minAt = minAt
        self.maxAt = maxAt
    }

    /// The span of `events` (``empty`` when there are none).
    public init(_ events: [RecordedEvent]) {
        self = .empty
        for e in events { include(position: e.position, at: e.event.at.milliseconds) }
    }

    /// One event's span.
    public init(position: UInt64, at: Int64) {
        self.init(minPosition: position, maxPosition: position, minAt: at, maxAt: at)
    }

    public static let empty = FactWindow(minPosition: .max, maxPosition: 0, minAt: .max, maxAt: .min)

    public mutating func include(position: UInt64, at: Int64) {
        minPosition = min(minPosition, position)
        maxPosition = max(maxPosition, position)
        minAt = min(minAt, at)
        maxAt = max(maxAt, at)
    }

    mutating func include(_ w: FactWindow) {
        guard !w.isEmpty else { return }
        include(position: w.minPosition, at: w.minAt)
        include(position: w.maxPosition, at: w.maxAt)
    }

    public var isEmpty: Bool { maxPosition == 0 }

    /// Where the window lies relative to `cut`; an empty one is not known, so it straddles.
    func coverage(in cut: ResolvedCut) -> CutCoverage {
        if isEmpty { return .straddling }
        return isInside(cut) ? .inside : isOutside(cut) ? .outside : .straddling
    }

    /// Whether every event of the window is inside `cut` (then the stored fact holds in the cut).
    func isInside(_ cut: ResolvedCut) -> Bool {
        maxPosition <= cut.maxPosition && (cut.maxAt.map { maxAt <= $0 } ?? true)
    }

    /// Whether no event of the window can be inside `cut` (then the entity has no fact in the cut).
    func isOutside(_ cut: ResolvedCut) -> Bool {
        minPosition > cut.maxPosition || (cut.maxAt.map { minAt > $0 } ?? false)
    }
}
