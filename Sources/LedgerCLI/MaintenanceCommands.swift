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

    func run() async throws {
        let log = try global.openLog(readOnly: true)
        defer { log.close() }
        let bar = ProgressBar("verifying", total: Int(log.lastPosition))
        let report = try log.verify { done, _ in bar.update(Int(done)) }
        bar.finish()
        try Self.print(report, format: format)
        if !report.isClean { throw ExitCode(1) }
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
