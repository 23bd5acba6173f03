import LedgerEvents
import LedgerProjections

/// One department as the department list shows it (`GET /v1/departments`, `call-ledger
/// departments`): what a manager picks from before opening a queue, a report or a live panel.
public struct DepartmentEntry: Codable, Sendable, Equatable, ExplicitNulls {
    public var department: String
    /// The display name of the latest `department.configured`, or null.
    public var name: String?
    /// The IANA zone its reports use (`UTC` when never configured).
    public var timezone: String
    /// Members at the time asked for.
    public var members: Int
    /// Whether a `department.configured` has arrived (without one: UTC, always open, default thresholds).
    public var configured: Bool
}

/// The departments named by settings or membership events (`department.configured`,
/// `agent.joined`, `agent.left`). A department that only appears in calls (a line's owner, a queue)
/// is not listed: nobody configured it or works in it.
public enum DepartmentDirectory {
    /// Every department, sorted by id, with its members at `now` (ms).
    public static func list(engine: ProjectionEngine, at now: Int64) throws -> [DepartmentEntry] {
        let source = try engine.eventSource(for: .all)
        return try engine.log.departments().map { d in
            let timeline = DepartmentTimeline(department: d, events: try source.events(department: d))
            let latest = timeline.settings.last?.value
            return DepartmentEntry(department: d, name: latest?.name, timezone: latest?.timeZoneName ?? "UTC",
                                   members: timeline.members(at: now).count, configured: latest != nil)
        }
    }
}
