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
    /// `call.started`, `missed.handled` and `lead.created` naming this (normalised) client.
    func events(client: ClientNumber) throws -> [RecordedEvent]
    /// The `lead.*` events of one lead.
    func events(leadID: String) throws -> [RecordedEvent]
    /// `department.configured`, `agent.joined`, `agent.left` of one department.
    func events(department: String) throws -> [RecordedEvent]
    /// `agent.status`, `agent.joined`, `agent.left` of one agent.
    func events(agent: String) throws -> [RecordedEvent]
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

    private func filtered(_ events: [RecordedEvent]) -> [RecordedEvent] {
        events.filter(cut.contains).sorted(by: RecordedEvent.byOccurrence)
    }

    func events(callID: String) throws -> [RecordedEvent] { filtered(try log.events(callID: callID)) }
    func events(client: ClientNumber) throws -> [RecordedEvent] { filtered(try log.events(client: client)) }
    func events(leadID: String) throws -> [RecordedEvent] { filtered(try log.events(leadID: leadID)) }
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
        case .callStarted, .missedHandled, .leadCreated:
            if let c = e.client, !c.isHidden { byClient[c, default: []].append(r) }
        case .leadAssigned, .leadStatusChanged, .leadConverted: break
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
        for k in byCall.keys { byCall[k]!.sort(by: RecordedEvent.byOccurrence) }
        for k in byClient.keys { byClient[k]!.sort(by: RecordedEvent.byOccurrence) }
        for k in byLead.keys { byLead[k]!.sort(by: RecordedEvent.byOccurrence) }
        for k in byDepartment.keys { byDepartment[k]!.sort(by: RecordedEvent.byOccurrence) }
        for k in byAgent.keys { byAgent[k]!.sort(by: RecordedEvent.byOccurrence) }
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
    var window = FactWindow.empty

    init(_ base: any EventSource) { self.base = base }

    private func track(_ events: [RecordedEvent]) -> [RecordedEvent] {
        for e in events { window.include(position: e.position, at: e.event.at.milliseconds) }
        return events
    }

    func events(callID: String) throws -> [RecordedEvent] { track(try base.events(callID: callID)) }
    func events(client: ClientNumber) throws -> [RecordedEvent] { track(try base.events(client: client)) }
    func events(leadID: String) throws -> [RecordedEvent] { track(try base.events(leadID: leadID)) }
    func events(department: String) throws -> [RecordedEvent] { track(try base.events(department: department)) }
    func events(agent: String) throws -> [RecordedEvent] { track(try base.events(agent: agent)) }
}

/// The span (positions and occurred times) of the events a fact was computed from.
struct FactWindow: Sendable, Hashable {
    var minPosition: UInt64
    var maxPosition: UInt64
    var minAt: Int64
    var maxAt: Int64

    static let empty = FactWindow(minPosition: .max, maxPosition: 0, minAt: .max, maxAt: .min)

    mutating func include(position: UInt64, at: Int64) {
        minPosition = min(minPosition, position)
        maxPosition = max(maxPosition, position)
        minAt = min(minAt, at)
        maxAt = max(maxAt, at)
    }

    var isEmpty: Bool { maxPosition == 0 }

    /// Whether every event of the window is inside `cut` (then the stored fact holds in the cut).
    func isInside(_ cut: ResolvedCut) -> Bool {
        maxPosition <= cut.maxPosition && (cut.maxAt.map { maxAt <= $0 } ?? true)
    }

    /// Whether no event of the window can be inside `cut` (then the entity has no fact in the cut).
    func isOutside(_ cut: ResolvedCut) -> Bool {
        minPosition > cut.maxPosition || (cut.maxAt.map { minAt > $0 } ?? false)
    }
}
