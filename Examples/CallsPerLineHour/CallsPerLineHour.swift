// A worked example of an analyst's projection, written only against the public API of
// LedgerProjections and LedgerEvents: inbound calls per dialled line per hour.
//
// The whole loop: implement `Projection`, register it with the engine, replay history into it,
// query it (live or as of any cut). See README, "Write your own projection".
import LedgerEvents
import LedgerProjections

/// Inbound calls per line (the number dialled) per hour of `call.started`.
public struct CallsPerLineHour: Projection {
    /// One inbound call: the line it came in on and when it started.
    public struct Call: Codable, Sendable, Equatable {
        public var line: String
        public var startedAt: Int64
    }

    public let name = "calls-per-line-hour"
    public let version = 1

    public init() {}

    /// Only a call's `call.started` matters; the entity is the call.
    public func entities(touchedBy e: RecordedEvent, source: any EventSource) -> [String] {
        e.event.type == .callStarted ? [e.event.callID!] : []
    }

    /// The call's line and start, from its (first) inbound `call.started`.
    public func fact(of callID: String, source: any EventSource) throws -> Call? {
        guard let started = try source.events(callID: callID).first(where: { $0.event.type == .callStarted }),
              started.event.data.string("direction") == "inbound"
        else { return nil }
        return Call(line: started.event.data.string("line") ?? "(no line)", startedAt: started.event.at.milliseconds)
    }

    /// Found by start time, so a period is one key range.
    public func queryKeys(of call: Call) -> [QueryKey] { [QueryKey(time: call.startedAt)] }
}

/// One row of the report.
public struct LineHourCount: Codable, Sendable, Equatable {
    public var line: String
    /// The hour's start, RFC 3339 UTC.
    public var hour: String
    public var calls: Int
}

extension CallsPerLineHour {
    /// Calls per line per hour for calls started in `[from, to)`, as of `cut`.
    public static func report(_ engine: ProjectionEngine, from: EventTime, to: EventTime, cut: Cut = .all) throws -> [LineHourCount] {
        let calls = try engine.facts(of: CallsPerLineHour(), in: QueryKey.range(from: from.milliseconds, to: to.milliseconds), cut: cut)
        var counts: [String: [Int64: Int]] = [:]
        for (_, call) in calls {
            let hour = call.startedAt - ((call.startedAt % 3_600_000) + 3_600_000) % 3_600_000
            counts[call.line, default: [:]][hour, default: 0] += 1
        }
        return counts.keys.sorted().flatMap { line in
            counts[line]!.keys.sorted().map { hour in
                LineHourCount(line: line, hour: EventTime(milliseconds: hour).rfc3339UTC, calls: counts[line]![hour]!)
            }
        }
    }
}
