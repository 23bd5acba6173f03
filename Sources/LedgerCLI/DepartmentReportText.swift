import Foundation
import LedgerReports

/// The department report as an 80-column table and as RFC 4180 CSV (`section,name,value`).
enum DepartmentReportText {
    static func table(_ r: DepartmentReport) -> String {
        let v = r.volume, c = r.callbacks
        var s = "Department \(r.department), \(Cells.short(r.from)) – \(Cells.short(r.to))\n\n"
        s += "I. Volume and why\n"
        s += Terminal.table(["incoming", "answered", "missed", "missed %", "unique", "repeat", "hidden", "avg wait", "avg total"],
                            [[String(v.incoming), String(v.answered), String(v.missed), Cells.pct(v.missedShare), String(v.uniqueMissed),
                              String(v.repeatMissed), String(v.hiddenMissed), Cells.num(v.avgWaitS) + " s", Cells.num(v.avgTotalWaitS) + " s"]])
        s += "\n" + Terminal.table(["reason", "missed", "class"], v.reasons.keys.map { k in
            [k, Cells.num(v.reasons[k]), MissedReason(rawValue: k)?.reasonClass.rawValue ?? ""]
        })
        s += "\nclasses: " + v.classes.keys.map { "\($0) \(Cells.num(v.classes[$0]))" }.joined(separator: ", ") + "\n"
        s += "\nII. Callbacks (status at the end of the day the episode opened)\n"
        s += Terminal.table(["episodes", "by dept", "elsewhere", "dismissed", "not called", "avg delay", "≤5m", "≤15m", "≤60m"],
                            [[String(c.episodes), String(c.calledBackByDepartment), String(c.calledBackElsewhere), String(c.dismissed),
                              String(c.notCalledBack), Cells.num(c.avgCallbackDelayS) + " s", Cells.pct(c.resolvedWithin["300"]),
                              Cells.pct(c.resolvedWithin["900"]), Cells.pct(c.resolvedWithin["3600"])]])
        s += "\nIII. Agents\n"
        s += Terminal.table(["agent", "name", "offered", "answ", "missed", "rej", "miss %", "cb", "cb/ep", "removed"], r.agents.map { a in
            [a.agent, String((a.name ?? "").prefix(16)), String(a.offered), String(a.answered), String(a.missedOffered), String(a.rejected),
             Cells.pct(a.missedShare), String(a.callbackAttempts), Cells.num(a.avgAttemptsPerEpisode), a.removed ? "removed" : ""]
        })
        if let d = r.dynamics {
            s += "\nIV. Dynamics\n"
            s += Terminal.table(["start", "end", "in", "answ", "missed", "miss %", "episodes", "by dept", "else", "dism", "not"], d.map { b in
                [b.start, b.end, String(b.volume.incoming), String(b.volume.answered), String(b.volume.missed), Cells.pct(b.volume.missedShare),
                 String(b.statuses.episodes), String(b.statuses.calledBackByDepartment), String(b.statuses.calledBackElsewhere),
                 String(b.statuses.dismissed), String(b.statuses.notCalledBack)]
            })
        }
        return s
    }

    static func csv(_ r: DepartmentReport) -> String {
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
}
