/// One reason an event was rejected: which event, which field, what was expected.
public struct ValidationIssue: Sendable, Hashable, CustomStringConvertible {
    /// The event's index in its batch (0-based). Line-oriented callers add their own line numbers.
    public var index: Int
    /// The event's `id`, when it had a readable one.
    public var eventID: String?
    /// The field's path, e.g. `at` or `data.call_id`; `(event)` for the event as a whole.
    public var field: String
    public var message: String
    /// The 1-based line of an NDJSON input, when the event came from one.
    public var line: Int?

    public init(index: Int, eventID: String?, field: String, message: String, line: Int? = nil) {
        self.index = index
        self.eventID = eventID
        self.field = field
        self.message = message
        self.line = line
    }

    public var description: String {
        var s = line.map { "line \($0)" } ?? "event \(index)"
        // An id refused for its length may be megabytes: its start names it well enough.
        if let eventID { s += " (id \"\(eventID.count > 80 ? String(eventID.prefix(80)) + "…" : eventID)\")" }
        if !field.isEmpty && field != "(event)" { s += ": \(field)" }
        return s + ": " + message
    }
}

/// A batch was rejected because some of its events are invalid; nothing was stored.
public struct EventValidationError: Error, Sendable, CustomStringConvertible {
    public var issues: [ValidationIssue]
    public init(issues: [ValidationIssue]) { self.issues = issues }
    public var description: String {
        "\(issues.count) problem\(issues.count == 1 ? "" : "s"); nothing was stored:\n"
            + issues.map { "  " + $0.description }.joined(separator: "\n")
    }
}
