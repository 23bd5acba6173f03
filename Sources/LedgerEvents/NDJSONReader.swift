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
        run(bytes, firstLine: firstLine, validated)
    }

    /// The stored forms of the events of `bytes`, or all problems found (with 1-based line numbers).
    ///
    /// Each line in the common shape is encoded straight from its bytes (``DirectEventEncoder``);
    /// any other line, and every invalid one, goes through ``JSONParser`` and ``EventValidator``,
    /// which name every problem. The result is the same as encoding ``parse(_:firstLine:)``'s.
    public static func encode(_ bytes: [UInt8], firstLine: Int = 1) -> Result<[EncodedEvent], EventValidationError> {
        run(bytes, firstLine: firstLine) { bytes, range, index in
            if let e = DirectEventEncoder.encode(bytes, range) { return .success(e) }
            return validated(bytes, range, index).map(EncodedEvent.init)
        }
    }

    /// Splits `bytes` into lines and makes each non-blank one into a `T` with `make` (given the
    /// line's parsed JSON on demand, the bytes and the line's range), in chunks on every core.
    private static func run<T: Sendable>(
        _ bytes: [UInt8], firstLine: Int,
        _ make: @escaping @Sendable (_ bytes: [UInt8], _ range: Range<Int>, _ index: Int) -> Result<T, EventValidationError>
    ) -> Result<[T], EventValidationError> {
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
        if chunkCount == 1 {
            // A small body (a single event from a phone system, say) is parsed here: handing it
            // to Dispatch's worker threads would cost more than the parse.
            let (events, issues) = parseLines(bytes, lines, 0..<lines.count, make)
            return issues.isEmpty ? .success(events) : .failure(EventValidationError(issues: issues))
        }
        let results = Results<T>(count: chunkCount)
        DispatchQueue.concurrentPerform(iterations: chunkCount) { c in
            let lo = c * chunkSize
            let (events, issues) = parseLines(bytes, lines, lo..<max(lo, min(lines.count, lo + chunkSize)), make)
            results.set(c, events, issues)
        }
        let (events, issues) = results.joined()
        return issues.isEmpty ? .success(events) : .failure(EventValidationError(issues: issues))
    }

    /// Makes `lines[range]` into `T`s; an event's index is its line's index among the non-blank lines.
    private static func parseLines<T>(
        _ bytes: [UInt8], _ lines: [(start: Int, end: Int, number: Int)], _ range: Range<Int>,
        _ make: (_ bytes: [UInt8], _ range: Range<Int>, _ index: Int) -> Result<T, EventValidationError>
    ) -> ([T], [ValidationIssue]) {
        var events: [T] = []
        events.reserveCapacity(range.count)
        var issues: [ValidationIssue] = []
        for k in range {
            let line = lines[k]
            switch make(bytes, line.start..<line.end, k) {
            case .success(let e): events.append(e)
            case .failure(let err):
                issues.append(contentsOf: err.issues.map { var i = $0; i.line = line.number; return i })
            }
        }
        return (events, issues)
    }

    /// The line's event, validated: every problem of it, or its syntax error.
    private static func validated(_ bytes: [UInt8], _ range: Range<Int>, _ index: Int) -> Result<Event, EventValidationError> {
        do throws(JSONParser.SyntaxError) {
            return EventValidator.validate(try JSONParser.parse(bytes, range: range), index: index)
        } catch {
            return .failure(EventValidationError(issues: [ValidationIssue(index: index, eventID: nil, field: "", message: error.description)]))
        }
    }

    /// Per-chunk results written by parallel workers, each to its own slot.
    private final class Results<T: Sendable>: Sendable {
        private let slots: Mutex<[(events: [T], issues: [ValidationIssue])]>
        init(count: Int) { slots = Mutex(Array(repeating: ([], []), count: count)) }
        func set(_ c: Int, _ e: [T], _ i: [ValidationIssue]) { slots.withLock { $0[c] = (e, i) } }
        /// The chunks in order (appended, not through `joined()`'s slower lazy flattening).
        func joined() -> ([T], [ValidationIssue]) {
            slots.withLock { s in
                var events: [T] = []
                events.reserveCapacity(s.reduce(0) { $0 + $1.events.count })
                var issues: [ValidationIssue] = []
                for slot in s {
                    events.append(contentsOf: slot.events)
                    issues.append(contentsOf: slot.issues)
                }
                return (events, issues)
            }
        }
    }
}
