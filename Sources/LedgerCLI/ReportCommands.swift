import ArgumentParser
import Foundation
import LedgerEvents
import LedgerLog
import LedgerProjections
import LedgerReports
import LedgerExport

extension EpisodeRow {
    static let header = ["client", "first call", "last call", "lost for", "missed", "attempts", "reason"]
    var cells: [String] {
        [client, Cells.short(firstCallAt), Cells.short(lastCallAt), Cells.num(lostForS), String(missedCalls), String(callbackAttempts), lastReason]
    }
    static let processedHeader = ["client", "first call", "missed", "attempts", "closed", "how", "by", "reason"]
    var processedCells: [String] {
        [client, Cells.short(firstCallAt), String(missedCalls), String(callbackAttempts), Cells.short(closedAt), closedHow ?? "", closedBy ?? "",
         [reason, comment].compactMap { $0 }.joined(separator: ": ")]
    }
}

struct Unprocessed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open missed-call episodes of a department, oldest first (Ringostat's \"Unprocessed missed calls\").")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The department.") var department: String
    @OptionGroup var asOf: AsOfOptions
    @OptionGroup var out: OutputOptions

    func validate() throws { try requireDepartment(department) }

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        noteUnknownDepartment(engine, department)
        defer { engine.log.close() }
        let rows = try DepartmentView(engine: engine, department: department, cut: asOf.cut).unprocessed()
        try out.emit(table: { Terminal.table(EpisodeRow.header, rows.map(\.cells)) + "\(rows.count) open episode\(rows.count == 1 ? "" : "s")\n" },
                     json: { try reportJSON(rows) }, export: .unprocessed(rows, department: department))
    }
}

struct Processed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Closed episodes of a department, newest closed first: how, by whom, reason and comment.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The department.") var department: String
    @Option(help: "Closed at or after (YYYY-MM-DD in the department's zone, or RFC 3339).") var from: String?
    @Option(help: "Closed before.") var to: String?
    @Option(parsing: .unconditional, help: "At most this many rows.") var limit: Int = 500
    @OptionGroup var asOf: AsOfOptions
    @OptionGroup var out: OutputOptions

    func validate() throws {
        try requireDepartment(department)
        guard limit > 0 else { throw ValidationError("--limit: a positive number") }
    }

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        noteUnknownDepartment(engine, department)
        defer { engine.log.close() }
        let view = try DepartmentView(engine: engine, department: department, cut: asOf.cut)
        var period: ReportPeriod?
        if from != nil || to != nil {
            let b = try bounds(from, to, view.timeZone)
            period = ReportPeriod(from: b.from ?? Int64.min / 2, to: b.to ?? Int64.max / 2)
        }
        let rows = try view.processed(period, limit: limit)
        try out.emit(table: { Terminal.table(EpisodeRow.processedHeader, rows.map(\.processedCells)) }, json: { try reportJSON(rows) },
                     export: .processed(rows, department: department))
    }
}

/// A report's period in a department's zone, its start before its end (as the server checks).
func period(_ from: String, _ to: String, _ tz: TimeZone) throws -> ReportPeriod {
    let p = ReportPeriod(from: try bound(from, "--from", tz)!, to: try bound(to, "--to", tz)!)
    guard p.from < p.to else { throw ValidationError("--from must be before --to") }
    return p
}

/// The bounds of a period given by one or both ends; refused when it ends before it starts
/// (as the server refuses it).
func bounds(_ from: String?, _ to: String?, _ tz: TimeZone) throws -> (from: Int64?, to: Int64?) {
    let f = try bound(from, "--from", tz), t = try bound(to, "--to", tz)
    if let f, let t, f > t { throw ValidationError("--from must not be after --to") }
    return (f, t)
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

    func validate() throws { try requireDepartment(department) }

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        noteUnknownDepartment(engine, department)
        defer { engine.log.close() }
        let view = try DepartmentView(engine: engine, department: department, cut: asOf.cut)
        let period = try period(from, to, view.timeZone)
        let size = by.flatMap { DepartmentReport.BucketSize(rawValue: $0.rawValue) }
        if let why = size?.tooMany(over: period) { throw ValidationError(why) }
        let report = try view.report(period, by: size)
        try out.emit(table: { DepartmentReportText.table(report) }, json: { try reportJSON(report) },
                     export: .department(report))
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
        try requireDepartment(department)
        if let result, !["answered", "missed", "in_progress"].contains(result) { throw ValidationError("--result: answered, missed or in_progress") }
        if let reason, MissedReason(rawValue: reason) == nil {
            throw ValidationError("--reason: one of \(MissedReason.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let columns {
            guard !columns.split(separator: ",").isEmpty else {
                throw ValidationError("--columns: name at least one column; known: \(CallColumns.all.joined(separator: ","))")
            }
            for c in columns.split(separator: ",") where !CallColumns.all.contains(String(c)) {
                throw ValidationError("--columns: unknown column \(c); known: \(CallColumns.all.joined(separator: ","))")
            }
        }
    }

    func run() async throws {
        let engine = try Registry.openCaughtUp(global)
        noteUnknownDepartment(engine, department)
        defer { engine.log.close() }
        let view = try DepartmentView(engine: engine, department: department, cut: asOf.cut)
        let rows = try view.callList(try period(from, to, view.timeZone), result: result, reason: reason)
        let cols = columns.map { $0.split(separator: ",").map(String.init) } ?? (out.format == .table ? CallColumns.tableDefault : CallColumns.all)
        try out.emit(table: { Terminal.table(cols, rows.map { r in cols.map { CallColumns.cell(r, $0, short: true) } }) + "\(rows.count) calls\n" },
                     json: { try reportJSON(rows) },
                     export: .calls(rows, columns: cols, department: department))
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
        try out.emit(table: { tableText(detail) }, json: { try reportJSON(detail) }, export: .call(detail))
    }

    func tableText(_ detail: CallDetail) -> String {
            var text = "call \(detail.callID)\n\n"
            text += Terminal.table(["at", "what"], detail.timeline.map { [Cells.short($0.at), $0.text] })
            for s in detail.summary {
                text += "\n\(s.result)" + (s.reason.map { " (\($0))" } ?? "") + (s.queueWaitS.map { ", queue wait \(Cells.num($0)) s" } ?? ", never queued") + (s.totalWaitS.map { ", total wait \(Cells.num($0)) s" } ?? "")
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

        func validate() throws {
            if let reason, DismissalReason(rawValue: reason) == nil {
                throw ValidationError("--reason: unknown dismissal reason \(reason); use one of \(DismissalReason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            let engine = try Registry.openCaughtUp(global)
            defer { engine.log.close() }
            if let department { noteUnknownDepartment(engine, department) }
            let utc = TimeZone(identifier: "UTC")!
            let b = try bounds(from, to, utc)
            let filter = DismissalFilter(by: by, reason: reason, department: department, client: client, from: b.from, to: b.to)
            let rows = try DismissalAudit.rows(engine: engine, filter: filter, cut: asOf.cut)
            try out.emit(table: { Terminal.table(["at", "by", "dept", "client", "reason", "tries", "later", "episode"], rows.map { r in
                [Cells.short(r.at), r.by, r.department, r.client ?? "hidden", r.reason + (r.comment.map { ": \($0)" } ?? ""), String(r.attemptsBefore),
                 r.contactedLater ? "yes" : "no", r.closedEpisode == nil ? "none open" : "\(r.closedEpisode!.missedCalls) missed"]
            }) }, json: { try reportJSON(rows) }, export: .dismissals(rows))
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
    @Option(parsing: .unconditional, help: "Free text; required with reason other (it may start with -).") var comment: String?

    func validate() throws {
        try requireDepartment(department)
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
        noteUnknownDepartment(engine, department)
        let row = try await MissedHandling.handle(engine: engine, department: department, client: client, by: by, reason: reason, comment: comment)
        print(try reportJSON(row))
    }
}

/// An empty `--department` names no department: refused rather than answered with an empty report.
func requireDepartment(_ d: String) throws {
    guard !d.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--department: a department name, not empty") }
}

/// Says on standard error when no event names department `d` (its settings or members): a
/// mistyped name ("Sales" for "sales") otherwise gives a report of nothing without a word.
/// Only a note: a department may own lines without being configured.
func noteUnknownDepartment(_ engine: ProjectionEngine, _ d: String) {
    guard let known = try? engine.log.departments(), !known.isEmpty, !known.contains(d) else { return }
    let similar = known.filter { $0.lowercased() == d.lowercased() }
    Terminal.error("note: no department.configured or agent event names department \"\(d)\""
                   + (similar.isEmpty ? " (departments: \(known.joined(separator: ", ")))" : "; did you mean \"\(similar[0])\"?"))
}
