import Foundation
import Synchronization

/// Checks events against wire format v1 and builds ``Event`` values.
///
/// Reports every problem of an event (not just the first), names the field and what was
/// expected, and never repairs anything. `Schemas/` holds the same rules as JSON Schema;
/// a test keeps the two in agreement.
public enum EventValidator {
    /// The most UTF-8 bytes an identity (call_id, department, agent, lead_id, client, line, …) may
    /// have. The spec says only "opaque non-empty string"; read models key their records by these
    /// (a department and an agent and a call in one key), and LMDB keys stop at 511 bytes. A longer
    /// one was accepted, then stopped the projections for good: refused here instead, by name.
    public static let maxIdentityBytes = 128

    /// The envelope's keys. Anything else at the top level is rejected.
    public static let envelopeKeys: Set<String> = ["id", "type", "at", "source", "data"]

    enum Kind {
        /// A non-empty string of at most ``maxIdentityBytes`` (the opaque identities: call_id,
        /// agent, department, lead_id, …).
        case idString
        /// Any string (may be empty).
        case string
        /// A string, possibly empty, of at most ``maxIdentityBytes`` (a client number, a line).
        case shortString
        case number(minimum: Double?)
        case oneOf([String])
        case timezone
        case hours
    }

    struct Field {
        var name: String
        var kind: Kind
        var required: Bool
    }

    private static func req(_ n: String, _ k: Kind) -> Field { Field(name: n, kind: k, required: true) }
    private static func opt(_ n: String, _ k: Kind) -> Field { Field(name: n, kind: k, required: false) }

    /// The `data` fields of each type (events.md, "Types").
    static func fields(of type: EventType) -> [Field] {
        switch type {
        case .callStarted:
            return [req("call_id", .idString), req("direction", .oneOf(["inbound", "outbound"])), req("client", .shortString),
                    opt("line", .shortString), opt("agent", .idString), opt("department", .idString)]
        case .callGreeting: return [req("call_id", .idString)]
        case .callIVR: return [req("call_id", .idString), opt("option", .string)]
        case .callRoutingFailed:
            return [req("call_id", .idString), req("cause", .oneOf(["no_route", "forbidden_destination"]))]
        case .callQueued: return [req("call_id", .idString), req("department", .idString)]
        case .callRinging: return [req("call_id", .idString), req("agent", .idString)]
        case .callRingEnded:
            return [req("call_id", .idString), req("agent", .idString),
                    req("outcome", .oneOf(["no_answer", "rejected", "caller_hung_up", "answered_elsewhere"]))]
        case .callAnswered: return [req("call_id", .idString), req("agent", .idString)]
        case .callTransferred:
            return [req("call_id", .idString), req("agent", .idString), opt("to_agent", .idString),
                    opt("to_department", .idString)]
        case .callEnded:
            return [req("call_id", .idString), req("by", .oneOf(["client", "agent", "system"])), opt("cause", .string)]
        case .agentJoined: return [req("agent", .idString), req("department", .idString), opt("name", .string)]
        case .agentLeft: return [req("agent", .idString), req("department", .idString)]
        case .agentStatus:
            return [req("agent", .idString), req("status", .oneOf(["available", "break", "dnd", "offline"])),
                    opt("reason", .string)]
        case .departmentConfigured:
            return [req("department", .idString), opt("name", .string), req("timezone", .timezone),
                    opt("hours", .hours), opt("short_abandon_s", .number(minimum: 0)),
                    opt("service_level_s", .number(minimum: 0))]
        case .missedHandled:
            return [req("department", .idString), req("client", .shortString), req("by", .idString),
                    req("reason", .oneOf(DismissalReason.allCases.map(\.rawValue))), opt("comment", .string)]
        case .leadCreated:
            return [req("lead_id", .idString), req("type", .idString), opt("client", .shortString),
                    opt("call_id", .idString), opt("assignee", .idString)]
        case .leadAssigned: return [req("lead_id", .idString), req("assignee", .idString)]
        case .leadStatusChanged:
            return [req("lead_id", .idString), req("status", .idString),
                    req("group", .oneOf(["new", "in_progress", "closed_success", "closed_failure"]))]
        case .leadConverted:
            return [req("lead_id", .idString), req("into", .oneOf(["order", "sale"])), opt("amount", .number(minimum: nil))]
        }
    }

    private static let fieldTable: [EventType: [Field]] = {
        var t: [EventType: [Field]] = [:]
        for type in EventType.allCases { t[type] = fields(of: type) }
        return t
    }()

    /// Validates one parsed JSON value as an event.
    ///
    /// - Parameter index: the event's index in its batch, used in the issues.
    /// - Returns: the event, or every problem found.
    public static func validate(_ value: JSONValue, index: Int = 0) -> Result<Event, EventValidationError> {
        var issues: [ValidationIssue] = []
        guard case .object(let envelope) = value else {
            return .failure(EventValidationError(issues: [ValidationIssue(
                index: index, eventID: nil, field: "(event)", message: "expected a JSON object, got \(value.kindName)")]))
        }
        let rawID = envelope["id"]?.stringValue
        func issue(_ field: String, _ message: String) {
            issues.append(ValidationIssue(index: index, eventID: rawID, field: field, message: message))
        }

        for m in envelope.members where !isEnvelopeKey(m.key) {
            let hint = (m.key == "position" || m.key == "recorded_at") ? " (assigned by the ledger, never sent)" : ""
            issue(m.key, "unknown envelope field\(hint); allowed: id, type, at, source, data")
        }

        var id = ""
        switch envelope["id"] {
        case nil: issue("id", "required: a string of 1–128 printable ASCII characters")
        case .string(let s)?:
            if s.isEmpty || s.utf8.count > 128 {
                issue("id", "must be 1–128 characters long, got \(s.unicodeScalars.count)")
            } else if !s.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) {
                issue("id", "must contain only printable ASCII characters (U+0020–U+007E)")
            } else {
                id = s
            }
        case let v?: issue("id", "expected a string, got \(v.kindName)")
        }

        var type: EventType?
        switch envelope["type"] {
        case nil: issue("type", "required: one of \(typeList)")
        case .string(let s)?:
            if let t = EventType(rawValue: s) { type = t } else { issue("type", "unknown type \"\(s)\"; expected one of \(typeList)") }
        case let v?: issue("type", "expected a string, got \(v.kindName)")
        }

        var at: EventTime?
        switch envelope["at"] {
        case nil: issue("at", "required: \(EventTime.expectedForm)")
        case .string(let s)?:
            do throws(EventTime.ParseError) { at = try EventTime(rfc3339: s) } catch { issue("at", "\(error.message): \"\(s)\"") }
        case let v?: issue("at", "expected a string, got \(v.kindName)")
        }

        var source: String?
        switch envelope["source"] {
        case nil: break
        case .string(let s)?:
            // At most 64 bytes is at most 64 characters: count them only when it could be over.
            if s.utf8.count > 64 && s.unicodeScalars.count > 64 { issue("source", "at most 64 characters, got \(s.unicodeScalars.count)") } else { source = s }
        case let v?: issue("source", "expected a string, got \(v.kindName)")
        }

        var data: JSONObject?
        switch envelope["data"] {
        case nil: issue("data", "required: an object with the fields of the type")
        case .object(let o)?:
            data = o
            if let type { checkData(o, type: type, issue: issue) }
        case let v?: issue("data", "expected an object, got \(v.kindName)")
        }

        guard issues.isEmpty, let type, let at, let data else { return .failure(EventValidationError(issues: issues)) }
        return .success(Event(id: id, type: type, at: at, source: source, data: data))
    }

    private static let typeList = EventType.allCases.map(\.rawValue).joined(separator: ", ")

    /// ``envelopeKeys`` without hashing: literal compares of short strings, once per member.
    @inline(__always) private static func isEnvelopeKey(_ key: String) -> Bool {
        switch key {
        case "id", "type", "at", "source", "data": return true
        default: return false
        }
    }

    private static func checkData(_ data: JSONObject, type: EventType, issue: (String, String) -> Void) {
        for f in fieldTable[type]! {
            // The path is built only for an issue: a string per field per event otherwise.
            guard let v = data[f.name] else {
                if f.required { issue("data." + f.name, "required for \(type.rawValue): \(expectation(f.kind))") }
                continue
            }
            if let problem = check(v, f.kind) { issue("data." + f.name, problem) }
        }
        if type == .missedHandled, data.string("reason") == "other" {
            let comment = data.string("comment") ?? ""
            if !comment.contains(where: { !$0.isWhitespace }) {
                issue("data.comment", "required when reason is \"other\": say what happened")
            }
        }
    }

    private static func expectation(_ kind: Kind) -> String {
        switch kind {
        case .idString: return "a non-empty string of at most \(maxIdentityBytes) bytes"
        case .string: return "a string"
        case .shortString: return "a string of at most \(maxIdentityBytes) bytes"
        case .number(let min?): return "a number ≥ \(min == min.rounded() ? String(Int(min)) : String(min))"
        case .number(nil): return "a number"
        case .oneOf(let values): return "one of " + values.joined(separator: ", ")
        case .timezone: return "an IANA time zone name like Europe/Moscow"
        case .hours: return #"an object like {"mon":[["09:00","18:00"]],…} (days mon…sun, absent = closed)"#
        }
    }

    private static func tooLong(_ s: String) -> String? {
        let n = s.utf8.count
        return n > maxIdentityBytes ? "at most \(maxIdentityBytes) bytes of UTF-8 (an identity the read models key by), got \(n)" : nil
    }

    /// A problem with `v` for `kind`, or `nil` when it fits.
    private static func check(_ v: JSONValue, _ kind: Kind) -> String? {
        switch kind {
        case .idString:
            guard case .string(let s) = v else { return "expected a non-empty string, got \(v.kindName)" }
            if s.isEmpty { return "must not be empty" }
            return tooLong(s)
        case .string:
            guard case .string = v else { return "expected a string, got \(v.kindName)" }
            return nil
        case .shortString:
            guard case .string(let s) = v else { return "expected a string, got \(v.kindName)" }
            return tooLong(s)
        case .number(let minimum):
            guard let d = v.doubleValue else { return "expected a number, got \(v.kindName)" }
            if let minimum, d < minimum { return "must be ≥ \(Int(minimum)), got \(JSONWriter.string(v))" }
            return nil
        case .oneOf(let values):
            guard case .string(let s) = v else { return "expected one of \(values.joined(separator: ", ")), got \(v.kindName)" }
            return values.contains(s) ? nil : "unknown value \"\(s)\"; expected one of \(values.joined(separator: ", "))"
        case .timezone:
            guard case .string(let s) = v else { return "expected an IANA time zone name, got \(v.kindName)" }
            return TimeZoneCache.isKnown(s) ? nil : "unknown time zone \"\(s)\"; expected an IANA name like Europe/Moscow"
        case .hours:
            return checkHours(v)
        }
    }

    static let dayKeys = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    private static func checkHours(_ v: JSONValue) -> String? {
        guard case .object(let o) = v else { return "expected an object of days, got \(v.kindName)" }
        for m in o.members {
            guard dayKeys.contains(m.key) else { return "unknown day \"\(m.key)\"; days are mon, tue, wed, thu, fri, sat, sun" }
            guard case .array(let intervals) = m.value else { return "\(m.key): expected an array of [\"HH:MM\",\"HH:MM\"] intervals" }
            for (k, interval) in intervals.enumerated() {
                guard case .array(let pair) = interval, pair.count == 2,
                      let a = pair[0].stringValue, let b = pair[1].stringValue
                else { return "\(m.key)[\(k)]: expected [\"HH:MM\",\"HH:MM\"]" }
                // An end before the start runs past midnight into the next day (a night shift, as
                // `DepartmentSettings.isOpen` reads it); equal times are an empty interval.
                guard minuteOfDay(a) != nil, minuteOfDay(b) != nil else {
                    return "\(m.key)[\(k)]: times must be HH:MM from 00:00 to 24:00"
                }
            }
        }
        return nil
    }

    /// Minutes since midnight of "HH:MM" (00:00…23:59, or 24:00), else `nil`.
    public static func minuteOfDay(_ s: String) -> Int? {
        let b = Array(s.utf8)
        guard b.count == 5, b[2] == 0x3A else { return nil }
        for k in [0, 1, 3, 4] where !(b[k] >= 48 && b[k] <= 57) { return nil }
        let h = Int(b[0] - 48) * 10 + Int(b[1] - 48)
        let m = Int(b[3] - 48) * 10 + Int(b[4] - 48)
        if h == 24 && m == 0 { return 1440 }
        guard h <= 23, m <= 59 else { return nil }
        return h * 60 + m
    }
}

/// The reasons a person may give for dismissing a missed call by hand.
public enum DismissalReason: String, Sendable, CaseIterable, Codable {
    case calledBackOtherChannel = "called_back_other_channel"
    case notAClient = "not_a_client"
    case spam
    case duplicate
    case other
}

extension EventValidator {
    /// The zone of an IANA name as `department.configured` accepts it (`Europe/Moscow`, `UTC`,
    /// `GMT`), or nil. Abbreviations that are no IANA name (`PST`, `MSK`) are refused even where
    /// Foundation maps them to a zone, so a report's zone option reads names as the events do.
    public static func ianaTimeZone(_ name: String) -> TimeZone? {
        TimeZoneCache.isKnown(name) ? TimeZone(identifier: name) : nil
    }
}

/// Checks zone names: the shape by hand (a regex `$` would let a trailing newline through),
/// then Foundation, which accepts `UTC` and aliases its `knownTimeZoneIdentifiers` omits.
enum TimeZoneCache {
    private static let cache = Mutex<[String: Bool]>([:])

    static func isKnown(_ name: String) -> Bool {
        if let hit = cache.withLock({ $0[name] }) { return hit }
        let ok = hasZoneShape(name) && TimeZone(identifier: name) != nil
        cache.withLock { c in if c.count < 10_000 { c[name] = ok } }
        return ok
    }

    /// The IANA zone names without an area (tzdata's own and its backward links; `Factory` is not
    /// a place): `GMT`, `CET`, `Japan`, … (as in Schemas/).
    static let namesWithoutArea: Set<String> = [
        "CET", "CST6CDT", "Cuba", "EET", "EST", "EST5EDT", "Egypt", "Eire", "GB", "GB-Eire", "GMT", "GMT+0", "GMT-0", "GMT0", "Greenwich", "HST", "Hongkong", "Iceland", "Iran", "Israel", "Jamaica", "Japan", "Kwajalein", "Libya", "MET", "MST", "MST7MDT", "NZ", "NZ-CHAT", "Navajo", "PRC", "PST8PDT", "Poland", "Portugal", "ROC", "ROK", "Singapore", "Turkey", "UCT", "UTC", "Universal", "W-SU", "WET", "Zulu",
    ]

    /// One of ``namesWithoutArea``, or `Area/Location[/…]` of ASCII letters, digits, `_`, `+`, `-`
    /// (as in Schemas/). Abbreviations that are no IANA name (`PST`) are refused even where
    /// Foundation maps them to a zone.
    static func hasZoneShape(_ name: String) -> Bool {
        if namesWithoutArea.contains(name) { return true }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return false }
        for (k, part) in parts.enumerated() {
            guard let first = part.utf8.first else { return false }
            let isLetter = (first >= 65 && first <= 90) || (first >= 97 && first <= 122)
            let isDigit = first >= 48 && first <= 57
            if k == 0 ? !isLetter : !(isLetter || isDigit) { return false }
            for c in part.utf8 {
                let ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 95 || c == 43 || c == 45
                if !ok { return false }
            }
        }
        return true
    }
}
