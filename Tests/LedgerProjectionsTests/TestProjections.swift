import LedgerEvents
import LedgerProjections

/// A projection with a cross-entity look-up: per client, inbound calls and how many were answered.
/// `call.answered` does not name the client, so touching needs the call's `call.started`.
struct ClientCalls: Projection {
    struct Fact: Codable, Sendable, Equatable {
        var calls: Int
        var answered: Int
        var firstAt: Int64
    }

    var name = "client-calls"
    var version = 1

    func entities(touchedBy e: RecordedEvent, source: any EventSource) throws -> [String] {
        switch e.event.type {
        case .callStarted:
            guard let c = e.event.client, !c.isHidden else { return [] }
            return [c.digits]
        case .callAnswered:
            let started = try source.events(callID: e.event.callID!).first { $0.event.type == .callStarted }
            guard let c = started?.event.client, !c.isHidden else { return [] }
            return [c.digits]
        default:
            return []
        }
    }

    func fact(of client: String, source: any EventSource) throws -> Fact? {
        let starts = try source.events(client: ClientNumber(client))
            .filter { $0.event.type == .callStarted && $0.event.data.string("direction") == "inbound" }
        guard let first = starts.first else { return nil }
        var answered = 0
        var seen = Set<String>()
        for s in starts where seen.insert(s.event.callID!).inserted {
            if try source.events(callID: s.event.callID!).contains(where: { $0.event.type == .callAnswered }) { answered += 1 }
        }
        return Fact(calls: seen.count, answered: answered, firstAt: first.event.at.milliseconds)
    }

    func queryKeys(of f: Fact) -> [QueryKey] { [QueryKey("clients", time: f.firstAt)] }
}

/// Throws on one chosen call, to test isolation.
struct Exploding: Projection {
    var name = "exploding"
    var version = 1
    let badCall: String

    func entities(touchedBy e: RecordedEvent, source: any EventSource) throws -> [String] {
        e.event.type == .callStarted ? [e.event.callID!] : []
    }

    func fact(of call: String, source: any EventSource) throws -> Int? {
        if call == badCall { throw ProjectionError("cannot digest call \(call)") }
        return try source.events(callID: call).count
    }

    func queryKeys(of f: Int) -> [QueryKey] { [QueryKey("all")] }
}
