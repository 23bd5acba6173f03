import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerEvents
import LedgerReports
import LedgerServer
import LedgerTestSupport
import Synchronization
import Testing

/// A helper process of a test (a webhook receiver, an SMTP sink, a silent socket): started with
/// its first stdout line read (the port it listens on), ended by its pid when the test is done.
final class Helper: Sendable {
    let process: Process
    let firstLine: String

    init(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var line: [UInt8] = []
        while true {
            let b = out.fileHandleForReading.readData(ofLength: 1)
            guard let c = b.first, c != 0x0A else { break }
            line.append(c)
        }
        process = p
        firstLine = String(decoding: line, as: UTF8.self)
    }

    /// SIGKILL: a Python server may ignore the TERM the test process passes down.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Runs a tool off the cooperative pool (the server under test runs on it).
func runToolInBackground(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
    try await withCheckedThrowingContinuation { c in
        DispatchQueue.global().async {
            do { c.resume(returning: try runTool(arguments)) } catch { c.resume(throwing: error) }
        }
    }
}

/// Events relative to the wall clock: the live panel is "now".
struct LiveEvents {
    let base = LiveView.nowMs
    let tag = UUID().uuidString.prefix(6)
    var n = 0

    mutating func event(_ type: String, secondsAgo: Double, _ data: String) -> String {
        n += 1
        let at = EventTime(milliseconds: base - Int64(secondsAgo * 1000), offsetMinutes: 180).rfc3339
        return #"{"id":"live-\#(tag)-\#(n)","type":"\#(type)","at":"\#(at)","data":{\#(data)}}"#
    }

    /// A call waiting in sales' queue since `secondsAgo`.
    mutating func waiting(_ id: String, secondsAgo: Double) -> [String] {
        [event("call.started", secondsAgo: secondsAgo, #""call_id":"\#(id)","direction":"inbound","client":"79001112233","department":"sales""#),
         event("call.queued", secondsAgo: secondsAgo, #""call_id":"\#(id)","department":"sales""#)]
    }

    mutating func end(_ id: String) -> String { event("call.ended", secondsAgo: 0, #""call_id":"\#(id)","by":"client""#) }
}

/// Whether the browser test can run (the web pages' dependencies in Tools/install-deps.sh).
let browserInstalled = FileManager.default.fileExists(atPath: "/usr/bin/chromedriver")
    && FileManager.default.fileExists(atPath: "/usr/bin/chromium") && (try? runTool(["python3", "-c", "import selenium"]).status) == 0

@Suite(.serialized) struct LiveServerTests {
    func post(_ server: RunningServer, _ lines: [String]) async throws {
        let (status, body) = try await server.request("POST", "/v1/events", token: "appender-token-1", body: lines.joined(separator: "\n"))
        try #require(status == 200, "\(body)")
    }

    func panel(_ server: RunningServer, _ query: String = "") async throws -> JSONObject {
        let (status, body) = try await server.request("GET", "/v1/departments/sales/live" + query, token: "reader-token-1")
        try #require(status == 200, "\(body)")
        return try #require(try JSONParser.parse(body).objectValue)
    }

    func metric(_ p: JSONObject, _ name: String) -> Double? { p["metrics"]?.objectValue?[name]?.doubleValue }

    /// Waits until `condition` holds, at most `seconds`.
    func eventually(_ seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    // Beside the oracle tests (both cores busy for minutes), the catch-up behind the stream's
    // changed panel once took over the stream's 20 s (CI, session 14): they take turns.
    @Test func panelEndpointStreamAndZones() async throws { try await exclusively {
        let server = try await RunningServer { c in
            c.live.thresholds = ["in_queue": Threshold(yellow: 1, red: 3)]
            c.live.departments["sales"] = .init()
            // Only events move this panel during the test (time ticks would change in_status_s).
            c.live.refreshMs = 60_000
        }
        defer { Task { await server.stop() } }
        #expect(try await server.request("GET", "/v1/departments/sales/live").0 == 401)
        #expect(try await server.request("GET", "/v1/departments/sales/live", token: "appender-token-1").0 == 403)
        #expect(try await server.request("GET", "/v1/departments/sales/live/stream?limit=1").0 == 401)
        #expect(try await server.request("GET", "/v1/departments/sales/live/stream?limit=1&token=appender-token-1").0 == 403)
        var ev = LiveEvents()
        try await post(server, [ev.event("agent.joined", secondsAgo: 600, #""agent":"a1","department":"sales","name":"Анна""#),
                                ev.event("agent.status", secondsAgo: 600, #""agent":"a1","status":"available""#)])
        // Read models follow the log by a catch-up (at a lower priority: longer while the rest of
        // the suite keeps both cores busy), and a new stream starts with the monitor's last panel:
        // wait until that one shows these events, or the stream below would open with a stale
        // panel and spend one of its three messages on this change.
        #expect(try await eventually {
            let (status, first) = try await server.request("GET", "/v1/departments/sales/live/stream?limit=1&token=reader-token-1")
            return status == 200 && first.contains(#""free_agents":1"#)
        })
        let p0 = try await panel(server)
        #expect(metric(p0, "in_queue") == 0 && metric(p0, "free_agents") == 1)
        #expect(p0["zones"]?.objectValue?.string("in_queue") == "green")
        #expect(p0["thresholds"]?.objectValue?["in_queue"]?.objectValue?["red"] == .number("3"))
        #expect(p0["service_level"]?.objectValue?.string("formula")?.contains("20 s") == true)

        // The stream: the current panel first, then the change with its alert.
        let port = server.port
        let stream = Task { () -> String in
            var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/departments/sales/live/stream?limit=3&token=reader-token-1")!)
            r.timeoutInterval = 20
            let (data, _) = try await URLSession.shared.data(for: r)
            return String(decoding: data, as: UTF8.self)
        }
        try await Task.sleep(for: .milliseconds(500))
        try await post(server, ev.waiting("w1", secondsAgo: 30))
        let text = try await stream.value
        // Without the keep-alive comment a slow run can catch (": ping", every 15 s; not counted by limit).
        let messages = text.components(separatedBy: "\n\n").filter { !$0.isEmpty && !$0.hasPrefix(":") }
        #expect(messages.count == 3, "\(text)")
        #expect(messages.first?.hasPrefix("event: panel\ndata: {\"department\":\"sales\"") == true)
        let alert = try #require(messages.first { $0.hasPrefix("event: alert") })
        #expect(alert.contains(#""state":"raised""#) && alert.contains(#""metric":"in_queue""#) && alert.contains(#""zone":"yellow""#))
        let changed = try #require(messages.dropFirst().first { $0.hasPrefix("event: panel") })
        #expect(changed.contains(#""in_queue":1"#) && changed.contains(#""zones":{"in_queue":"yellow"}"#))

        // As of a minute ago, nobody was waiting; the CLI's parameters work here too.
        let before = EventTime(milliseconds: ev.base - 60_000).rfc3339UTC
        let old = try await panel(server, "?as_of=" + before)
        #expect(metric(old, "in_queue") == 0 && old.string("at")?.hasPrefix(String(before.prefix(16))) == true)
        #expect(try await server.request("GET", "/v1/departments/sales/live?as_of=yesterday", token: "reader-token-1").0 == 400)
        // The CLI's files here too; an unknown format is a 400, as for every report.
        let (cs, csv) = try await server.request("GET", "/v1/departments/sales/live?as_of=\(before)&format=csv", token: "reader-token-1")
        // For machines: the JSON's names and plain numbers, the agents' fields after the metrics.
        #expect(cs == 200 && csv.hasPrefix("section,name,value\r\nmetrics,in_queue,0"), "\(csv.prefix(200))")
        #expect(csv.contains("\r\nmetrics,service_level_pct,") && !csv.contains("%"), "\(csv)")
        if let agent = old["agents"]?.arrayValue?.first?.objectValue?.string("agent") {
            #expect(csv.contains("\r\nagents,\(agent).occupancy_pct,"), "\(csv)")
        }
        #expect(try await server.request("GET", "/v1/departments/sales/live?format=bogus", token: "reader-token-1").0 == 400)
        // A misspelt parameter is refused (as the CLI refuses an unknown option), not ignored.
        for path in ["/v1/departments/sales/live?asof=\(before)", "/v1/departments/sales/unprocessed?asof=\(before)"] {
            let (ms, message) = try await server.request("GET", path, token: "reader-token-1")
            #expect(ms == 400 && message.contains("unknown parameter asof"), "\(path): \(ms) \(message)")
        }

        // The page: served without a token, asks for one, keeps it under callLedgerToken.
        let (ps, html) = try await server.request("GET", "/live/sales")
        #expect(ps == 200 && html.contains("callLedgerToken") && html.contains("EventSource") && !html.contains("https://"))
    } }

    /// Alerts reach a webhook receiver on 127.0.0.1 and an SMTP sink through msmtp, exactly once
    /// per zone change; a dead receiver (a socket that never answers) and a refused one do not
    /// slow ingest, and their failures are counted in /metrics.
    @Test func alertsReachWebhooksAndEmailExactlyOnce() async throws {
        let work = TemporaryDirectory("live-alerts")
        let received = work.sub("webhook.ndjson")
        let receiver = try Helper(["python3", repositoryRoot + "/Tests/Web/webhook_sink.py", received])
        defer { receiver.stop() }
        let silent = try Helper(["python3", "-c", """
            import socket, time
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64); print(s.getsockname()[1], flush=True); time.sleep(300)
            """])
        defer { silent.stop() }
        let refused = try runTool(["python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
            .out.trimmingCharacters(in: .whitespacesAndNewlines)
        let maildir = work.sub("maildir")
        let smtp = try Helper(["python3", repositoryRoot + "/Tests/Web/smtp_sink.py", maildir])
        defer { smtp.stop() }
        let rc = work.sub("msmtprc")
        try "account default\nhost 127.0.0.1\nport \(smtp.firstLine)\nauth off\ntls off\nfrom call-ledger@example.com\n"
            .write(toFile: rc, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: rc)

        let server = try await RunningServer { c in
            var sales = LiveConfiguration.DepartmentAlerts()
            sales.thresholds = ["in_queue": Threshold(yellow: 1, red: 2)]
            sales.webhooks = ["http://127.0.0.1:\(receiver.firstLine)/alerts", "http://127.0.0.1:\(silent.firstLine)/dead",
                              "http://127.0.0.1:\(refused)/refused"]
            sales.emails = ["supervisor@example.com"]
            c.live.departments["sales"] = sales
            c.live.sendmail = ["/usr/bin/msmtp", "-C", rc]
            c.live.mailFrom = "call-ledger@example.com"
            c.live.retries = 2
            c.live.retryBackoffMs = 20
            c.live.refreshMs = 200
        }
        defer { Task { await server.stop() } }
        func webhookLines() -> [String] {
            ((try? String(contentsOfFile: received, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        var ev = LiveEvents()
        // green → yellow → red → green: three alerts.
        try await post(server, ev.waiting("x1", secondsAgo: 20))
        #expect(try await eventually { webhookLines().count >= 1 })
        try await post(server, ev.waiting("x2", secondsAgo: 10))
        #expect(try await eventually { webhookLines().count >= 2 })
        // Ingest is not held up by the silent and the refused receivers: 40 single appends.
        var times: [Double] = []
        for k in 0..<40 {
            let t = Date()
            try await post(server, [ev.event("agent.status", secondsAgo: 0, #""agent":"z\#(k)","status":"available""#)])
            times.append(Date().timeIntervalSince(t))
        }
        // The silent receiver holds each delivery (and its retries) for the 5 s webhook timeout:
        // if ingest waited on deliveries, these appends would take 5 s each. The median, not the
        // slowest: under the full parallel suite a single append can stall for seconds anyway.
        let median = times.sorted()[times.count / 2]
        #expect(median < 2, "median append \(median) s, slowest \(times.max()!) s")
        try await post(server, [ev.end("x1"), ev.end("x2")])
        #expect(try await eventually { webhookLines().count >= 3 })
        // Nothing more arrives while the panel stays green.
        try await Task.sleep(for: .milliseconds(1500))
        let alerts = try webhookLines().map { try #require(try JSONParser.parse($0).objectValue) }
        #expect(alerts.map { "\($0.string("state")!) \($0.string("zone")!)" } == ["raised yellow", "raised red", "cleared green"])
        #expect(alerts.allSatisfy { $0.string("department") == "sales" && $0.string("metric") == "in_queue" })

        // Three e-mails through msmtp into the sink, one per change.
        #expect(try await eventually(15) { ((try? FileManager.default.contentsOfDirectory(atPath: maildir + "/new")) ?? []).count >= 3 })
        let mails = try FileManager.default.contentsOfDirectory(atPath: maildir + "/new").map {
            try String(contentsOfFile: maildir + "/new/" + $0, encoding: .utf8)
        }
        #expect(mails.count == 3)
        #expect(mails.allSatisfy { $0.contains("To: supervisor@example.com") && $0.contains("Subject: [call-ledger] sales: in_queue") })
        #expect(mails.contains { $0.contains("in the red zone") } && mails.contains { $0.contains("back to green") })

        // The refused receiver gives up after its retries: counted per channel.
        #expect(try await eventually(10) {
            let text = try await server.request("GET", "/metrics").1
            let line = text.split(separator: "\n").first { $0.hasPrefix(#"ledger_alert_delivery_failures_total{channel="webhook"} "#) }
            return (line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0) >= 3
        })
    }

    /// The page in headless Chromium (Tests/Web/live.py): tiles coloured by zone, updated over SSE
    /// when events are posted, without reloading.
    @Test(.enabled(if: browserInstalled, "needs Debian's chromium and chromium-driver and Python's selenium"))
    func pageUpdatesInHeadlessChromium() async throws {
        let server = try await RunningServer { c in
            c.live.departments["sales"] = .init()
            c.live.thresholds = ["in_queue": Threshold(yellow: 1, red: 3), "free_agents": Threshold(yellow: 0, red: nil, direction: .below)]
            c.live.refreshMs = 500
        }
        defer { Task { await server.stop() } }
        var ev = LiveEvents()
        try await post(server, [ev.event("agent.joined", secondsAgo: 600, #""agent":"a1","department":"sales","name":"Анна""#),
                                ev.event("agent.status", secondsAgo: 600, #""agent":"a1","status":"available""#)])
        let artifacts = repositoryRoot + "/.test-artifacts/live"
        let run = try await runToolInBackground(["python3", repositoryRoot + "/Tests/Web/live.py", "http://127.0.0.1:\(server.port)",
                                                 "reader-token-1", "appender-token-1", "sales", artifacts])
        try #require(run.status == 0, "live.py failed (screenshots in \(artifacts)):\n\(run.err)\n\(run.out)")
        let summary = try #require(try JSONParser.parse(String(run.out.split(separator: "\n").last ?? "")).objectValue)
        // Commit → tile changed in the browser, the slowest of the rounds.
        let slowest = try #require(summary["max_update_s"]?.doubleValue)
        print("live page: commit → tile updated in the browser, each round (s): \(summary["updates_s"]?.arrayValue?.compactMap(\.doubleValue) ?? [])")
        // The 1 s target is measured by Tools/Benchmarks/live-browser-bench.sh on a quiet machine;
        // here the whole parallel suite shares both cores with the nice-10 catch-ups, and one
        // round once took 2.4 s in CI. This bound is for a page that stops following the stream.
        #expect(slowest < 4, "page update took \(slowest) s")
    }
}
