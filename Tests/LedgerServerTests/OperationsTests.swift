import Foundation
import LedgerEvents
import LedgerSimulator
import LedgerTestSupport
import Testing

/// What an on-call engineer relies on: metrics a real Prometheus parser reads, projection status,
/// and clear 4xx answers (never a crash, never a partial store) for every kind of bad input.
@Suite(.serialized) struct OperationsTests {
    static func simulatedArray(_ n: Int) -> String {
        var config = SimulatorConfiguration()
        config.days = 1
        return "[" + TrafficSimulator(config).lines().prefix(n).joined(separator: ",") + "]"
    }

    @Test func metricsAreValidPrometheusTextWithAppendCommitProjectionAndHTTPFigures() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        #expect(try await server.request("POST", "/v1/events", token: "appender-token-1", body: Self.simulatedArray(200)).0 == 200)
        #expect(try await server.request("POST", "/v1/events", token: "appender-token-1", body: "[{\"id\":1}]").0 == 400)
        try server.engine.catchUp()
        let (status, text) = try await server.request("GET", "/metrics")
        #expect(status == 200)
        // Parsed by the reference parser (prometheus_client): prints "name{labels} value" per sample.
        let script = """
        import sys
        from prometheus_client.parser import text_string_to_metric_families
        for fam in text_string_to_metric_families(sys.stdin.read()):
            for s in fam.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                print(f"{s.name}{{{labels}}} {s.value}")
        """
        let parsed = try runTool(["python3", "-c", script], input: text)
        #expect(parsed.status == 0, "prometheus_client rejected /metrics: \(parsed.err)")
        var samples: [String: Double] = [:]
        for line in parsed.out.split(separator: "\n") {
            let parts = line.split(separator: " ")
            samples[String(parts[0])] = Double(parts[1])
        }
        // Counters are per process (other tests append too), so at least what this test did.
        #expect((samples["ledger_appended_events_total{}"] ?? 0) >= 200)
        #expect((samples["ledger_append_requests_total{outcome=\"invalid\"}"] ?? 0) >= 1)
        #expect((samples["ledger_commit_duration_seconds_count{}"] ?? 0) >= 1)
        #expect((samples["ledger_append_batch_size_count{}"] ?? 0) >= 1)
        #expect(samples["ledger_projection_lag_events{projection=\"calls\"}"] == 0)
        #expect(samples["ledger_projection_checkpoint{projection=\"clients\"}"] == 200)
        // Per route, method and status; a 4xx is also an error.
        func sample(_ name: String, _ labels: String...) -> Double {
            samples.first { k, _ in k.hasPrefix(name + "{") && labels.allSatisfy { k.contains($0) } }?.value ?? 0
        }
        #expect(sample("hb_requests_total", "http_route=\"/v1/events\"", "http_request_method=\"POST\"", "http_response_status_code=\"200\"") >= 1)
        #expect(sample("http_server_request_duration_count", "http_route=\"/v1/events\"", "http_response_status_code=\"400\"") >= 1)
        #expect(sample("hb_request_errors_total", "http_route=\"/v1/events\"", "error_type=\"400\"") >= 1)
        #expect(sample("hb_request_errors_total", "http_route=\"/v1/events\"", "error_type=\"200\"") == 0)
    }

    /// A stream is timed to its end (the other bodies when the handler returns, so they stay one write).
    @Test func aStreamedResponseIsCountedWhenItEnds() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        #expect(try await server.request("POST", "/v1/events", token: "appender-token-1", body: Self.simulatedArray(3)).0 == 200)
        let (s, body) = try await server.request("GET", "/v1/events/stream?limit=2", token: "reader-token-1")
        #expect(s == 200 && body.components(separatedBy: "\ndata: ").count == 3)
        var counted = false
        for _ in 0..<40 where !counted {
            let text = try await server.request("GET", "/metrics").1
            counted = text.split(separator: "\n").contains {
                $0.hasPrefix("hb_requests{") && $0.contains("http_route=\"/v1/events/stream\"") && $0.contains("http_response_status_code=\"200\"")
            }
            if !counted { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(counted)
    }

    @Test func projectionStatusNamesEveryReadModel() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        #expect(try await server.request("GET", "/v1/projections").0 == 401)
        let (s, body) = try await server.request("GET", "/v1/projections", token: "reader-token-1")
        #expect(s == 200)
        let rows = try JSONParser.parse(Array(body.utf8)).arrayValue ?? []
        #expect(Set(rows.compactMap { $0.objectValue?["name"]?.stringValue }) == ["calls", "clients", "leads"])
        #expect(rows.allSatisfy { $0.objectValue?["state"] == .string("running") })
    }

    /// Bad JSON, wrong types, unknown event types and invalid UTF-8: 400 naming the problem, nothing stored.
    @Test func departmentsListsConfiguredAndStaffedDepartments() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        func at(_ secondsAgo: Int64) -> String { EventTime(milliseconds: now - secondsAgo * 1000, offsetMinutes: 0).rfc3339 }
        let lines = [
            #"{"id":"dl-1","type":"department.configured","at":"\#(at(900))","data":{"department":"sales","name":"Продажи","timezone":"Europe/Moscow","hours":{"mon":[["09:00","18:00"]]},"short_abandon_s":10,"service_level_s":20}}"#,
            #"{"id":"dl-2","type":"agent.joined","at":"\#(at(800))","data":{"agent":"a1","department":"sales","name":"Анна"}}"#,
            #"{"id":"dl-3","type":"agent.joined","at":"\#(at(800))","data":{"agent":"a2","department":"sales"}}"#,
            #"{"id":"dl-4","type":"agent.joined","at":"\#(at(700))","data":{"agent":"b1","department":"billing"}}"#,
            #"{"id":"dl-5","type":"agent.left","at":"\#(at(60))","data":{"agent":"b1","department":"billing"}}"#,
            // Named only by a call: not a department anybody configured or works in.
            #"{"id":"dl-6","type":"call.started","at":"\#(at(30))","data":{"call_id":"c1","direction":"inbound","client":"79001112233","department":"support"}}"#,
        ]
        let (posted, answer) = try await server.request("POST", "/v1/events", token: "appender-token-1", body: lines.joined(separator: "\n"))
        try #require(posted == 200, "\(answer)")
        #expect(try await server.request("GET", "/v1/departments").0 == 401)
        let (status, body) = try await server.request("GET", "/v1/departments", token: "reader-token-1")
        #expect(status == 200)
        #expect(body.trimmingCharacters(in: .whitespacesAndNewlines) == #"[{"department":"billing","name":null,"timezone":"UTC","members":0,"configured":false},"#
            + #"{"department":"sales","name":"Продажи","timezone":"Europe/Moscow","members":2,"configured":true}]"#)
    }

    @Test func badInputGetsAClear400AndStoresNothing() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        let good = #"{"id":"ok-1","type":"call.started","at":"2026-11-16T09:00:00+03:00","data":{"call_id":"c1","direction":"inbound","client":"+74950000001","line":"+74951110000"}}"#
        let cases: [(String, String, String)] = [
            ("[" + good + ",", "invalid_json", "truncated JSON"),
            ("[" + good + #",{"id":"x-2","type":"call.started","at":12,"data":{}}]"#, "invalid_events", "a number where a time is expected"),
            ("[" + good + #",{"id":"x-3","type":"call.teleported","at":"2026-11-16T09:00:00+03:00","data":{}}]"#, "invalid_events", "unknown type"),
            ("[" + good + ",{\"id\":\"x-4\",\"type\":\"call.started\",\"at\":\"2026-11-16T09:00:00+03:00\",\"data\":{\"call_id\":\"\u{FFFD}\"}}]", "invalid_events", "missing fields"),
        ]
        for (body, code, what) in cases {
            let (s, answer) = try await server.request("POST", "/v1/events", token: "appender-token-1", body: body)
            #expect(s == 400, "\(what): \(answer)")
            #expect(answer.contains("\"error\":\"\(code)\""), "\(what): \(answer)")
        }
        // Invalid UTF-8 bytes inside a string.
        var bytes = Array(("[" + good.replacingOccurrences(of: "c1", with: "c\u{1}") + "]").utf8)
        let at = bytes.firstIndex(of: 0x01)!
        bytes[at] = 0xFF
        let (s, answer) = try await server.requestBytes("POST", "/v1/events", token: "appender-token-1", body: bytes)
        #expect(s == 400 && answer.contains("UTF-8"), "\(answer)")
        #expect(server.engine.log.lastPosition == 0)
        // The server is still serving.
        #expect(try await server.request("POST", "/v1/events", token: "appender-token-1", body: "[" + good + "]").0 == 200)
    }
}
