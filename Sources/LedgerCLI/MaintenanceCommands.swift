import ArgumentParser
import Foundation
import LedgerEvents
import LedgerLog

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Walk the whole log: checksums, gapless positions, recorded_at order, every index.",
        discussion: "Exit code 0 when clean, 1 when a problem was found (each reported with its position)."
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "table or json.") var format: ReportFormat = .table
    /// The walk itself, in the child process `run` starts (see there).
    @Flag(help: .hidden) var walk = false

    func run() async throws {
        guard walk else { return try walkInAChild() }
        let log = try global.openLog(readOnly: true)
        defer { log.close() }
        let bar = ProgressBar("verifying", total: Int(log.lastPosition))
        let report: VerifyReport
        do {
            report = try log.verify { done, _ in bar.update(Int(done)) }
        } catch {
            // LMDB refusing a damaged page (MDB_CORRUPTED, a page not found) is what verify is for.
            let last = log.lastPosition
            report = VerifyReport(records: 0, lastPosition: last, indexedThrough: 0,
                                  problems: [VerifyProblem(position: nil, message: "the walk could not go on: \(error); restore the ledger from a backup")])
        }
        bar.finish()
        try Self.print(report, format: format)
        if !report.isClean { throw ExitCode(1) }
    }

    /// LMDB trusts its pages: a damaged page header can make it read outside the map and die of
    /// SIGBUS or SIGSEGV, with no error to return. So the walk runs in a child process (this
    /// command with `--walk`, whose output and exit code are passed on), and a child killed by a
    /// signal is reported as what it means: the file is damaged where LMDB cannot read it.
    private func walkInAChild() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["verify", "--data", global.data, "--format", format.rawValue, "--walk"]
        // A crash is the answer here, not a bug to trace: no backtrace over the report.
        child.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { _, new in new }
        try child.run()
        child.waitUntilExit()
        guard child.terminationReason == .uncaughtSignal else {
            if child.terminationStatus != 0 { throw ExitCode(child.terminationStatus) }
            return
        }
        let signal = child.terminationStatus
        let name = signal == SIGBUS ? "SIGBUS" : signal == SIGSEGV ? "SIGSEGV" : "signal \(signal)"
        let message = "the ledger's file is damaged where LMDB cannot read it (the walk stopped with \(name)): "
            + "restore it from a backup (`call-ledger backup` makes one), or copy out what still reads with `call-ledger events`"
        switch format {
        case .json:
            let o = JSONObject([("records", .null), ("problems", .array([.object(JSONObject([("position", .null), ("message", .string(message))]))]))])
            Swift.print(JSONWriter.string(.object(o)))
        case .table:
            Swift.print("1 problem:\n  " + message)
        }
        throw ExitCode(1)
    }

    static func print(_ report: VerifyReport, format: ReportFormat) throws {
        switch format {
        case .json:
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            Swift.print(String(decoding: try enc.encode(report), as: UTF8.self))
        case .table:
            if report.isClean {
                Swift.print(report.records == 0 ? "ok: the ledger is empty"
                            : "ok: \(Terminal.thousands(report.records)) events, positions 1…\(report.lastPosition), checksums and indexes consistent")
            } else {
                Swift.print("\(report.problems.count) problem\(report.problems.count == 1 ? "" : "s") in \(Terminal.thousands(report.records)) events:")
                for p in report.problems { Swift.print("  " + p.description) }
            }
        }
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a hot, compacted copy of the ledger into DIR (empty or new), then verify the copy.",
        discussion: "Safe while the ledger is in use. Restore by pointing --data at the copy."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Target directory (must be empty or not exist).") var directory: String

    func run() async throws {
        let log = try global.openLog(readOnly: true)
        defer { log.close() }
        let started = Date()
        let report = try log.backup(to: directory)
        let secs = Date().timeIntervalSince(started)
        if report.isClean {
            print("backup written to \(directory): \(Terminal.thousands(report.records)) events, verified clean (\(String(format: "%.2f", secs)) s)")
        } else {
            try Verify.print(report, format: .table)
            throw CLIError("the backup in \(directory) does not verify: do not rely on it")
        }
    }
}

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Events, file size, map use and readers.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "table or json.") var format: ReportFormat = .table

    func run() async throws {
        let log = try global.openLog(readOnly: true)
        defer { log.close() }
        let s = try log.stats()
        switch format {
        case .json:
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(s), as: UTF8.self))
        case .table:
            func mib(_ b: Int) -> String { String(format: "%.1f MiB", Double(b) / 1_048_576) }
            print(Terminal.table(["figure", "value"], [
                ["events", Terminal.thousands(s.events)],
                ["last position", String(s.lastPosition)],
                ["last recorded at", s.lastRecordedAt ?? "-"],
                ["file size", mib(s.fileBytes)],
                ["map size", mib(s.mapBytes)],
                ["map used", mib(s.usedBytes) + String(format: " (%.1f%%)", s.mapUsePercent)],
                ["readers", "\(s.readersUsed) of \(s.maxReaders)"],
                ["stale readers cleared at open", String(s.staleReadersCleared)],
            ]), terminator: "")
        }
    }
}
