import Foundation
import LedgerReports
import LedgerXLSX

// The department report ("Как пропустили") as files.
extension ReportExport {
    /// The four sections: CSV as `section,name,value`, XLSX one sheet per section.
    public static func department(_ r: DepartmentReport) -> ReportExport {
        ReportExport(name: "\(r.department)-report-\(r.from.prefix(10))-\(r.to.prefix(10))",
                     csv: { departmentCSV(r) }, sheets: { departmentSheets(r) })
    }

    /// Sections as `section,name,value` lines (agents and buckets get dotted names).
    public static func departmentCSV(_ r: DepartmentReport) -> String {
        var rows: [[String]] = []
        func add(_ section: String, _ name: String, _ value: String) { rows.append([section, name, value]) }
        let v = r.volume, c = r.callbacks
        add("report", "department", r.department)
        add("report", "from", r.from)
        add("report", "to", r.to)
        for (k, x) in [("incoming", v.incoming), ("answered", v.answered), ("missed", v.missed)] { add("volume", k, String(x)) }
        add("volume", "missed_share", String(v.missedShare))
        for (k, x) in [("unique_missed", v.uniqueMissed), ("repeat_missed", v.repeatMissed), ("hidden_missed", v.hiddenMissed)] { add("volume", k, String(x)) }
        add("volume", "avg_wait_s", String(v.avgWaitS))
        add("volume", "avg_total_wait_s", String(v.avgTotalWaitS))
        for k in v.reasons.keys { add("volume", "reasons." + k, Cells.num(v.reasons[k])) }
        for k in v.classes.keys { add("volume", "classes." + k, Cells.num(v.classes[k])) }
        for (k, x) in [("episodes", c.episodes), ("called_back_by_department", c.calledBackByDepartment),
                       ("called_back_elsewhere", c.calledBackElsewhere), ("dismissed", c.dismissed), ("not_called_back", c.notCalledBack)] {
            add("callbacks", k, String(x))
        }
        add("callbacks", "avg_callback_delay_s", String(c.avgCallbackDelayS))
        for k in c.resolvedWithin.keys { add("callbacks", "resolved_within." + k, String(c.resolvedWithin[k])) }
        for a in r.agents {
            let fields: [(String, String)] = [("name", a.name ?? ""), ("offered", String(a.offered)), ("answered", String(a.answered)),
                                             ("missed_offered", String(a.missedOffered)), ("rejected", String(a.rejected)),
                                             ("missed_share", String(a.missedShare)), ("callback_attempts", String(a.callbackAttempts)),
                                             ("avg_attempts_per_episode", String(a.avgAttemptsPerEpisode)), ("removed", String(a.removed))]
            for (k, x) in fields { add("agents", a.agent + "." + k, x) }
        }
        for b in r.dynamics ?? [] {
            let p = "dynamics." + b.start + "."
            add("dynamics", p + "end", b.end)
            for (k, x) in [("incoming", b.volume.incoming), ("answered", b.volume.answered), ("missed", b.volume.missed),
                           ("episodes", b.statuses.episodes), ("called_back_by_department", b.statuses.calledBackByDepartment),
                           ("called_back_elsewhere", b.statuses.calledBackElsewhere), ("dismissed", b.statuses.dismissed),
                           ("not_called_back", b.statuses.notCalledBack)] {
                add("dynamics", p + k, String(x))
            }
        }
        return CSV.text(["section", "name", "value"], rows)
    }

    /// One sheet per section, numbers as numbers (shares formatted as percentages).
    public static func departmentSheets(_ r: DepartmentReport) -> [XLSXSheet] {
        let v = r.volume, c = r.callbacks
        var volume: [[XLSXCell]] = [
            [.text("incoming"), .number(Double(v.incoming))], [.text("answered"), .number(Double(v.answered))],
            [.text("missed"), .number(Double(v.missed))], [.text("missed_share"), .number(v.missedShare)],
            [.text("unique_missed"), .number(Double(v.uniqueMissed))], [.text("repeat_missed"), .number(Double(v.repeatMissed))],
            [.text("hidden_missed"), .number(Double(v.hiddenMissed))], [.text("avg_wait_s"), .number(v.avgWaitS)],
            [.text("avg_total_wait_s"), .number(v.avgTotalWaitS)],
        ]
        volume += v.reasons.keys.map { [.text("reasons." + $0), .number(v.reasons[$0])] }
        volume += v.classes.keys.map { [.text("classes." + $0), .number(v.classes[$0])] }
        var callbacks: [[XLSXCell]] = [
            [.text("episodes"), .number(Double(c.episodes))], [.text("called_back_by_department"), .number(Double(c.calledBackByDepartment))],
            [.text("called_back_elsewhere"), .number(Double(c.calledBackElsewhere))], [.text("dismissed"), .number(Double(c.dismissed))],
            [.text("not_called_back"), .number(Double(c.notCalledBack))], [.text("avg_callback_delay_s"), .number(c.avgCallbackDelayS)],
        ]
        callbacks += c.resolvedWithin.keys.map { [.text("resolved_within." + $0), .number(c.resolvedWithin[$0])] }
        let agentColumns: [(title: String, kind: XLSXColumnKind)] = [
            ("agent", .text), ("name", .text), ("offered", .integer), ("answered", .integer), ("missed_offered", .integer),
            ("rejected", .integer), ("missed_share", .percent), ("callback_attempts", .integer), ("avg_attempts_per_episode", .decimal),
            ("removed", .text),
        ]
        let agents = r.agents.map { a -> [XLSXCell] in
            [.text(a.agent), .text(a.name ?? ""), .number(Double(a.offered)), .number(Double(a.answered)), .number(Double(a.missedOffered)),
             .number(Double(a.rejected)), .number(a.missedShare), .number(Double(a.callbackAttempts)), .number(a.avgAttemptsPerEpisode),
             .text(a.removed ? "yes" : "no")]
        }
        // Sections I and II as metric/value pairs (shares are fractions here, as in JSON).
        var sheets = [XLSXSheet(name: "Volume", columns: [("metric", .text), ("value", .decimal)], rows: volume),
                      XLSXSheet(name: "Callbacks", columns: [("metric", .text), ("value", .decimal)], rows: callbacks)]
        sheets.append(XLSXSheet(name: "Agents", columns: agentColumns, rows: agents))
        if let d = r.dynamics {
            let cols: [(title: String, kind: XLSXColumnKind)] = [
                ("start", .text), ("end", .text), ("incoming", .integer), ("answered", .integer), ("missed", .integer), ("missed_share", .percent),
                ("unique_missed", .integer), ("repeat_missed", .integer), ("hidden_missed", .integer), ("avg_wait_s", .decimal),
                ("avg_total_wait_s", .decimal), ("episodes", .integer), ("called_back_by_department", .integer),
                ("called_back_elsewhere", .integer), ("dismissed", .integer), ("not_called_back", .integer),
            ]
            sheets.append(XLSXSheet(name: "Dynamics", columns: cols, rows: d.map { b in
                [.text(b.start), .text(b.end), .number(Double(b.volume.incoming)), .number(Double(b.volume.answered)),
                 .number(Double(b.volume.missed)), .number(b.volume.missedShare), .number(Double(b.volume.uniqueMissed)),
                 .number(Double(b.volume.repeatMissed)), .number(Double(b.volume.hiddenMissed)), .number(b.volume.avgWaitS),
                 .number(b.volume.avgTotalWaitS), .number(Double(b.statuses.episodes)), .number(Double(b.statuses.calledBackByDepartment)),
                 .number(Double(b.statuses.calledBackElsewhere)), .number(Double(b.statuses.dismissed)), .number(Double(b.statuses.notCalledBack))]
            }))
        }
        return sheets
    }
}
