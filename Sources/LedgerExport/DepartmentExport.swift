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
        for (k, x) in volumeFields(v) { add("volume", k, x) }
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
            // A bucket is Section I's numbers plus Section II's status counts, as in the JSON.
            for (k, x) in volumeFields(b.volume) { add("dynamics", p + k, x) }
            for (k, x) in [("episodes", b.statuses.episodes), ("called_back_by_department", b.statuses.calledBackByDepartment),
                           ("called_back_elsewhere", b.statuses.calledBackElsewhere), ("dismissed", b.statuses.dismissed),
                           ("not_called_back", b.statuses.notCalledBack)] {
                add("dynamics", p + k, String(x))
            }
        }
        return CSV.text(["section", "name", "value"], rows)
    }

    /// Section I as (JSON name, value) pairs, reasons and classes with dotted names.
    private static func volumeFields(_ v: DepartmentReport.Volume) -> [(String, String)] {
        var out: [(String, String)] = [("incoming", String(v.incoming)), ("answered", String(v.answered)), ("missed", String(v.missed)),
                                       ("missed_share", String(v.missedShare)), ("unique_missed", String(v.uniqueMissed)),
                                       ("repeat_missed", String(v.repeatMissed)), ("hidden_missed", String(v.hiddenMissed)),
                                       ("avg_wait_s", String(v.avgWaitS)), ("avg_total_wait_s", String(v.avgTotalWaitS))]
        out += v.reasons.keys.map { ("reasons." + $0, Cells.num(v.reasons[$0])) }
        out += v.classes.keys.map { ("classes." + $0, Cells.num(v.classes[$0])) }
        return out
    }

    /// One sheet per section, numbers as numbers (shares formatted as percentages).
    public static func departmentSheets(_ r: DepartmentReport) -> [XLSXSheet] {
        let v = r.volume, c = r.callbacks
        // Metric/value pairs, each value shown as what it is: a count, a share, seconds.
        func count(_ name: String, _ x: Int) -> [XLSXCell] { [.text(name), .shown(Double(x), .integer)] }
        func share(_ name: String, _ x: Double) -> [XLSXCell] { [.text(name), .shown(x, .percent)] }
        func seconds(_ name: String, _ x: Double) -> [XLSXCell] { [.text(name), .shown(x, .decimal)] }
        var volume: [[XLSXCell]] = [
            count("incoming", v.incoming), count("answered", v.answered), count("missed", v.missed),
            share("missed_share", v.missedShare), count("unique_missed", v.uniqueMissed), count("repeat_missed", v.repeatMissed),
            count("hidden_missed", v.hiddenMissed), seconds("avg_wait_s", v.avgWaitS), seconds("avg_total_wait_s", v.avgTotalWaitS),
        ]
        volume += v.reasons.keys.map { [.text("reasons." + $0), .shown(v.reasons[$0], .integer)] }
        volume += v.classes.keys.map { [.text("classes." + $0), .shown(v.classes[$0], .integer)] }
        var callbacks: [[XLSXCell]] = [
            count("episodes", c.episodes), count("called_back_by_department", c.calledBackByDepartment),
            count("called_back_elsewhere", c.calledBackElsewhere), count("dismissed", c.dismissed),
            count("not_called_back", c.notCalledBack), seconds("avg_callback_delay_s", c.avgCallbackDelayS),
        ]
        callbacks += c.resolvedWithin.keys.map { [.text("resolved_within." + $0), .shown(c.resolvedWithin[$0], .percent)] }
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
        // Sections I and II as metric/value pairs (shares are fractions, as in JSON, shown as percentages).
        var sheets = [XLSXSheet(name: "Volume", columns: [("metric", .text), ("value", .decimal)], rows: volume),
                      XLSXSheet(name: "Callbacks", columns: [("metric", .text), ("value", .decimal)], rows: callbacks)]
        sheets.append(XLSXSheet(name: "Agents", columns: agentColumns, rows: agents))
        if let d = r.dynamics {
            let reasonKeys = v.reasons.keys, classKeys = v.classes.keys
            var cols: [(title: String, kind: XLSXColumnKind)] = [
                ("start", .text), ("end", .text), ("incoming", .integer), ("answered", .integer), ("missed", .integer), ("missed_share", .percent),
                ("unique_missed", .integer), ("repeat_missed", .integer), ("hidden_missed", .integer), ("avg_wait_s", .decimal),
                ("avg_total_wait_s", .decimal), ("episodes", .integer), ("called_back_by_department", .integer),
                ("called_back_elsewhere", .integer), ("dismissed", .integer), ("not_called_back", .integer),
            ]
            cols += reasonKeys.map { ("reasons." + $0, .integer) } + classKeys.map { ("classes." + $0, .integer) }
            sheets.append(XLSXSheet(name: "Dynamics", columns: cols, rows: d.map { b in
                [.text(b.start), .text(b.end), .number(Double(b.volume.incoming)), .number(Double(b.volume.answered)),
                 .number(Double(b.volume.missed)), .number(b.volume.missedShare), .number(Double(b.volume.uniqueMissed)),
                 .number(Double(b.volume.repeatMissed)), .number(Double(b.volume.hiddenMissed)), .number(b.volume.avgWaitS),
                 .number(b.volume.avgTotalWaitS), .number(Double(b.statuses.episodes)), .number(Double(b.statuses.calledBackByDepartment)),
                 .number(Double(b.statuses.calledBackElsewhere)), .number(Double(b.statuses.dismissed)), .number(Double(b.statuses.notCalledBack))]
                    + reasonKeys.map { .number(b.volume.reasons[$0]) } + classKeys.map { .number(b.volume.classes[$0]) }
            }))
        }
        return sheets
    }
}
