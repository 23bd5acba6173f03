import ArgumentParser
import Foundation
import LedgerEvents
import LedgerReports
import LedgerExport

/// Options shared by the lead reports: the period (by `lead.created`), a type, the output zone.
struct LeadOptions: ParsableArguments {
    @Option(help: "Leads created at or after: YYYY-MM-DD (in --timezone) or RFC 3339. Default: all.") var from: String?
    @Option(help: "Leads created before (exclusive).") var to: String?
    @Option(help: "Only leads of this type.") var type: String?
    @Option(help: "IANA time zone for dates and output times (default UTC).") var timezone: String = "UTC"

    func validate() throws {
        guard EventValidator.ianaTimeZone(timezone) != nil else {
            throw ValidationError("--timezone: unknown zone \(timezone); use an IANA name such as Europe/Moscow or UTC")
        }
    }

    var zone: TimeZone { EventValidator.ianaTimeZone(timezone)! }

    func period() throws -> ReportPeriod {
        let b = try bounds(from, to, zone)
        return ReportPeriod.bounded(from: b.from, to: b.to)
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
            [x.type ?? "(all types)", String(x.leads), String(x.toOrder), String(x.toSale), String(x.converted), String(format: "%.1f", x.conversionPct)]
        }
        try out.emit(table: { Terminal.table(header, rows.map(cells)) }, json: { try reportJSON(r) }, export: .leadConversion(r))
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
        try out.emit(table: {
            Terminal.table(ReportExport.lostHeader, r.leads.map { x in [x.leadID, x.type, x.status, x.assignee ?? "", Cells.short(x.createdAt), Cells.short(x.closedAt)] })
                + "\nby status: " + r.byStatus.keys.map { "\($0) \(Cells.num(r.byStatus[$0]))" }.joined(separator: ", ") + "\n"
        }, json: { try reportJSON(r) }, export: .lostLeads(r))
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
        try out.emit(table: { Terminal.table(ReportExport.employeeHeader, r.employees.map(ReportExport.employeeCells)) }, json: { try reportJSON(r) },
                     export: .employees(r))
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
        try out.emit(table: { Terminal.table(ReportExport.leadCallsHeader, r.leads.map(ReportExport.leadCallsCells))
                                  + "\n\(r.withMissedCalls) leads had missed calls; \(r.lost) of them were lost\n" },
                     json: { try reportJSON(r) }, export: .leadCalls(r))
    }
}
