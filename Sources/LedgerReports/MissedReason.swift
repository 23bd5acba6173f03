/// Why a call was missed by a department (reports.md, "Missed reason": the first rule that matches).
public enum MissedReason: String, Sendable, Codable, CaseIterable {
    case outsideHours = "outside_hours"
    case routingFailed = "routing_failed"
    case forbiddenDestination = "forbidden_destination"
    case abandonedGreeting = "abandoned_greeting"
    case abandonedIVR = "abandoned_ivr"
    case abandonedShort = "abandoned_short"
    case notAnswered = "not_answered"
    case noFreeAgents = "no_free_agents"

    /// The four classes reasons fall into.
    public enum ReasonClass: String, Sendable, Codable, CaseIterable {
        case agents, capacity, schedule, other
    }

    public var reasonClass: ReasonClass {
        switch self {
        case .outsideHours: .schedule
        case .notAnswered: .agents
        case .noFreeAgents: .capacity
        default: .other
        }
    }

    /// Applies the rules in order with the settings in force at the call's start.
    ///
    /// The abandon rules (greeting, IVR, short) only apply where the call ended; a call that moved
    /// on to another department was not abandoned in this one.
    public static func classify(_ c: ReasonInputs, settings: DepartmentSettings) -> MissedReason {
        if !settings.isOpen(at: c.startedAt) { return .outsideHours }
        if c.routingFailure == "no_route" { return .routingFailed }
        if c.routingFailure == "forbidden_destination" { return .forbiddenDestination }
        if c.endedInDepartment {
            if c.greeted && !c.inIVR && !c.queued { return .abandonedGreeting }
            if c.inIVR && !c.queued { return .abandonedIVR }
            if c.endedByClient && Double(c.durationMs) < settings.shortAbandonSeconds * 1000 { return .abandonedShort }
        }
        return c.rung ? .notAnswered : .noFreeAgents
    }
}
