import Foundation
import LedgerEvents
import LedgerProjections
import Synchronization

/// A department's settings and membership over time, from its `department.configured`,
/// `agent.joined` and `agent.left` events: replays use the settings valid at each call's time.
public struct DepartmentTimeline: Sendable {
    public let department: String
    /// Settings in force from each `at` on, in time order.
    public private(set) var settings: [(from: Int64, value: DepartmentSettings)] = []
    /// Membership changes per agent, in time order: (at, joined?).
    public private(set) var membership: [String: [(at: Int64, joined: Bool)]] = [:]

    public init(department: String, events: [RecordedEvent]) {
        self.department = department
        let sorted = events.inOccurrenceOrder
        for r in sorted where r.event.department == department {
            let e = r.event
            switch e.type {
            case .departmentConfigured:
                settings.append((e.at.milliseconds, DepartmentSettings(e.data)))
            case .agentJoined:
                guard let a = e.agent else { continue }
                membership[a, default: []].append((e.at.milliseconds, true))
            case .agentLeft:
                guard let a = e.agent else { continue }
                membership[a, default: []].append((e.at.milliseconds, false))
            default: continue
            }
        }
    }

    /// Every agent's latest `name` from an `agent.joined` of any of `departments`: a person's name,
    /// not a department's (Section III and the live panel show the same one).
    public static func agentNames(source: any EventSource, departments: [String]) throws -> [String: String] {
        var latest: [String: Event] = [:]
        for d in departments {
            for r in try source.events(department: d) where r.event.type == .agentJoined && r.event.data.string("name") != nil {
                guard let a = r.event.agent else { continue }
                if let current = latest[a], Event.occursBefore(r.event, current) { continue }
                latest[a] = r.event
            }
        }
        return latest.compactMapValues { $0.data.string("name") }
    }

    /// The settings in force at `t` (defaults before the first configuration: UTC, always open).
    public func settings(at t: Int64) -> DepartmentSettings {
        var current = DepartmentSettings.defaults
        for s in settings where s.from <= t { current = s.value }
        return current
    }

    /// The time zone of the latest settings (for calendar days and report periods).
    public var timeZone: TimeZone { settings.last?.value.timeZone ?? DepartmentSettings.defaults.timeZone }

    /// Whether `agent` was a member at `t`.
    public func isMember(_ agent: String, at t: Int64) -> Bool {
        var member = false
        for c in membership[agent] ?? [] where c.at <= t { member = c.joined }
        return member
    }

    /// Agents who were members at some moment of `[from, to)`.
    public func members(from: Int64, to: Int64) -> [String] {
        membership.keys.filter { a in
            if isMember(a, at: from) { return true }
            return (membership[a] ?? []).contains { $0.joined && $0.at >= from && $0.at < to }
        }.sorted()
    }

    /// Members at `t`.
    public func members(at t: Int64) -> [String] { membership.keys.filter { isMember($0, at: t) }.sorted() }

    /// Whether `agent` had been a member and was not one at `t` (removed).
    public func wasRemoved(_ agent: String, by t: Int64) -> Bool {
        let changes = (membership[agent] ?? []).filter { $0.at < t }
        return !changes.isEmpty && !(changes.last!.joined)
    }
}

/// One `department.configured`: time zone, opening hours, thresholds.
public struct DepartmentSettings: Sendable {
    public var name: String?
    public var timeZone: TimeZone
    public var timeZoneName: String
    /// Minutes of the day open per weekday (Monday = 0); nil = always open.
    public var hours: [[(start: Int, end: Int)]]?
    public var shortAbandonSeconds: Double
    public var serviceLevelSeconds: Double

    public static let defaults = DepartmentSettings(name: nil, timeZone: TimeZone(identifier: "UTC")!, timeZoneName: "UTC",
                                                    hours: nil, shortAbandonSeconds: 10, serviceLevelSeconds: 20)

    init(name: String?, timeZone: TimeZone, timeZoneName: String, hours: [[(start: Int, end: Int)]]?,
         shortAbandonSeconds: Double, serviceLevelSeconds: Double) {
        self.name = name
        self.timeZone = timeZone
        self.timeZoneName = timeZoneName
        self.hours = hours
        self.shortAbandonSeconds = shortAbandonSeconds
        self.serviceLevelSeconds = serviceLevelSeconds
    }

    init(_ data: JSONObject) {
        let tzName = data.string("timezone") ?? "UTC"
        name = data.string("name")
        timeZoneName = tzName
        timeZone = TimeZone(identifier: tzName) ?? TimeZone(identifier: "UTC")!
        shortAbandonSeconds = data["short_abandon_s"]?.doubleValue ?? 10
        serviceLevelSeconds = data["service_level_s"]?.doubleValue ?? 20
        if let h = data["hours"]?.objectValue {
            hours = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map { day in
                (h[day]?.arrayValue ?? []).compactMap { interval in
                    guard let pair = interval.arrayValue, pair.count == 2,
                          let a = pair[0].stringValue.flatMap(EventValidator.minuteOfDay),
                          let b = pair[1].stringValue.flatMap(EventValidator.minuteOfDay) else { return nil }
                    return (a, b)
                }
            }
        } else {
            hours = nil
        }
    }

    /// Whether the department is open at instant `t` (ms), in its own time zone. An interval whose
    /// end is before its start crosses midnight: that day from the start, the next until the end.
    public func isOpen(at t: Int64) -> Bool {
        guard let hours else { return true }
        let local = LocalTime(t, in: timeZone)
        let m = local.minuteOfDay
        if hours[local.weekday].contains(where: { $0.start <= $0.end ? (m >= $0.start && m < $0.end) : m >= $0.start }) { return true }
        return hours[(local.weekday + 6) % 7].contains { $0.start > $0.end && m < $0.end }
    }
}

/// An instant seen in a time zone: weekday (Monday = 0), minute of the day, calendar day.
struct LocalTime {
    let weekday: Int
    let minuteOfDay: Int
    let day: Int  // days since 1970-01-01 in local time

    init(_ t: Int64, in tz: TimeZone) {
        let offset = Int64(ZoneOffsets.seconds(tz, at: t)) * 1000
        let local = t + offset
        var d = local / 86_400_000
        var ms = local % 86_400_000
        if ms < 0 { ms += 86_400_000; d -= 1 }
        day = Int(d)
        minuteOfDay = Int(ms / 60_000)
        weekday = ((Int(d) % 7) + 7 + 3) % 7  // 1970-01-01 was a Thursday (Monday = 0 → Thursday = 3)
    }
}

/// Calendar arithmetic in a department's time zone.
public enum Calendar2 {
    /// The instant local midnight of `day` (days since 1970-01-01) begins in `tz`.
    public static func startOfDay(_ day: Int, in tz: TimeZone) -> Int64 {
        let guess = Int64(day) * 86_400_000
        // Offsets vary (DST): correct with the offset in force around that midnight.
        let t1 = guess - Int64(ZoneOffsets.seconds(tz, at: guess)) * 1000
        let c1 = LocalTime(t1, in: tz)
        if c1.day == day && c1.minuteOfDay == 0 { return t1 }
        let t2 = guess - Int64(ZoneOffsets.seconds(tz, at: t1)) * 1000
        let c2 = LocalTime(t2, in: tz)
        if c2.day == day && c2.minuteOfDay == 0 { return t2 }
        // Midnight does not exist that day: the clocks jump forward at 00:00 (Santiago, Asunción,
        // Havana, Beirut, Cairo). The day begins at the jump, the earlier candidate on that day;
        // the later offset's midnight fell an hour into the day before.
        return [t1, t2].filter { LocalTime($0, in: tz).day == day }.min() ?? t2
    }

    /// The local calendar day (days since 1970-01-01) of instant `t`.
    public static func day(of t: Int64, in tz: TimeZone) -> Int { LocalTime(t, in: tz).day }

    /// The instant the local day after `t`'s day begins (the "end of the calendar day").
    public static func endOfDay(of t: Int64, in tz: TimeZone) -> Int64 { startOfDay(day(of: t, in: tz) + 1, in: tz) }

    /// `YYYY-MM-DD` of a local day number.
    public static func dateString(_ day: Int) -> String {
        let (y, m, d) = EventTime.civilFromDays(day)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    /// The local day number of `YYYY-MM-DD`, or nil.
    public static func day(of date: String) -> Int? {
        guard let t = try? EventTime(rfc3339: date + "T00:00:00Z") else { return nil }
        return Int(t.milliseconds / 86_400_000)
    }

    /// RFC 3339 of `t` with `tz`'s offset at that instant.
    public static func rfc3339(_ t: Int64, in tz: TimeZone) -> String {
        let offset = ZoneOffsets.seconds(tz, at: t) / 60
        return EventTime(milliseconds: t, offsetMinutes: Int16(offset)).rfc3339
    }
}

/// A zone's UTC offset per quarter hour, remembered: reports ask for it several times per call,
/// and Foundation's look-up is slow. Modern tzdata transitions fall on quarter hours.
enum ZoneOffsets {
    /// Per zone (a handful: linear search compares identifiers, no hashing), offsets by slot.
    private static let cache = Mutex<[(zone: String, offsets: [Int64: Int])]>([])

    static func seconds(_ tz: TimeZone, at t: Int64) -> Int {
        let slot = t >= 0 ? t / 900_000 : (t - 899_999) / 900_000
        let zone = tz.identifier
        if let hit = cache.withLock({ c in c.first { $0.zone == zone }?.offsets[slot] }) { return hit }
        let v = tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(slot * 900_000) / 1000))
        cache.withLock { c in
            guard let k = c.firstIndex(where: { $0.zone == zone }) else {
                c.append((zone, [slot: v]))
                return
            }
            if c[k].offsets.count > 200_000 { c[k].offsets = [:] }
            c[k].offsets[slot] = v
        }
        return v
    }
}
