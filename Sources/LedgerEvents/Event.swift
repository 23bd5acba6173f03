/// One event of wire format v1, as a producer sent it.
///
/// ```swift
/// let e = try EventValidator.validate(JSONParser.parse(line)).get()
/// e.callID   // "1700000000.42"
/// ```
public struct Event: Sendable, Hashable {
    /// The producer's idempotency key (1–128 printable ASCII characters).
    public var id: String
    public var type: EventType
    /// When it happened at the PBX (occurred time).
    public var at: EventTime
    /// The producer's name, if given.
    public var source: String?
    /// The type's fields plus any unknown extra fields, verbatim.
    public var data: JSONObject

    public init(id: String, type: EventType, at: EventTime, source: String? = nil, data: JSONObject) {
        self.id = id
        self.type = type
        self.at = at
        self.source = source
        self.data = data
    }

    /// Whether `other` carries the same content (the test for an idempotent re-append):
    /// same type, same instant written the same way, same source, and `data` equal as JSON.
    public func hasSameContent(as other: Event) -> Bool {
        id.utf8.elementsEqual(other.id.utf8) && type == other.type && at.isIdentical(to: other.at)
            && (source?.utf8).elementsEqual(other.source?.utf8) && data.isSemanticallyEqual(to: other.data)
    }

    /// The canonical order of events: occurred time, then (for the same instant) the natural
    /// order of a call's life (started, greeting, IVR, routing, queued, ringing, ring ended,
    /// answered, transferred, ended; other types after), then the producer's id. Never the log
    /// position: that is arrival order, and read models must not depend on it.
    ///
    /// `agent.joined` and `agent.left` share a place: at the same instant they follow their ids,
    /// so an agent removed and re-added in that order is still a member, not removed because a
    /// leave always sorted after a join.
    /// Inlinable: callers sort and check the order of many events, and an opaque call made them
    /// copy each event they passed (a retain of each of its strings).
    @inlinable public static func occursBefore(_ a: Event, _ b: Event) -> Bool {
        if a.at.milliseconds != b.at.milliseconds { return a.at.milliseconds < b.at.milliseconds }
        let ra = a.type.occurrenceRank, rb = b.type.occurrenceRank
        if ra != rb { return ra < rb }
        return a.id < b.id
    }

    public var callID: String? { data.string("call_id") }
    public var leadID: String? { data.string("lead_id") }
    public var department: String? { data.string("department") }
    public var agent: String? { data.string("agent") }
    /// `data.client` exactly as sent.
    public var rawClient: String? { data.string("client") }
    /// `data.client` normalised (see ``ClientNumber``); `nil` when absent.
    public var client: ClientNumber? { rawClient.map(ClientNumber.init(_:)) }

    /// The envelope as JSON, in wire order: `id`, `type`, `at`, `source`, `data`.
    public var json: JSONObject {
        var o = JSONObject([("id", .string(id)), ("type", .string(type.rawValue)), ("at", .string(at.rfc3339))])
        if let source { o.members.append(("source", .string(source))) }
        o.members.append(("data", .object(data)))
        return o
    }
}

extension Optional where Wrapped == String.UTF8View {
    /// Both absent, or both present with the same bytes.
    fileprivate func elementsEqual(_ other: String.UTF8View?) -> Bool {
        switch (self, other) {
        case (nil, nil): true
        case let (a?, b?): a.elementsEqual(b)
        default: false
        }
    }
}

extension Array where Element == RecordedEvent {
    /// Whether the events are in ``Event/occursBefore(_:_:)`` order already (most groups are:
    /// adapters append roughly in time order). Inlinable, like the comparison: through an opaque
    /// call, each event compared was copied (a retain of each of its strings).
    @inlinable public var isInOccurrenceOrder: Bool {
        var k = 1
        while k < count, !Event.occursBefore(self[k].event, self[k - 1].event) { k += 1 }
        return k >= count
    }
}

/// An event as stored in the log: the envelope plus the ledger's `position` and `recorded_at`.
public struct RecordedEvent: Sendable, Hashable {
    /// Gapless, strictly increasing from 1 in commit order.
    public var position: UInt64
    /// The ledger clock at commit, non-decreasing along positions (UTC).
    public var recordedAt: EventTime
    public var event: Event

    public init(position: UInt64, recordedAt: EventTime, event: Event) {
        self.position = position
        self.recordedAt = recordedAt
        self.event = event
    }

    /// Appends one NDJSON line (newline included): the envelope, then `position` and `recorded_at`
    /// (without them when `envelopeOnly`: the event as it was appended, fit to append elsewhere).
    public func appendJSONLine(into out: inout [UInt8], envelopeOnly: Bool = false) {
        out.append(contentsOf: #"{"id":"#.utf8)
        JSONWriter.writeString(event.id, into: &out)
        out.append(contentsOf: #","type":""#.utf8)
        out.append(contentsOf: event.type.rawValue.utf8)
        out.append(contentsOf: #"","at":""#.utf8)
        event.at.append(into: &out)
        out.append(UInt8(ascii: "\""))
        if let s = event.source {
            out.append(contentsOf: #","source":"#.utf8)
            JSONWriter.writeString(s, into: &out)
        }
        out.append(contentsOf: #","data":"#.utf8)
        JSONWriter.write(event.data, into: &out)
        if envelopeOnly {
            out.append(contentsOf: "}\n".utf8)
            return
        }
        out.append(contentsOf: #","position":"#.utf8)
        out.append(contentsOf: String(position).utf8)
        out.append(contentsOf: #","recorded_at":""#.utf8)
        recordedAt.append(into: &out)
        out.append(contentsOf: "\"}\n".utf8)
    }
}
