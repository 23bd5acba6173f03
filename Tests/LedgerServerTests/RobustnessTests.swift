import Foundation
import LedgerEvents
import LedgerTestSupport
import Testing

/// What probing the server as a black box found: names that need percent-decoding, settings that
/// overflowed, times outside four-digit years, two managers handling the same call at once.
@Suite(.serialized) struct RobustnessTests {
    static let tz = "Europe/Moscow"

    /// A missed call of `client` to department `d` at `at` (events with ids under `tag`).
    static func missedCall(_ tag: String, department d: String, client: String, callID: String, at: String) -> [String] {
        [
            #"{"id":"\#(tag)-s","type":"call.started","at":"\#(at)T10:00:00+03:00","data":{"call_id":"\#(callID)","direction":"inbound","client":"\#(client)","department":"\#(d)"}}"#,
            #"{"id":"\#(tag)-q","type":"call.queued","at":"\#(at)T10:00:05+03:00","data":{"call_id":"\#(callID)","department":"\#(d)"}}"#,
            #"{"id":"\#(tag)-e","type":"call.ended","at":"\#(at)T10:01:00+03:00","data":{"call_id":"\#(callID)","by":"client"}}"#,
        ]
    }

    @Test func namesInCyrillicOrWithSpacesArePercentDecoded() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        let d = "отдел продаж"
        let body = Self.missedCall("r1", department: d, client: "+7 900 111-22-33", callID: "call 1", at: "2026-11-16").joined(separator: "\n")
        #expect(try await server.request("POST", "/v1/events", token: "appender-token-1", body: body).0 == 200)
        while try server.engine.status().contains(where: { $0.lag > 0 }) { try await Task.sleep(for: .milliseconds(20)) }
        let path = "/v1/departments/" + d.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"]))!
        let (s1, queue) = try await server.request("GET", path + "/unprocessed", token: "reader-token-1")
        #expect(s1 == 200 && queue.contains("79001112233"), "\(queue)")
        let (s2, call) = try await server.request("GET", "/v1/calls/call%201", token: "reader-token-1")
        #expect(s2 == 200 && call.contains("\"call 1\""), "\(call)")
        // The client as dialled, percent-encoded: `+7 900 111-22-33`.
        let (s3, handled) = try await server.request("POST", path + "/unprocessed/%2B7%20900%20111-22-33/handle", token: "handler-token-1",
                                                     body: #"{"reason":"spam"}"#)
        #expect(s3 == 200, "\(handled)")
    }

    /// curl sends `Expect: 100-continue` with every body over 1 MB and waits up to a second for
    /// the interim answer: the server gives it, so large batches do not stall.
    @Test func expectContinueIsAnsweredBeforeTheBody() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        let body = Self.missedCall("expect", department: "sales", client: "79001112299", callID: "ec-1", at: "2026-03-02")
            .joined(separator: "\n") + "\n"
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sv", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer appender-token-1",
                          "-H", "Expect: 100-continue", "--expect100-timeout", "30", "--data-binary", body,
                          "http://127.0.0.1:\(server.port)/v1/events"]
        let out = Pipe(), err = Pipe()
        curl.standardOutput = out
        curl.standardError = err
        try curl.run()
        let status = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let trace = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        #expect(status == "200", "\(trace)")
        #expect(trace.contains("HTTP/1.1 100 Continue"), "\(trace)")
    }

    @Test func twoManagersHandlingOneEpisodeAtOnceStoreOneDismissal() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        let body = Self.missedCall("r2", department: "sales", client: "79001112244", callID: "c2", at: "2026-11-16").joined(separator: "\n")
        #expect(try await server.request("POST", "/v1/events", token: "appender-token-1", body: body).0 == 200)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { g in
            for _ in 0..<8 {
                g.addTask {
                    try await server.request("POST", "/v1/departments/sales/unprocessed/79001112244/handle", token: "handler-token-1",
                                             body: #"{"reason":"spam"}"#).0
                }
            }
            return try await g.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == 422 }.count == 7, "\(statuses)")
        let (_, audit) = try await server.request("GET", "/v1/audit/dismissals", token: "reader-token-1")
        #expect(audit.components(separatedBy: "\"event_id\"").count - 1 == 1, "\(audit)")
    }

    @Test func extremeButValidSettingsAndOutOfRangeTimes() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        // A service level of 1e17 s is a number ≥ 0: accepted, and the live panel still answers.
        let config = #"{"id":"cfg-1","type":"department.configured","at":"2026-11-16T00:00:00Z","data":{"department":"d","timezone":"UTC","service_level_s":1e17}}"#
        #expect(try await server.request("POST", "/v1/events", token: "appender-token-1", body: config).0 == 200)
        let (s1, live) = try await server.request("GET", "/v1/departments/d/live", token: "reader-token-1")
        #expect(s1 == 200, "\(live)")
        // An instant whose UTC year has five digits is refused, naming `at`.
        let late = #"{"id":"t-1","type":"agent.status","at":"9999-12-31T23:59:59.999-23:59","data":{"agent":"a","status":"available"}}"#
        let (s2, err) = try await server.request("POST", "/v1/events", token: "appender-token-1", body: late)
        #expect(s2 == 400 && err.contains("\"field\":\"at\"") && err.contains("0000–9999"), "\(err)")
    }
}
