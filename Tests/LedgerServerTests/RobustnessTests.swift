import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
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

    /// A declared length over the limit is refused at once, without `100 Continue`: the client
    /// is not made to send 32 MiB (or wait) first. The dismissal route's 64 KiB too.
    @Test func anAbsurdContentLengthIsRefusedBeforeTheBody() async throws {
        let server = try await RunningServer(maxBodyBytes: 1 << 20)
        defer { Task { await server.stop() } }
        func curl(_ path: String, _ token: String, length: String) throws -> (status: String, trace: String, seconds: Double) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            p.arguments = ["-sv", "-m", "20", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(token)",
                           "-H", "Expect: 100-continue", "--expect100-timeout", "30", "-H", "Content-Length: \(length)",
                           "--data-binary", "[]", "http://127.0.0.1:\(server.port)\(path)"]
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            let started = Date()
            try p.run()
            let status = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let trace = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (status, trace, Date().timeIntervalSince(started))
        }
        let handle = "/v1/departments/sales/unprocessed/79001112233/handle"
        // (path, token, declared length, whether `100 Continue` may come first: over the route's own
        // limit but under the largest any route takes, the refusal comes from the route, at once).
        for (path, token, length, interim) in [("/v1/events", "appender-token-1", "100000000000000", false),
                                               ("/v1/events", "appender-token-1", "2000000", false),
                                               (handle, "handler-token-1", "100000000000", false), (handle, "handler-token-1", "100000", true)] {
            let r = try curl(path, token, length: length)
            #expect(r.status == "413" && (interim || !r.trace.contains("100 Continue")) && r.seconds < 10, "\(path) \(length): \(r.trace)")
        }
        #expect(try await server.request("GET", "/healthz").0 == 200)
        // A compressed body is refused as such (415), not read as NDJSON; nothing is stored.
        var r = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/v1/events")!)
        r.httpMethod = "POST"
        r.setValue("Bearer appender-token-1", forHTTPHeaderField: "Authorization")
        r.setValue("gzip", forHTTPHeaderField: "Content-Encoding")
        r.httpBody = Data([0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00])
        let (data, response) = try await URLSession.shared.data(for: r)
        #expect((response as? HTTPURLResponse)?.statusCode == 415 && String(decoding: data, as: UTF8.self).contains("unsupported_encoding"))
        #expect(server.engine.log.lastPosition == 0)
    }

    /// A client that stalls mid-request (headers, body) or says nothing is disconnected after the
    /// idle timeout, with its partial body; an event stream, a response being written, stays open.
    @Test func stalledConnectionsAreClosedAfterTheIdleTimeout() async throws {
        let server = try await RunningServer { $0.idleTimeoutSeconds = 1 }
        defer { Task { await server.stop() } }
        func stalled(_ bytes: String) throws -> (closed: Bool, seconds: Double) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(server.port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            #expect(connected == 0)
            _ = bytes.withCString { send(fd, $0, strlen($0), 0) }
            var timeout = timeval(tv_sec: 8, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let started = Date()
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = recv(fd, &buffer, buffer.count, 0)
            return (n == 0, Date().timeIntervalSince(started))
        }
        for request in ["", "POST /v1/events HTTP/1.1\r\nHost: x\r\n",
                        "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer appender-token-1\r\nContent-Length: 1000\r\n\r\n[  "] {
            let r = try stalled(request)
            #expect(r.closed && r.seconds < 6, "\(request.debugDescription): closed \(r.closed) after \(r.seconds) s")
        }
        // A stream outlives the timeout and still delivers.
        let stream = Task { try await server.request("GET", "/v1/events/stream?limit=1", token: "reader-token-1") }
        try await Task.sleep(for: .seconds(2.5))
        let body = Self.missedCall("idle", department: "sales", client: "79001112277", callID: "idle-1", at: "2026-03-02")[0]
        #expect(try await server.request("POST", "/v1/events", token: "appender-token-1", body: body).0 == 200)
        let (status, text) = try await stream.value
        #expect(status == 200 && text.contains("idle-s"), "\(text)")
    }

    /// A request that is not HTTP/1.1 at all gets a 400 whose body says so in JSON, like every
    /// other error, and the connection is closed.
    @Test func aRequestThatIsNotHTTPGetsAJSON400() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        let script = """
        import socket, sys
        for raw in [b"GET /healthz HTTP/1.1\\r\\nHo st: x\\r\\n\\r\\n", b"BLAH\\r\\n\\r\\n"]:
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            s.sendall(raw)
            s.settimeout(10)
            out = b""
            while True:
                d = s.recv(65536)
                if not d: break
                out += d
            print(out.decode().replace("\\r\\n", "|"))
        """
        let r = try await runProgram(["python3", "-c", script, String(server.port)], timeout: .seconds(60))
        let answers = r.out.split(separator: "\n").map(String.init)
        #expect(answers.count == 2, "\(r.out) \(r.err)")
        for a in answers {
            #expect(a.hasPrefix("HTTP/1.1 400") && a.contains("Content-Type: application/json") && a.contains(#""error":"bad_request""#)
                    && a.contains("not valid HTTP/1.1"), "\(a)")
        }
        #expect(try await server.request("GET", "/healthz").0 == 200)
    }

    /// A routed path asked with a method it does not take is a 405 naming the methods it does
    /// (in `Allow` too); an unknown path stays a 404, and so does an unknown call on a routed one.
    @Test func aWrongMethodIsA405WithTheAllowedOnes() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        for (method, path, allow) in [("DELETE", "/v1/events", "GET, HEAD, POST"), ("PUT", "/v1/departments/sales/unprocessed", "GET, HEAD"),
                                      ("GET", "/v1/departments/sales/unprocessed/79001112233/handle", "POST"),
                                      ("POST", "/healthz", "GET, HEAD"), ("PATCH", "/ui/queue", "GET, HEAD")] {
            let (status, headers, body) = try await server.fetch(path, token: "admin-token-1", method: method)
            let text = String(decoding: body, as: UTF8.self)
            #expect(status == 405 && headers["allow"] == allow && text.contains("method_not_allowed"), "\(method) \(path): \(status) \(headers) \(text)")
        }
        // HEAD where only POST is routed: a 405 too, without a body.
        let head = try await server.fetch("/v1/departments/sales/unprocessed/79001112233/handle", token: "admin-token-1", method: "HEAD")
        #expect(head.status == 405 && head.headers["allow"] == "POST" && head.body.isEmpty, "\(head)")
        #expect(try await server.request("DELETE", "/v1/no-such-thing", token: "admin-token-1").0 == 404)
        #expect(try await server.request("GET", "/v1/calls/no-such-call", token: "reader-token-1").0 == 404)
        #expect(try await server.request("POST", "/v1/events", token: "appender-token-1",
                                         body: Self.missedCall("m405", department: "sales", client: "79001112233", callID: "m405", at: "2026-11-16")
                                            .joined(separator: "\n")).0 == 200)
    }

    /// A parameter given twice, or one only another endpoint takes, is a 400 naming it: the
    /// first of two cuts, or an unfiltered list for a filter, would answer another question.
    @Test func repeatedParametersAndOnesOfOtherEndpointsAreRefused() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        let period = "from=2026-11-16&to=2026-11-18"
        for (path, name) in [("/v1/departments/sales/report?\(period)&as_of_position=1&as_of_position=2", "as_of_position"),
                             ("/v1/departments/sales/report?\(period)&by=day&by=week", "by"),
                             ("/v1/departments/sales/report?\(period)&format=csv&format=bogus", "format"),
                             ("/v1/events?after=1&after=2", "after"),
                             ("/v1/departments/sales/unprocessed?limit=abc", "limit"),
                             ("/v1/departments/sales/unprocessed?from=2026-11-16", "from"),
                             ("/v1/departments/sales/report?\(period)&timezone=Nowhere/Land", "timezone"),
                             ("/v1/departments/sales/report?\(period)&result=answered", "result"),
                             ("/v1/departments/sales/calls?\(period)&by=day", "by"),
                             ("/v1/departments/sales/live?from=2026-11-16", "from"),
                             ("/v1/events?lmit=3", "lmit"), ("/v1/events/stream?aftr=3", "aftr")] {
            let (status, body) = try await server.request("GET", path, token: "reader-token-1")
            #expect(status == 400 && body.contains("invalid_parameter") && body.contains(name), "\(path): \(status) \(body)")
        }
        // What each endpoint takes still works.
        for path in ["/v1/departments/sales/report?\(period)&by=day&as_of_position=1", "/v1/departments/sales/calls?\(period)&result=missed",
                     "/v1/departments/sales/processed?\(period)&limit=5", "/v1/leads/conversion?\(period)&timezone=UTC&type=repair",
                     "/v1/audit/dismissals?\(period)&by=boss&department=sales", "/v1/events?after=0&limit=2",
                     "/v1/departments/sales/live?format=json"] {
            #expect(try await server.request("GET", path, token: "reader-token-1").0 == 200, "\(path)")
        }
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
