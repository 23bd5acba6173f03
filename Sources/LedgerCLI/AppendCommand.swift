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

    func run() async throws {
        let bytes: [UInt8]
        if file == "-" {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        } else {
            guard let d = FileManager.default.contents(atPath: file) else {
                throw CLIError("cannot read \(file): no such file or not readable")
            }
            bytes = Array(d)
        }
        let result = try await Self.append(bytes, to: global, maxErrors: maxErrors)
        print(#"{"appended":\#(result.appended),"duplicates":\#(result.duplicates),"last_position":\#(result.lastPosition)}"#)
    }

    /// Parses, validates and appends NDJSON bytes; prints problems and throws on refusal.
    static func append(_ bytes: [UInt8], to global: GlobalOptions, maxErrors: Int = 50) async throws -> AppendResult {
        ProgressBar.phase("parsing and validating \(Terminal.thousands(bytes.count)) bytes…")
        let events: [Event]
        switch NDJSONReader.parse(bytes) {
        case .success(let e): events = e
        case .failure(let err):
            ProgressBar.phase("")
            for issue in err.issues.prefix(maxErrors) { Terminal.error("error: \(issue)") }
            if err.issues.count > maxErrors { Terminal.error("… and \(err.issues.count - maxErrors) more problems") }
            throw CLIError("rejected: \(err.issues.count) problem\(err.issues.count == 1 ? "" : "s") in the input; nothing was stored. Fix the lines above and append again.")
        }
        ProgressBar.phase("storing \(Terminal.thousands(events.count)) events…")
        let log = try global.openLog()
        defer { log.close() }
        do {
            let r = try await log.append(events)
            ProgressBar.phase("")
            return r
        } catch let e as LedgerError {
            ProgressBar.phase("")
            if e.code == .conflict, let i = e.eventIndex {
                throw CLIError("rejected: event \(i + 1) of the input (id \"\(e.eventID ?? "?")\"): this id is already stored at position \(e.existingPosition ?? 0) with different content; nothing was stored. Send new content under a new id.")
            }
            throw CLIError("append failed: \(e.message)")
        }
    }
}
