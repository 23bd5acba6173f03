import Foundation

/// One line of the results table: our figure against a baseline of the same run.
struct Row: Codable {
    /// Short id, e.g. "1a".
    var id: String
    var what: String
    /// Median over the repetitions (events/s).
    var ours: Double?
    var oursReps: [Double]
    var baselineName: String
    var baseline: Double?
    var baselineReps: [Double]
    /// ours / baseline.
    var ratio: Double?
    /// The target in words ("≥ 0.80 × C LMDB", "≥ 300 k ev/s").
    var target: String
    /// PASS, MISS, INFO (no target on this row) or SKIP (with `skipped` saying why).
    var verdict: String
    var skipped: String?
    /// Secondary figures (latencies, sizes), by name.
    var extra: [String: Double] = [:]
    /// For fsync-bound rows: our p50 latency per append call and the baseline's p50 commit latency (µs).
    var oursP50us: Double?
    var baselineP50us: Double?

    enum CodingKeys: String, CodingKey {
        case id, what, ours, oursReps = "ours_reps", baselineName = "baseline_name", baseline
        case baselineReps = "baseline_reps", ratio, target, verdict, skipped, extra
        case oursP50us = "ours_append_p50_us", baselineP50us = "baseline_commit_p50_us"
    }
}

struct Report: Codable {
    var conditions: [String: String]
    var rows: [Row]
    /// Where the time goes (ns/event or seconds), by name; filled with --breakdown.
    var breakdown: [String: Double]
    var notes: [String]
}

/// Builds a row; `goal` decides the verdict from (ours, ratio).
func makeRow(id: String, what: String, ours: [Double], baselineName: String, baseline: [Double],
             target: String, goal: ((Double, Double?) -> Bool)?, skipped: String? = nil,
             extra: [String: Double] = [:]) -> Row {
    let o = ours.isEmpty ? nil : median(ours)
    let b = baseline.isEmpty ? nil : median(baseline)
    let ratio: Double? = (o != nil && b != nil && b! > 0) ? o! / b! : nil
    var verdict = "INFO"
    if let goal {
        if let o {
            verdict = goal(o, ratio) ? "PASS" : "MISS"
        } else {
            verdict = "SKIP"
        }
    }
    if o == nil && skipped != nil { verdict = "SKIP" }
    return Row(id: id, what: what, ours: o, oursReps: ours, baselineName: baselineName, baseline: b,
               baselineReps: baseline, ratio: ratio, target: target, verdict: verdict, skipped: skipped, extra: extra)
}

func printTable(_ rows: [Row]) {
    let header = ["#", "measurement", "ours (ev/s)", "baseline (same run)", "baseline (ev/s)", "ratio", "target", "verdict",
                  "p50 µs ours/base", "spread ours/base"]
    var cells: [[String]] = [header]
    for r in rows {
        var p50 = ""
        if let o = r.oursP50us, o.isFinite { p50 = fmt(o, 0) + " / " + (r.baselineP50us.map { $0.isFinite ? fmt($0, 0) : "-" } ?? "-") }
        let sp = r.oursReps.count > 1 ? fmt(100 * spread(r.oursReps), 0) + "% / "
            + (r.baselineReps.count > 1 ? fmt(100 * spread(r.baselineReps), 0) + "%" : "-") : ""
        cells.append([r.id, r.what, r.ours.map(rate) ?? "-", r.baselineName, r.baseline.map(rate) ?? "(skipped)",
                      r.ratio.map { fmt($0, 2) + "×" } ?? "-", r.target, r.verdict, p50, sp])
    }
    var widths = [Int](repeating: 0, count: header.count)
    for c in cells { for (k, s) in c.enumerated() { widths[k] = max(widths[k], s.count) } }
    for (n, c) in cells.enumerated() {
        out(c.enumerated().map { pad($1, widths[$0]) }.joined(separator: "  "))
        if n == 0 { out(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
    }
    if rows.contains(where: { $0.oursP50us != nil }) {
        out("  p50 µs: ours = latency of one append call (1,000 events in 1a, 1 event in 3a/3b); base = the C row's p50 commit latency")
    }
    if rows.contains(where: { $0.oursReps.count > 1 }) {
        out("  spread = (max − min) / median over the reps; a large baseline spread on a sync row means host flush stalls: re-run")
    }
    for r in rows where r.skipped != nil {
        out("  note \(r.id): \(r.skipped!)")
    }
}
