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
        let cut = asOf.cut
        let at = try LiveView.instant(of: cut, log: engine.log, now: LiveView.nowMs)
        let panel = try LiveView(engine: engine, department: department, at: at, cut: cut).panel()
        try out.emit(table: { LiveText.table(panel) }, json: { try reportJSON(panel) }, export: .live(panel))
    }
}

enum LiveText {
    static func table(_ p: LivePanel) -> String {
        var text = "live panel of \(p.department) at \(p.at) (last hour from \(p.windowFrom))\n\n"
        text += Terminal.table(["metric", "value"], p.metrics.named.map { [$0.name, LivePanel.text(metric: $0.name, $0.value)] })
        text += "\nservice level: \(p.serviceLevel.formula)\n\n"
        text += Terminal.table(LivePanel.agentHeader, p.agents.map(LivePanel.agentCells))
        return text
    }
}
