import ArgumentParser
import Foundation
import LedgerEvents
import LedgerLog

struct Append: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append NDJSON events (wire format v1), all or nothing.",
        discussion: """
        Every line is validated first; any bad line rejects the whole input and nothing is stored \
        (errors name the line, the event id and the field). Re-appending an event with the same id \
        and content is a no-op. Prints {"appended":N,"duplicates":N,"last_position":P}.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("NDJSON file, or - for standard input.", valueName: "FILE"))
    var file: String = "-"

    @Option(help: "At most this many problems are printed.")
    var maxErrors: Int = 50

    // For the tests: small pieces make a small input take the piece-by-piece path.
    @Option(help: .hidden)
    var pieceBytes: Int = 16 << 20

    func run() async throws {
        let input: FileHandle
        if file == "-" {
            input = FileHandle.standardInput
        } else {
            guard let h = FileHandle(forReadingAtPath: file) else {
                throw CLIError("cannot read \(file): no such file or not readable")
            }
            input = h
        }
        defer { try? input.close() }
        let size = file == "-" ? nil : (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
        // Read piece by piece as the pieces are parsed: the whole file is never one array (reading
        // 170 MB into one, then copying each piece out of it, was 0.5 s of a 1 M-event append).
        var pieces = LinePieces(pieceBytes: max(1, pieceBytes)) { try input.read(upToCount: $0) }
        let result = try await Self.append(size: size, to: global, maxErrors: maxErrors) { try pieces.next() }
        print(#"{"appended":\#(result.appended),"duplicates":\#(result.duplicates),"last_position":\#(result.lastPosition)}"#)
    }

    /// Parses, validates and appends NDJSON bytes; prints problems and throws on refusal.
    ///
    /// - Parameter pieceBytes: inputs are parsed and encoded in line-aligned pieces of about this size.
    static func append(_ bytes: [UInt8], to global: GlobalOptions, maxErrors: Int = 50, pieceBytes: Int = 16 << 20) async throws -> AppendResult {
        var offset = 0
        var pieces = LinePieces(pieceBytes: pieceBytes) { n in
            defer { offset = min(bytes.count, offset + n) }
            return Data(bytes[offset..<min(bytes.count, offset + n)])
        }
        return try await append(size: bytes.count, to: global, maxErrors: maxErrors) { try pieces.next() }
    }

    /// Parses, validates and appends the NDJSON pieces `next` gives (each ends at a line end or at
    /// the end of the input; `nil` after the last); prints problems and throws on refusal.
    static func append(size: Int?, to global: GlobalOptions, maxErrors: Int, next: () throws -> [UInt8]?) async throws -> AppendResult {
        ProgressBar.phase(size.map { "parsing, validating and storing \(Terminal.thousands($0)) bytes…" } ?? "parsing, validating and storing…")
        // Piece by piece, each piece's events encoded and handed to the writer, which stores them
        // while the next piece is parsed (one transaction: it commits only once every piece is
        // good, else nothing is stored). A large file never holds all its parsed events at once,
        // and the store's work overlaps the parsing instead of following it.
        // A refused first append leaves no ledger behind: an empty one would make a mistyped
        // `--data` look like a real, empty ledger to the next command.
        let createdHere = !FileManager.default.fileExists(atPath: global.data)
        let log = try global.openLog()
        var stored = false
        defer {
            log.close()
            if createdHere && !stored { try? FileManager.default.removeItem(atPath: global.data) }
        }
        let batch = try log.beginAppend()
        var issues: [ValidationIssue] = []
        var line = 1
        // The blank lines the parser skips, to name a refused event by its line as problems are.
        var blankLines: [Int] = []
        do {
            while let piece = try next() {
                switch EventLog.prepare(ndjson: piece, firstLine: line) {
                case .success(let events): if issues.isEmpty { try batch.send(events) }
                case .failure(let err):
                    if issues.isEmpty { batch.cancel() }
                    issues += err.issues
                }
                line = Self.countLines(piece, from: line, blank: &blankLines)
            }
        } catch {
            batch.cancel()
            throw error
        }
        guard issues.isEmpty else {
            ProgressBar.phase("")
            for issue in issues.prefix(maxErrors) { Terminal.error("error: \(issue)") }
            if issues.count > maxErrors { Terminal.error("… and \(issues.count - maxErrors) more problems") }
            throw CLIError("rejected: \(issues.count) problem\(issues.count == 1 ? "" : "s") in the input; nothing was stored. Fix the lines above and append again.")
        }
        do {
            let r = try await batch.finish()
            stored = true
            ProgressBar.phase("")
            return r
        } catch let e as LedgerError {
            ProgressBar.phase("")
            if e.code == .conflict, let i = e.eventIndex {
                func line(_ k: Int) -> Int {
                    var eventLine = k + 1
                    for b in blankLines where b <= eventLine { eventLine += 1 }
                    return eventLine
                }
                // No stored position: the id repeats an earlier line of this same input.
                func clash(_ p: UInt64?) -> String { p.map { "is already stored at position \($0)" } ?? "appears earlier in this input" }
                let count = e.conflictCount
                guard count > 1 else {
                    throw CLIError("rejected: line \(line(i)) (event \(i + 1) of the input, id \"\(e.eventID ?? "?")\"): this id \(clash(e.existingPosition)) with different content; nothing was stored. Send new content under a new id.", isConflict: true)
                }
                for c in e.conflicts.prefix(maxErrors) {
                    Terminal.error("error: line \(line(c.eventIndex)) (event \(c.eventIndex + 1) of the input, id \"\(c.eventID)\"): this id \(clash(c.existingPosition)) with different content")
                }
                let shown = min(maxErrors, e.conflicts.count)
                if count > shown { Terminal.error("… and \(count - shown) more conflicting events") }
                throw CLIError("rejected: \(count) events reuse an id of other content; nothing was stored. Send new content under new ids.", isConflict: true)
            }
            throw CLIError("append failed: \(e.message)")
        }
    }
}

extension Append {
    /// The number of the line after `piece`, whose first line is `first`; appends the numbers of
    /// its blank lines (those the parser skips) to `blank`.
    static func countLines(_ piece: [UInt8], from first: Int, blank: inout [Int]) -> Int {
        var line = first
        var start = 0
        while let end = piece[start...].firstIndex(of: 0x0A) {
            if NDJSONReader.isBlank(piece, start..<end) { blank.append(line) }
            line += 1
            start = end + 1
        }
        return line
    }
}

/// An input read in pieces of about `pieceBytes` that end at a line end (or at the end of the
/// input): a line is never split between two pieces.
struct LinePieces {
    private let pieceBytes: Int
    /// Up to that many more bytes of the input; empty or `nil` at its end.
    private let read: (Int) throws -> Data?
    private var carry: [UInt8] = []
    private var atEnd = false

    init(pieceBytes: Int, read: @escaping (Int) throws -> Data?) {
        self.pieceBytes = pieceBytes
        self.read = read
    }

    /// The next piece, or `nil` once the input is used up.
    mutating func next() throws -> [UInt8]? {
        var piece = carry
        carry = []
        var searched = 0  // piece[searched...] may hold a line end; before it, none
        while !atEnd {
            if piece.count >= pieceBytes {
                if let cut = piece[searched...].lastIndex(of: 0x0A) {
                    carry = Array(piece[(cut + 1)...])
                    piece.removeSubrange((cut + 1)...)
                    break
                }
                searched = piece.count  // one long line so far: read on
            }
            let want = max(pieceBytes - piece.count, min(pieceBytes, 1 << 16))
            guard let more = try read(want), !more.isEmpty else {
                atEnd = true
                break
            }
            piece.append(contentsOf: more)
        }
        return piece.isEmpty ? nil : piece
    }
}
