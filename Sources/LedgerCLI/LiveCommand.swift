import ArgumentParser
import Foundation
import LedgerExport
import LedgerProjections
import LedgerReports
import LedgerXLSX

/// `call-ledger report live`: the live panel of a department now, or as of an instant.
struct LiveReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "The live panel of a department (Mango's call-center panel): queue, last hour, agents.",
        discussion: """
        Without an as-of option: now. --as-of T shows what the supervisor saw at T (the events that had happened by T); \
        --as-of-recorded T what the ledger knew at T; --as-of-position P the panel at the recorded time of event P.
        """
    )
    @OptionGroup var global: GlobalOptions
    @Option(help: "The department.") var department: String
    @OptionGroup var asOf: AsOfOptions
    @OptionGroup var out: OutputOptions

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        defer { engine.log.close() }
        noteUnknownDepartment(engine, department)
        let cut = asOf.cut
        let at = try LiveView.instant(of: cut, log: engine.log, now: LiveView.nowMs)
        let panel = try LiveView(engine: engine, department: department, at: at, cut: cut).panel()
        try out.emit(table: { LiveText.table(panel) }, json: { try reportJSON(panel) }, export: .live(panel))
    }
}

/// The live panel as people read it (the files for machines are `ReportExport.live`).
enum LiveText {
    static let agentHeader = ["agent", "name", "status", "in status", "occupancy", "answered 1h", "outbound 1h", "avg in talk", "avg out talk"]

    /// Percentages (`*_pct`, and the missed share of the last hour) with one decimal and `%`, others as numbers.
    static func display(metric name: String, _ v: Double) -> String {
        name.hasSuffix("_pct") || name.hasPrefix("missed_pct") ? String(format: "%.1f%%", v) : Cells.num((v * 1000).rounded() / 1000)
    }

    static func agentCells(_ a: LiveAgentRow) -> [String] {
        [a.agent, a.name ?? "", a.status + (a.call.map { " (\($0))" } ?? ""), a.inStatusS.map { Cells.num($0.rounded()) + " s" } ?? "",
         String(format: "%.1f%%", a.occupancyPct), String(a.answeredLastHour), String(a.outboundLastHour),
         Cells.num(a.avgInboundTalkS.rounded()), Cells.num(a.avgOutboundTalkS.rounded())]
    }

    static func table(_ p: LivePanel) -> String {
        var text = "live panel of \(p.department) at \(p.at) (last hour from \(p.windowFrom))\n\n"
        text += Terminal.table(["metric", "value"], p.metrics.named.map { [$0.name, display(metric: $0.name, $0.value)] })
        text += "\nservice level: \(p.serviceLevel.formula)\n\n"
        text += Terminal.table(agentHeader, p.agents.map(agentCells))
        return text
    }
}
