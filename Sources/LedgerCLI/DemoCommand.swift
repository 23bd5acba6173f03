import ArgumentParser
import Foundation
import LedgerEvents
import LedgerLog
import LedgerSimulator

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a few days of call-center traffic, append it to the ledger, and print a summary.",
        discussion: """
        Deterministic for a seed and options: running it twice appends nothing the second time (idempotent ids). \
        Other options with the same seed into the same ledger are refused: use a fresh --data directory.
        """
    )

    @OptionGroup var global: GlobalOptions
    @Option(parsing: .unconditional, help: "Simulated days.") var days: Int = 3
    @Option(parsing: .unconditional, help: "Simulator seed.") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Departments.") var departments: Int = 3
    @Option(parsing: .unconditional, help: "Share of events delivered late / out of order (0…1).") var lateFraction: Double = 0

    func validate() throws {
        guard days > 0, departments > 0 else { throw ValidationError("--days and --departments: positive numbers") }
        guard (0...1).contains(lateFraction) else { throw ValidationError("--late-fraction: a share from 0 to 1") }
    }

    func run() async throws {
        var config = SimulatorConfiguration()
        config.days = days
        config.seed = seed
        config.departments = departments
        config.lateFraction = lateFraction
        ProgressBar.phase("simulating \(days) days…")
        var bytes: [UInt8] = []
        TrafficSimulator(config).generate { line in
            bytes.append(contentsOf: line.utf8)
            bytes.append(0x0A)
        }
        let started = Date()
        let result: AppendResult
        do {
            result = try await Append.append(bytes, to: global)
        } catch let e as CLIError where e.isConflict {
            // A seed's event ids number its whole run, so other --days, --departments or
            // --late-fraction give the same ids to other events.
            throw CLIError("""
                \(global.data) already holds simulated events of seed \(seed) made with other options (--days, --departments \
                or --late-fraction): the same ids would name other events, so nothing was appended. Run the demo into a \
                fresh --data directory, or with the options used before (or another --seed).
                """)
        }
        let secs = Date().timeIntervalSince(started)
        print("appended \(Terminal.thousands(result.appended)) events (\(Terminal.thousands(result.duplicates)) already stored) into \(global.data) in \(String(format: "%.2f", secs)) s")

        let log = try global.openLog(readOnly: true)
        defer { log.close() }
        var byType: [EventType: Int] = [:]
        var calls = Set<String>()
        var clients = Set<ClientNumber>()
        var first: EventTime?
        var last: EventTime?
        var cursor: UInt64 = 0
        while true {
            let page = try log.events(after: cursor, limit: 8192)
            guard let end = page.last else { break }
            for r in page {
                let e = r.event
                byType[e.type, default: 0] += 1
                if e.type == .callStarted, let c = e.callID { calls.insert(c) }
                if let c = e.client, !c.isHidden { clients.insert(c) }
                first = min(first ?? e.at, e.at)
                last = max(last ?? e.at, e.at)
            }
            cursor = end.position
        }
        let stats = try log.stats()
        print("")
        print("ledger \(global.data): \(Terminal.thousands(stats.events)) events, \(Terminal.thousands(calls.count)) calls, \(Terminal.thousands(clients.count)) clients")
        if let first, let last { print("occurred from \(first.rfc3339) to \(last.rfc3339)") }
        print("")
        let rows = EventType.allCases.filter { byType[$0] != nil }.map { [$0.rawValue, Terminal.thousands(byType[$0]!)] }
        print(Terminal.table(["type", "events"], rows), terminator: "")
        let report = try log.verify()
        print("")
        print(report.isClean ? "verify: clean (\(Terminal.thousands(report.records)) events)" : "verify: \(report.problems.count) problems")
        print(String(format: "file %.1f MiB, map %.0f%% used", Double(stats.fileBytes) / 1_048_576, stats.mapUsePercent))
        print("")
        print("next: call-ledger events --data \(global.data) --limit 5 --format table")
    }
}
