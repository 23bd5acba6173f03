import ArgumentParser
import CallsPerLineHour
import Foundation
import LedgerEvents
import LedgerExport
import LedgerLog
import LedgerProjections
import LedgerReports
import LedgerXLSX

/// The projections every command knows: registered on an engine over the ledger in `--data`.
enum Registry {
    static func engine(_ log: EventLog) throws -> ProjectionEngine {
        let engine = try ProjectionEngine(log: log)
        try engine.register(CallsProjection())
        try engine.register(ClientsProjection())
        try engine.register(LeadsProjection())
        try engine.register(CallsPerLineHour())
        return engine
    }

    /// Opens the ledger and its projections, bringing them up to date (rebuilding a projection whose
    /// version changed, then applying new events) with a progress bar on a terminal.
    static func openCaughtUp(_ global: GlobalOptions, catchUpSeconds: TimeInterval? = nil) throws -> ProjectionEngine {
        // The server creates its ledger; reports and handle need one that exists.
        let engine = try engine(try global.openLog(existing: catchUpSeconds == nil))
        let stale = try engine.namesNeedingRebuild()
        if !stale.isEmpty {
            let bar = ProgressBar("rebuilding \(stale.joined(separator: ", "))", total: Int(engine.log.lastPosition))
            try engine.rebuild(stale) { done, _ in bar.update(done) }
            bar.finish()
        }
        guard let catchUpSeconds else {
            try engine.catchUp()
            warnAboutFailedReadModels(engine)
            return engine
        }
        // At most this long: the rest is left to the workers, so a server answers (appends, health,
        // reports as of their read models' checkpoints) while a read model is still behind.
        let deadline = Date().addingTimeInterval(catchUpSeconds)
        var behind = engine.names
        while !behind.isEmpty && Date() < deadline {
            behind = try behind.filter { !(try engine.catchUp($0, pages: 2)) }
        }
        return engine
    }
}

/// A report from a read model that stopped at an event must not pass for a current one: say
/// which stopped, where and why, and what to run (on stderr, so the report's output stays clean).
private func warnAboutFailedReadModels(_ engine: ProjectionEngine) {
    guard let failed = try? engine.status().filter({ $0.state == .failed }), !failed.isEmpty else { return }
    for s in failed {
        let f = s.failure
        FileHandle.standardError.write(Data("""
            warning: read model \(s.name) stopped at event \(f?.position ?? s.checkpoint + 1): \(f?.message ?? "unknown error"); \
            what it answers is as of position \(s.checkpoint), not the whole log. \
            See `call-ledger projections status`; `call-ledger projections rebuild \(s.name)` retries it.\n
            """.utf8))
    }
}

struct Projections: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read models: status, catch-up and rebuilds.",
        subcommands: [Status.self, CatchUp.self, Rebuild.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Name, version, checkpoint, lag and state of every projection.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "table or json.") var format: ReportFormat = .table

        func run() async throws {
            let engine = try Registry.engine(try global.openLog(existing: true))
            defer { engine.log.close() }
            // An analyst's own projection kept in this ledger by their program is listed too.
            let status = try engine.status() + engine.unregisteredStatus()
            switch format {
            case .json:
                let enc = JSONEncoder()
                enc.outputFormatting = [.sortedKeys]
                print(String(decoding: try enc.encode(status), as: UTF8.self))
            case .table:
                print(Terminal.table(["name", "version", "checkpoint", "lag", "state"], status.map { s in
                    let state = s.state == .unregistered
                        ? "not registered here: kept by another program, as it left it" + (s.failure.map { "; failed at \($0.position): \($0.message)" } ?? "")
                        : s.failure.map { "failed at \($0.position): \($0.message)" }
                        ?? (s.state == .stale ? "stale: built by another version; rebuilt on the next report or serve" : s.state.rawValue)
                    return [s.name, String(s.version), String(s.checkpoint), String(s.lag), state]
                }), terminator: "")
            }
        }
    }

    struct CatchUp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "catch-up",
            abstract: "Apply the events projections have not seen yet (the server's workers do this live)."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "One projection (default: all).") var name: String?
        @Option(parsing: .unconditional, help: "Events per transaction.") var pageSize: Int = 2048

        func validate() throws {
            guard pageSize > 0 else { throw ValidationError("--page-size: a positive number of events") }
        }

        func run() async throws {
            let engine = try Registry.engine(try global.openLog(existing: true))
            defer { engine.log.close() }
            for n in name.map({ [$0] }) ?? engine.names {
                try engine.prepare(n)
                try engine.catchUp(n, pageSize: pageSize)
            }
            try await Status.parse(["--data", global.data]).run()
        }
    }

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild projections from position 1 aside, then swap them in (queries keep working meanwhile).",
            discussion: "Without a name, every projection is rebuilt from one pass over the log."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "A projection's name (see projections status); default: all.") var name: String?

        func run() async throws {
            let engine = try Registry.engine(try global.openLog(existing: true))
            defer { engine.log.close() }
            if let name, !engine.names.contains(name) {
                throw CLIError("no projection named \(name); known: \(engine.names.joined(separator: ", "))")
            }
            let names = name.map { [$0] } ?? engine.names
            let started = Date()
            let bar = ProgressBar("rebuilding \(names.joined(separator: ", "))", total: Int(engine.log.lastPosition))
            try engine.rebuild(names) { done, _ in bar.update(done) }
            bar.finish()
            let secs = Date().timeIntervalSince(started)
            let n = Double(engine.log.lastPosition)
            print(String(format: "rebuilt %@ over %@ events in %.2f s (%@ events/s)", names.joined(separator: ", "),
                         Terminal.thousands(Int(n)), secs, Terminal.thousands(Int(secs > 0 ? n / secs : 0))))
        }
    }
}

/// `--as-of-position N`, `--as-of-recorded T`, `--as-of T`: one at a time.
struct AsOfOptions: ParsableArguments {
    // `.unconditional`: a value such as -1 is this option's (refused as not a position), not
    // taken for another option ("Missing value for --as-of-position").
    @Option(parsing: .unconditional, help: "Answer as of this log position (what the log held then).")
    var asOfPosition: UInt64?
    @Option(help: ArgumentHelp("Answer as of this recorded time (what we knew then), RFC 3339.", valueName: "T"))
    var asOfRecorded: String?
    @Option(help: ArgumentHelp("Answer with the events that had happened by this time (late arrivals included), RFC 3339.", valueName: "T"))
    var asOf: String?

    func validate() throws {
        let given = [asOfPosition != nil, asOfRecorded != nil, asOf != nil].filter { $0 }.count
        if given > 1 { throw ValidationError("give one of --as-of-position, --as-of-recorded, --as-of") }
        for (flag, v) in [("--as-of-recorded", asOfRecorded), ("--as-of", asOf)] {
            if let v, (try? EventTime(rfc3339: v)) == nil { throw ValidationError("\(flag): expected \(EventTime.expectedForm)") }
        }
    }

    var cut: Cut {
        if let p = asOfPosition { return .position(p) }
        if let t = asOfRecorded.flatMap({ try? EventTime(rfc3339: $0) }) { return .recordedAt(t) }
        if let t = asOf.flatMap({ try? EventTime(rfc3339: $0) }) { return .occurredAt(t) }
        return .all
    }
}

/// Parses a report period bound: a date (`2026-11-21`, midnight UTC) or an RFC 3339 time.
func parseBound(_ s: String, flag: String) throws -> EventTime {
    if let t = try? EventTime(rfc3339: s) { return t }
    if let t = try? EventTime(rfc3339: s + "T00:00:00Z") { return t }
    throw ValidationError("\(flag): expected a date YYYY-MM-DD or \(EventTime.expectedForm)")
}

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reports from the read models.",
        subcommands: [Unprocessed.self, Processed.self, DepartmentSummary.self, Calls.self, LeadConversionReport.self,
                      LostLeadsReport.self, EmployeePerformanceReport.self, LeadCallsReport.self, CallsPerLine.self, LiveReport.self]
    )

    struct CallsPerLine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "calls-per-line",
            abstract: "Inbound calls per line per hour (the example projection)."
        )
        @OptionGroup var global: GlobalOptions
        @OptionGroup var asOf: AsOfOptions
        @Option(help: "Period start: YYYY-MM-DD (UTC) or RFC 3339.") var from: String
        @Option(help: "Period end (exclusive).") var to: String
        @OptionGroup var out: OutputOptions

        func validate() throws {
            if try parseBound(from, flag: "--from") >= parseBound(to, flag: "--to") { throw ValidationError("--from must be before --to") }
        }

        func run() async throws {
            let engine = try Registry.openCaughtUp(global)
            defer { engine.log.close() }
            let rows = try CallsPerLineHour.report(engine, from: try parseBound(from, flag: "--from"),
                                                   to: try parseBound(to, flag: "--to"), cut: asOf.cut)
            let header = ["line", "hour", "calls"]
            let cells = { (r: LineHourCount) in [r.line, r.hour, String(r.calls)] }
            try out.emit(table: { Terminal.table(header, rows.map(cells)) }, json: { try reportJSON(rows) },
                         csv: { CSV.text(header, rows.map(cells)) },
                         sheets: { [XLSXSheet(name: "Calls per line", columns: [("line", .text), ("hour", .text), ("calls", .integer)],
                                              rows: rows.map { [.text($0.line), .text($0.hour), .number(Double($0.calls))] })] })
        }
    }
}

enum TabularFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv, xlsx
}

/// `--format table|json|csv|xlsx` and `--output FILE` of every report.
struct OutputOptions: ParsableArguments {
    @Option(help: "table, json, csv or xlsx (xlsx needs --output).") var format: TabularFormat = .table
    @Option(help: "Write to this file instead of standard output.") var output: String?

    func validate() throws {
        if format == .xlsx && output == nil { throw ValidationError("--format xlsx needs --output FILE.xlsx") }
    }

    func write(_ text: String) throws {
        if let output {
            try text.write(toFile: output, atomically: true, encoding: .utf8)
        } else {
            // Bytes, not Characters: CSV ends in "\r\n", one Character that is not "\n".
            print(text, terminator: text.utf8.last == 0x0A ? "" : "\n")
        }
    }

    /// Writes the report in the chosen format; each renderer runs only when chosen.
    func emit(table: () throws -> String, json: () throws -> String, csv: () throws -> String, sheets: () throws -> [XLSXSheet]) throws {
        switch format {
        case .table: try write(table())
        case .json: try write(json())
        case .csv: try write(csv())
        case .xlsx:
            try XLSXWriter.write(try sheets(), to: output!)
            FileHandle.standardError.write(Data("wrote \(output!)\n".utf8))
        }
    }

    /// `emit` with the files of a shared `ReportExport` (the server serves the same ones).
    func emit(table: () throws -> String, json: () throws -> String, export: ReportExport) throws {
        try emit(table: table, json: json, csv: export.csv, sheets: export.sheets)
    }
}

/// `call-ledger departments`: what to pass as `--department`, as the pages' picker offers it.
struct Departments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Every department named by a department.configured or membership event: name, time zone, members now.",
        discussion: "A department that appears only in calls (a line's owner, a queue) is not listed. The same list as GET /v1/departments."
    )
    @OptionGroup var global: GlobalOptions
    @Option(help: "table or json.") var format: ReportFormat = .table

    func run() async throws {
        let engine = try Registry.engine(try global.openLog(existing: true))
        defer { engine.log.close() }
        let all = try DepartmentDirectory.list(engine: engine, at: LiveView.nowMs)
        switch format {
        case .json:
            print(try OrderedJSONEncoder.string(all))
        case .table:
            print(Terminal.table(["department", "name", "time zone", "members now", "configured"], all.map { d in
                [d.department, d.name ?? "", d.timezone, String(d.members), d.configured ? "yes" : "no"]
            }), terminator: "")
        }
    }
}
