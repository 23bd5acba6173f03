import Foundation

/// Output helpers: buffered stdout, stderr lines, a progress bar, and plain tables.
enum Terminal {
    static let stderrIsTTY = isatty(2) == 1

    static func error(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    /// Renders rows as an aligned text table with a header.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (k, c) in r.enumerated() where k < widths.count { widths[k] = max(widths[k], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { k, c in k == cells.count - 1 ? c : c.padding(toLength: widths[k], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        var out = line(header) + "\n" + line(widths.map { String(repeating: "-", count: $0) }) + "\n"
        for r in rows { out += line(r) + "\n" }
        return out
    }

    static func thousands(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (k, c) in s.reversed().enumerated() {
            if k > 0 && k % 3 == 0 && c != "-" { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }
}

/// Buffered writer to stdout (large outputs are written in 1 MiB pieces).
struct OutputBuffer {
    var bytes: [UInt8] = []
    let handle = FileHandle.standardOutput

    mutating func flushIfLarge() {
        if bytes.count >= 1 << 20 { flush() }
    }

    mutating func flush() {
        if !bytes.isEmpty { handle.write(Data(bytes)) }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal: done/total, rate and ETA.
final class ProgressBar {
    let label: String
    let total: Int
    let start = Date()
    var lastDraw = Date.distantPast
    let enabled: Bool

    init(_ label: String, total: Int, enabled: Bool = Terminal.stderrIsTTY) {
        self.label = label
        self.total = total
        self.enabled = enabled
    }

    func update(_ done: Int, force: Bool = false) {
        guard enabled else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let frac = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let width = 30
        let filled = Int(frac * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let eta = rate > 0 && total > done ? String(format: "ETA %.0fs", Double(total - done) / rate) : ""
        let s = String(format: "\r%@ %@ %3.0f%% %@/%@ %@/s %@\u{1B}[K", label, bar, frac * 100,
                       Terminal.thousands(done), Terminal.thousands(total), Terminal.thousands(Int(rate)), eta)
        FileHandle.standardError.write(Data(s.utf8))
    }

    func finish(_ note: String = "") {
        guard enabled else { return }
        update(total, force: true)
        FileHandle.standardError.write(Data((note.isEmpty ? "\n" : " " + note + "\n").utf8))
    }

    /// A one-line phase message (e.g. "storing…"), shown only on a terminal.
    static func phase(_ s: String) {
        guard Terminal.stderrIsTTY else { return }
        FileHandle.standardError.write(Data(("\r" + s + "\u{1B}[K").utf8))
    }
}
