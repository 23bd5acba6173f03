import Foundation
import LedgerEvents
import LedgerProjections

/// The department missed report (reports.md, "Department missed report"): four sections for a
/// department and a period `[from, to)`, computed from the call and client facts of a cut.
public struct DepartmentReport: Codable, Sendable {
    public var department: String
    public var from: String
    public var to: String
    public var volume: Volume
    public var callbacks: Callbacks
    public var agents: [AgentRow]
    public var dynamics: [Bucket]?

    /// Section I — volume and why.
    public struct Volume: Codable, Sendable, Equatable {
        public var incoming = 0
        public var answered = 0
        public var missed = 0
        public var missedShare: Double = 0
        public var uniqueMissed = 0
        public var repeatMissed = 0
        public var hiddenMissed = 0
        public var avgWaitS: Double = 0
        public var avgTotalWaitS: Double = 0
        public var reasons = OrderedCounts(keys: MissedReason.allCases.map(\.rawValue))
        public var classes = OrderedCounts(keys: MissedReason.ReasonClass.allCases.map(\.rawValue))

        enum CodingKeys: String, CodingKey {
            case incoming, answered, missed, missedShare = "missed_share", uniqueMissed = "unique_missed"
            case repeatMissed = "repeat_missed", hiddenMissed = "hidden_missed", avgWaitS = "avg_wait_s"
            case avgTotalWaitS = "avg_total_wait_s", reasons, classes
        }
    }

    /// Section II — callbacks, over episodes opened in the period.
    public struct Callbacks: Codable, Sendable, Equatable {
        public var episodes = 0
        public var calledBackByDepartment = 0
        public var calledBackElsewhere = 0
        public var dismissed = 0
        public var notCalledBack = 0
        public var avgCallbackDelayS: Double = 0
        public var resolvedWithin = OrderedCounts(keys: ["300", "900", "3600"])

        enum CodingKeys: String, CodingKey {
            case episodes, calledBackByDepartment = "called_back_by_department", calledBackElsewhere = "called_back_elsewhere"
            case dismissed, notCalledBack = "not_called_back", avgCallbackDelayS = "avg_callback_delay_s"
            case resolvedWithin = "resolved_within"
        }
    }

    /// Section III — one agent (`name` is null when unknown: every row has the same keys).
    public struct AgentRow: Codable, Sendable, Equatable, ExplicitNulls {
        public var agent: String
        public var name: String?
        public var offered = 0
        public var answered = 0
        public var missedOffered = 0
        public var rejected = 0
        public var missedShare: Double = 0
        public var callbackAttempts = 0
        public var avgAttemptsPerEpisode: Double = 0
        public var removed = false

        enum CodingKeys: String, CodingKey {
            case agent, name, offered, answered, missedOffered = "missed_offered", rejected, missedShare = "missed_share"
            case callbackAttempts = "callback_attempts", avgAttemptsPerEpisode = "avg_attempts_per_episode", removed
        }
    }

    /// Section IV — one bucket: Section I numbers plus Section II status counts.
    public struct Bucket: Codable, Sendable, Equatable {
        public var start: String
        public var end: String
        public var volume: Volume
        public var statuses: Callbacks

        enum CodingKeys: String, CodingKey {
            case start, end, episodes, calledBackByDepartment = "called_back_by_department"
            case calledBackElsewhere = "called_back_elsewhere", dismissed, notCalledBack = "not_called_back"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(start, forKey: .start)
            try c.encode(end, forKey: .end)
            try volume.encode(to: encoder)
            try c.encode(statuses.episodes, forKey: .episodes)
            try c.encode(statuses.calledBackByDepartment, forKey: .calledBackByDepartment)
            try c.encode(statuses.calledBackElsewhere, forKey: .calledBackElsewhere)
            try c.encode(statuses.dismissed, forKey: .dismissed)
            try c.encode(statuses.notCalledBack, forKey: .notCalledBack)
        }

        public init(start: String, end: String, volume: Volume, statuses: Callbacks) {
            self.start = start
            self.end = end
            self.volume = volume
            self.statuses = statuses
        }

        public init(from decoder: any Decoder) throws {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "buckets are output only"))
        }
    }

    /// Bucket sizes of Section IV.
    public enum BucketSize: String, Sendable, CaseIterable {
        case day, week, month
    }
}

/// A report period in a department's calendar.
public struct ReportPeriod: Sendable {
    /// Instants (ms), `[from, to)`.
    public var from: Int64
    public var to: Int64

    public init(from: Int64, to: Int64) {
        self.from = from
        self.to = to
    }

    /// `[from, to)`, an absent bound reaching to the end of what an event's `at` can be: without
    /// bounds, every event. (Lead reports print their period: these ends print as the years
    /// 0000 and 9999.)
    public static func bounded(from: Int64?, to: Int64?) -> ReportPeriod {
        ReportPeriod(from: from ?? EventTime.earliestMs, to: to ?? EventTime.latestMs + 1)
    }

    /// A bound given as `YYYY-MM-DD` (local midnight in `tz`) or an RFC 3339 time.
    public static func instant(_ text: String, in tz: TimeZone) -> Int64? {
        if let d = Calendar2.day(of: text), text.count == 10 { return Calendar2.startOfDay(d, in: tz) }
        return (try? EventTime(rfc3339: text))?.milliseconds
    }
}

/// Reads a department's facts from a cut and computes its reports.
public struct DepartmentView {
    public let engine: ProjectionEngine
    public let department: String
    public let cut: Cut
    public let timeline: DepartmentTimeline
    let source: any EventSource

    public init(engine: ProjectionEngine, department: String, cut: Cut = .all) throws {
        self.engine = engine
        self.department = department
        self.cut = cut
        source = try engine.eventSource(for: cut, consistentWith: "calls")
        timeline = DepartmentTimeline(department: department, events: try source.events(department: department))
    }

    public var timeZone: TimeZone { timeline.timeZone }

    /// Calls of the department started in the period.
    public func calls(_ p: ReportPeriod) throws -> [CallFact] {
        try Self.byStart(engine.facts(of: CallsProjection(), in: CallsProjection.range(department: department, from: p.from, to: p.to), cut: cut))
    }

    /// Calls by start time, then id. Sorts an index permutation: moving facts of a few hundred
    /// bytes through a sort cost more than comparing them.
    static func byStart(_ facts: [(entity: String, fact: CallFact)]) -> [CallFact] {
        let starts = facts.map { $0.fact.startedAt ?? 0 }
        let ids = facts.map(\.fact.callID)
        let order = facts.indices.sorted { i, j in starts[i] != starts[j] ? starts[i] < starts[j] : ids[i] < ids[j] }
        return order.map { facts[$0].fact }
    }

    /// Episodes of the department opened in the period, with their client.
    public func episodes(_ p: ReportPeriod) throws -> [ClientFact.Episode] {
        episodes(of: try engine.facts(of: ClientsProjection(), in: QueryKey.range("episode", department, from: p.from, to: p.to), cut: cut), in: p)
    }

    func episodes(of clients: [(entity: String, fact: ClientFact)], in p: ReportPeriod) -> [ClientFact.Episode] {
        clients.flatMap { $0.fact.episodes.filter { $0.department == department && $0.openedAt >= p.from && $0.openedAt < p.to } }
            .sorted { $0.openedAt < $1.openedAt }
    }

    /// The reason a call was missed by this department.
    public func reason(_ inputs: ReasonInputs) -> MissedReason {
        MissedReason.classify(inputs, settings: timeline.settings(at: inputs.startedAt))
    }

    // MARK: The report

    public func report(_ p: ReportPeriod, by bucket: DepartmentReport.BucketSize? = nil) throws -> DepartmentReport {
        let calls = try calls(p)
        let summaries = calls.map(summary)
        // Clients with an episode opened, or a callback attempt made, in the period: decoded once.
        let clients = try engine.facts(of: ClientsProjection(), in: [QueryKey.range("episode", department, from: p.from, to: p.to),
                                                                      QueryKey.range("attempt", department, from: p.from, to: p.to)], cut: cut)
        let episodes = episodes(of: clients, in: p)
        var report = DepartmentReport(department: department, from: Calendar2.rfc3339(p.from, in: timeZone),
                                      to: Calendar2.rfc3339(p.to, in: timeZone), volume: volume(summaries),
                                      callbacks: callbacks(episodes), agents: try agents(p, calls: calls, clients: clients), dynamics: nil)
        if let bucket {
            // Both lists are sorted by time: each bucket is a slice of them.
            report.dynamics = buckets(p, bucket).map { b in
                let s = summaries[summaries.partitionPoint { $0.startedAt >= b.from }..<summaries.partitionPoint { $0.startedAt >= b.to }]
                let e = episodes[episodes.partitionPoint { $0.openedAt >= b.from }..<episodes.partitionPoint { $0.openedAt >= b.to }]
                return DepartmentReport.Bucket(start: Calendar2.dateString(b.startDay), end: Calendar2.dateString(b.endDay),
                                               volume: volume(s), statuses: callbacks(e))
            }
        }
        return report
    }

    /// What Section I needs of one call, judged once per report.
    public struct CallSummary: Sendable {
        var startedAt: Int64
        var outcome: CallFact.Outcome
        var client: String?
        var reason: MissedReason?
        var queueWait: Double?
        var totalWait: Double?
    }

    func summary(_ c: CallFact) -> CallSummary {
        let o = c.outcome(in: department)
        var reason: MissedReason?
        if case .missed = o { reason = self.reason(c.reasonInputs(in: department)) }
        return CallSummary(startedAt: c.startedAt ?? 0, outcome: o, client: c.client, reason: reason,
                           queueWait: c.queueWait(in: department), totalWait: c.totalWait)
    }

    /// Section I over `calls` (calls of the department).
    public func volume(_ calls: [CallFact]) -> DepartmentReport.Volume { volume(calls.map(summary)) }

    /// Section I over judged calls.
    public func volume<C: Collection<CallSummary>>(_ calls: C) -> DepartmentReport.Volume {
        var v = DepartmentReport.Volume()
        var missedClients = Set<String>()
        var nonHiddenMissed = 0
        var waits: [Double] = []
        var totals: [Double] = []
        var reasons = [Int](repeating: 0, count: MissedReason.allCases.count)
        for c in calls {
            v.incoming += 1
            switch c.outcome {
            case .answered: v.answered += 1
            case .missed:
                v.missed += 1
                if let client = c.client, !client.isEmpty {
                    nonHiddenMissed += 1
                    missedClients.insert(client)
                } else {
                    v.hiddenMissed += 1
                }
                if let r = c.reason { reasons[MissedReason.allCases.firstIndex(of: r)!] += 1 }
            case .inProgress: break
            }
            if c.outcome != .inProgress {
                if let w = c.queueWait { waits.append(w) }
                if let t = c.totalWait { totals.append(t) }
            }
        }
        for (k, r) in MissedReason.allCases.enumerated() where reasons[k] > 0 {
            v.reasons[r.rawValue] += Double(reasons[k])
            v.classes[r.reasonClass.rawValue] += Double(reasons[k])
        }
        v.missedShare = share(v.missed, v.incoming)
        v.uniqueMissed = missedClients.count
        v.repeatMissed = nonHiddenMissed - missedClients.count
        v.avgWaitS = mean(waits)
        v.avgTotalWaitS = mean(totals)
        return v
    }

    /// Whether an episode was closed by a callback of this department.
    func closedByDepartmentCallback(_ e: ClientFact.Episode) -> Bool {
        guard e.closedHow == "callback", let at = e.closedAt else { return false }
        return e.closingDepartment == department || (e.closedBy.map { timeline.isMember($0, at: at) } ?? false)
    }

    func isDepartmentAttempt(_ a: ClientFact.Attempt) -> Bool {
        a.department == department || (a.agent.map { timeline.isMember($0, at: a.at) } ?? false)
    }

    /// Section II over `episodes` (episodes of the department).
    public func callbacks<C: Collection<ClientFact.Episode>>(_ episodes: C) -> DepartmentReport.Callbacks {
        var c = DepartmentReport.Callbacks()
        var delays: [Double] = []
        var within = [300: 0, 900: 0, 3600: 0]
        for e in episodes {
            c.episodes += 1
            let dayEnd = Calendar2.endOfDay(of: e.openedAt, in: timeZone)
            if let closed = e.closedAt, closed < dayEnd {
                switch e.closedHow {
                case "callback": if closedByDepartmentCallback(e) { c.calledBackByDepartment += 1 } else { c.calledBackElsewhere += 1 }
                case "client_got_through": c.calledBackElsewhere += 1
                case "dismissed": c.dismissed += 1
                default: c.notCalledBack += 1
                }
            } else {
                c.notCalledBack += 1
            }
            if let first = e.attempts.first(where: isDepartmentAttempt) { delays.append(Double(first.at - e.openedAt) / 1000) }
            if closedByDepartmentCallback(e), let closed = e.closedAt {
                for n in within.keys where closed - e.openedAt <= Int64(n) * 1000 { within[n]! += 1 }
            }
        }
        c.avgCallbackDelayS = mean(delays)
        for n in [300, 900, 3600] { c.resolvedWithin[String(n)] = share(within[n]!, c.episodes) }
        return c
    }

    /// Section III: members at any time of the period, plus anyone rung for the department's calls.
    public func agents(_ p: ReportPeriod, calls: [CallFact]) throws -> [DepartmentReport.AgentRow] {
        try agents(p, calls: calls, clients: engine.facts(of: ClientsProjection(), in: QueryKey.range("attempt", department, from: p.from, to: p.to), cut: cut))
    }

    /// Section III, with the clients that have callback attempts in the period among `clients`.
    func agents(_ p: ReportPeriod, calls: [CallFact], clients: [(entity: String, fact: ClientFact)]) throws -> [DepartmentReport.AgentRow] {
        // Rows live in an array, found through `slot`: a month has thousands of calls and a few
        // dozen agents, so each ring costs one hash look-up and no copy of a row.
        var slots: [String: Int] = [:]
        var rows: [DepartmentReport.AgentRow] = []
        var missedRang: [Int] = []
        func slot(_ agent: String) -> Int {
            if let k = slots[agent] { return k }
            slots[agent] = rows.count
            rows.append(DepartmentReport.AgentRow(agent: agent))
            missedRang.append(0)
            return rows.count - 1
        }
        for a in timeline.members(from: p.from, to: p.to) { _ = slot(a) }
        // Every row first: whether an answer counts must not depend on the order of the calls.
        for c in calls { for r in c.rings where r.department == department { _ = slot(r.agent) } }
        var missedTotal = 0
        // Per call: the distinct agents rung in this department, and what their rings came to
        // (bit 0: an offer they missed — no answer, rejected, caller hung up; bit 1: rejected).
        var rung: [(slot: Int, flags: UInt8)] = []
        for c in calls {
            let outcome = c.outcome(in: department)
            let isMissed: Bool = { if case .missed = outcome { return true } else { return false } }()
            if isMissed { missedTotal += 1 }
            rung.removeAll(keepingCapacity: true)
            for r in c.rings where r.department == department {
                let k = slot(r.agent)
                let flags: UInt8
                switch r.outcome {
                case "no_answer", "caller_hung_up": flags = 1
                case "rejected": flags = 3
                default: flags = 0
                }
                if let j = rung.firstIndex(where: { $0.slot == k }) { rung[j].flags |= flags } else { rung.append((k, flags)) }
            }
            // "Answered" as the reports count it: a call still going on is not yet (reports.md).
            // Every agent who picked it up: after a transfer, the one it went to answered it too.
            let answerers = outcome == .answered ? c.answers.map(\.agent) : []
            for (k, flags) in rung {
                rows[k].offered += 1
                if !answerers.contains(rows[k].agent) && flags & 1 != 0 { rows[k].missedOffered += 1 }
                if flags & 2 != 0 { rows[k].rejected += 1 }
                if isMissed { missedRang[k] += 1 }
            }
            // Someone neither a member nor rung (a pickup from elsewhere) gets no row.
            for a in answerers { if let k = slots[a] { rows[k].answered += 1 } }
        }
        // Callback attempts: outbound calls by the agent, started in the period, to a client with an
        // open episode of the department.
        struct EpisodeRef: Hashable {
            var client: String
            var index: Int
        }
        var attempts: [String: Set<String>] = [:]
        var attempted: [String: Set<EpisodeRef>] = [:]
        for f in clients {
            for (k, e) in f.fact.episodes.enumerated() where e.department == department {
                for a in e.attempts where a.at >= p.from && a.at < p.to {
                    guard let agent = a.agent else { continue }
                    attempts[agent, default: []].insert(a.callID)
                    attempted[agent, default: []].insert(EpisodeRef(client: f.entity, index: k))
                }
            }
        }
        // Rows are members and agents rung for the department's calls; others' callbacks add no row.
        for (agent, calls) in attempts {
            guard let k = slots[agent] else { continue }
            rows[k].callbackAttempts = calls.count
            rows[k].avgAttemptsPerEpisode = share(calls.count, attempted[agent]?.count ?? 0)
        }
        let names = try DepartmentTimeline.agentNames(source: source, departments: engine.log.departments())
        for k in rows.indices {
            let agent = rows[k].agent
            rows[k].missedShare = share(missedRang[k], missedTotal)
            rows[k].removed = timeline.wasRemoved(agent, by: p.to)
            rows[k].name = names[agent]
        }
        return rows.sorted { $0.agent < $1.agent }
    }

    /// Section IV bucket bounds: local days, ISO weeks (Monday) or months, clipped to the period.
    func buckets(_ p: ReportPeriod, _ size: DepartmentReport.BucketSize) -> [(from: Int64, to: Int64, startDay: Int, endDay: Int)] {
        var out: [(from: Int64, to: Int64, startDay: Int, endDay: Int)] = []
        var day = Calendar2.day(of: p.from, in: timeZone)
        let lastInstant = p.to
        while Calendar2.startOfDay(day, in: timeZone) < lastInstant {
            var next: Int
            switch size {
            case .day: next = day + 1
            case .week:
                let weekday = ((day % 7) + 7 + 3) % 7
                next = day + (7 - weekday)
            case .month:
                let (y, m, _) = EventTime.civilFromDays(day)
                next = EventTime.daysFromCivil(year: m == 12 ? y + 1 : y, month: m == 12 ? 1 : m + 1, day: 1)
            }
            let from = max(p.from, Calendar2.startOfDay(day, in: timeZone))
            let to = min(p.to, Calendar2.startOfDay(next, in: timeZone))
            let endDay = to == p.to ? Calendar2.day(of: p.to - 1, in: timeZone) + 1 : next
            if from < to { out.append((from, to, Calendar2.day(of: from, in: timeZone), endDay)) }
            day = next
        }
        return out
    }
}

extension RandomAccessCollection {
    /// The first index whose element satisfies `isAfter`, for a collection where every element
    /// satisfying it comes after every one that does not (binary search).
    func partitionPoint(_ isAfter: (Element) -> Bool) -> Index {
        var low = startIndex
        var n = count
        while n > 0 {
            let half = n / 2
            let mid = index(low, offsetBy: half)
            if isAfter(self[mid]) { n = half } else { low = index(after: mid); n -= half + 1 }
        }
        return low
    }
}

extension DepartmentReport.BucketSize {
    /// Why Section IV of `p` in buckets of this size is refused, or `nil`: it lists every bucket,
    /// empty ones too, so centuries by day kept a server busy for minutes on one request. More
    /// than 1,000 buckets is refused by the server and the CLI alike.
    public func tooMany(over p: ReportPeriod) -> String? {
        let days = (p.to - p.from) / 86_400_000 + 1
        let n = switch self { case .day: days; case .week: days / 7 + 1; case .month: days / 30 + 1 }
        return n <= 1000 ? nil : "by=\(rawValue) makes about \(n) buckets over this period; at most 1000: a longer bucket or a shorter period"
    }
}
