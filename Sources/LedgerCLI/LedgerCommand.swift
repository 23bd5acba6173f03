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

    /// ArgumentParser's own `main`, except that file-system errors from Foundation are told as
    /// "what, which path, why" instead of an `NSCocoaErrorDomain … UserInfo={…}` dump.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: CLIError.fileSystem(error) ?? error)
        }
    }
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
    /// The refusal was an id already stored (or earlier in the input) with other content.
    var isConflict = false
    init(_ d: String, isConflict: Bool = false) {
        description = d
        self.isConflict = isConflict
    }

    /// A Foundation file error as a sentence naming the path and the system's reason, or nil
    /// for any other error.
    static func fileSystem(_ error: any Error) -> CLIError? {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain else { return nil }
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        var reason = LedgerError.systemReason(of: ns)
            ?? (ns.userInfo[NSUnderlyingErrorKey] as? any Error).map { ($0 as NSError).localizedDescription }
        if reason == nil, ns.code == CocoaError.fileNoSuchFile.rawValue || ns.code == CocoaError.fileReadNoSuchFile.rawValue {
            reason = "No such file or directory"
        }
        guard let path else { return CLIError("file error: \(reason ?? ns.localizedDescription)") }
        return CLIError("\(path): \(reason ?? ns.localizedDescription)")
    }
}
