import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerEvents
import LedgerReports
import LedgerTestSupport
import Testing

@Suite(.serialized) struct WebPagesTests {
    @Test func pagesAndAssetsAreServedWithoutATokenAndMeTellsTheScopes() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        for page in ["signin", "queue", "report", "calls", "audit", "leads"] {
            let (status, html) = try await server.request("GET", "/ui/\(page)")
            #expect(status == 200 && html.contains("data-page=\"\(page)\"") && html.contains("/ui/app.js"), "\(page)")
            // Offline: nothing is loaded from another host.
            #expect(!html.contains("http://") && !html.contains("https://"), "\(page)")
        }
        let (cs, css) = try await server.request("GET", "/ui/app.css")
        #expect(cs == 200 && css.contains("@media print"))
        let (js, script) = try await server.request("GET", "/ui/app.js")
        #expect(js == 200 && script.contains("Bearer") && !script.contains("innerHTML"))
        #expect(try await server.request("GET", "/v1/me").0 == 401)
        let (ms, me) = try await server.request("GET", "/v1/me", token: "handler-token-1")
        #expect(ms == 200 && me == #"{"user":"boss","scopes":["read","handle"]}"# + "\n")
        let admin = try await server.request("GET", "/v1/me", token: "admin-token-1").1
        #expect(admin.contains(#""scopes":["append","read","handle","admin"]"#))
    }

    /// The pages in real headless Chromium, driven by Selenium (Tests/Web/pages.py): sign in, the
    /// queue with live refresh, handling a missed call through the dialog, every report page, an
    /// XLSX download read back with openpyxl, and what a read-only or append-only token sees.
    /// Screenshots land in `.test-artifacts/web/` (git-ignored).
    @Test func pagesWorkInHeadlessChromium() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        try await server.loadSimulatedHistory(days: 2)
        let downloads = TemporaryDirectory("downloads")
        let artifacts = repositoryRoot + "/.test-artifacts/web"
        try? FileManager.default.removeItem(atPath: artifacts)
        let arguments: JSONValue = [
            "base": .string("http://127.0.0.1:\(server.port)"), "department": "sales", "from": "2026-11-16", "to": "2026-11-18",
            "as_of_local": "2026-11-16T12:00:00",
            "handler_token": "handler-token-1", "reader_token": "reader-token-1", "appender_token": "appender-token-1",
            "artifacts": .string(artifacts), "downloads": .string(downloads.path),
        ]
        var json: [UInt8] = []
        JSONWriter.write(arguments, into: &json)
        let run = try await runProgram(["python3", repositoryRoot + "/Tests/Web/pages.py", String(decoding: json, as: UTF8.self)])
        try #require(run.status == 0, "pages.py failed (screenshots in \(artifacts)):\n\(run.err)\n\(run.out)")
        let summary = try #require(try JSONParser.parse(String(run.out.split(separator: "\n").last ?? "")).objectValue)
        #expect(summary["screenshots"]?.arrayValue?.count == 12)

        // The episodes handled in the browser and through the API are closed, by the token's user.
        let view = try DepartmentView(engine: server.engine, department: "sales")
        let handled = try #require(summary.string("handled"))
        let closed = try view.processed()
        let row = try #require(closed.first { $0.client == handled })
        #expect(row.closedBy == "boss" && row.reason == "other" && row.comment == "reached by e-mail (browser test)")
        #expect(try !view.unprocessed().contains { $0.client == handled || $0.client == summary.string("live_handled") })

        // The downloaded workbook holds the same numbers as the report.
        let period = ReportPeriod(from: ReportPeriod.instant("2026-11-16", in: view.timeZone)!, to: ReportPeriod.instant("2026-11-18", in: view.timeZone)!)
        let report = try view.report(period, by: .day)
        let book = try await readWorkbook(try #require(summary.string("xlsx")))
        #expect(book["sheets"] == ["Volume", "Callbacks", "Agents", "Dynamics"])
        let sheets = book["rows"]!.objectValue!
        let volume = sheets["Volume"]!.arrayValue!
        #expect(volume[1].arrayValue![0] == "incoming" && volume[1].arrayValue![1].doubleValue == Double(report.volume.incoming))
        #expect(sheets["Dynamics"]!.arrayValue!.count == 3)
        #expect(sheets["Agents"]!.arrayValue!.count == report.agents.count + 1)
        #expect(summary["report_incoming"] == .string(String(report.volume.incoming)))
        #expect(summary["agents"] == .number(String(report.agents.count)))
    }
}
