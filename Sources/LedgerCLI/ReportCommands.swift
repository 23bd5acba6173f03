import ArgumentParser
import Foundation
import LedgerEvents
import LedgerLog
import LedgerProjections
import LedgerReports
import LedgerXLSX

/// Formats shared by the report commands.
enum Cells {
    static func num(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format: "%.3f", x)
    }
    static func opt(_ x: Double?) -> String { x.map(num) ?? "" }
    static func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
    /// A time shortened for tables: `2026-11-21 09:15:02`.
    static func short(_ rfc: String?) -> String {
        guard let s = rfc, s.count >= 19 else { return rfc ?? "" }
        return String(s.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }
}

extension EpisodeRow {
    static func sheet(_ name: String, _ rows: [EpisodeRow]) -> XLSXSheet {
        let numeric: Set<String> = ["lost_for_s", "missed_calls", "callback_attempts"]
        return XLSXSheet(name: name, columns: csvHeader.map { ($0, numeric.contains($0) ? ($0 == "lost_for_s" ? .decimal : .integer) : .text) },
                         rows: rows.map { r in r.csvCells.enumerated().map { k, v in numeric.contains(csvHeader[k]) ? .number(Double(v) ?? 0) : .text(v) } })
    }

    static let header = ["client", "first call", "last call", "lost for", "missed", "attempts", "reason"]
    var cells: [String] {
        [client, Cells.short(firstCallAt), Cells.short(lastCallAt), Cells.num(lostForS), String(missedCalls), String(callbackAttempts), lastReason]
    }
    static let processedHeader = ["client", "first call", "missed", "attempts", "closed", "how", "by", "reason"]
    var processedCells: [String] {
        [client, Cells.short(firstCallAt), String(missedCalls), String(callbackAttempts), Cells.short(closedAt), closedHow ?? "", closedBy ?? "",
         [reason, comment].compactMap { $0 }.joined(separator: ": ")]
    }
    static let csvHeader = ["department", "client", "first_call_at", "last_call_at", "lost_for_s", "missed_calls", "callback_attempts",
                            "last_reason", "opened_at", "closed_at", "closed_how", "closed_by", "reason", "comment", "calls"]
    var csvCells: [String] {
        [department, client, firstCallAt, lastCallAt, Cells.num(lostForS), String(missedCalls), String(callbackAttempts), lastReason,
         openedAt, closedAt ?? "", closedHow ?? "", closedBy ?? "", reason ?? "", comment ?? "", calls.joined(separator: " ")]
    }
}

struct Unprocessed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open missed-call episodes of a department, oldest first (Ringostat's \"Unprocessed missed calls\").")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The department.") var department: String
    @OptionGroup var asOf: AsOfOptions
    @OptionGroup var out: OutputOptions

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        defer { engine.log.close() }
        let rows = try DepartmentView(engine: engine, department: department, cut: asOf.cut).unprocessed()
        try out.emit(table: { Terminal.table(EpisodeRow.header, rows.map(\.cells)) + "\(rows.count) open episode\(rows.count == 1 ? "" : "s")\n" },
                     json: { try reportJSON(rows) }, csv: { CSV.text(EpisodeRow.csvHeader, rows.map(\.csvCells)) },
                     sheets: { [EpisodeRow.sheet("Unprocessed", rows)] })
    }
}

struct Processed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Closed episodes of a department, newest closed first: how, by whom, reason and comment.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The department.") var department: String
    @Option(help: "Closed at or after (YYYY-MM-DD in the department's zone, or RFC 3339).") var from: String?
    @Option(help: "Closed before.") var to: String?
    @Option(help: "At most this many rows.") var limit: Int = 500
    @OptionGroup var asOf: AsOfOptions
    @OptionGroup var out: OutputOptions

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        defer { engine.log.close() }
        let view = try DepartmentView(engine: engine, department: department, cut: asOf.cut)
        var period: ReportPeriod?
        if from != nil || to != nil {
            period = ReportPeriod(from: try bound(from, "--from", view.timeZone) ?? Int64.min / 2, to: try bound(to, "--to", view.timeZone) ?? Int64.max / 2)
        }
        let rows = try view.processed(period, limit: limit)
        try out.emit(table: { Terminal.table(EpisodeRow.processedHeader, rows.map(\.processedCells)) }, json: { try reportJSON(rows) },
                     csv: { CSV.text(EpisodeRow.csvHeader, rows.map(\.csvCells)) }, sheets: { [EpisodeRow.sheet("Processed", rows)] })
    }
}

/// A period bound in a department's zone: `YYYY-MM-DD` (local midnight) or RFC 3339.
func bound(_ text: String?, _ flag: String, _ tz: TimeZone) throws -> Int64? {
    guard let text else { return nil }
    guard let t = ReportPeriod.instant(text, in: tz) else {
        throw ValidationError("\(flag): expected a date YYYY-MM-DD or \(EventTime.expectedForm)")
    }
    return t
}

enum BucketOption: String, ExpressibleByArgument, CaseIterable {
    case day, week, month
}

struct DepartmentSummary: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "department",
        abstract: "The department missed report (\"Как пропустили\"): volume and reasons, callbacks, agents, dynamics.",
        discussion: "Dates are local to the department's time zone; --to is exclusive (2026-11-01 to 2026-12-01 is November)."
    )
    @OptionGroup var global: GlobalOptions
    @Option(help: "The department.") var department: String
    @Option(help: "Period start: YYYY-MM-DD or RFC 3339.") var from: String
    @Option(help: "Period end (exclusive).") var to: String
    @Option(help: "Dynamics by day, week or month.") var by: BucketOption?
    @OptionGroup var asOf: AsOfOptions
    @OptionGroup var out: OutputOptions

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        defer { engine.log.close() }
        let view = try DepartmentView(engine: engine, department: department, cut: asOf.cut)
        let period = ReportPeriod(from: try bound(from, "--from", view.timeZone)!, to: try bound(to, "--to", view.timeZone)!)
        guard period.from < period.to else { throw ValidationError("--from must be before --to") }
        let report = try view.report(period, by: by.flatMap { DepartmentReport.BucketSize(rawValue: $0.rawValue) })
        try out.emit(table: { DepartmentReportText.table(report) }, json: { try reportJSON(report) },
                     csv: { DepartmentReportText.csv(report) }, sheets: { DepartmentReportText.sheets(report) })
    }
}

struct Calls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The calls of a department in a period (Mango's \"Incoming calls\"), oldest first.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The department.") var department: String
    @Option(help: "Period start: YYYY-MM-DD or RFC 3339.") var from: String
    @Option(help: "Period end (exclusive).") var to: String
    @Option(help: "answered, missed or in_progress.") var result: String?
    @Option(help: "A missed reason, e.g. not_answered.") var reason: String?
    @Option(help: "Comma-separated columns for table/csv (default: all). Known: \(CallColumns.all.joined(separator: ","))")
    var columns: String?
    @OptionGroup var asOf: AsOfOptions
    @OptionGroup var out: OutputOptions

    func validate() throws {
        if let result, !["answered", "missed", "in_progress"].contains(result) { throw ValidationError("--result: answered, missed or in_progress") }
        if let reason, MissedReason(rawValue: reason) == nil {
            throw ValidationError("--reason: one of \(MissedReason.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let columns {
            for c in columns.split(separator: ",") where !CallColumns.all.contains(String(c)) {
                throw ValidationError("--columns: unknown column \(c); known: \(CallColumns.all.joined(separator: ","))")
            }
        }
    }

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        defer { engine.log.close() }
        let view = try DepartmentView(engine: engine, department: department, cut: asOf.cut)
        let period = ReportPeriod(from: try bound(from, "--from", view.timeZone)!, to: try bound(to, "--to", view.timeZone)!)
        let rows = try view.callList(period, result: result, reason: reason)
        let cols = columns.map { $0.split(separator: ",").map(String.init) } ?? (out.format == .table ? CallColumns.tableDefault : CallColumns.all)
        try out.emit(table: { Terminal.table(cols, rows.map { r in cols.map { CallColumns.cell(r, $0, short: true) } }) + "\(rows.count) calls\n" },
                     json: { try reportJSON(rows) },
                     csv: { CSV.text(cols, rows.map { r in cols.map { CallColumns.cell(r, $0, short: false) } }) },
                     sheets: { [XLSXSheet(name: "Calls", columns: cols.map { ($0, $0.hasSuffix("_s") ? .decimal : .text) },
                                          rows: rows.map { r in cols.map { c in
                                              let v = CallColumns.cell(r, c, short: false)
                                              return c.hasSuffix("_s") ? (Double(v).map { .number($0) } ?? .empty) : .text(v)
                                          } })] })
    }
}

enum CallColumns {
    static let all = ["call_id", "line", "client", "started_at", "result", "reason", "ivr_options", "queue_wait_s", "total_wait_s",
                      "answered_by", "last_rung", "rung"]
    static let tableDefault = ["started_at", "client", "result", "reason", "queue_wait_s", "answered_by", "last_rung"]

    static func cell(_ r: CallRow, _ c: String, short: Bool) -> String {
        switch c {
        case "call_id": r.callID
        case "line": r.line ?? ""
        case "client": r.client ?? ""
        case "started_at": short ? Cells.short(r.startedAt) : r.startedAt
        case "result": r.result
        case "reason": r.reason ?? ""
        case "ivr_options": r.ivrOptions.joined(separator: " ")
        case "queue_wait_s": Cells.opt(r.queueWaitS)
        case "total_wait_s": Cells.opt(r.totalWaitS)
        case "answered_by": r.answeredBy ?? ""
        case "last_rung": r.lastRung ?? ""
        case "rung": r.rung.map { "\($0.agent):\($0.outcome)" }.joined(separator: " ")
        default: ""
        }
    }
}

struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "call", abstract: "One call's whole timeline: greeting, IVR, queues, every ring and how it ended, answer, end.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The call_id.") var callID: String
    @OptionGroup var asOf: AsOfOptions
    @OptionGroup var out: OutputOptions

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        defer { engine.log.close() }
        guard let detail = try CallDetail.load(engine: engine, callID: callID, cut: asOf.cut) else {
            throw CLIError("no call \(callID) in the ledger\(asOf.cut == .all ? "" : " as of \(asOf.cut)")")
        }
        let steps = detail.timeline.map { [$0.at, $0.type, $0.text, String($0.position)] }
        try out.emit(table: { tableText(detail) }, json: { try reportJSON(detail) },
                     csv: { CSV.text(["at", "type", "text", "position"], steps) },
                     sheets: { [XLSXSheet(name: "Call \(detail.callID)", columns: [("at", .text), ("type", .text), ("what", .text), ("position", .integer)],
                                          rows: detail.timeline.map { [.text($0.at), .text($0.type), .text($0.text), .number(Double($0.position))] })] })
    }

    func tableText(_ detail: CallDetail) -> String {
            var text = "call \(detail.callID)\n\n"
            text += Terminal.table(["at", "what"], detail.timeline.map { [Cells.short($0.at), $0.text] })
            for s in detail.summary {
                text += "\n\(s.result)" + (s.reason.map { " (\($0))" } ?? "") + ", queue wait \(Cells.opt(s.queueWaitS)) s, total wait \(Cells.opt(s.totalWaitS)) s"
                if let a = s.answeredBy { text += ", answered by \(a)" } else if let l = s.lastRung { text += ", last rung \(l)" }
                text += "\n"
            }
            return text
    }
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Audits.", subcommands: [Dismissals.self])

    struct Dismissals: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Who dismissed which missed call, when and why; attempts before; contact after.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Dismissed by this person.") var by: String?
        @Option(help: "With this reason.") var reason: String?
        @Option(help: "In this department.") var department: String?
        @Option(help: "For this client number.") var client: String?
        @Option(help: "At or after (RFC 3339, or YYYY-MM-DD UTC).") var from: String?
        @Option(help: "Before.") var to: String?
        @OptionGroup var asOf: AsOfOptions
        @OptionGroup var out: OutputOptions

        func run() async throws {
            let engine = try Registry.openCaughtUp(global)
            defer { engine.log.close() }
            let utc = TimeZone(identifier: "UTC")!
            let filter = DismissalFilter(by: by, reason: reason, department: department, client: client,
                                         from: try bound(from, "--from", utc), to: try bound(to, "--to", utc))
            let rows = try DismissalAudit.rows(engine: engine, filter: filter, cut: asOf.cut)
            let header = ["at", "by", "department", "client", "reason", "comment", "attempts_before", "contacted_later", "closed_episode"]
            let cells = { (r: DismissalRow) -> [String] in
                [r.at, r.by, r.department, r.client, r.reason, r.comment ?? "", String(r.attemptsBefore), r.contactedLater ? "yes" : "no",
                 r.closedEpisode.map { "\($0.missedCalls) missed since \($0.firstCallAt)" } ?? "none open"]
            }
            try out.emit(table: { Terminal.table(["at", "by", "dept", "client", "reason", "tries", "later", "episode"], rows.map { r in
                [Cells.short(r.at), r.by, r.department, r.client, r.reason + (r.comment.map { ": \($0)" } ?? ""), String(r.attemptsBefore),
                 r.contactedLater ? "yes" : "no", r.closedEpisode == nil ? "none open" : "\(r.closedEpisode!.missedCalls) missed"]
            }) }, json: { try reportJSON(rows) }, csv: { CSV.text(header, rows.map(cells)) },
                         sheets: { [XLSXSheet(name: "Dismissals", columns: header.map { ($0, $0 == "attempts_before" ? .integer : .text) },
                                              rows: rows.map { r in cells(r).enumerated().map { k, v in header[k] == "attempts_before" ? .number(Double(v)!) : .text(v) } })] })
        }
    }
}

struct Handle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Dismiss a client's open missed-call episode by hand (appends missed.handled).",
        discussion: "Refused when the client has no open episode in the department, when the reason is unknown, or when reason is other without a comment."
    )
    @OptionGroup var global: GlobalOptions
    @Option(help: "The department.") var department: String
    @Option(help: "The client's number (any format).") var client: String
    @Option(help: "Who dismisses it.") var by: String
    @Option(help: "called_back_other_channel, not_a_client, spam, duplicate or other.") var reason: String
    @Option(help: "Free text; required with reason other.") var comment: String?

    func validate() throws {
        guard DismissalReason(rawValue: reason) != nil else {
            throw ValidationError("--reason: unknown reason \"\(reason)\"; use one of \(DismissalReason.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if reason == "other" && !(comment ?? "").contains(where: { !$0.isWhitespace }) {
            throw ValidationError("--comment is required with --reason other: say what happened")
        }
        if by.isEmpty { throw ValidationError("--by must name who dismisses it") }
    }

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        defer { engine.log.close() }
        let row = try await MissedHandling.handle(engine: engine, department: department, client: client, by: by, reason: reason, comment: comment)
        print(try reportJSON(row))
    }
}
