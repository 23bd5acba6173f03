import Foundation

/// RFC 4180 text: CRLF line ends, fields quoted when they hold a comma, quote or line break.
public enum CSV {
    /// One field, quoted only when it must be, and defused when a spreadsheet would run it.
    public static func field(_ s: String) -> String {
        let s = runsAsFormula(s) ? "'" + s : s
        return s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// Whether a spreadsheet opening the file would take `s` for a formula (a comment or an agent's
    /// name `=HYPERLINK(…)`, `+cmd|…`): `=`, `@`, a tab or CR first, or `+`/`-` followed by more
    /// than a number or a phone number is made of (which can call no function and name no cell).
    static func runsAsFormula(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first else { return false }
        switch first {
        case "=", "@", "\t", "\r": return true
        case "+", "-": return s.unicodeScalars.dropFirst().contains { !("0"..."9").contains($0) && !" ()./-%".unicodeScalars.contains($0) }
        default: return false
        }
    }

    /// A header line and one line per row, each ended by CRLF.
    public static func text(_ header: [String], _ rows: [[String]]) -> String {
        var out = header.map(field).joined(separator: ",") + "\r\n"
        for r in rows { out += r.map(field).joined(separator: ",") + "\r\n" }
        return out
    }
}

/// How numbers and times are written into text cells, shared by CSV and the terminal tables so
/// both show the same digits.
public enum Cells {
    /// Whole numbers without a fraction, others with three decimals.
    public static func num(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format: "%.3f", x)
    }
    /// `num`, or empty for a missing value.
    public static func opt(_ x: Double?) -> String { x.map(num) ?? "" }
    /// A fraction as a percentage with one decimal: 0.25 → `25.0%`.
    public static func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
    /// A time shortened for tables: `2026-11-21 09:15:02`.
    public static func short(_ rfc: String?) -> String {
        guard let s = rfc, s.count >= 19 else { return rfc ?? "" }
        return String(s.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }
}
