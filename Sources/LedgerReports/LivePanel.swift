import Foundation
import LedgerEvents
import LedgerLog
import LedgerProjections
import Synchronization

/// The live panel of a department at an instant (reports.md, "Live dashboard"; Mango's
/// "Панель показателей"): the queue now, the last hour, and every member with its status.
public struct LivePanel: Codable, Sendable, Equatable {
    public var department: String
    /// The instant T, with the department's offset.
    public var at: String
    /// The start of the last hour, `(window_from, at]`.
    public var windowFrom: String
    public var metrics: LiveMetrics
    public var serviceLevel: ServiceLevelRule
    public var agents: [LiveAgentRow]

    public init(department: String, at: String, windowFrom: String, metrics: LiveMetrics, serviceLevel: ServiceLevelRule, agents: [LiveAgentRow]) {
        self.department = department
        self.at = at
        self.windowFrom = windowFrom
        self.metrics = metrics
        self.serviceLevel = serviceLevel
        self.agents = agents
    }

    enum CodingKeys: String, CodingKey {
        case department, at, windowFrom = "window_from", metrics, serviceLevel = "service_level", agents
    }
}

/// The department's numbers at T. Percentages are 0–100; a share over nothing is 0.
public struct LiveMetrics: Codable, Sendable, Equatable {
    public var inQueue = 0
    public var maxQueueWaitS: Double = 0
    public var avgQueueWaitS: Double = 0
    public var freeAgents = 0
    public var agentsOnQueueCalls = 0
    public var agentsOnPersonalCalls = 0
    public var answeredLastHour = 0
    public var missedLastHour = 0
    public var missedPctLastHour: Double = 0
    public var occupancyPct: Double = 0
    public var serviceLevelPct: Double = 0
    public var immediateAnswerPct: Double = 0
    public var outboundLastHour = 0
    public var outboundPerAgent: Double = 0
    public var avgOutboundTalkS: Double = 0
    public var successfulOutboundPct: Double = 0
    public var dialSuccessPct: Double = 0
    public var avgInboundTalkS: Double = 0
    public var successfulInboundPct: Double = 0
    /// The averages and shares taken over nothing in the last hour (no calls, nobody logged in):
    /// 0 by the spec, but not a measurement, so thresholds give them no zone and raise no alert
    /// (a quiet night is not a red service level). Not part of the report's JSON.
    public var noData: Set<String> = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case inQueue = "in_queue", maxQueueWaitS = "max_queue_wait_s", avgQueueWaitS = "avg_queue_wait_s", freeAgents = "free_agents"
        case agentsOnQueueCalls = "agents_on_queue_calls", agentsOnPersonalCalls = "agents_on_personal_calls"
        case answeredLastHour = "answered_last_hour", missedLastHour = "missed_last_hour", missedPctLastHour = "missed_pct_last_hour"
        case occupancyPct = "occupancy_pct", serviceLevelPct = "service_level_pct", immediateAnswerPct = "immediate_answer_pct"
        case outboundLastHour = "outbound_last_hour", outboundPerAgent = "outbound_per_agent", avgOutboundTalkS = "avg_outbound_talk_s"
        case successfulOutboundPct = "successful_outbound_pct", dialSuccessPct = "dial_success_pct", avgInboundTalkS = "avg_inbound_talk_s"
        case successfulInboundPct = "successful_inbound_pct"
    }

    /// Every metric by its JSON name, in output order (what thresholds refer to).
    public var named: [(name: String, value: Double)] {
        [("in_queue", Double(inQueue)), ("max_queue_wait_s", maxQueueWaitS), ("avg_queue_wait_s", avgQueueWaitS),
         ("free_agents", Double(freeAgents)), ("agents_on_queue_calls", Double(agentsOnQueueCalls)),
         ("agents_on_personal_calls", Double(agentsOnPersonalCalls)), ("answered_last_hour", Double(answeredLastHour)),
         ("missed_last_hour", Double(missedLastHour)), ("missed_pct_last_hour", missedPctLastHour), ("occupancy_pct", occupancyPct),
         ("service_level_pct", serviceLevelPct), ("immediate_answer_pct", immediateAnswerPct),
         ("outbound_last_hour", Double(outboundLastHour)), ("outbound_per_agent", outboundPerAgent),
         ("avg_outbound_talk_s", avgOutboundTalkS), ("successful_outbound_pct", successfulOutboundPct),
         ("dial_success_pct", dialSuccessPct), ("avg_inbound_talk_s", avgInboundTalkS), ("successful_inbound_pct", successfulInboundPct)]
    }

    /// The metric names thresholds may use.
    public static let names: [String] = LiveMetrics().named.map(\.name)
}

/// How the service level was computed, named in the output.
public struct ServiceLevelRule: Codable, Sendable, Equatable {
    /// `service_level_s` of the department's settings in force at T.
    public var thresholdS: Double
    /// A call answered with its first ring within this many seconds of queueing is an immediate answer.
    public var immediateAnswerS: Double
    /// Talks longer than this are successful (inbound and outbound).
    public var successfulTalkS: Double
    public var formula: String

    public init(thresholdS: Double, immediateAnswerS: Double, successfulTalkS: Double, formula: String) {
        self.thresholdS = thresholdS
        self.immediateAnswerS = immediateAnswerS
        self.successfulTalkS = successfulTalkS
        self.formula = formula
    }

    enum CodingKeys: String, CodingKey {
        case thresholdS = "threshold_s", immediateAnswerS = "immediate_answer_s", successfulTalkS = "successful_talk_s", formula
    }
}

/// One member of the department at T.
public struct LiveAgentRow: Codable, Sendable, Equatable, ExplicitNulls {
    public var agent: String
    public var name: String?
    /// `talking`, else the latest `agent.status` (`available`, `break`, `dnd`, `offline`); `offline` when none.
    public var status: String
    /// When talking: `queue` (a call queued in this department) or `personal` (any other call).
    public var call: String?
    /// When the current status began (null when the agent never sent a status).
    public var since: String?
    public var inStatusS: Double?
    public var occupancyPct: Double = 0
    public var answeredLastHour = 0
    public var outboundLastHour = 0
    /// Seconds talked inside the last hour (while logged in).
    public var talkSLastHour: Double = 0
    public var avgInboundTalkS: Double = 0
    public var avgOutboundTalkS: Double = 0

    enum CodingKeys: String, CodingKey {
        case agent, name, status, call, since, inStatusS = "in_status_s", occupancyPct = "occupancy_pct"
        case answeredLastHour = "answered_last_hour", outboundLastHour = "outbound_last_hour", talkSLastHour = "talk_s_last_hour"
        case avgInboundTalkS = "avg_inbound_talk_s", avgOutboundTalkS = "avg_outbound_talk_s"
    }
}

/// Computes the live panel of a department at instant `at` from the call facts and the
/// department's and agents' events of a cut.
///
/// Live: `cut` `.all` and `at` now. As of T: `cut` `.occurredAt(T)` and `at` T ("what the
/// supervisor saw at T"), equal to a fresh replay of the events with `at` ≤ T.
public struct LiveView {
    /// How far back an agent's ended talks are looked for to tell since when a free agent is free
    /// (`since`), and calls by their start in case their end is dated after T (longer ones have
    /// `long` keys). A call without its end is in progress however old (events.md), so waits,
    /// talks and the hour's counts have no horizon.
    public static let freeSinceHorizonMs: Int64 = 6 * 3_600_000
    /// "Last hour".
    public static let windowMs: Int64 = 3_600_000
    public static let immediateAnswerMs: Int64 = 1_000
    public static let successfulTalkMs: Int64 = 30_000

    public let engine: ProjectionEngine
    public let department: String
    public let at: Int64
    public let cut: Cut
    /// Members' presence kept in memory (live panels recomputed often); ignored for other cuts.
    public let presence: PresenceCache?

    public init(engine: ProjectionEngine, department: String, at: Int64, cut: Cut = .all, presence: PresenceCache? = nil) {
        self.engine = engine
        self.department = department
        self.at = at
        self.cut = cut
        self.presence = presence
    }

    /// The instant a cut stands for: `as_of` T and `as_of_recorded` T are T, a position is the
    /// recorded time of that event, the whole log is `now`.
    public static func instant(of cut: Cut, log: EventLog, now: Int64) throws -> Int64 {
        switch cut {
        case .all: return now
        case .occurredAt(let t), .recordedAt(let t): return t.milliseconds
        case .position(let p):
            guard p > 0 else { return 0 }
            let e = try log.events(after: min(p, log.lastPosition) - 1, limit: 1).first
            return e?.recordedAt.milliseconds ?? now
        }
    }

    /// Wall-clock now in milliseconds.
    public static var nowMs: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// A setting in seconds as milliseconds; any number the wire format accepts (1e308 too) is
    /// held at about 292 million years rather than overflowing.
    static func milliseconds(_ seconds: Double) -> Int64 {
        let ms = (seconds * 1000).rounded()
        return ms >= 9.2e18 ? 9_200_000_000_000_000_000 : Int64(max(0, ms))
    }

    public func panel() throws -> LivePanel {
        let T = at
        let windowStart = T - Self.windowMs
        let source = try engine.eventSource(for: cut, consistentWith: "calls")
        let timeline = DepartmentTimeline(department: department, events: try source.events(department: department))
        let tz = timeline.timeZone
        let members = timeline.members(at: T)
        let slMs = Self.milliseconds(timeline.settings(at: T).serviceLevelSeconds)

        // Every call that can count at T: still going on, or ended in the hour (a call that left the
        // queue or was talked on in the hour ended no earlier), and the hour's outbound. A call whose
        // end lies after T is going on at T: found by its start (talks: answer) in the last hours,
        // or, lasting longer than that, by its `long` key.
        var ranges = [CallsProjection.openRange(department: department),
                      CallsProjection.endedRange(department: department, after: windowStart, through: T),
                      CallsProjection.range(department: department, from: T - Self.freeSinceHorizonMs, to: T + 1),
                      CallsProjection.longRange(department: department, through: T),
                      CallsProjection.outboundRange(from: windowStart + 1, to: T + 1)]
        for m in members {
            ranges += [CallsProjection.openTalkRange(agent: m), CallsProjection.endedTalkRange(agent: m, after: windowStart, through: T),
                       CallsProjection.talkRange(agent: m, from: T - Self.freeSinceHorizonMs, to: T + 1),
                       CallsProjection.longTalkRange(agent: m, through: T)]
        }
        let facts = try engine.facts(of: CallsProjection(), in: ranges, cut: cut).map(\.fact)

        var m = LiveMetrics()
        var rows: [String: LiveAgentRow] = [:]
        let names = try DepartmentTimeline.agentNames(source: source, departments: engine.log.departments())
        for a in members { rows[a] = LiveAgentRow(agent: a, name: names[a], status: "offline") }
        let memberSet = Set(members)
        let inWindow = { (t: Int64) in t > windowStart && t <= T }

        // Queue: calls queued in this department.
        var waits: [Double] = []
        var slGood = 0, slCounted = 0, immediate = 0
        var inboundTalks: [Int64] = []
        var agentInboundTalks: [String: [Int64]] = [:]
        for c in facts where c.isInbound {
            // A queued call whose start has not arrived: its queue is what the panel shows.
            guard let s = c.startedAt ?? c.stints.first?.queuedAt, s <= T else { continue }
            // Each call against the target in force when it started (events.md: replays use the
            // settings valid at each call's time).
            let callSLMs = Self.milliseconds(timeline.settings(at: s).serviceLevelSeconds)
            // Waiting in this department's queue now, before an answer or after a transfer to it.
            for st in c.queueStints where st.department == department && st.queuedAt <= T && (st.leftAt.map { $0 > T } ?? true) {
                m.inQueue += 1
                m.maxQueueWaitS = max(m.maxQueueWaitS, Double(T - st.queuedAt) / 1000)
            }
            let mine = c.stints.filter { $0.department == department }
            if !mine.isEmpty {
                // Counted by the moment it last left this department's queue.
                if let left = mine.last!.leftAt, left <= T, inWindow(left), mine.allSatisfy({ ($0.leftAt ?? .max) <= T }) {
                    let waitMs = mine.reduce(Int64(0)) { $0 + ($1.leftAt! - $1.queuedAt) }
                    waits.append(Double(waitMs) / 1000)
                    let answered = c.finalDepartment == department && c.answeredAt == left
                    if answered {
                        m.answeredLastHour += 1
                        slCounted += 1
                        if waitMs <= callSLMs { slGood += 1 }
                        let firstRing = c.rings.filter { $0.department == department }.map(\.at).min()
                        if let r = firstRing, r - mine[0].queuedAt <= Self.immediateAnswerMs { immediate += 1 }
                        if let a = c.answeredBy, rows[a] != nil { rows[a]!.answeredLastHour += 1 }
                    } else {
                        m.missedLastHour += 1
                        if waitMs > callSLMs { slCounted += 1 }
                    }
                }
            }
            // Inbound talk: the department's answered calls whose talk ended in the window.
            if c.finalDepartment == department, let a = c.answeredAt, a <= T, let e = c.endedAt, inWindow(e) {
                inboundTalks.append(e - a)
                if let agent = c.answeredBy { agentInboundTalks[agent, default: []].append(e - a) }
            }
        }
        m.avgQueueWaitS = mean(waits)
        m.missedPctLastHour = 100 * share(m.missedLastHour, m.answeredLastHour + m.missedLastHour)
        m.serviceLevelPct = 100 * share(slGood, slCounted)
        m.immediateAnswerPct = 100 * share(immediate, m.answeredLastHour)
        m.avgInboundTalkS = mean(inboundTalks.map { Double($0) / 1000 })
        m.successfulInboundPct = 100 * share(inboundTalks.filter { $0 > Self.successfulTalkMs }.count, inboundTalks.count)
        if waits.isEmpty { m.noData.insert("avg_queue_wait_s") }
        if m.answeredLastHour + m.missedLastHour == 0 { m.noData.insert("missed_pct_last_hour") }
        if slCounted == 0 { m.noData.insert("service_level_pct") }
        if m.answeredLastHour == 0 { m.noData.insert("immediate_answer_pct") }
        if inboundTalks.isEmpty { m.noData.formUnion(["avg_inbound_talk_s", "successful_inbound_pct"]) }

        // Outbound: started in the window, by members or on the department's behalf.
        var outboundTalks: [Int64] = []
        var dialled = 0, successful = 0
        var agentOutboundTalks: [String: [Int64]] = [:]
        var seenOutbound = Set<String>()
        for c in facts where c.direction == "outbound" {
            guard let s = c.startedAt, inWindow(s), seenOutbound.insert(c.callID).inserted else { continue }
            guard c.ownerDepartment == department || c.dialler.map(memberSet.contains) == true else { continue }
            m.outboundLastHour += 1
            if let d = c.dialler, rows[d] != nil { rows[d]!.outboundLastHour += 1 }
            guard let a = c.answeredAt, a <= T else { continue }
            dialled += 1
            if let e = c.endedAt, e <= T {
                outboundTalks.append(e - a)
                if e - a > Self.successfulTalkMs { successful += 1 }
                if let d = c.dialler { agentOutboundTalks[d, default: []].append(e - a) }
            }
        }
        m.avgOutboundTalkS = mean(outboundTalks.map { Double($0) / 1000 })
        m.successfulOutboundPct = 100 * share(successful, m.outboundLastHour)
        m.dialSuccessPct = 100 * share(dialled, m.outboundLastHour)
        if outboundTalks.isEmpty { m.noData.insert("avg_outbound_talk_s") }
        if m.outboundLastHour == 0 { m.noData.formUnion(["successful_outbound_pct", "dial_success_pct"]) }

        // Agents: presence from their status events, talks from the calls they are on.
        // Each answering agent talks from its own answer (after a transfer, two of them).
        var talksByAgent: [String: [(call: CallFact, from: Int64)]] = [:]
        var seenTalk = Set<String>()
        for c in facts where seenTalk.insert(c.callID).inserted {
            for t in c.talkers where t.at <= T && memberSet.contains(t.agent) {
                talksByAgent[t.agent, default: []].append((c, t.at))
            }
        }
        var talkSum: Int64 = 0, loggedSum: Int64 = 0, loggedInSomeMoment = 0
        for agent in members {
            var row = rows[agent]!
            let events = try presence.flatMap { cut == .all ? try $0.statuses(of: agent) : nil } ?? source.events(agent: agent)
            let statuses = events.filter { $0.event.type == .agentStatus && $0.event.at.milliseconds <= T }
            let presence = Presence(statuses.map { ($0.event.at.milliseconds, $0.event.data.string("status") ?? "offline") })
            let logged = presence.loggedIn(from: windowStart, to: T)
            if presence.loggedInAtSomeMoment(after: windowStart, through: T) { loggedInSomeMoment += 1 }
            let talks = (talksByAgent[agent] ?? []).sorted { ($0.from, $0.call.callID) < ($1.from, $1.call.callID) }
            let talkIntervals = talks.map { t in (t.from, min(t.call.endedAt ?? T, T)) }
            // Talking time inside the hour, whatever the status (a call taken on a break counts).
            let talkMs = Intervals.length(Intervals.clip(Intervals.union(talkIntervals), from: windowStart, to: T))
            let loggedMs = Intervals.length(logged)
            talkSum += talkMs
            loggedSum += loggedMs
            row.talkSLastHour = Double(talkMs) / 1000
            row.occupancyPct = 100 * (loggedMs == 0 ? 0 : Double(talkMs) / Double(loggedMs))
            row.avgInboundTalkS = mean((agentInboundTalks[agent] ?? []).map { Double($0) / 1000 })
            row.avgOutboundTalkS = mean((agentOutboundTalks[agent] ?? []).map { Double($0) / 1000 })

            let current = talks.last { ($0.call.endedAt.map { $0 > T } ?? true) }
            let last = presence.latest
            if let current {
                row.status = "talking"
                let queued = current.call.isInbound && current.call.queueStints.contains { $0.department == department }
                row.call = queued ? "queue" : "personal"
                if queued { m.agentsOnQueueCalls += 1 } else { m.agentsOnPersonalCalls += 1 }
                row.since = Calendar2.rfc3339(current.from, in: tz)
                row.inStatusS = Double(T - current.from) / 1000
            } else if let last {
                row.status = last.status
                var since = last.at
                if last.status == "available" || last.status == "dnd" {
                    // Free since the later of the status change and the end of the last talk.
                    for t in talks { if let e = t.call.endedAt, e <= T { since = max(since, e) } }
                }
                if last.status == "available" { m.freeAgents += 1 }
                row.since = Calendar2.rfc3339(since, in: tz)
                row.inStatusS = Double(T - since) / 1000
            }
            rows[agent] = row
        }
        m.occupancyPct = 100 * (loggedSum == 0 ? 0 : Double(talkSum) / Double(loggedSum))
        m.outboundPerAgent = share(m.outboundLastHour, loggedInSomeMoment)
        if loggedSum == 0 { m.noData.insert("occupancy_pct") }
        if loggedInSomeMoment == 0 { m.noData.insert("outbound_per_agent") }

        let sl = Double(slMs) / 1000
        let rule = ServiceLevelRule(
            thresholdS: sl, immediateAnswerS: Double(Self.immediateAnswerMs) / 1000, successfulTalkS: Double(Self.successfulTalkMs) / 1000,
            formula: "calls that left the queue in the last hour: answered within service_level_s of call.queued / "
                + "(answered + missed after waiting more than service_level_s); misses within it are neutral; each call "
                + "against the service_level_s in force when it started (\(wholeOrDecimal(sl)) s at this instant)")
        return LivePanel(department: department, at: Calendar2.rfc3339(T, in: tz), windowFrom: Calendar2.rfc3339(windowStart, in: tz),
                         metrics: m, serviceLevel: rule, agents: members.map { rows[$0]! })
    }
}

/// `20` for whole seconds, `2.5` otherwise.
func wholeOrDecimal(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

/// An agent's presence over time from its `agent.status` events (occurrence order).
struct Presence {
    let changes: [(at: Int64, status: String)]

    init(_ changes: [(Int64, String)]) { self.changes = changes.map { (at: $0.0, status: $0.1) } }

    var latest: (at: Int64, status: String)? { changes.last }

    static func isLoggedIn(_ status: String) -> Bool { status == "available" || status == "dnd" }

    /// The logged-in intervals inside `[from, to]`.
    func loggedIn(from: Int64, to: Int64) -> [(Int64, Int64)] {
        var out: [(Int64, Int64)] = []
        var state = "offline"
        var stateFrom = from
        for c in changes {
            if c.at <= from { state = c.status; continue }
            if c.at > to { break }
            if Self.isLoggedIn(state) && c.at > stateFrom { out.append((stateFrom, c.at)) }
            state = c.status
            stateFrom = c.at
        }
        if Self.isLoggedIn(state) && to > stateFrom { out.append((stateFrom, to)) }
        return out
    }

    /// Whether the agent was logged in at some moment of `(after, through]`.
    func loggedInAtSomeMoment(after: Int64, through: Int64) -> Bool {
        var state = "offline"
        for c in changes where c.at <= after { state = c.status }
        if Self.isLoggedIn(state) { return true }
        return changes.contains { $0.at > after && $0.at <= through && Self.isLoggedIn($0.status) }
    }
}

/// Sorted, disjoint half-open intervals of milliseconds.
enum Intervals {
    static func union(_ xs: [(Int64, Int64)]) -> [(Int64, Int64)] {
        var out: [(Int64, Int64)] = []
        for x in xs.filter({ $0.1 > $0.0 }).sorted(by: { $0.0 < $1.0 }) {
            if let last = out.last, x.0 <= last.1 { out[out.count - 1].1 = max(last.1, x.1) } else { out.append(x) }
        }
        return out
    }

    static func clip(_ xs: [(Int64, Int64)], from: Int64, to: Int64) -> [(Int64, Int64)] {
        xs.compactMap { x in
            let lo = max(x.0, from), hi = min(x.1, to)
            return lo < hi ? (lo, hi) : nil
        }
    }

    static func length(_ xs: [(Int64, Int64)]) -> Int64 { xs.reduce(0) { $0 + $1.1 - $1.0 } }
}

/// The members' `agent.status` events kept in memory for live panels: read once per agent from
/// the log's agent index, then followed along the log (one read of the new events per refresh),
/// so recomputing a panel every few milliseconds does not re-read months of presence history.
/// Only for live panels (the whole log); as-of panels read their cut.
public final class PresenceCache: Sendable {
    let log: EventLog
    /// Changes kept per agent: the panel needs the last one before its hour and those in it.
    static let keep = 512

    private struct Agent {
        var events: [RecordedEvent] = []
        var positions = Set<UInt64>()
    }

    private struct State {
        var through: UInt64 = 0
        var agents: [String: Agent] = [:]
    }

    private let state = Mutex(State())

    /// Follows the log from its current end: an agent's history up to then comes from the agent
    /// index when it is first asked for (positions already filed are not filed twice).
    public init(log: EventLog) {
        self.log = log
        state.withLock { $0.through = log.lastPosition }
    }

    /// `agent`'s status events in occurrence order, including everything committed so far.
    public func statuses(of agent: String) throws -> [RecordedEvent] {
        try state.withLock { s in
            try follow(&s)
            if s.agents[agent] == nil {
                var a = Agent()
                for e in try log.events(agent: agent) where e.event.type == .agentStatus { add(e, to: &a) }
                s.agents[agent] = a
            }
            return s.agents[agent]!.events
        }
    }

    private func add(_ e: RecordedEvent, to a: inout Agent) {
        guard a.positions.insert(e.position).inserted else { return }
        // Usually the newest: appended; a late one is placed by occurrence.
        let i = a.events.lastIndex { !Event.occursBefore(e.event, $0.event) }.map { $0 + 1 } ?? 0
        a.events.insert(e, at: i)
        if a.events.count > Self.keep * 2 {
            let dropped = a.events.prefix(a.events.count - Self.keep)
            for d in dropped { a.positions.remove(d.position) }
            a.events.removeFirst(dropped.count)
        }
    }

    /// Reads the events committed since the last look and files the cached agents' statuses.
    private func follow(_ s: inout State) throws {
        let head = log.lastPosition
        while s.through < head {
            let page = try log.events(after: s.through, limit: min(4096, Int(head - s.through)))
            guard let last = page.last else { break }
            for e in page where e.event.type == .agentStatus {
                if let agent = e.event.agent, s.agents[agent] != nil { add(e, to: &s.agents[agent]!) }
            }
            s.through = last.position
        }
    }
}
