import LedgerEvents

/// A panel metric's colour.
public enum Zone: String, Codable, Sendable, Comparable {
    case green, yellow, red

    public static func < (a: Zone, b: Zone) -> Bool { a.rank < b.rank }
    var rank: Int { self == .green ? 0 : self == .yellow ? 1 : 2 }
}

/// `yellow` and `red` thresholds of one metric. `above`: the value is bad when high (it is in a
/// zone once it reaches the threshold, `≥`); `below`: bad when low (`≤`).
public struct Threshold: Codable, Sendable, Equatable {
    public enum Direction: String, Codable, Sendable { case above, below }
    public var yellow: Double?
    public var red: Double?
    public var direction: Direction

    public init(yellow: Double?, red: Double?, direction: Direction = .above) {
        self.yellow = yellow
        self.red = red
        self.direction = direction
    }

    public func zone(of v: Double) -> Zone {
        let reached = { (t: Double?) in t.map { direction == .above ? v >= $0 : v <= $0 } ?? false }
        if reached(red) { return .red }
        if reached(yellow) { return .yellow }
        return .green
    }
}

/// The live section of the server's configuration file (`serve --config FILE`):
///
/// ```json
/// {"live": {
///    "thresholds": {"in_queue": {"yellow": 3, "red": 6}},
///    "departments": {"sales": {"thresholds": {"service_level_pct": {"yellow": 80, "red": 60, "direction": "below"}},
///                              "webhooks": ["http://127.0.0.1:9000/alerts"], "emails": ["boss@example.com"]}},
///    "webhooks": [], "emails": [], "sendmail": ["/usr/sbin/sendmail", "-i"], "mail_from": "call-ledger@localhost",
///    "retries": 4, "retry_backoff_ms": 500, "refresh_ms": 1000}}
/// ```
public struct LiveConfiguration: Sendable, Equatable {
    /// Thresholds for every department, overridden metric by metric by a department's own.
    public var thresholds: [String: Threshold] = [:]
    public var departments: [String: DepartmentAlerts] = [:]
    /// Recipients of every watched department's alerts (a department's own are added).
    public var webhooks: [String] = []
    public var emails: [String] = []
    /// The sendmail-compatible command; recipients are appended, the message goes on its stdin.
    public var sendmail: [String] = ["/usr/sbin/sendmail", "-i"]
    public var mailFrom = "call-ledger@localhost"
    /// Attempts after the first, each after twice the previous pause (starting at `retryBackoffMs`).
    public var retries = 4
    public var retryBackoffMs = 500
    /// How often panels are recomputed when no event arrives (waits grow, the hour slides).
    public var refreshMs = 1000

    public struct DepartmentAlerts: Sendable, Equatable {
        public var thresholds: [String: Threshold] = [:]
        public var webhooks: [String] = []
        public var emails: [String] = []
        public init() {}
    }

    public init() {}

    /// The thresholds in force for `department`.
    public func thresholds(for department: String) -> [String: Threshold] {
        thresholds.merging(departments[department]?.thresholds ?? [:]) { $1 }
    }

    /// Departments whose alerts are evaluated whether or not a page is open.
    public var watchedDepartments: [String] { departments.keys.sorted() }

    public func webhooks(for department: String) -> [String] { webhooks + (departments[department]?.webhooks ?? []) }
    public func emails(for department: String) -> [String] { emails + (departments[department]?.emails ?? []) }

    /// Why a configuration file was refused.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses the configuration file's text (the `live` member; other members are left to others).
    public static func parse(_ text: String) throws -> LiveConfiguration {
        let root: JSONValue
        do { root = try JSONParser.parse(Array(text.utf8)) } catch { throw Invalid(description: "not JSON: \(error)") }
        guard let top = root.objectValue else { throw Invalid(description: "expected a JSON object") }
        var c = LiveConfiguration()
        guard let live = top["live"] else { return c }
        guard let o = live.objectValue else { throw Invalid(description: "live: expected an object") }
        let known: Set<String> = ["thresholds", "departments", "webhooks", "emails", "sendmail", "mail_from", "retries", "retry_backoff_ms", "refresh_ms"]
        for k in o.keys where !known.contains(k) { throw Invalid(description: "live.\(k): unknown key; known: \(known.sorted().joined(separator: ", "))") }
        if let t = o["thresholds"] { c.thresholds = try thresholds(t, at: "live.thresholds") }
        if let d = o["departments"] {
            guard let dobj = d.objectValue else { throw Invalid(description: "live.departments: expected an object") }
            for (name, v) in dobj.members {
                guard let x = v.objectValue else { throw Invalid(description: "live.departments.\(name): expected an object") }
                for k in x.keys where !["thresholds", "webhooks", "emails"].contains(k) {
                    throw Invalid(description: "live.departments.\(name).\(k): unknown key; known: thresholds, webhooks, emails")
                }
                var a = DepartmentAlerts()
                if let t = x["thresholds"] { a.thresholds = try thresholds(t, at: "live.departments.\(name).thresholds") }
                a.webhooks = try strings(x["webhooks"], at: "live.departments.\(name).webhooks")
                a.emails = try strings(x["emails"], at: "live.departments.\(name).emails")
                c.departments[name] = a
            }
        }
        c.webhooks = try strings(o["webhooks"], at: "live.webhooks")
        c.emails = try strings(o["emails"], at: "live.emails")
        if o["sendmail"] != nil {
            c.sendmail = try strings(o["sendmail"], at: "live.sendmail")
            if c.sendmail.isEmpty { throw Invalid(description: "live.sendmail: the command and its arguments, e.g. [\"/usr/bin/msmtp\", \"-C\", \"/etc/msmtprc\"]") }
        }
        if let f = o["mail_from"] {
            guard let s = f.stringValue, s.contains("@") else { throw Invalid(description: "live.mail_from: an e-mail address") }
            c.mailFrom = s
        }
        c.retries = try int(o["retries"], at: "live.retries", min: 0) ?? c.retries
        c.retryBackoffMs = try int(o["retry_backoff_ms"], at: "live.retry_backoff_ms", min: 1) ?? c.retryBackoffMs
        c.refreshMs = try int(o["refresh_ms"], at: "live.refresh_ms", min: 50) ?? c.refreshMs
        return c
    }

    static func thresholds(_ v: JSONValue, at path: String) throws -> [String: Threshold] {
        guard let o = v.objectValue else { throw Invalid(description: "\(path): expected an object of metric → {yellow, red, direction}") }
        var out: [String: Threshold] = [:]
        for (metric, t) in o.members {
            let p = "\(path).\(metric)"
            guard LiveMetrics.names.contains(metric) else {
                throw Invalid(description: "\(p): unknown metric; known: \(LiveMetrics.names.joined(separator: ", "))")
            }
            guard let x = t.objectValue else { throw Invalid(description: "\(p): expected {\"yellow\": N, \"red\": N, \"direction\": \"above\"|\"below\"}") }
            for k in x.keys where !["yellow", "red", "direction"].contains(k) { throw Invalid(description: "\(p).\(k): unknown key; known: yellow, red, direction") }
            let number = { (k: String) throws -> Double? in
                guard let n = x[k] else { return nil }
                guard let d = n.doubleValue, case .number = n else { throw Invalid(description: "\(p).\(k): expected a number") }
                return d
            }
            var direction = Threshold.Direction.above
            if let d = x["direction"] {
                guard let s = d.stringValue, let dir = Threshold.Direction(rawValue: s) else { throw Invalid(description: "\(p).direction: above or below") }
                direction = dir
            }
            let th = Threshold(yellow: try number("yellow"), red: try number("red"), direction: direction)
            guard th.yellow != nil || th.red != nil else { throw Invalid(description: "\(p): give yellow, red or both") }
            if let y = th.yellow, let r = th.red, direction == .above ? y > r : y < r {
                throw Invalid(description: "\(p): with direction \(direction.rawValue) yellow must come before red (\(direction == .above ? "yellow ≤ red" : "yellow ≥ red"))")
            }
            out[metric] = th
        }
        return out
    }

    static func strings(_ v: JSONValue?, at path: String) throws -> [String] {
        guard let v else { return [] }
        guard let a = v.arrayValue else { throw Invalid(description: "\(path): expected an array of strings") }
        return try a.map { x in
            guard let s = x.stringValue, !s.isEmpty else { throw Invalid(description: "\(path): expected non-empty strings") }
            return s
        }
    }

    static func int(_ v: JSONValue?, at path: String, min: Int) throws -> Int? {
        guard let v else { return nil }
        guard let d = v.doubleValue, case .number = v, d == d.rounded(), d >= Double(min), d < 1e9 else {
            throw Invalid(description: "\(path): expected a whole number ≥ \(min)")
        }
        return Int(d)
    }
}

/// A metric entering a zone (`raised`) or going back to green (`cleared`).
public struct LiveAlert: Codable, Sendable, Equatable {
    public var state: String
    public var department: String
    public var metric: String
    public var zone: Zone
    public var previousZone: Zone
    public var value: Double
    public var yellow: Double?
    public var red: Double?
    public var direction: Threshold.Direction
    /// The panel's instant.
    public var at: String

    enum CodingKeys: String, CodingKey {
        case state, department, metric, zone, previousZone = "previous_zone", value, yellow, red, direction, at
    }

    /// A one-line text for e-mail subjects and logs.
    public var summary: String {
        let v = wholeOrDecimal((value * 10).rounded() / 10)
        if state == "cleared" { return "\(department): \(metric) back to green (\(v), was \(previousZone.rawValue))" }
        return "\(department): \(metric) in the \(zone.rawValue) zone (\(v)\(previousZone == .green ? "" : ", was \(previousZone.rawValue)"))"
    }
}

/// Remembers each metric's zone and turns changes into alerts: one per change, so a metric that
/// stays in a zone raises nothing more, and going back to green clears it once.
public struct ZoneTracker: Sendable {
    private var zones: [String: [String: Zone]] = [:]

    public init() {}

    /// The zone of every metric that has a threshold and something to measure (not ``LiveMetrics/noData``).
    public static func zones(of metrics: LiveMetrics, thresholds: [String: Threshold]) -> [String: Zone] {
        var out: [String: Zone] = [:]
        for (name, value) in metrics.named where !metrics.noData.contains(name) { if let t = thresholds[name] { out[name] = t.zone(of: value) } }
        return out
    }

    /// The alerts `panel` causes against the zones seen before (green at first).
    public mutating func update(_ panel: LivePanel, thresholds: [String: Threshold]) -> [LiveAlert] {
        var alerts: [LiveAlert] = []
        var known = zones[panel.department] ?? [:]
        for (name, value) in panel.metrics.named {
            guard let t = thresholds[name] else { continue }
            // Nothing to measure is no alarm: an alert raised earlier clears, none is raised.
            let zone = panel.metrics.noData.contains(name) ? .green : t.zone(of: value)
            let before = known[name] ?? .green
            known[name] = zone
            guard zone != before else { continue }
            alerts.append(LiveAlert(state: zone == .green ? "cleared" : "raised", department: panel.department, metric: name, zone: zone,
                                    previousZone: before, value: value, yellow: t.yellow, red: t.red, direction: t.direction, at: panel.at))
        }
        zones[panel.department] = known
        return alerts
    }
}
