import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerEvents
import LedgerTestSupport
import Testing

@Suite struct ServeCLITests {
    /// `call-ledger serve --demo`: a throw-away ledger, a printed token and URL, a working API,
    /// and a clean exit on SIGTERM.
    @Test func serveDemoAnswersAndStopsOnSIGTERM() async throws {
        let serve = try ServeProcess.start(arguments: ["serve", "--demo", "--port", "0"], waitFor: "demo token")
        let (p, port, text) = (serve.process, serve.port, serve.output)
        defer { serve.killIfRunning() }
        let token = try #require(text.split(separator: "\n").first { $0.hasPrefix("demo token") }?.split(separator: " ").last)
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/events?limit=2")!)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as! HTTPURLResponse).statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self).split(separator: "\n").count == 2)
        // A second server on the same port says so; a port out of range is refused, not wrapped.
        let (busy, _, busyErr) = try cli(["serve", "--demo", "--port", "\(port)"])
        #expect(busy != 0 && busyErr.contains("127.0.0.1:\(port) is already in use"), "\(busyErr)")
        let (wrapped, _, wrapErr) = try cli(["serve", "--demo", "--port", "99999"])
        #expect(wrapped != 0 && wrapErr.contains("--port: 99999 is not a TCP port"), "\(wrapErr)")
        // Open streams (the live panel's, and the event tail of a client that reads nothing) end
        // on SIGTERM: they do not hold the server up.
        var streams: [Process] = []
        for path in ["/v1/departments/sales/live/stream?token=\(token)", "/v1/events/stream"] {
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-sN", "-o", "/dev/null", "-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(port)\(path)"]
            try curl.run()
            streams.append(curl)
        }
        defer { for c in streams where c.isRunning { c.terminate() } }
        try await Task.sleep(for: .seconds(1))
        let stop = Date()
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
        #expect(Date().timeIntervalSince(stop) < 20)
    }
}

@Suite struct ServeAccessLogTests {
    /// At `LOG_LEVEL=debug` every request leaves one line (method, path, status, time), tokens
    /// never: not a header, not a `?token=`.
    @Test func debugLevelLogsEachRequestWithoutItsToken() async throws {
        let dir = TemporaryDirectory("serve-access-log")
        let serve = try ServeProcess.start(arguments: ["serve", "--data", dir.sub("data"), "--port", "0"],
                                           environment: ["CALL_LEDGER_TOKENS": "reader-token-9=ann:read", "LOG_LEVEL": "debug"])
        defer { serve.killIfRunning() }
        for (path, token) in [("/healthz", nil), ("/v1/events?limit=1&token=secret-query-token", nil), ("/v1/events?limit=1", "reader-token-9")] {
            var r = URLRequest(url: URL(string: "http://127.0.0.1:\(serve.port)\(path)")!)
            if let token { r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            _ = try await URLSession.shared.data(for: r)
        }
        serve.signal(SIGTERM)
        serve.process.waitUntilExit()
        let log = String(decoding: (serve.process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("GET /healthz 200 "), "\(log)")
        #expect(log.contains("GET /v1/events 401 ") && log.contains("GET /v1/events 200 "), "\(log)")
        #expect(!log.contains("secret-query-token") && !log.contains("reader-token-9"))
    }
}

@Suite struct ServeFilesCLITests {
    /// The server's `format=csv|xlsx` files are the CLI's `--format csv|xlsx` files: the same CSV
    /// text, and workbooks with the same sheets and values (read back with openpyxl).
    @Test func serverDownloadsEqualTheCLIsFiles() async throws {
        let dir = TemporaryDirectory("serve-files")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "2"]).0 == 0)
        let queue = try JSONParser.parse(try cli(["report", "unprocessed", "--data", data, "--department", "sales", "--format", "json"]).1).arrayValue!
        let client = try #require(queue.first?.objectValue?.string("client"))
        #expect(try cli(["handle", "--data", data, "--department", "sales", "--client", client, "--by", "ann", "--reason", "spam"]).0 == 0)

        let period = ["--from", "2026-11-16", "--to", "2026-11-18"]
        // (CLI arguments, server path) of each report.
        let reports: [([String], String)] = [
            (["report", "department", "--department", "sales", "--by", "day"] + period, "/v1/departments/sales/report?from=2026-11-16&to=2026-11-18&by=day"),
            (["report", "unprocessed", "--department", "sales"], "/v1/departments/sales/unprocessed"),
            (["report", "processed", "--department", "sales"], "/v1/departments/sales/processed"),
            (["report", "calls", "--department", "sales", "--columns", "call_id,client,result,queue_wait_s"] + period,
             "/v1/departments/sales/calls?from=2026-11-16&to=2026-11-18&columns=call_id,client,result,queue_wait_s"),
            (["audit", "dismissals"], "/v1/audit/dismissals"),
            (["report", "lead-conversion"], "/v1/leads/conversion"),
            (["report", "lost-leads"], "/v1/leads/lost"),
            (["report", "employee-performance"], "/v1/leads/employees"),
            (["report", "lead-calls"], "/v1/leads/calls"),
        ]
        var cliFiles: [(csv: String, xlsx: String)] = []
        for (k, (args, _)) in reports.enumerated() {
            let (code, csv, err) = try cli(args + ["--data", data, "--format", "csv"])
            #expect(code == 0, "\(args): \(err)")
            let xlsx = dir.sub("cli-\(k).xlsx")
            #expect(try cli(args + ["--data", data, "--format", "xlsx", "--output", xlsx]).0 == 0)
            cliFiles.append((csv, xlsx))
        }

        let serve = try ServeProcess.start(data: data, tokens: "files-token-1=ann:read")
        defer { serve.killIfRunning() }
        let port = serve.port
        func download(_ path: String, _ format: String) async throws -> Data {
            var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)\(path.contains("?") ? "&" : "?")format=\(format)")!)
            r.setValue("Bearer files-token-1", forHTTPHeaderField: "Authorization")
            let (body, response) = try await URLSession.shared.data(for: r)
            #expect((response as! HTTPURLResponse).statusCode == 200, "\(path)")
            return body
        }
        for (k, (_, path)) in reports.enumerated() {
            #expect(String(decoding: try await download(path, "csv"), as: UTF8.self) == cliFiles[k].csv, "\(path)")
            let served = dir.sub("server-\(k).xlsx")
            try await download(path, "xlsx").write(to: URL(fileURLWithPath: served))
            #expect(try workbookValues(served) == workbookValues(cliFiles[k].xlsx), "\(path)")
        }
        serve.signal(SIGTERM)
        serve.process.waitUntilExit()
    }

    /// Sheet names and cell values as JSON text, by openpyxl (files differ only in their timestamps).
    func workbookValues(_ path: String) throws -> String {
        let script = """
        import json, openpyxl, sys
        wb = openpyxl.load_workbook(sys.argv[1])
        print(json.dumps([[ws.title, [[c.value for c in r] for r in ws.iter_rows()]] for ws in wb.worksheets]))
        """
        return try python(script, path)
    }
}

@Suite struct ServeRebuildCLITests {
    /// `projections rebuild` run beside a server swaps in a new generation; the server follows it
    /// (it went on writing into the deleted one, and the rebuilt one on disk stopped moving).
    @Test func aRebuildBesideARunningServerIsFollowedByIt() async throws {
        let dir = TemporaryDirectory("serve-rebuild")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "1"]).0 == 0)
        let serve = try ServeProcess.start(data: data, tokens: "rebuild-token-1=ann:read")
        defer { serve.killIfRunning() }
        let name = "calls-per-line-hour"
        #expect(try cli(["projections", "rebuild", name, "--data", data]).0 == 0)
        #expect(try cli(["demo", "--data", data, "--days", "1", "--seed", "9"]).0 == 0)
        let head = try JSONParser.parse(try cli(["stats", "--data", data, "--format", "json"]).1).objectValue!["events"]!.doubleValue!
        func checkpoints() async throws -> (server: Double, disk: Double) {
            var r = URLRequest(url: URL(string: "http://127.0.0.1:\(serve.port)/v1/projections")!)
            r.setValue("Bearer rebuild-token-1", forHTTPHeaderField: "Authorization")
            let served = try JSONParser.parse(String(decoding: try await URLSession.shared.data(for: r).0, as: UTF8.self))
            let onDisk = try JSONParser.parse(try cli(["projections", "status", "--data", data, "--format", "json"]).1)
            func checkpoint(_ list: JSONValue) -> Double {
                list.arrayValue?.first { $0.objectValue?.string("name") == name }?.objectValue?["checkpoint"]?.doubleValue ?? -1
            }
            return (checkpoint(served), checkpoint(onDisk))
        }
        var seen = try await checkpoints()
        let deadline = Date().addingTimeInterval(30)
        while (seen.server != head || seen.disk != head) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
            seen = try await checkpoints()
        }
        #expect(seen.server == head && seen.disk == head, "head \(head): server \(seen.server), on disk \(seen.disk)")
        // One generation is left, the one CURRENT names.
        let generations = try FileManager.default.contentsOfDirectory(atPath: data + "/projections/" + name).filter { $0.hasPrefix("gen-") }
        let current = try String(contentsOfFile: data + "/projections/\(name)/CURRENT", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(generations == [current], "\(generations) vs CURRENT \(current)")
    }
}

/// Runs a Python script (the independent readers, e.g. openpyxl) on `arguments`; its stdout.
func python(_ script: String, _ arguments: String...) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script] + arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return text
}
