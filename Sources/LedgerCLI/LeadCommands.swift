import ArgumentParser
import Foundation
import LedgerEvents
import LedgerReports
import LedgerXLSX

/// Options shared by the lead reports: the period (by `lead.created`), a type, the output zone.
struct LeadOptions: ParsableArguments {
    @Option(help: "Leads created at or after: YYYY-MM-DD (in --timezone) or RFC 3339. Default: all.") var from: String?
    @Option(help: "Leads created before (exclusive).") var to: String?
    @Option(help: "Only leads of this type.") var type: String?
    @Option(help: "IANA time zone for dates and output times (default UTC).") var timezone: String = "UTC"

    func validate() throws {
        guard TimeZone(identifier: timezone) != nil else { throw ValidationError("--timezone: unknown zone \(timezone)") }
    }

    var zone: TimeZone { TimeZone(identifier: timezone)! }

    func period() throws -> ReportPeriod {
        // "All time" reaches from 1970 to 2100: far beyond any lead, and printable.
        ReportPeriod(from: try bound(from, "--from", zone) ?? 0, to: try bound(to, "--to", zone) ?? 4_102_444_800_000)
    }
}

struct LeadConversionReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lead-conversion", abstract: "Leads, orders, sales and conversion per lead type and in total.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var leads: LeadOptions
    @OptionGroup var asOf: AsOfOptions
    @OptionGroup var out: OutputOptions

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        defer { engine.log.close() }
        let r = try LeadView(engine: engine, cut: asOf.cut, timeZone: leads.zone).conversion(try leads.period(), type: leads.type)
        let header = ["type", "leads", "to_order", "to_sale", "converted", "conversion_pct"]
        let rows = r.types + [r.total]
        func cells(_ x: ConversionRow) -> [String] {
            [x.type ?? "total", String(x.leads), String(x.toOrder), String(x.toSale), String(x.converted), String(format: "%.1f", x.conversionPct)]
        }
        try out.emit(table: { Terminal.table(header, rows.map(cells)) }, json: { try reportJSON(r) }, csv: { CSV.text(header, rows.map(cells)) },
                     sheets: { [XLSXSheet(name: "Lead conversion", columns: [("type", .text), ("leads", .integer), ("to_order", .integer),
                                                                             ("to_sale", .integer), ("converted", .integer), ("conversion_pct", .decimal)],
                                          rows: rows.map { x in [.text(x.type ?? "total"), .number(Double(x.leads)), .number(Double(x.toOrder)),
                                                                 .number(Double(x.toSale)), .number(Double(x.converted)), .number(x.conversionPct)] })] })
    }
}

struct LostLeadsReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lost-leads", abstract: "Leads closed unsuccessfully, with the reason (status), and counts per reason.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var leads: LeadOptions
    @OptionGroup var asOf: AsOfOptions
    @OptionGroup var out: OutputOptions

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        defer { engine.log.close() }
        let r = try LeadView(engine: engine, cut: asOf.cut, timeZone: leads.zone).lost(try leads.period(), type: leads.type)
        let header = ["lead_id", "type", "status", "assignee", "created_at", "closed_at"]
        func cells(_ x: LostLeadRow) -> [String] { [x.leadID, x.type, x.status, x.assignee ?? "", x.createdAt, x.closedAt ?? ""] }
        try out.emit(table: {
            Terminal.table(header, r.leads.map { x in [x.leadID, x.type, x.status, x.assignee ?? "", Cells.short(x.createdAt), Cells.short(x.closedAt)] })
                + "\nby status: " + r.byStatus.keys.map { "\($0) \(Cells.num(r.byStatus[$0]))" }.joined(separator: ", ") + "\n"
        }, json: { try reportJSON(r) }, csv: { CSV.text(header, r.leads.map(cells)) },
        sheets: { [XLSXSheet(name: "Lost leads", columns: header.map { ($0, .text) }, rows: r.leads.map { cells($0).map { .text($0) } }),
                   XLSXSheet(name: "By status", columns: [("status", .text), ("leads", .integer)],
                             rows: r.byStatus.keys.map { [.text($0), .number(r.byStatus[$0])] })] })
    }
}

struct EmployeePerformanceReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "employee-performance", abstract: "Per current assignee: leads, orders, sales, conversion, and their leads.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var leads: LeadOptions
    @OptionGroup var asOf: AsOfOptions
    @OptionGroup var out: OutputOptions

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        defer { engine.log.close() }
        let r = try LeadView(engine: engine, cut: asOf.cut, timeZone: leads.zone).employees(try leads.period(), type: leads.type)
        let header = ["assignee", "leads", "to_order", "to_sale", "conversion_pct"]
        func cells(_ x: EmployeePerformance.Employee) -> [String] {
            [x.assignee ?? "(unassigned)", String(x.leads), String(x.toOrder), String(x.toSale), String(format: "%.1f", x.conversionPct)]
        }
        try out.emit(table: { Terminal.table(header, r.employees.map(cells)) }, json: { try reportJSON(r) },
                     csv: { CSV.text(header, r.employees.map(cells)) },
                     sheets: { [XLSXSheet(name: "Employees", columns: [("assignee", .text), ("leads", .integer), ("to_order", .integer),
                                                                       ("to_sale", .integer), ("conversion_pct", .decimal)],
                                          rows: r.employees.map { x in [.text(x.assignee ?? "(unassigned)"), .number(Double(x.leads)),
                                                                        .number(Double(x.toOrder)), .number(Double(x.toSale)), .number(x.conversionPct)] }),
                                XLSXSheet(name: "Leads", columns: [("assignee", .text), ("lead_id", .text), ("status", .text), ("type", .text)],
                                          rows: r.employees.flatMap { e in e.leadsList.map { [.text(e.assignee ?? ""), .text($0.leadID), .text($0.status ?? ""), .text($0.type)] } })] })
    }
}

struct LeadCallsReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lead-calls", abstract: "Leads whose call or client had a missed call: how many were lost, and who is still waiting for a callback.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var leads: LeadOptions
    @OptionGroup var asOf: AsOfOptions
    @OptionGroup var out: OutputOptions

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        defer { engine.log.close() }
        let r = try LeadView(engine: engine, cut: asOf.cut, timeZone: leads.zone).calls(try leads.period(), type: leads.type)
        let header = ["lead_id", "type", "status", "lost", "client", "missed_calls", "waiting_in_queue"]
        func cells(_ x: LeadCalls.Row) -> [String] {
            [x.leadID, x.type, x.status ?? "", x.lost ? "yes" : "no", x.client ?? "", String(x.missedCalls), x.waitingInQueue ? "yes" : "no"]
        }
        try out.emit(table: { Terminal.table(header, r.leads.map(cells)) + "\n\(r.withMissedCalls) leads had missed calls; \(r.lost) of them were lost\n" },
                     json: { try reportJSON(r) }, csv: { CSV.text(header, r.leads.map(cells)) },
                     sheets: { [XLSXSheet(name: "Leads with missed calls", columns: header.map { ($0, $0 == "missed_calls" ? .integer : .text) },
                                          rows: r.leads.map { x in cells(x).enumerated().map { k, v in header[k] == "missed_calls" ? .number(Double(v)!) : .text(v) } })] })
    }
}
