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
        encode(bytes, firstLine: firstLine) { $0 }
    }

    /// ``encode(_:firstLine:)``, each event made into a `T` by `transform` as soon as it is
    /// encoded, on the same core: a second parallel pass over the encoded events afterwards cost
    /// a third as much again (their fields copied, then freed).
    public static func encode<T: Sendable>(_ bytes: [UInt8], firstLine: Int = 1,
                                           _ transform: @escaping @Sendable (consuming EncodedEvent) -> T)
        -> Result<[T], EventValidationError>
    {
        run(bytes, firstLine: firstLine) { bytes, range, index in
            if let e = DirectEventEncoder.encode(bytes, range) { return .success(transform(e)) }
            return validated(bytes, range, index).map { transform(EncodedEvent($0)) }
        }
    }

    /// Splits `bytes` into lines and makes each non-blank one into a `T` with `make` (given the
    /// input, the line's range and its index among the non-blank lines), in chunks on every core.
    private static func run<T: Sendable>(
        _ bytes: [UInt8], firstLine: Int,
        _ make: @escaping @Sendable (_ bytes: [UInt8], _ range: Range<Int>, _ index: Int) -> Result<T, EventValidationError>
    ) -> Result<[T], EventValidationError> {
        // Chunks of whole lines, each split into lines by the worker that parses it: splitting
        // the whole input first, on one thread, was a third of an all-cores parse's time.
        // A small body (a single event from a phone system, say) is one chunk, parsed here:
        // handing it to Dispatch's worker threads would cost more than the parse.
        let n = bytes.count
        let chunkCount = n < chunkBytes ? 1 : min(64, max(2, n / chunkBytes))
        var bounds = [0]
        for c in 1..<chunkCount {
            var b = max(bounds[bounds.count - 1], c * (n / chunkCount))
            while b < n && bytes[b - 1] != 0x0A { b += 1 }
            bounds.append(b)
        }
        bounds.append(n)
        if chunkCount == 1 {
            let chunk = parseChunk(bytes, 0..<n, firstLine: firstLine, make)
            return chunk.issues.isEmpty ? .success(chunk.events) : .failure(EventValidationError(issues: chunk.issues))
        }
        let results = Results<T>(count: chunkCount)
        let chunks = bounds
        DispatchQueue.concurrentPerform(iterations: chunkCount) { c in
            results.set(c, parseChunk(bytes, chunks[c]..<chunks[c + 1], firstLine: 0, make))
        }
        let (events, issues) = results.joined(firstLine: firstLine)
        return issues.isEmpty ? .success(events) : .failure(EventValidationError(issues: issues))
    }

    /// Inputs of at least this many bytes (about 2,000 events) are parsed in chunks on every core.
    static let chunkBytes = 384 << 10

    /// One chunk's events and problems. Its issues' indices count its own non-blank lines from 0
    /// and their line numbers its own lines from `firstLine`, until ``Results/joined(firstLine:)``
    /// adds what the chunks before it hold.
    struct Chunk<T: Sendable>: Sendable {
        var events: [T] = []
        var issues: [ValidationIssue] = []
        /// Non-blank lines, and line breaks.
        var lines = 0
        var newlines = 0
    }

    /// Whether the line `bytes[line]` (without its LF) is one the reader skips: only spaces and
    /// tabs, before at most one trailing CR.
    public static func isBlank(_ bytes: [UInt8], _ line: Range<Int>) -> Bool {
        var end = line.upperBound
        if end > line.lowerBound && bytes[end - 1] == 0x0D { end -= 1 }
        for k in line.lowerBound..<end where bytes[k] != 0x20 && bytes[k] != 0x09 { return false }
        return true
    }

    /// Splits `bytes[range]` into lines and makes each non-blank one into a `T`.
    private static func parseChunk<T: Sendable>(
        _ bytes: [UInt8], _ range: Range<Int>, firstLine: Int,
        _ make: (_ bytes: [UInt8], _ range: Range<Int>, _ index: Int) -> Result<T, EventValidationError>
    ) -> Chunk<T> {
        var chunk = Chunk<T>()
        chunk.events.reserveCapacity(range.count / 160 + 1)
        var start = range.lowerBound
        let n = range.upperBound
        var number = firstLine
        while start < n {
            var end = start
            while end < n && bytes[end] != 0x0A { end += 1 }
            var e = end
            if e > start && bytes[e - 1] == 0x0D { e -= 1 }
            if !isBlank(bytes, start..<end) {
                switch make(bytes, start..<e, chunk.lines) {
                case .success(let event): chunk.events.append(event)
                case .failure(let err):
                    chunk.issues.append(contentsOf: err.issues.map { var i = $0; i.line = number; return i })
                }
                chunk.lines += 1
            }
            if end < n { chunk.newlines += 1 }
            number += 1
            start = end + 1
        }
        return chunk
    }

    /// The line's event, validated: every problem of it, or its syntax error.
    private static func validated(_ bytes: [UInt8], _ range: Range<Int>, _ index: Int) -> Result<Event, EventValidationError> {
        do throws(JSONParser.SyntaxError) {
            return EventValidator.validate(try JSONParser.parse(bytes, range: range), index: index)
        } catch {
            return .failure(EventValidationError(issues: [ValidationIssue(index: index, eventID: nil, field: "(event)", message: error.description)]))
        }
    }

    /// Per-chunk results written by parallel workers, each to its own slot.
    private final class Results<T: Sendable>: Sendable {
        private let slots: Mutex<[Chunk<T>]>
        init(count: Int) { slots = Mutex(Array(repeating: Chunk(), count: count)) }
        func set(_ c: Int, _ chunk: Chunk<T>) { slots.withLock { $0[c] = chunk } }

        /// The chunks in order (appended, not through `joined()`'s slower lazy flattening), each
        /// issue's index and line number made whole-input ones.
        func joined(firstLine: Int) -> ([T], [ValidationIssue]) {
            slots.withLock { s in
                var events: [T] = []
                events.reserveCapacity(s.reduce(0) { $0 + $1.events.count })
                var issues: [ValidationIssue] = []
                var lines = 0
                var newlines = 0
                for chunk in s {
                    events.append(contentsOf: chunk.events)
                    for var i in chunk.issues {
                        i.index += lines
                        i.line = i.line.map { $0 + firstLine + newlines }
                        issues.append(i)
                    }
                    lines += chunk.lines
                    newlines += chunk.newlines
                }
                return (events, issues)
            }
        }
    }
}
