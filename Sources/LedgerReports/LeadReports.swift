import Foundation
import LedgerEvents
import LedgerProjections

/// Conversion figures of a group of leads (a type, or all).
public struct ConversionRow: Codable, Sendable, Equatable {
    public var type: String?
    public var leads = 0
    public var toOrder = 0
    public var toSale = 0
    public var converted = 0
    public var conversionPct: Double = 0

    enum CodingKeys: String, CodingKey {
        case type, leads, toOrder = "to_order", toSale = "to_sale", converted, conversionPct = "conversion_pct"
    }

    mutating func add(_ f: LeadFact) {
        leads += 1
        if f.toOrder { toOrder += 1 }
        if f.toSale { toSale += 1 }
        if f.converted { converted += 1 }
        conversionPct = share(converted, leads) * 100
    }
}

/// `lead_conversion` (reports.md): per type and in total, for leads created in the period.
public struct LeadConversion: Codable, Sendable {
    public var from: String
    public var to: String
    public var types: [ConversionRow]
    public var total: ConversionRow
}

/// One lost lead (`assignee`, `closed_at` null when unknown).
public struct LostLeadRow: Codable, Sendable, Equatable, ExplicitNulls {
    public var leadID: String
    public var type: String
    public var status: String
    public var assignee: String?
    public var createdAt: String
    public var closedAt: String?

    enum CodingKeys: String, CodingKey {
        case leadID = "lead_id", type, status, assignee, createdAt = "created_at", closedAt = "closed_at"
    }
}

/// `lost_leads` (reports.md): leads whose group is `closed_failure` in the cut, with counts per status.
public struct LostLeads: Codable, Sendable {
    public var leads: [LostLeadRow]
    public var byStatus: OrderedCounts

    enum CodingKeys: String, CodingKey {
        case leads, byStatus = "by_status"
    }
}

/// `employee_performance` (reports.md): per current assignee.
public struct EmployeePerformance: Codable, Sendable {
    public var employees: [Employee]

    public struct Employee: Codable, Sendable, Equatable, ExplicitNulls {
        public var assignee: String?
        public var leads: Int
        public var toOrder: Int
        public var toSale: Int
        public var conversionPct: Double
        public var leadsList: [LeadItem]

        enum CodingKeys: String, CodingKey {
            case assignee, leads, toOrder = "to_order", toSale = "to_sale", conversionPct = "conversion_pct", leadsList = "leads_list"
        }
    }

    public struct LeadItem: Codable, Sendable, Equatable, ExplicitNulls {
        public var leadID: String
        public var status: String?
        public var type: String

        enum CodingKeys: String, CodingKey {
            case leadID = "lead_id", status, type
        }
    }
}

/// Calls behind leads: leads whose call or client had a missed call, and what became of them.
public struct LeadCalls: Codable, Sendable {
    /// Leads of the period whose `call_id` or client had a missed call.
    public var withMissedCalls: Int
    /// How many of those were lost.
    public var lost: Int
    public var leads: [Row]

    public struct Row: Codable, Sendable, Equatable, ExplicitNulls {
        public var leadID: String
        public var type: String
        public var status: String?
        public var lost: Bool
        public var client: String?
        /// Missed calls: the lead's own call (if missed) and the client's missed calls.
        public var missedCalls: Int
        /// Whether the client is waiting in an unprocessed episode (any department) in the cut.
        public var waitingInQueue: Bool

        enum CodingKeys: String, CodingKey {
            case leadID = "lead_id", type, status, lost, client, missedCalls = "missed_calls", waitingInQueue = "waiting_in_queue"
        }
    }

    enum CodingKeys: String, CodingKey {
        case withMissedCalls = "with_missed_calls", lost, leads
    }
}

/// The lead reports for a period of `lead.created` times, as of a cut.
public struct LeadView {
    public let engine: ProjectionEngine
    public let cut: Cut
    /// Output time zone (UTC unless given).
    public let timeZone: TimeZone

    public init(engine: ProjectionEngine, cut: Cut = .all, timeZone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.engine = engine
        self.cut = cut
        self.timeZone = timeZone
    }

    /// Leads created in the period, of `type` when given, by id.
    public func leads(_ p: ReportPeriod, type: String? = nil) throws -> [LeadFact] {
        try engine.facts(of: LeadsProjection(), in: LeadsProjection.range(from: p.from, to: p.to), cut: cut).map(\.fact)
            .filter { type == nil || $0.type == type }
            .sorted { ($0.createdAt, $0.leadID) < ($1.createdAt, $1.leadID) }
    }

    public func conversion(_ p: ReportPeriod, type: String? = nil) throws -> LeadConversion {
        var byType: [String: ConversionRow] = [:]
        var total = ConversionRow()
        for f in try leads(p, type: type) {
            byType[f.type, default: ConversionRow(type: f.type)].add(f)
            total.add(f)
        }
        return LeadConversion(from: Calendar2.rfc3339(p.from, in: timeZone), to: Calendar2.rfc3339(min(p.to, EventTime.latestMs), in: timeZone),
                              types: byType.keys.sorted().map { byType[$0]! }, total: total)
    }

    public func lost(_ p: ReportPeriod, type: String? = nil) throws -> LostLeads {
        let lost = try leads(p, type: type).filter(\.isLost)
        var counts = OrderedCounts(keys: Array(Set(lost.compactMap(\.status))).sorted())
        for f in lost { counts[f.status ?? ""] += 1 }
        return LostLeads(leads: lost.map { f in
            LostLeadRow(leadID: f.leadID, type: f.type, status: f.status ?? "", assignee: f.assignee,
                        createdAt: Calendar2.rfc3339(f.createdAt, in: timeZone), closedAt: f.groupSince.map { Calendar2.rfc3339($0, in: timeZone) })
        }, byStatus: counts)
    }

    public func employees(_ p: ReportPeriod, type: String? = nil) throws -> EmployeePerformance {
        var groups: [String: [LeadFact]] = [:]
        for f in try leads(p, type: type) { groups[f.assignee ?? "", default: []].append(f) }
        return EmployeePerformance(employees: groups.keys.sorted().map { key in
            let list = groups[key]!
            var row = ConversionRow()
            for f in list { row.add(f) }
            return EmployeePerformance.Employee(assignee: key.isEmpty ? nil : key, leads: row.leads, toOrder: row.toOrder, toSale: row.toSale,
                                                conversionPct: row.conversionPct,
                                                leadsList: list.map { .init(leadID: $0.leadID, status: $0.status, type: $0.type) })
        })
    }

    /// Leads whose call or client had a missed call (in any department), how many were lost, and
    /// for each whether its client waits in an unprocessed episode.
    public func calls(_ p: ReportPeriod, type: String? = nil) throws -> LeadCalls {
        var rows: [LeadCalls.Row] = []
        for f in try leads(p, type: type) {
            var missed = 0
            var missedCallIDs = Set<String>()
            if let c = f.callID, let call = try engine.fact(of: CallsProjection(), entity: c, cut: cut) {
                for d in call.departments {
                    if case .missed = call.outcome(in: d) { missedCallIDs.insert(call.callID) }
                }
            }
            var waiting = false
            if let client = f.client, !client.isEmpty, let cf = try engine.fact(of: ClientsProjection(), entity: client, cut: cut) {
                for e in cf.episodes {
                    for m in e.missedCalls { missedCallIDs.insert(m.callID) }
                    if e.isOpen { waiting = true }
                }
            }
            missed = missedCallIDs.count
            guard missed > 0 else { continue }
            rows.append(LeadCalls.Row(leadID: f.leadID, type: f.type, status: f.status, lost: f.isLost, client: f.client.flatMap { $0.isEmpty ? nil : $0 },
                                      missedCalls: missed, waitingInQueue: waiting))
        }
        return LeadCalls(withMissedCalls: rows.count, lost: rows.filter(\.lost).count, leads: rows)
    }
}
