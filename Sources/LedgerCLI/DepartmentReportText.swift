import Foundation
import LedgerReports
import LedgerExport

/// The department report as an 80-column table (the files come from `ReportExport.department`).
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
}
