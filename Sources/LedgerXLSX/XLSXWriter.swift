import CXLSXWriter
import Foundation

/// One cell value. Values are written as values (never formulas: a reader shows an unsaved
/// formula as 0).
public enum XLSXCell: Sendable, Equatable {
    case text(String)
    /// A number shown as its column's kind says.
    case number(Double)
    /// A number shown its own way, whatever its column's kind (a metric/value sheet mixes counts,
    /// shares and seconds in one column).
    case shown(Double, XLSXColumnKind)
    case empty
}

/// How a column's numbers are shown.
public enum XLSXColumnKind: Sendable {
    case text
    case integer
    case decimal
    /// A fraction shown as a percentage (0.25 → 25.0%).
    case percent
}

/// A worksheet: a header row (bold, frozen) and rows of cells.
public struct XLSXSheet: Sendable {
    public var name: String
    public var columns: [(title: String, kind: XLSXColumnKind)]
    public var rows: [[XLSXCell]]

    public init(name: String, columns: [(title: String, kind: XLSXColumnKind)], rows: [[XLSXCell]]) {
        self.name = name
        self.columns = columns
        self.rows = rows
    }
}

/// Why a workbook could not be written.
public struct XLSXError: Error, CustomStringConvertible {
    public var description: String
}

/// Writes workbooks with Debian's libxlsxwriter: the only code touching its C pointers.
public enum XLSXWriter {
    /// Writes `sheets` to a new `.xlsx` file at `path` (replaced if it exists).
    public static func write(_ sheets: [XLSXSheet], to path: String) throws {
        guard let wb = workbook_new(path) else { throw XLSXError(description: "cannot create \(path)") }
        let header = workbook_add_format(wb)
        format_set_bold(header)
        format_set_bottom(header, UInt8(LXW_BORDER_THIN.rawValue))
        let integer = workbook_add_format(wb)
        format_set_num_format(integer, "0")
        let decimal = workbook_add_format(wb)
        format_set_num_format(decimal, "0.000")
        let percent = workbook_add_format(wb)
        format_set_num_format(percent, "0.0%")
        var used = Set<String>()
        for sheet in sheets {
            let name = uniqueName(sheet.name, &used)
            guard let ws = workbook_add_worksheet(wb, name) else {
                workbook_close(wb)
                throw XLSXError(description: "cannot add sheet \(name)")
            }
            var widths = sheet.columns.map { max(8, $0.title.count + 2) }
            for (c, col) in sheet.columns.enumerated() {
                worksheet_write_string(ws, 0, lxw_col_t(c), col.title, header)
            }
            for (r, row) in sheet.rows.enumerated() {
                for (c, cell) in row.enumerated() where c < sheet.columns.count {
                    let rr = lxw_row_t(r + 1), cc = lxw_col_t(c)
                    switch cell {
                    case .text(let s):
                        worksheet_write_string(ws, rr, cc, s, nil)
                        widths[c] = min(60, max(widths[c], s.count + 2))
                    case .number(let x), .shown(let x, _):
                        let kind = if case .shown(_, let k) = cell { k } else { sheet.columns[c].kind }
                        let f: UnsafeMutablePointer<lxw_format>? = switch kind {
                        case .integer: integer
                        case .decimal: decimal
                        case .percent: percent
                        case .text: nil
                        }
                        worksheet_write_number(ws, rr, cc, x, f)
                    case .empty:
                        break
                    }
                }
            }
            for (c, w) in widths.enumerated() { worksheet_set_column(ws, lxw_col_t(c), lxw_col_t(c), Double(w), nil) }
            worksheet_freeze_panes(ws, 1, 0)
        }
        let rc = workbook_close(wb)
        guard rc == LXW_NO_ERROR else {
            throw XLSXError(description: "writing \(path) failed: \(String(cString: lxw_strerror(rc)))")
        }
    }

    /// The workbook as bytes (for an HTTP body). libxlsxwriter assembles the zip in a file, so this
    /// goes through a private temporary file that is removed before returning.
    public static func bytes(_ sheets: [XLSXSheet]) throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "call-ledger-\(UUID().uuidString).xlsx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try write(sheets, to: path)
        guard let data = FileManager.default.contents(atPath: path) else { throw XLSXError(description: "cannot read back \(path)") }
        return Array(data)
    }

    /// Sheet names: ≤ 31 characters, none of `[]:*?/\`, unique.
    static func uniqueName(_ raw: String, _ used: inout Set<String>) -> String {
        var base = String(raw.map { "[]:*?/\\".contains($0) ? "_" : $0 }.prefix(31))
        if base.isEmpty { base = "Sheet" }
        var name = base
        var n = 2
        while used.contains(name.lowercased()) {
            let suffix = " \(n)"
            name = String(base.prefix(31 - suffix.count)) + suffix
            n += 1
        }
        used.insert(name.lowercased())
        return name
    }
}
