import LedgerEvents
import LedgerProjections

/// One CRM lead as of a cut: a pure function of its `lead.*` events (reports.md, "Leads").
///
/// Current status, group and assignee are the latest by occurred time (ties in the canonical
/// order); the assignee falls back to `lead.created`'s. Conversions count whenever they happened,
/// also after a failure.
public struct LeadFact: Codable, Sendable, Equatable {
    public var leadID: String
    public var type: String
    public var createdAt: Int64
    /// `lead.created`'s client, normalised ("" hidden), and call.
    public var client: String?
    public var callID: String?
    public var assignee: String?
    public var status: String?
    public var group: String?
    /// When the current group began (the status change that set it).
    public var groupSince: Int64?
    public var toOrder: Bool
    public var toSale: Bool
    public var amount: Double

    public var converted: Bool { toOrder || toSale }
    public var isLost: Bool { group == "closed_failure" }

    /// nil until the lead's `lead.created` is in the cut (a lead without it is in no period).
    public static func compute(leadID: String, events unsorted: [RecordedEvent]) -> LeadFact? {
        let events = unsorted.inOccurrenceOrder
        guard let created = events.first(where: { $0.event.type == .leadCreated })?.event else { return nil }
        var f = LeadFact(leadID: leadID, type: created.data.string("type") ?? "", createdAt: created.at.milliseconds,
                         client: created.data.string("client").map { ClientNumber($0).digits }, callID: created.data.string("call_id"),
                         assignee: created.data.string("assignee"), status: nil, group: nil, groupSince: nil,
                         toOrder: false, toSale: false, amount: 0)
        for r in events {
            let e = r.event
            switch e.type {
            case .leadAssigned:
                f.assignee = e.data.string("assignee") ?? f.assignee
            case .leadStatusChanged:
                let group = e.data.string("group")
                if group != f.group { f.groupSince = e.at.milliseconds }
                f.status = e.data.string("status")
                f.group = group
            case .leadConverted:
                if e.data.string("into") == "order" { f.toOrder = true }
                if e.data.string("into") == "sale" { f.toSale = true }
                f.amount += e.data["amount"]?.doubleValue ?? 0
            default:
                continue
            }
        }
        return f
    }
}

/// Leads: one ``LeadFact`` per lead, found by creation time (and lost leads by when they were lost).
public struct LeadsProjection: Projection {
    public let name = "leads"
    public let version = 1
    public init() {}

    public func entities(touchedBy e: RecordedEvent, source: any EventSource) -> [String] {
        e.event.type.rawValue.hasPrefix("lead.") ? e.event.leadID.map { [$0] } ?? [] : []
    }

    public func fact(of leadID: String, source: any EventSource) throws -> LeadFact? {
        LeadFact.compute(leadID: leadID, events: try source.events(leadID: leadID))
    }

    public func queryKeys(of f: LeadFact) -> [QueryKey] { [QueryKey("created", time: f.createdAt)] }

    /// Leads created in `[from, to)`.
    public static func range(from: Int64, to: Int64) -> QueryKey.ClosedOpenRange { QueryKey.range("created", from: from, to: to) }
}
