import Foundation
import LedgerReports
import LedgerXLSX

/// A report as files: RFC 4180 CSV text and XLSX sheets, each rendered only when asked for.
///
/// The CLI (`--format csv|xlsx`) and the server (`format=csv|xlsx`) both build their files from
/// these, so a report downloaded from a page and one written by `call-ledger report` are the same.
///
/// ```swift
/// let export = ReportExport.unprocessed(rows, department: "sales")
/// let bytes = try XLSXWriter.bytes(export.sheets())
/// ```
public struct ReportExport {
    /// A file name without extension, ASCII and safe in a `Content-Disposition` header's
    /// `filename`: `sales-unprocessed`.
    public var name: String
    /// The same name as people wrote it (`отдел продаж-unprocessed`), only characters that file
    /// systems refuse replaced: for `filename*` and the CLI's messages.
    public var title: String
    /// The CSV text (header line first).
    public var csv: () -> String
    /// The workbook's sheets, numbers as numbers.
    public var sheets: () -> [XLSXSheet]

    /// A report from its two renderers; `name` is made file-safe.
    public init(name: String, csv: @escaping () -> String, sheets: @escaping () -> [XLSXSheet]) {
        self.name = ReportExport.fileSafe(name)
        self.title = ReportExport.fileTitle(name)
        self.csv = csv
        self.sheets = sheets
    }

    /// Letters, digits, `-`, `_` and `.` kept; anything else (quotes, slashes, spaces) becomes `_`.
    static func fileSafe(_ s: String) -> String {
        let kept = s.unicodeScalars.map { c -> Character in
            (c.isASCII && (CharacterSet.alphanumerics.contains(c) || "-_.".unicodeScalars.contains(c))) ? Character(c) : "_"
        }
        let out = String(kept)
        return out.isEmpty ? "report" : out
    }

    /// Any letters kept (a Cyrillic department stays readable); path separators, characters
    /// Windows refuses and control characters become `_`.
    static func fileTitle(_ s: String) -> String {
        let refused = Set("/\\:*?\"<>|".unicodeScalars)
        let out = String(String.UnicodeScalarView(s.unicodeScalars.map { c in
            refused.contains(c) || c.properties.generalCategory == .control ? "_" : c
        }))
        return out.isEmpty ? "report" : out
    }

    /// A `Content-Disposition` value for `name` + `ext` (RFC 6266): the ASCII name for old clients
    /// and, when the title differs, `filename*` with the title in UTF-8.
    public func contentDisposition(extension ext: String) -> String {
        var value = "attachment; filename=\"\(name).\(ext)\""
        if title != name {
            let attrChar = Set("!#$&+-.^_`|~".utf8)
            let encoded = Array((title + "." + ext).utf8).map { b -> String in
                (b < 0x80 && (UInt8(ascii: "a")...UInt8(ascii: "z") ~= b || UInt8(ascii: "A")...UInt8(ascii: "Z") ~= b
                              || UInt8(ascii: "0")...UInt8(ascii: "9") ~= b || attrChar.contains(b)))
                    ? String(UnicodeScalar(b)) : String(format: "%%%02X", b)
            }.joined()
            value += "; filename*=UTF-8''" + encoded
        }
        return value
    }

    /// A single sheet whose columns are all text: the CSV and the sheet share one header and rows.
    static func plain(_ name: String, sheet: String, _ header: [String], _ rows: [[String]],
                      kinds: [String: XLSXColumnKind] = [:]) -> ReportExport {
        ReportExport(name: name, csv: { CSV.text(header, rows) }, sheets: { [textSheet(sheet, header, rows, kinds: kinds)] })
    }

    /// A sheet of text cells, except the columns `kinds` names: numbers there (empty when blank).
    static func textSheet(_ name: String, _ header: [String], _ rows: [[String]], kinds: [String: XLSXColumnKind]) -> XLSXSheet {
        XLSXSheet(name: name, columns: header.map { ($0, kinds[$0] ?? .text) }, rows: rows.map { r in
            r.enumerated().map { k, v in
                guard let kind = kinds[header[k]], kind != .text else { return .text(v) }
                return Double(v).map { .number($0) } ?? .empty
            }
        })
    }
}

// MARK: Missed-call queue

extension EpisodeRow {
    /// The CSV and XLSX columns of an episode (the JSON field names).
    public static let csvHeader = ["department", "client", "first_call_at", "last_call_at", "lost_for_s", "missed_calls", "callback_attempts",
                                   "last_reason", "opened_at", "closed_at", "closed_how", "closed_by", "reason", "comment", "calls"]
    /// The episode's cells under `csvHeader`.
    public var csvCells: [String] {
        [department, client, firstCallAt, lastCallAt, Cells.num(lostForS), String(missedCalls), String(callbackAttempts), lastReason,
         openedAt, closedAt ?? "", closedHow ?? "", closedBy ?? "", reason ?? "", comment ?? "", calls.joined(separator: " ")]
    }
}

extension ReportExport {
    static let episodeKinds: [String: XLSXColumnKind] = ["lost_for_s": .decimal, "missed_calls": .integer, "callback_attempts": .integer]

    /// Open episodes (Ringostat's "Unprocessed missed calls").
    public static func unprocessed(_ rows: [EpisodeRow], department: String) -> ReportExport {
        plain("\(department)-unprocessed", sheet: "Unprocessed", EpisodeRow.csvHeader, rows.map(\.csvCells), kinds: episodeKinds)
    }

    /// Closed episodes.
    public static func processed(_ rows: [EpisodeRow], department: String) -> ReportExport {
        plain("\(department)-processed", sheet: "Processed", EpisodeRow.csvHeader, rows.map(\.csvCells), kinds: episodeKinds)
    }
}

// MARK: Calls

/// The columns of the call list, by their JSON names; `cell` gives one as text.
public enum CallColumns {
    /// Every column, in JSON order.
    public static let all = ["call_id", "line", "client", "started_at", "result", "reason", "ivr_options", "queue_wait_s", "total_wait_s",
                             "answered_by", "last_rung", "rung"]
    /// The columns a terminal shows when none are chosen.
    public static let tableDefault = ["started_at", "client", "result", "reason", "queue_wait_s", "answered_by", "last_rung"]

    /// Column `c` of `r`; `short` trims times for a terminal.
    public static func cell(_ r: CallRow, _ c: String, short: Bool) -> String {
        switch c {
        case "call_id": r.callID
        case "line": r.line ?? ""
        case "client": r.client ?? ""
        case "started_at": short ? Cells.short(r.startedAt) : r.startedAt ?? ""
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

    /// The names in `columns` that are not columns.
    public static func unknown(_ columns: [String]) -> [String] { columns.filter { !all.contains($0) } }
}

extension ReportExport {
    /// The call list with the chosen `columns` (waits as numbers in the sheet).
    public static func calls(_ rows: [CallRow], columns: [String] = CallColumns.all, department: String) -> ReportExport {
        plain("\(department)-calls", sheet: "Calls", columns, rows.map { r in columns.map { CallColumns.cell(r, $0, short: false) } },
              kinds: waitKinds(columns))
    }

    /// The call list's waits (`…_s`) as numbers in a sheet.
    static func waitKinds(_ columns: [String]) -> [String: XLSXColumnKind] {
        Dictionary(uniqueKeysWithValues: columns.filter { $0.hasSuffix("_s") }.map { ($0, XLSXColumnKind.decimal) })
    }

    /// One call: its timeline (the CSV's one table), and in the workbook a second sheet with the
    /// summary, one row per department the call was in (the call list's columns).
    public static func call(_ detail: CallDetail) -> ReportExport {
        ReportExport(name: "call-\(detail.callID)", csv: {
            CSV.text(["at", "type", "text", "position"], detail.timeline.map { [$0.at, $0.type, $0.text, String($0.position)] })
        }, sheets: {
            let summary = detail.summary.enumerated().map { k, r in
                [k < detail.departments.count ? detail.departments[k] : ""] + CallColumns.all.map { CallColumns.cell(r, $0, short: false) }
            }
            return [XLSXSheet(name: "Call \(detail.callID)", columns: [("at", .text), ("type", .text), ("what", .text), ("position", .integer)],
                              rows: detail.timeline.map { [.text($0.at), .text($0.type), .text($0.text), .number(Double($0.position))] }),
                    textSheet("Summary", ["department"] + CallColumns.all, summary, kinds: waitKinds(CallColumns.all))]
        })
    }

    /// Who dismissed which missed call.
    public static func dismissals(_ rows: [DismissalRow]) -> ReportExport {
        let header = ["at", "by", "department", "client", "reason", "comment", "attempts_before", "contacted_later", "closed_episode"]
        let cells = rows.map { r -> [String] in
            [r.at, r.by, r.department, r.client ?? "", r.reason, r.comment ?? "", String(r.attemptsBefore), r.contactedLater ? "yes" : "no",
             r.closedEpisode.map { "\($0.missedCalls) missed since \($0.firstCallAt)" } ?? "none open"]
        }
        return plain("dismissals", sheet: "Dismissals", header, cells, kinds: ["attempts_before": .integer])
    }
}

// MARK: Leads

extension ReportExport {
    /// Conversion per lead type, then the total row.
    public static func leadConversion(_ r: LeadConversion) -> ReportExport {
        let header = ["type", "leads", "to_order", "to_sale", "converted", "conversion_pct"]
        let rows = (r.types + [r.total]).map { x in
            [x.type ?? "(all types)", String(x.leads), String(x.toOrder), String(x.toSale), String(x.converted), String(format: "%.1f", x.conversionPct)]
        }
        return ReportExport(name: "lead-conversion", csv: { CSV.text(header, rows) }, sheets: {
            [XLSXSheet(name: "Lead conversion", columns: [("type", .text), ("leads", .integer), ("to_order", .integer),
                                                          ("to_sale", .integer), ("converted", .integer), ("conversion_pct", .decimal)],
                       rows: (r.types + [r.total]).map { x in [.text(x.type ?? "(all types)"), .number(Double(x.leads)), .number(Double(x.toOrder)),
                                                               .number(Double(x.toSale)), .number(Double(x.converted)), .number(x.conversionPct)] })]
        })
    }

    /// The lost-leads rows of `lost`.
    public static let lostHeader = ["lead_id", "type", "status", "assignee", "created_at", "closed_at"]

    /// Lost leads, and a second sheet of counts per status.
    public static func lostLeads(_ r: LostLeads) -> ReportExport {
        let rows = r.leads.map { x in [x.leadID, x.type, x.status, x.assignee ?? "", x.createdAt, x.closedAt ?? ""] }
        return ReportExport(name: "lost-leads", csv: { CSV.text(lostHeader, rows) }, sheets: {
            [XLSXSheet(name: "Lost leads", columns: lostHeader.map { ($0, .text) }, rows: rows.map { $0.map { .text($0) } }),
             XLSXSheet(name: "By status", columns: [("status", .text), ("leads", .integer)],
                       rows: r.byStatus.keys.map { [.text($0), .number(r.byStatus[$0])] })]
        })
    }

    /// The employee columns of `employees`.
    public static let employeeHeader = ["assignee", "leads", "to_order", "to_sale", "conversion_pct"]

    /// One employee's cells under `employeeHeader`.
    public static func employeeCells(_ x: EmployeePerformance.Employee) -> [String] {
        [x.assignee ?? "(unassigned)", String(x.leads), String(x.toOrder), String(x.toSale), String(format: "%.1f", x.conversionPct)]
    }

    /// Employees, and a second sheet of each employee's leads.
    public static func employees(_ r: EmployeePerformance) -> ReportExport {
        ReportExport(name: "employee-performance", csv: { CSV.text(employeeHeader, r.employees.map(employeeCells)) }, sheets: {
            [XLSXSheet(name: "Employees", columns: [("assignee", .text), ("leads", .integer), ("to_order", .integer),
                                                    ("to_sale", .integer), ("conversion_pct", .decimal)],
                       rows: r.employees.map { x in [.text(x.assignee ?? "(unassigned)"), .number(Double(x.leads)),
                                                     .number(Double(x.toOrder)), .number(Double(x.toSale)), .number(x.conversionPct)] }),
             XLSXSheet(name: "Leads", columns: [("assignee", .text), ("lead_id", .text), ("status", .text), ("type", .text)],
                       rows: r.employees.flatMap { e in e.leadsList.map { [.text(e.assignee ?? ""), .text($0.leadID), .text($0.status ?? ""), .text($0.type)] } })]
        })
    }

    /// The columns of `leadCalls`.
    public static let leadCallsHeader = ["lead_id", "type", "status", "lost", "client", "missed_calls", "waiting_in_queue"]

    /// One row's cells under `leadCallsHeader`.
    public static func leadCallsCells(_ x: LeadCalls.Row) -> [String] {
        [x.leadID, x.type, x.status ?? "", x.lost ? "yes" : "no", x.client ?? "", String(x.missedCalls), x.waitingInQueue ? "yes" : "no"]
    }

    /// Leads whose call or client had a missed call.
    public static func leadCalls(_ r: LeadCalls) -> ReportExport {
        plain("lead-calls", sheet: "Leads with missed calls", leadCallsHeader, r.leads.map(leadCallsCells), kinds: ["missed_calls": .integer])
    }
}

// MARK: Live panel

extension ReportExport {
    /// The live panel for machines, with the JSON's names and numbers: CSV as `section,name,value`
    /// (metrics, then each agent's fields as `agent.field`); a workbook of the metrics and the agents.
    public static func live(_ p: LivePanel) -> ReportExport {
        ReportExport(name: "\(p.department)-live", csv: {
            var rows = p.metrics.named.map { ["metrics", $0.name, Cells.num($0.value)] }
            for a in p.agents {
                rows += zip(liveAgentColumns.map(\.title), liveAgentValues(a)).map { name, value in
                    let text: String = switch value {
                    case .text(let s): s
                    case .number(let x), .shown(let x, _): Cells.num(x)
                    default: ""
                    }
                    return ["agents", a.agent + "." + name, text]
                }
            }
            return CSV.text(["section", "name", "value"], rows)
        }, sheets: {
            // Counts as whole numbers; percentages (`_pct`, 0–100), seconds and rates with decimals.
            [XLSXSheet(name: "Metrics", columns: [("metric", .text), ("value", .decimal)],
                       rows: p.metrics.named.map { m in
                           let whole = m.value == m.value.rounded() && !m.name.hasSuffix("_pct") && !m.name.hasSuffix("_s")
                           return [.text(m.name), .shown(m.value, whole ? .integer : .decimal)]
                       }),
             XLSXSheet(name: "Agents", columns: [("agent", .text)] + liveAgentColumns,
                       rows: p.agents.map { a in [.text(a.agent)] + liveAgentValues(a).map { $0 ?? .text("") } })]
        })
    }

    /// An agent's fields after `agent`, under their JSON names.
    private static let liveAgentColumns: [(title: String, kind: XLSXColumnKind)] = [
        ("name", .text), ("status", .text), ("call", .text), ("since", .text), ("in_status_s", .decimal), ("occupancy_pct", .decimal),
        ("answered_last_hour", .integer), ("outbound_last_hour", .integer), ("talk_s_last_hour", .decimal),
        ("avg_inbound_talk_s", .decimal), ("avg_outbound_talk_s", .decimal),
    ]

    /// A cell per column of `liveAgentColumns`; nil where the JSON has null.
    private static func liveAgentValues(_ a: LiveAgentRow) -> [XLSXCell?] {
        [a.name.map(XLSXCell.text), .text(a.status), a.call.map(XLSXCell.text), a.since.map(XLSXCell.text), a.inStatusS.map(XLSXCell.number),
         .number(a.occupancyPct), .number(Double(a.answeredLastHour)), .number(Double(a.outboundLastHour)), .number(a.talkSLastHour),
         .number(a.avgInboundTalkS), .number(a.avgOutboundTalkS)]
    }
}
