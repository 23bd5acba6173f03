import ArgumentParser
import Foundation
import LedgerLog

@main
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call-ledger",
        abstract: "An event-sourced call ledger: append PBX and CRM events, read them back, keep the log healthy.",
        subcommands: [Serve.self, Demo.self, Append.self, Import.self, Events.self, Verify.self, Backup.self, Stats.self, Projections.self, Departments.self, Report.self, CallCommand.self, Audit.self, Handle.self]
    )
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The ledger's data directory (env CALL_LEDGER_DATA).", valueName: "DIR"))
    var data: String = ProcessInfo.processInfo.environment["CALL_LEDGER_DATA"] ?? "./ledger-data"

    /// - Parameter existing: refuse a directory without a ledger rather than create an empty one
    ///   (a mistyped `--data` gave reports of zeros that looked real).
    func openLog(readOnly: Bool = false, existing: Bool = false) throws -> EventLog {
        var c = EventLogConfiguration()
        c.readOnly = readOnly
        if (readOnly || existing) && !FileManager.default.fileExists(atPath: data + "/data.mdb") {
            throw CLIError("no ledger in \(data): append events first, or pass --data DIR")
        }
        return try EventLog(directory: data, configuration: c)
    }
}

/// An error for people: printed as it is, exit code 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
