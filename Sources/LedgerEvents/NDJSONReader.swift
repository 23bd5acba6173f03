import Dispatch
import Synchronization

/// Parses and validates NDJSON event input on every core.
///
/// Lines are split once, then chunks are parsed in parallel; blank lines are skipped. The result
/// keeps input order and every problem with its line number.
public enum NDJSONReader {
    /// The events of `bytes`, or all problems found (with 1-based line numbers).
    ///
    /// - Parameter firstLine: the line number of `bytes`' first line (for inputs read in pieces).
    public static func parse(_ bytes: [UInt8], firstLine: Int = 1) -> Result<[Event], EventValidationError> {
        // Line boundaries: (start, end, line number) of each non-blank line.
        var foundLines: [(start: Int, end: Int, number: Int)] = []
        foundLines.reserveCapacity(bytes.count / 180 + 1)
        var start = 0
        var number = firstLine
        let n = bytes.count
        while start < n {
            var end = start
            while end < n && bytes[end] != 0x0A { end += 1 }
            var e = end
            if e > start && bytes[e - 1] == 0x0D { e -= 1 }
            var blank = true
            for k in start..<e where bytes[k] != 0x20 && bytes[k] != 0x09 { blank = false; break }
            if !blank { foundLines.append((start, e, number)) }
            number += 1
            start = end + 1
        }
        let lines = foundLines
        let chunkCount = lines.count < 2048 ? 1 : min(64, max(2, lines.count / 4096))
        let chunkSize = (lines.count + chunkCount - 1) / max(1, chunkCount)
        let results = Results(count: chunkCount)
        DispatchQueue.concurrentPerform(iterations: chunkCount) { c in
            let lo = c * chunkSize
            let hi = min(lines.count, lo + chunkSize)
            var events: [Event] = []
            events.reserveCapacity(max(0, hi - lo))
            var issues: [ValidationIssue] = []
            if lo < hi {
                for k in lo..<hi {
                    let line = lines[k]
                    do throws(JSONParser.SyntaxError) {
                        let value = try JSONParser.parse(bytes, range: line.start..<line.end)
                        switch EventValidator.validate(value, index: k) {
                        case .success(let e): events.append(e)
                        case .failure(let err):
                            issues.append(contentsOf: err.issues.map { var i = $0; i.line = line.number; return i })
                        }
                    } catch {
                        issues.append(ValidationIssue(index: k, eventID: nil, field: "", message: error.description, line: line.number))
                    }
                }
            }
            results.set(c, events, issues)
        }
        let (events, issues) = results.joined()
        return issues.isEmpty ? .success(events) : .failure(EventValidationError(issues: issues))
    }

    /// Per-chunk results written by parallel workers, each to its own slot.
    private final class Results: Sendable {
        private let slots: Mutex<[(events: [Event], issues: [ValidationIssue])]>
        init(count: Int) { slots = Mutex(Array(repeating: ([], []), count: count)) }
        func set(_ c: Int, _ e: [Event], _ i: [ValidationIssue]) { slots.withLock { $0[c] = (e, i) } }
        func joined() -> ([Event], [ValidationIssue]) {
            slots.withLock { s in (Array(s.map(\.events).joined()), Array(s.map(\.issues).joined())) }
        }
    }
}
