/// # LedgerSimulator: deterministic call-center traffic in wire format v1
///
/// Produces NDJSON (one JSON event object per line) as specified in `shared/spec/events.md`,
/// shaped so that every rule of `shared/spec/reports.md` is exercised. Used by tests,
/// benchmarks and the demo.
///
/// ## Output rules (all hold for every configuration)
/// - **Deterministic**: the same configuration gives byte-identical output. All randomness comes
///   from a seeded xoshiro256** (`SimRandom`); never `SystemRandomNumberGenerator`, never `Date()`,
///   never dictionary iteration order.
/// - **Envelope**: keys in the order `id`, `type`, `at`, `source`, `data`; no whitespace between
///   tokens, no trailing spaces. `id` = `sim<seed>-<n>` (unique, printable ASCII, ≤ 128 chars),
///   where `n` counts events in generation order, so `lateFraction` changes only the delivery
///   order, never the set of events (same ids, same content).
///   `at` = RFC 3339 with exactly three fraction digits and the department's fixed offset
///   (`+03:00` for sales/support "Europe/Moscow", `+05:00` for billing "Asia/Yekaterinburg",
///   `Z` for `dept4`, `dept5`, … in "UTC"). `source` = `sim-pbx` (calls, presence), `sim-crm`
///   (leads), `sim-desk` (manual dismissals), `sim-admin` (settings, membership).
/// - **Data**: field names and enum values exactly as in events.md; strings JSON-escaped
///   (Cyrillic names and comments as raw UTF-8, quotes, backslashes, tabs and newlines escaped).
///   About 1 in 50 `call.started` carries an unknown extra field (`pbx_node`, or a nested `sip`
///   object) for forward compatibility.
/// - **Start** (first day, 00:00 local): `department.configured` per department (`timezone`,
///   `hours` with absent or empty closed days and a split lunch day for billing,
///   `short_abandon_s` 10, `service_level_s` 20) and `agent.joined` (with a name) per member;
///   one support agent is also a member of sales. On the second day one department's settings
///   change (longer hours, another service level).
/// - **Staff**: in the middle of the period (and every 7 days after) an agent leaves a
///   department (offline, then `agent.left`) and a new agent joins. Presence per working day:
///   `available` at shift start (some late), `break` (lunch, coffee) and back, an occasional
///   `dnd`, `offline` at the end; some days off.
/// - **Inbound calls** (`callsPerDepartmentPerDay` on weekdays, 60 % on Saturdays, 12 % on
///   closed days): started → greeting → often ivr (option) → queued → ringing / ring_ended
///   (no_answer, rejected), possibly several agents, sometimes two at once → answered →
///   sometimes transferred → ended (by client or agent). Only members that are `available`
///   and neither ringing nor talking are rung. Mixed in: abandons in the greeting, in the IVR,
///   short (< 10 s after start) and long in the queue (ring_ended caller_hung_up, or the ring left
///   open), no free agents, overflow to another department after ~60 s, IVR options routing to
///   another department, out-of-hours calls, routing failures (no_route, forbidden_destination),
///   hidden numbers (~3 %), repeat callers (a client pool; retries shortly after a miss), client
///   numbers in several formats that normalise to the same digits. Calls still running when the
///   period ends (local midnight after the last day) stay without `call.ended`.
/// - **Outbound**: callbacks after missed calls (minutes to hours later, some the next day, some by
///   another department; answered or ended by system with cause no_answer/busy, retried), and
///   unrelated outbound calls.
/// - **Dismissals**: `missed.handled` for some missed clients not called back (by
///   `supervisor-<dept>` or an agent; `other` always with a comment), a few finding no open episode.
/// - **Leads** (`leads`): created after some answered calls and callbacks (with client and call_id)
///   or from the web; assigned/re-assigned; status changes with groups, sometimes back and forth;
///   conversions into order/sale, failures with reasons, some converted after a failure.
/// - **Delivery order**: sorted by `at` as instants (stable: generation order on ties). With
///   `lateFraction` > 0, that share of events is delivered later than its `at` by 1 s – 6 h
///   (after events with later `at`), which also puts events of one call out of order.
/// - `maxEvents`: exactly that many lines (if the period holds as many), then stop.
public struct SimulatorConfiguration: Sendable, Equatable {
    public var seed: UInt64 = 1
    public var days: Int = 3
    /// YYYY-MM-DD, first simulated day (local date of departments). Invalid → 2026-11-16.
    public var startDate: String = "2026-11-16"
    /// Names: "sales", "support", "billing", then "dept4", "dept5", …
    public var departments: Int = 3
    public var agentsPerDepartment: Int = 6
    /// Inbound calls per department on a weekday.
    public var callsPerDepartmentPerDay: Int = 250
    /// 0…1: share of events delivered late / out of order.
    public var lateFraction: Double = 0
    public var leads: Bool = true
    /// Stop after exactly this many lines.
    public var maxEvents: Int? = nil

    public init() {}

    /// Whether `text` is a valid `YYYY-MM-DD` date.
    public static func isValidDate(_ text: String) -> Bool {
        SimClock.parseDate(text) != nil
    }
}

/// What a run produced (counts over the delivered lines).
public struct SimulationSummary: Sendable, Equatable {
    public var events = 0
    public var inboundCalls = 0
    public var outboundCalls = 0
    /// Calendar days (first local date to last local date of delivered events, inclusive).
    public var days = 0
    /// Events per type name, for every type of `TrafficSimulator.eventTypes`.
    public var countsByType: [String: Int] = [:]

    public init() {}
}

public struct TrafficSimulator: Sendable {
    public let configuration: SimulatorConfiguration

    /// The event types of wire format v1, in the order the summary lists them.
    public static let eventTypes: [String] = EventType.allCases.map(\.name)

    public init(_ configuration: SimulatorConfiguration) {
        self.configuration = configuration
    }

    /// Calls `emit` with each NDJSON line (no newline) in delivery order.
    public func generate(_ emit: (String) -> Void) {
        generateUTF8 { emit(String(decoding: $0, as: UTF8.self)) }
    }

    public func lines() -> [String] {
        var out: [String] = []
        generate { out.append($0) }
        return out
    }

    /// The fast path: calls `emit` with the UTF-8 bytes of each line (no newline), valid only
    /// during the call. Returns counts over the delivered lines.
    @discardableResult
    public func generateUTF8(_ emit: (UnsafeBufferPointer<UInt8>) -> Void) -> SimulationSummary {
        let engine = SimulationEngine(configuration)
        var renderer = LineRenderer(seed: configuration.seed)
        var byType = [Int](repeating: 0, count: EventType.allCases.count)
        var count = 0
        var inbound = 0, outbound = 0
        var firstDay = Int64.max, lastDay = Int64.min
        let limit = configuration.maxEvents.map { max(0, $0) }
        if limit != 0 {
            engine.run { event in
                renderer.render(event)
                renderer.buffer.withUnsafeBufferPointer { emit($0) }
                count += 1
                byType[Int(event.type.rawValue)] += 1
                if event.type == .callStarted {
                    if event.outbound {
                        outbound += 1
                    } else {
                        inbound += 1
                    }
                }
                let day = SimClock.floorDiv(event.at + Int64(event.offset) * SimClock.msPerMinute, SimClock.msPerDay)
                firstDay = min(firstDay, day)
                lastDay = max(lastDay, day)
                if let limit, count >= limit { return false }
                return true
            }
        }
        var summary = SimulationSummary()
        summary.events = count
        summary.inboundCalls = inbound
        summary.outboundCalls = outbound
        summary.days = count == 0 ? 0 : Int(lastDay - firstDay + 1)
        for t in EventType.allCases { summary.countsByType[t.name] = byType[Int(t.rawValue)] }
        return summary
    }
}

/// Renders one event as a JSON line into a reused byte buffer.
struct LineRenderer {
    var buffer: [UInt8] = []
    private let idPrefix: [UInt8]
    private var timestamps = TimestampWriter()
    private static let typeHeaders: [[UInt8]] = EventType.allCases.map { Array("\",\"type\":\"\($0.name)\",\"at\":\"".utf8) }
    private static let sourceHeaders: [[UInt8]] = EventSource.allCases.map { Array("\",\"source\":\"\($0.name)\",\"data\":".utf8) }

    init(seed: UInt64) {
        idPrefix = Array("{\"id\":\"sim\(seed)-".utf8)
        buffer.reserveCapacity(1024)
    }

    mutating func render(_ e: PendingEvent) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: idPrefix)
        appendDecimal(e.seq)
        buffer.append(contentsOf: LineRenderer.typeHeaders[Int(e.type.rawValue)])
        timestamps.append(utcMs: e.at, offsetMinutes: e.offset, to: &buffer)
        buffer.append(contentsOf: LineRenderer.sourceHeaders[Int(e.source.rawValue)])
        buffer.append(contentsOf: e.data)
        buffer.append(UInt8(ascii: "}"))
    }

    private mutating func appendDecimal(_ v: Int64) {
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = UInt64(max(0, v))
        var i = 0
        withUnsafeMutableBytes(of: &tmp) { p in
            repeat {
                p[i] = UInt8(48 + n % 10)
                n /= 10
                i += 1
            } while n > 0
        }
        withUnsafeBytes(of: &tmp) { p in
            while i > 0 {
                i -= 1
                buffer.append(p[i])
            }
        }
    }
}
