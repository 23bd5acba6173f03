import Foundation
import LedgerEvents
import LedgerTestSupport
import Testing

@Suite struct LiveCLITests {
    @Test func livePanelAsOfAnInstantInTableAndJSON() throws {
        let dir = TemporaryDirectory("cli-live")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "1"]).0 == 0)
        let base = ["report", "live", "--data", data, "--department", "sales", "--as-of", "2026-11-16T11:00:00+03:00"]
        let (code, json, err) = try cli(base + ["--format", "json"])
        #expect(code == 0, "\(err)")
        let panel = try #require(try JSONParser.parse(json).objectValue)
        #expect(panel.keys == ["department", "at", "window_from", "metrics", "service_level", "agents"])
        #expect(panel.string("at") == "2026-11-16T11:00:00.000+03:00" && panel.string("window_from") == "2026-11-16T10:00:00.000+03:00")
        let metrics = try #require(panel["metrics"]?.objectValue)
        #expect(metrics.keys.count == 19 && metrics.keys.first == "in_queue" && metrics.keys.last == "successful_inbound_pct")
        // A weekday morning of the simulated call center: calls were answered and agents were on.
        #expect((metrics["answered_last_hour"]?.doubleValue ?? 0) > 0 && !(panel["agents"]?.arrayValue ?? []).isEmpty)
        #expect(panel["service_level"]?.objectValue?["threshold_s"]?.doubleValue == 20)

        let (tcode, table, _) = try cli(base)
        #expect(tcode == 0 && table.contains("live panel of sales at 2026-11-16T11:00:00.000+03:00") && table.contains("service level:"))
        // Same instant, same answer.
        #expect(try cli(base + ["--format", "json"]).1 == json)

        // The other reports refuse what the server refuses, and never crash on a bad number.
        let report = ["report", "--data", data]
        let refusals: [([String], String)] = [
            (["processed", "--department", "sales", "--limit=-1"], "--limit: a positive number"),
            (["processed", "--department", "sales", "--limit", "0"], "--limit: a positive number"),
            (["calls", "--department", "sales", "--from", "2026-11-17", "--to", "2026-11-16"], "--from must be before --to"),
            (["department", "--department", "sales", "--from", "2020-01-01", "--to", "2030-01-01", "--by", "day"], "at most 1000"),
        ]
        for (args, message) in refusals {
            let (code, _, err) = try cli([report[0], args[0]] + Array(report[1...]) + Array(args[1...]))
            #expect(code == 64 && err.contains(message), "\(args): \(code) \(err)")
        }
    }

    @Test func serveRefusesABadConfigurationFile() throws {
        let dir = TemporaryDirectory("cli-live-config")
        let config = dir.sub("server.json")
        try #"{"live": {"thresholds": {"in_queue": {"yellow": 5, "red": 2}}}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let (code, _, err) = try cli(["serve", "--data", dir.sub("data"), "--port", "0", "--config", config],
                                     env: ["CALL_LEDGER_TOKENS": "reader-token-1=ann:read"])
        #expect(code == 1 && err.contains("live.thresholds.in_queue") && err.contains("yellow ≤ red"), "\(err)")
    }
}
