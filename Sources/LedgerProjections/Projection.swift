import LedgerEvents

/// A read model derived from the log: facts per entity, each a pure function of the entity's
/// events in a cut, found by queries through query keys.
///
/// Implement it outside this module, register it with ``ProjectionEngine/register(_:)``, and the
/// engine keeps its facts current (a worker per projection), rebuilds them when ``version``
/// changes, and answers queries as of any ``Cut``. Because a fact only depends on the *set* of
/// events the source shows (sorted by occurred time), arrival order never changes a result.
///
/// The contract:
/// - ``fact(of:source:)`` reads events only through `source` and is a pure function of what it
///   returns; with no events visible it returns `nil`.
/// - ``entities(touchedBy:source:)`` names every entity whose fact reads the event.
///
/// ```swift
/// struct CallsPerLine: Projection {
///     let name = "calls-per-line"
///     let version = 1
///     func entities(touchedBy e: RecordedEvent, source: any EventSource) -> [String] {
///         e.event.type == .callStarted ? [e.event.callID!] : []
///     }
///     func fact(of callID: String, source: any EventSource) throws -> String? {
///         try source.events(callID: callID).first { $0.event.type == .callStarted }?.event.data.string("line")
///     }
///     func queryKeys(of line: String) -> [QueryKey] { [QueryKey(line)] }
/// }
/// ```
public protocol Projection: Sendable {
    /// What the projection keeps per entity, stored with ``FactCoder`` (structs, arrays, optionals,
    /// raw-value enums; no dictionaries).
    associatedtype Fact: Codable & Sendable

    /// A unique, stable name (letters, digits, `-`, `_`): it names the state directory.
    var name: String { get }
    /// Bump it when facts change meaning: the engine then rebuilds from position 1 on start.
    var version: Int { get }

    /// The entities whose facts read `event`. `source` shows the log up to this event's page,
    /// for look-ups such as the client of a call.
    func entities(touchedBy event: RecordedEvent, source: any EventSource) throws -> [String]

    /// The fact of `entity` from the events `source` shows, or `nil` when it has none.
    func fact(of entity: String, source: any EventSource) throws -> Fact?

    /// The keys under which queries find `fact` (for example department + start time). A key's
    /// time must be the occurred time of an event the fact read (as-of queries rely on it).
    func queryKeys(of fact: Fact) -> [QueryKey]

    /// Bytes kept beside `fact` that no query reads: what the projection wants to remember for
    /// computing the fact again as of a cut (see ``EventSource/storedMemo(of:entity:)``).
    /// Default: nothing.
    func memo(of fact: Fact) -> [UInt8]?
}

extension Projection {
    public func memo(of fact: Fact) -> [UInt8]? { nil }
}

/// An order-preserving composite key: strings then an optional time, so that key ranges such
/// as "department sales, started in [from, to)" are contiguous.
public struct QueryKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// `parts` in order (each ends with a terminator, so "a" sorts before "ab"), then `time`
    /// (milliseconds since the epoch) when given.
    public init(_ parts: String..., time: Int64? = nil) {
        self.init(parts: parts, time: time)
    }

    public init(parts: [String], time: Int64? = nil) {
        var b: [UInt8] = []
        for p in parts {
            for c in p.utf8 {
                if c == 0 { b.append(0); b.append(0xFF) } else { b.append(c) }
            }
            b.append(0)
            b.append(1)
        }
        if let time {
            let v = UInt64(bitPattern: time) ^ (1 << 63)
            for i in 0..<8 { b.append(UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64(i)))) }
        }
        bytes = b
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    public static func < (a: QueryKey, b: QueryKey) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    public var description: String { bytes.map { String($0, radix: 16) }.joined(separator: " ") }

    /// The range of keys with these `parts` and a time in `[from, to)`; empty when `to` ≤ `from`
    /// (a reversed period from a user is no match, not a trap in `from..<to`).
    public static func range(_ parts: String..., from: Int64, to: Int64) -> ClosedOpenRange {
        let to = max(from, to)
        return ClosedOpenRange(lower: QueryKey(parts: parts, time: from), upper: QueryKey(parts: parts, time: to), times: from..<to)
    }

    /// The range of every key that starts with these `parts` (any time, any further parts).
    public static func prefix(_ parts: String...) -> ClosedOpenRange {
        let lower = QueryKey(parts: parts)
        var upper = lower.bytes
        // Bump the last terminator byte (0x01 → 0x02): everything extending `lower` sorts below it.
        if !upper.isEmpty { upper[upper.count - 1] = 2 } else { upper = [0xFF, 0xFF] }
        return ClosedOpenRange(lower: lower, upper: QueryKey(bytes: upper))
    }

    /// `[lower, upper)` over query keys; `times` when every key in it carries a time in that span.
    public struct ClosedOpenRange: Sendable, Hashable {
        public let lower: QueryKey
        public let upper: QueryKey
        /// The span of the keys' times (ms), when the range is "these parts, a time in [from, to)".
        /// Key times are times of events the fact read, so an entity whose events all lie outside
        /// this span cannot have a key in the range in any cut.
        public let times: Range<Int64>?

        public init(lower: QueryKey, upper: QueryKey, times: Range<Int64>? = nil) {
            self.lower = lower
            self.upper = upper
            self.times = times
        }

        public func contains(_ k: QueryKey) -> Bool { !(k < lower) && k < upper }
    }
}
