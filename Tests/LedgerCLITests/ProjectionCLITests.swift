import Foundation
import LedgerEvents
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
