import Foundation
import LedgerEvents
import LedgerLog
import LedgerProjections
import LedgerTestSupport
import Testing

@Suite struct ProjectionCLITests {
    /// kill -9 in the middle of a catch-up, restart: the read model converges to a clean rebuild.
    @Test func killDuringCatchUpConvergesToACleanRebuild() throws {
        let dir = TemporaryDirectory("cli-kill")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "5"]).0 == 0)
        let head = try JSONParser.parse(try cli(["stats", "--data", data, "--format", "json"]).1).objectValue!["last_position"]!.doubleValue!

        let p = Process()
        p.executableURL = URL(fileURLWithPath: productsDirectory + "/call-ledger")
        p.arguments = ["projections", "catch-up", "--data", data, "--page-size", "8"]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: 0.4)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)

        let status = try JSONParser.parse(try cli(["projections", "status", "--data", data, "--format", "json"]).1)
        let checkpoint = status.arrayValue![0].objectValue!["checkpoint"]!.doubleValue!
        #expect(checkpoint > 0 && checkpoint < head, "killed mid-way: checkpoint \(checkpoint) of \(head)")

        let args = ["report", "calls-per-line", "--data", data, "--from", "2026-11-01", "--to", "2026-12-01", "--format", "json"]
        let (code, afterRestart, err) = try cli(args)  // restarts the catch-up, then answers
        #expect(code == 0, "\(err)")
        #expect(try cli(["projections", "rebuild", "calls-per-line-hour", "--data", data]).0 == 0)
        let (_, rebuilt, _) = try cli(args)
        #expect(afterRestart == rebuilt)
        #expect(afterRestart.count > 1000)
        // Checkpoint and lag after recovery.
        let final = try JSONParser.parse(try cli(["projections", "status", "--data", data, "--format", "json"]).1)
        #expect(final.arrayValue![0].objectValue!["lag"] == .number("0"))
    }

    /// An analyst's projections, kept in the ledger by their own program, are listed by
    /// `projections status` (CLI and API share it) as not registered here, with the checkpoint,
    /// lag and failure they were left at.
    @Test func statusListsProjectionsKeptByAnotherProgram() throws {
        let dir = TemporaryDirectory("cli-unregistered")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "1"]).0 == 0)
        let head: UInt64
        do {
            let log = try EventLog(directory: data)
            defer { log.close() }
            head = log.lastPosition
            let firstCall = try #require(try log.events(after: 0, limit: Int(head)).first { $0.event.type == .callStarted }?.event.callID)
            let engine = try ProjectionEngine(log: log)
            try engine.register(InboundCalls())
            try engine.register(RefusingProjection(badCall: firstCall))
            try engine.catchUp()
        }
        let (code, out, err) = try cli(["projections", "status", "--data", data, "--format", "json"])
        #expect(code == 0, "\(err)")
        let rows = try #require(try JSONParser.parse(out).arrayValue?.compactMap(\.objectValue))
        let byName = Dictionary(uniqueKeysWithValues: rows.map { ($0.string("name") ?? "", $0) })
        // The built-in ones first, as before, then the analyst's, by name.
        #expect(rows.prefix(4).allSatisfy { $0.string("state") == "running" })
        #expect(rows.dropFirst(4).map { $0.string("name") ?? "" } == ["analyst-inbound-calls", "analyst-refusing"])
        let inbound = try #require(byName["analyst-inbound-calls"])
        #expect(inbound.string("state") == "unregistered")
        #expect(inbound["checkpoint"]?.doubleValue == Double(head) && inbound["lag"]?.doubleValue == 0)
        #expect(inbound["version"]?.doubleValue == 3)
        let refusing = try #require(byName["analyst-refusing"])
        #expect(refusing.string("state") == "unregistered")
        #expect(refusing["failure"]?.objectValue?.string("message")?.contains("refuses") == true)
        // Appends after it make its lag grow: the CLI does not apply them to a projection it cannot run.
        let more = #"{"id":"extra-1","type":"agent.status","at":"2026-11-20T10:00:00Z","data":{"agent":"a-extra","status":"available"}}"#
        #expect(try cli(["append", "-", "--data", data], stdin: more + "\n").0 == 0)
        let table = try cli(["projections", "status", "--data", data]).1
        let line = try #require(table.split(separator: "\n").first { $0.contains("analyst-inbound-calls") })
        #expect(line.contains("not registered here") && line.contains(" 1 "), "\(line)")
    }

    /// `departments` lists what the simulator configures (JSON equal to the server's list), in a table too.
    @Test func departmentsListsTheSimulatedDepartments() throws {
        let dir = TemporaryDirectory("cli-departments")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "1"]).0 == 0)
        let (code, out, err) = try cli(["departments", "--data", data, "--format", "json"])
        #expect(code == 0, "\(err)")
        let list = try #require(try JSONParser.parse(out).arrayValue)
        let rows = list.compactMap(\.objectValue)
        #expect(rows.map { $0.string("department") ?? "" } == ["billing", "sales", "support"])
        #expect(rows.allSatisfy { $0["configured"] == .bool(true) && $0.string("name") != nil && $0.string("timezone") != "UTC" })
        #expect(rows.allSatisfy { ($0["members"]?.doubleValue ?? 0) > 0 })
        let table = try cli(["departments", "--data", data]).1
        #expect(table.contains("members now") && table.contains("sales"))
    }

    @Test func asOfOptionsAreOneAtATimeAndChangeTheAnswer() throws {
        let dir = TemporaryDirectory("cli-asof")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "1"]).0 == 0)
        let base = ["report", "calls-per-line", "--data", data, "--from", "2026-11-16", "--to", "2026-11-17", "--format", "csv"]
        let (c1, all, _) = try cli(base)
        let (c2, early, _) = try cli(base + ["--as-of", "2026-11-16T12:00:00+03:00"])
        let (c3, prefix, _) = try cli(base + ["--as-of-position", "500"])
        #expect(c1 == 0 && c2 == 0 && c3 == 0)
        #expect(all.hasPrefix("line,hour,calls\r\n"))
        // RFC 4180 rows end with CRLF (one grapheme in Swift, so count the pieces).
        func rows(_ s: String) -> Int { s.components(separatedBy: "\r\n").count }
        #expect(rows(all) > 10)
        #expect(rows(early) < rows(all))
        #expect(rows(prefix) < rows(all))
        let (bad, _, err) = try cli(base + ["--as-of-position", "5", "--as-of", "2026-11-16T12:00:00Z"])
        #expect(bad != 0)
        #expect(err.contains("give one of"))
    }
}

/// An analyst's projection, registered by their own program only: inbound calls by call id.
private struct InboundCalls: Projection {
    let name = "analyst-inbound-calls"
    let version = 3
    func entities(touchedBy e: RecordedEvent, source: any EventSource) -> [String] {
        e.event.type == .callStarted ? [e.event.callID!] : []
    }
    func fact(of callID: String, source: any EventSource) throws -> Int64? {
        try source.events(callID: callID).first { $0.event.type == .callStarted }?.event.at.milliseconds
    }
    func queryKeys(of at: Int64) -> [QueryKey] { [QueryKey(time: at)] }
}

/// Another, that stops at the call it refuses.
private struct RefusingProjection: Projection {
    let name = "analyst-refusing"
    let version = 1
    let badCall: String
    func entities(touchedBy e: RecordedEvent, source: any EventSource) -> [String] {
        e.event.type == .callStarted ? [e.event.callID!] : []
    }
    func fact(of callID: String, source: any EventSource) throws -> Int? {
        if callID == badCall { throw ProjectionError("refuses call \(callID)") }
        return 1
    }
    func queryKeys(of f: Int) -> [QueryKey] { [QueryKey("all")] }
}
