import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerEvents
import LedgerLog
import LedgerProjections
import LedgerReports
import LedgerServer
import LedgerSimulator
import LedgerTestSupport
import Synchronization
import Testing

/// The real server on 127.0.0.1 (a free port), over a fresh ledger; stopped by cancellation.
final class RunningServer: Sendable {
    let dir = TemporaryDirectory("server")
    let engine: ProjectionEngine
    let port: Int
    private let task: Task<Void, any Error>

    init(maxBodyBytes: Int = 32 << 20, configure: (inout LedgerServerConfiguration) -> Void = { _ in }) async throws {
        let log = try EventLog(directory: dir.sub("data"))
        let engine = try ProjectionEngine(log: log)
        try engine.register(CallsProjection())
        try engine.register(ClientsProjection())
        try engine.register(LeadsProjection())
        self.engine = engine
        var config = LedgerServerConfiguration()
        config.port = 0
        config.maxBodyBytes = maxBodyBytes
        try config.tokens.add("appender-token-1=pbx:append,reader-token-1=ann:read,admin-token-1=root:admin,handler-token-1=boss:read+handle",
                              origin: "test")
        configure(&config)
        let portBox = Mutex<Int?>(nil)
        let app = buildApplication(configuration: config, engine: engine) { p in portBox.withLock { $0 = p } }
        task = Task(executorPreference: ServerThreads.shared) { try await app.runService(gracefulShutdownSignals: []) }
        var waited = 0
        while portBox.withLock({ $0 }) == nil && waited < 500 {
            try await Task.sleep(for: .milliseconds(20))
            waited += 1
        }
        guard let p = portBox.withLock({ $0 }) else { throw CancellationError() }
        port = p
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// The raw answer: status, headers and body bytes (for file downloads).
    func fetch(_ path: String, token: String, method: String = "GET") async throws -> (status: Int, headers: [String: String], body: Data) {
        var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        r.httpMethod = method
        r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: r)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (k, v) in http.allHeaderFields { headers[String(describing: k).lowercased()] = String(describing: v) }
        return (http.statusCode, headers, data)
    }

    /// Appends `days` of simulated traffic over HTTP and waits until the projections have caught up.
    func loadSimulatedHistory(days: Int) async throws {
        var config = SimulatorConfiguration()
        config.days = days
        let body = TrafficSimulator(config).lines().joined(separator: "\n")
        let (status, text) = try await request("POST", "/v1/events", token: "appender-token-1", body: body)
        guard status == 200 else { throw CancellationError() }
        _ = text
        let deadline = ContinuousClock.now + .seconds(60)
        while try engine.status().contains(where: { $0.lag > 0 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func request(_ method: String, _ path: String, token: String? = nil, body: String? = nil) async throws -> (Int, String) {
        try await requestBytes(method, path, token: token, body: body.map { Array($0.utf8) })
    }

    func requestBytes(_ method: String, _ path: String, token: String? = nil, body: [UInt8]?) async throws -> (Int, String) {
        var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        r.httpMethod = method
        if let token { r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body { r.httpBody = Data(body) }
        let (data, response) = try await URLSession.shared.data(for: r)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }
}

@Suite(.serialized) struct ServerTests {
    /// The in-process server answers while every thread of the cooperative pool computes (as
    /// the replay tests beside it do for minutes): it runs on `ServerThreads`.
    @Test func theTestServerAnswersWhileThePoolIsBusy() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        final class Flags: Sendable {
            let release = Atomic<Bool>(false)
            let started = Atomic<Int>(0)
        }
        let flags = Flags()
        // The pool has a thread per core: this body holds one (it waits synchronously below),
        // the hogs the others.
        let hogs = ProcessInfo.processInfo.activeProcessorCount - 1
        var tasks: [Task<Void, Never>] = []
        for _ in 0..<hogs {
            tasks.append(Task.detached {
                flags.started.add(1, ordering: .sequentiallyConsistent)
                let until = ContinuousClock.now + .seconds(20)
                while !flags.release.load(ordering: .sequentiallyConsistent) && ContinuousClock.now < until {}
            })
        }
        while flags.started.load(ordering: .sequentiallyConsistent) < hogs { usleep(1000) }
        var r = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/healthz")!)
        r.timeoutInterval = 5
        // Synchronous on purpose: an `await` here would need the busy pool to resume.
        let answer = Mutex<Int?>(nil)
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: r) { _, response, _ in
            answer.withLock { $0 = (response as? HTTPURLResponse)?.statusCode }
            done.signal()
        }.resume()
        done.wait()
        flags.release.store(true, ordering: .sequentiallyConsistent)
        for t in tasks { await t.value }
        #expect(answer.withLock { $0 } == 200)
    }

    @Test func healthAuthAppendAndRead() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        let (hs, health) = try await server.request("GET", "/healthz")
        #expect(hs == 200 && health.contains("\"status\":\"ok\""))
        // HEAD wherever GET is routed: the status and headers, no body.
        let (headStatus, headBody) = try await server.request("HEAD", "/healthz")
        #expect(headStatus == 200 && headBody.isEmpty)
        #expect(try await server.request("HEAD", "/ui/queue").0 == 200)
        #expect(try await server.request("HEAD", "/no/such/page").0 == 404)

        var config = SimulatorConfiguration()
        config.days = 1
        let lines = Array(TrafficSimulator(config).lines().prefix(300))
        let array = "[" + lines.joined(separator: ",") + "]"
        #expect(try await server.request("POST", "/v1/events", body: array).0 == 401)
        #expect(try await server.request("POST", "/v1/events", token: "wrong-token-x", body: array).0 == 401)
        #expect(try await server.request("POST", "/v1/events", token: "reader-token-1", body: array).0 == 403)
        // The scheme's name is case-insensitive.
        var lower = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/v1/me")!)
        lower.setValue("bearer reader-token-1", forHTTPHeaderField: "Authorization")
        #expect((try await URLSession.shared.data(for: lower).1 as! HTTPURLResponse).statusCode == 200)

        let (s1, b1) = try await server.request("POST", "/v1/events", token: "appender-token-1", body: array)
        #expect(s1 == 200, "\(b1)")
        let r1 = try JSONParser.parse(b1).objectValue!
        #expect(r1["appended"] == .number("300") && r1["last_position"] == .number("300"))
        // Idempotent, and NDJSON bodies work the same.
        let (s2, b2) = try await server.request("POST", "/v1/events", token: "admin-token-1", body: lines.joined(separator: "\n"))
        let dup = try JSONParser.parse(b2).objectValue!["duplicates"]
        #expect(s2 == 200 && dup == .number("300"))
        // A batch of a new event and a duplicate: the answer names each one's position, in order.
        let fresh = lines[0].replacingOccurrences(of: "sim1-", with: "one-more-")
        let (s2b, b2b) = try await server.request("POST", "/v1/events", token: "appender-token-1", body: fresh + "\n" + lines[4])
        #expect(s2b == 200 && b2b == #"{"appended":1,"duplicates":1,"last_position":301,"positions":[301,5]}"# + "\n")

        // A bad event in the middle: 400 naming it, nothing stored.
        var bad = Array(lines.suffix(from: 200).prefix(3)).map { $0.replacingOccurrences(of: "sim1-", with: "new-") }
        bad[1] = #"{"id":"bad-1","type":"call.queued","at":"2026-11-16T10:00:00Z","data":{"call_id":"x"}}"#
        let (s3, b3) = try await server.request("POST", "/v1/events", token: "appender-token-1", body: "[" + bad.joined(separator: ",") + "]")
        #expect(s3 == 400)
        let err = try JSONParser.parse(b3).objectValue!
        #expect(err.string("error") == "invalid_events")
        let problem = err["problems"]!.arrayValue![0].objectValue!
        #expect(problem["index"] == .number("1") && problem.string("id") == "bad-1" && problem.string("field") == "data.department")
        #expect(server.engine.log.lastPosition == 301)
        // The same in a body large enough to be parsed on the ingest threads: an NDJSON body of
        // 300 new events with a bad one on line 151 is refused, naming that line, and stores nothing.
        var large = lines.map { $0.replacingOccurrences(of: "sim1-", with: "big-") }
        large[150] = #"{"id":"bad-2","type":"call.queued","at":"2026-11-16T10:00:00Z","data":{"call_id":"x"}}"#
        #expect(large.joined(separator: "\n").utf8.count > 16 * 1024)
        let (s6, b6) = try await server.request("POST", "/v1/events", token: "appender-token-1", body: large.joined(separator: "\n"))
        #expect(s6 == 400)
        let largeProblem = try JSONParser.parse(b6).objectValue!["problems"]!.arrayValue![0].objectValue!
        #expect(largeProblem["line"] == .number("151") && largeProblem.string("id") == "bad-2" && largeProblem.string("field") == "data.department")
        #expect(server.engine.log.lastPosition == 301)
        // Malformed JSON (small and large) and a conflicting id.
        #expect(try await server.request("POST", "/v1/events", token: "appender-token-1", body: "[{\"id\":").0 == 400)
        let (s7, b7) = try await server.request("POST", "/v1/events", token: "appender-token-1", body: "[" + lines.joined(separator: ",") + ",{\"id\":")
        #expect(s7 == 400 && b7.contains("invalid_json"))
        let changed = lines[0].replacingOccurrences(of: "\"source\":\"", with: "\"source\":\"x")
        let (s4, b4) = try await server.request("POST", "/v1/events", token: "appender-token-1", body: changed)
        #expect(s4 == 409 && b4.contains("\"existing_position\":1"))
        // Every conflict of the batch, in order.
        let changed3 = lines[2].replacingOccurrences(of: "\"source\":\"", with: "\"source\":\"y")
        let (s8, b8) = try await server.request("POST", "/v1/events", token: "appender-token-1", body: [changed, lines[1], changed3].joined(separator: "\n"))
        let conflict = try JSONParser.parse(b8).objectValue!
        #expect(s8 == 409 && conflict["conflict_count"] == .number("2"))
        #expect(conflict["conflicts"]!.arrayValue!.map { $0.objectValue!["existing_position"]! } == [.number("1"), .number("3")])

        // Read back in pages: the envelope as sent plus position and recorded_at.
        #expect(try await server.request("GET", "/v1/events?after=0&limit=5", token: "appender-token-1").0 == 403)
        let (s5, page) = try await server.request("GET", "/v1/events?after=10&limit=5", token: "reader-token-1")
        #expect(s5 == 200)
        let got = page.split(separator: "\n").map { try! JSONParser.parse(String($0)).objectValue! }
        #expect(got.map { $0["position"]! } == (11...15).map { .number(String($0)) })
        let expectedID = try JSONParser.parse(lines[10]).objectValue!.string("id")
        #expect(got[0].string("id") == expectedID)
        #expect(try await server.request("GET", "/v1/events?limit=0", token: "reader-token-1").0 == 400)
    }

    @Test func oversizedBodiesGet413AndStoreNothing() async throws {
        let server = try await RunningServer(maxBodyBytes: 1024)
        defer { Task { await server.stop() } }
        var config = SimulatorConfiguration()
        config.days = 1
        let body = TrafficSimulator(config).lines().prefix(50).joined(separator: "\n")
        let (status, text) = try await server.request("POST", "/v1/events", token: "appender-token-1", body: body)
        #expect(status == 413 && text.contains("body_too_large"))
        #expect(server.engine.log.lastPosition == 0)
    }

    @Test func tokenSpecificationsAreCheckedWithoutEchoingTokens() {
        var t = TokenStore()
        #expect(throws: (any Error).self) { try t.add("short=u:read", origin: "env") }
        #expect(throws: (any Error).self) { try t.add("longenough=u:fly", origin: "env") }
        do {
            try t.add("secret-token-zz=u:fly", origin: "env")
        } catch {
            #expect(!"\(error)".contains("secret-token-zz"))
        }
        #expect((try? t.add("ok-token-123=ann:read+handle", origin: "env")) != nil)
        #expect(t.principal(for: "ok-token-123")?.allows(.handle) == true)
        #expect(t.principal(for: "ok-token-123")?.allows(.append) == false)
    }
}

@Suite(.serialized) struct ReportEndpointTests {
    @Test func reportsAnswerWithTheCLIsJSONAndHandleClosesAnEpisode() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        var config = SimulatorConfiguration()
        config.days = 1
        let body = TrafficSimulator(config).lines().joined(separator: "\n")
        #expect(try await server.request("POST", "/v1/events", token: "appender-token-1", body: body).0 == 200)
        // The workers inside the server catch the projections up.
        let deadline = ContinuousClock.now + .seconds(30)
        while try server.engine.status().contains(where: { $0.lag > 0 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let view = try DepartmentView(engine: server.engine, department: "sales")
        let period = ReportPeriod(from: ReportPeriod.instant("2026-11-16", in: view.timeZone)!, to: ReportPeriod.instant("2026-11-17", in: view.timeZone)!)
        let token = "reader-token-1"

        let (s1, report) = try await server.request("GET", "/v1/departments/sales/report?from=2026-11-16&to=2026-11-17&by=day", token: token)
        #expect(s1 == 200)
        let expectedReport = try reportJSON(view.report(period, by: .day)) + "\n"
        #expect(report == expectedReport)
        let (_, queue) = try await server.request("GET", "/v1/departments/sales/unprocessed", token: token)
        let expectedQueue = try reportJSON(view.unprocessed()) + "\n"
        #expect(queue == expectedQueue)
        let (_, missed) = try await server.request("GET", "/v1/departments/sales/calls?from=2026-11-16&to=2026-11-17&result=missed", token: token)
        let calls = try JSONParser.parse(missed).arrayValue!
        #expect(!calls.isEmpty && calls.allSatisfy { $0.objectValue!.string("result") == "missed" })
        let id = calls[0].objectValue!.string("call_id")!
        #expect(try await server.request("GET", "/v1/calls/\(id)", token: token).0 == 200)
        #expect(try await server.request("GET", "/v1/calls/no-such-call", token: token).0 == 404)
        let (sl, leads) = try await server.request("GET", "/v1/leads/conversion?timezone=Europe/Moscow", token: token)
        let leadKeys = try JSONParser.parse(leads).objectValue!.keys
        #expect(sl == 200 && leadKeys == ["from", "to", "types", "total"])
        #expect(try await server.request("GET", "/v1/leads/nope", token: token).0 == 404)
        #expect(try await server.request("GET", "/v1/leads/conversion?timezone=PST", token: token).0 == 400)
        #expect(try await server.request("GET", "/v1/audit/dismissals?reason=spam", token: token).0 == 200)
        // Parameters are checked.
        #expect(try await server.request("GET", "/v1/departments/sales/report?from=2026-11-16", token: token).0 == 400)
        #expect(try await server.request("GET", "/v1/departments/sales/unprocessed?as_of=2026-11-16T12:00:00Z&as_of_position=5", token: token).0 == 400)
        let (sa, early) = try await server.request("GET", "/v1/departments/sales/unprocessed?as_of_position=2000", token: token)
        let expectedEarly = try reportJSON(DepartmentView(engine: server.engine, department: "sales", cut: .position(2000)).unprocessed()) + "\n"
        #expect(sa == 200 && early == expectedEarly)

        // Handle: needs the scope, refuses without an open episode, closes one with by = the token's user.
        let open = try view.unprocessed()
        let client = try #require(open.first?.client)
        let path = "/v1/departments/sales/unprocessed/\(client)/handle"
        #expect(try await server.request("POST", path, token: token, body: #"{"reason":"spam"}"#).0 == 403)
        #expect(try await server.request("POST", "/v1/departments/sales/unprocessed/70000000000/handle", token: "handler-token-1",
                                         body: #"{"reason":"spam"}"#).0 == 422)
        #expect(try await server.request("POST", path, token: "handler-token-1", body: #"{"reason":"other"}"#).0 == 422)
        let (noReason, why) = try await server.request("POST", path, token: "handler-token-1", body: #"{"comment":"x"}"#)
        #expect(noReason == 400 && why.contains("reason: required"), "\(why)")
        let (numberReason, why2) = try await server.request("POST", path, token: "handler-token-1", body: #"{"reason":5}"#)
        #expect(numberReason == 400 && why2.contains("reason: expected a string"), "\(why2)")
        let (sh, handled) = try await server.request("POST", path, token: "handler-token-1", body: #"{"reason":"other","comment":"reached by e-mail"}"#)
        #expect(sh == 200, "\(handled)")
        let row = try JSONParser.parse(handled).objectValue!
        #expect(row.string("closed_by") == "boss" && row.string("comment") == "reached by e-mail")
        #expect(try view.unprocessed().count == open.count - 1)
    }
}

@Suite(.serialized) struct EventStreamTests {
    func ids(_ sse: String) -> [String] {
        sse.split(separator: "\n").filter { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) }
    }

    @Test func streamsHistoryResumesFromLastEventIDAndFollowsLiveAppends() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        var config = SimulatorConfiguration()
        config.days = 1
        let lines = TrafficSimulator(config).lines()
        #expect(try await server.request("POST", "/v1/events", token: "appender-token-1", body: lines.prefix(20).joined(separator: "\n")).0 == 200)

        let (s1, history) = try await server.request("GET", "/v1/events/stream?after=0&limit=3", token: "reader-token-1")
        #expect(s1 == 200 && ids(history) == ["1", "2", "3"])
        let firstData = try #require(history.split(separator: "\n").first { $0.hasPrefix("data: ") })
        #expect(try JSONParser.parse(String(firstData.dropFirst(6))).objectValue!["position"] == .number("1"))
        #expect(try await server.request("GET", "/v1/events/stream", token: "appender-token-1").0 == 403)

        // Resume after the last id the client saw.
        var resume = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/v1/events/stream?limit=2")!)
        resume.setValue("Bearer reader-token-1", forHTTPHeaderField: "Authorization")
        resume.setValue("17", forHTTPHeaderField: "Last-Event-ID")
        let (d2, _) = try await URLSession.shared.data(for: resume)
        #expect(ids(String(decoding: d2, as: UTF8.self)) == ["18", "19"])

        // Live: the request waits at the end of the log until two new events are committed.
        let port = server.port
        let live = Task { () -> String in
            var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/events/stream?after=20&limit=2")!)
            r.setValue("Bearer reader-token-1", forHTTPHeaderField: "Authorization")
            r.timeoutInterval = 30
            let (d, _) = try await URLSession.shared.data(for: r)
            return String(decoding: d, as: UTF8.self)
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await server.request("POST", "/v1/events", token: "appender-token-1", body: lines[20..<22].joined(separator: "\n")).0 == 200)
        #expect(ids(try await live.value) == ["21", "22"])
    }
}
