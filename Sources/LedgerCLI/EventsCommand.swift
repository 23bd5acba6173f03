import ArgumentParser
import Foundation
import LedgerEvents
import LedgerLog

enum EventsFormat: String, ExpressibleByArgument, CaseIterable {
    /// `wire`: the envelopes alone, as appended (no position, no recorded_at): `append` takes them
    /// back, e.g. to replay a prefix of the log into another ledger.
    case ndjson, wire, table
}

struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read events back: the envelope as sent plus position and recorded_at.",
        discussion: "With no filter and no limit, every event in log order. --call, --client and --from/--to use the indexes."
    )

    @OptionGroup var global: GlobalOptions

    @Option(parsing: .unconditional, help: "Only events after this position; with --from/--to, after the event at this position in the window's order (by occurred time), so the last position printed pages on.")
    var after: UInt64 = 0
    @Option(parsing: .unconditional, help: "At most this many events.") var limit: Int?
    @Option(name: .customLong("call"), help: "Only the events of this call_id.") var callID: String?
    @Option(help: "Only the events of this client number (any format; normalised).") var client: String?
    @Option(help: "Occurred at or after this RFC 3339 time.") var from: String?
    @Option(help: "Occurred before this RFC 3339 time.") var to: String?
    @Option(help: "ndjson (with position and recorded_at), wire (the envelopes as appended: `append` takes them back) or table.")
    var format: EventsFormat = .ndjson

    func validate() throws {
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, (try? EventTime(rfc3339: value)) == nil {
                throw ValidationError("\(name): expected \(EventTime.expectedForm)")
            }
        }
        if let limit, limit < 0 { throw ValidationError("--limit must be ≥ 0") }
        if let f = from.flatMap({ try? EventTime(rfc3339: $0) }), let t = to.flatMap({ try? EventTime(rfc3339: $0) }), f >= t {
            throw ValidationError("--from must be before --to")
        }
    }

    func run() async throws {
        let log = try global.openLog(readOnly: true)
        defer { log.close() }
        var out = OutputBuffer()
        var rows: [[String]] = []
        let limit = self.limit ?? .max
        var emitted = 0
        func emit(_ e: RecordedEvent) {
            guard emitted < limit else { return }
            emitted += 1
            switch format {
            case .ndjson, .wire:
                e.appendJSONLine(into: &out.bytes, envelopeOnly: format == .wire)
                out.flushIfLarge()
            case .table:
                rows.append(Self.row(e))
            }
        }
        let fromT = try from.map { try EventTime(rfc3339: $0) }
        let toT = try to.map { try EventTime(rfc3339: $0) }
        func inRange(_ e: RecordedEvent) -> Bool {
            (fromT.map { e.event.at >= $0 } ?? true) && (toT.map { e.event.at < $0 } ?? true)
        }
        if let callID {
            for e in try log.events(callID: callID) where e.position > after && inRange(e) && (client.map { e.event.client == ClientNumber($0) } ?? true) { emit(e) }
        } else if let client {
            for e in try log.events(client: ClientNumber(client)) where e.position > after && inRange(e) { emit(e) }
        } else if fromT != nil || toT != nil {
            // In occurred-time order: `--after P` continues after the event at P in that order, so
            // the last position printed pages through the window.
            let events = try log.events(occurredFrom: fromT ?? EventTime(milliseconds: .min / 2),
                                        to: toT ?? EventTime(milliseconds: .max / 2), after: after, limit: limit)
            for e in events { emit(e) }
        } else {
            var cursor = after
            while emitted < limit {
                let page = try log.events(after: cursor, limit: min(4096, limit - emitted))
                if page.isEmpty { break }
                for e in page { emit(e) }
                cursor = page.last!.position
            }
        }
        if format == .table {
            out.bytes.append(contentsOf: Terminal.table(["position", "at", "type", "id", "data"], rows).utf8)
        }
        out.flush()
    }

    static func row(_ e: RecordedEvent) -> [String] {
        var data = JSONWriter.string(.object(e.event.data))
        if data.count > 90 { data = String(data.prefix(89)) + "…" }
        return [String(e.position), e.event.at.rfc3339, e.event.type.rawValue, e.event.id, data]
    }
}
