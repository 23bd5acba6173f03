import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerEvents
import LedgerSimulator
import LedgerTestSupport
import Testing

/// `Schemas/openapi.yaml` against real OpenAPI tools and the live server: the document is valid,
/// the server serves it as it is, and schemathesis finds the server answering as it says.
@Suite(.serialized) struct OpenAPITests {
    static let documentPath = repositoryRoot + "/Schemas/openapi.yaml"

    @Test func documentIsValidOpenAPI31() throws {
        let r = try runTool(["python3", "-m", "openapi_spec_validator", Self.documentPath])
        #expect(r.status == 0, "openapi-spec-validator:\n\(r.out)\(r.err)")
    }

    /// The `Event` schema mirrors the wire format's envelope (the served document cannot `$ref`
    /// `Schemas/envelope.v1.json`: clients fetch it alone). Titles and descriptions may differ.
    @Test func eventSchemaMirrorsTheEnvelopeSchema() throws {
        let script = """
        import json, sys, yaml
        def bare(x):
            if isinstance(x, dict): return {k: bare(v) for k, v in x.items() if k not in ("title", "description")}
            if isinstance(x, list): return [bare(v) for v in x]
            return x
        api = yaml.safe_load(open(sys.argv[1]))["components"]["schemas"]["Event"]
        env = json.load(open(sys.argv[2]))
        for key in ("type", "required", "additionalProperties", "properties"):
            if bare(api.get(key)) != bare(env.get(key)):
                sys.exit(f"Event.{key} differs from envelope.v1.json:\\n{bare(api.get(key))}\\n{bare(env.get(key))}")
        """
        let r = try runTool(["python3", "-c", script, Self.documentPath, repositoryRoot + "/Schemas/envelope.v1.json"])
        #expect(r.status == 0, "\(r.out)\(r.err)")
    }

    @Test func servedDocumentIsTheFile() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        let url = URL(string: "http://127.0.0.1:\(server.port)/openapi.yaml")!
        let (data, response) = try await URLSession.shared.data(from: url)
        let http = response as! HTTPURLResponse
        #expect(http.statusCode == 200)
        #expect(http.value(forHTTPHeaderField: "Content-Type") == "application/yaml")
        let file = try Data(contentsOf: URL(fileURLWithPath: Self.documentPath))
        #expect(data == file, "the served document differs from Schemas/openapi.yaml: rebuild the server")
    }

    /// schemathesis reads the document from the server and sends it generated requests (examples,
    /// coverage of each parameter's edges, random fuzzing) over a day of simulated history, then
    /// checks every answer: no 5xx, only documented status codes and content types, and bodies
    /// that match their schemas. The SSE tail is left out: it never ends while nothing new comes.
    // Beside the CPU-heavy oracle runs, loading the document timed out (10 s) once in CI: they take turns.
    @Test func liveServerConformsToTheDocument() async throws { try await exclusively {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        var config = SimulatorConfiguration()
        config.days = 1
        let history = TrafficSimulator(config).lines().joined(separator: "\n")
        let (status, body) = try await server.request("POST", "/v1/events", token: "appender-token-1", body: history)
        try #require(status == 200, "\(body)")
        try server.engine.catchUp()

        let base = "http://127.0.0.1:\(server.port)"
        // In a directory of its own: schemathesis leaves a cache (.schemathesis/) where it runs.
        // Through python3, like the other checkers: install-deps.sh installs it with `python3 -m pip`,
        // whose script directory need not be on the PATH (and the package has no __main__).
        // One worker: with two, hypothesis (describing a filter) parses a large module with `ast` in
        // both threads at once, and CPython 3.11 keeps the AST converter's recursion depth per
        // interpreter, not per thread: "SystemError: AST constructor recursion depth mismatch" in
        // most runs once the document had one more operation.
        let scratch = TemporaryDirectory("schemathesis")
        let r = try runTool([
            "-C", scratch.path, "python3", "-c", "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
            "run", base + "/openapi.yaml", "--url", base,
            "--header", "Authorization: Bearer admin-token-1",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--exclude-path", "/v1/events/stream", "--exclude-path", "/v1/departments/{department}/live/stream",
            "--max-examples", "10", "--seed", "1", "--workers", "1", "--request-timeout", "20",
            "--generation-database", "none", "--no-color",
        ])
        #expect(r.status == 0, "schemathesis found the server and the document disagreeing:\n\(r.out)\n\(r.err)")
        if r.status == 0, let summary = r.out.range(of: "Test cases:") { print("schemathesis " + r.out[summary.lowerBound...]) }
    } }

    /// What schemathesis first found: a crash, 500s, and a request that kept the server busy for minutes.
    @Test func requestsSchemathesisFoundAreAnsweredWith4xx() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        // `after` = the largest position trapped on `position + 1` and took the server down.
        let (s1, b1) = try await server.request("GET", "/v1/events?after=18446744073709551615", token: "reader-token-1")
        #expect(s1 == 200 && b1.isEmpty)
        let handle = "/v1/departments/sales/unprocessed/79001234567/handle"
        let (s2, b2) = try await server.request("POST", handle, token: "handler-token-1", body: "{\"reason\":")
        #expect(s2 == 400 && b2.contains("\"invalid_json\""), "\(b2)")
        let big = "{\"reason\":\"spam\",\"comment\":\"" + String(repeating: "x", count: 70_000) + "\"}"
        let (s3, b3) = try await server.request("POST", handle, token: "handler-token-1", body: big)
        #expect(s3 == 413 && b3.contains("\"body_too_large\""), "\(b3)")
        let started = ContinuousClock.now
        let (s4, b4) = try await server.request("GET", "/v1/departments/sales/report?from=0001-01-01&to=9999-12-31&by=day", token: "reader-token-1")
        #expect(s4 == 400 && b4.contains("buckets"), "\(b4)")
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(try await server.request("GET", "/v1/departments/sales/report?from=2000-01-01&to=2026-01-01&by=month", token: "reader-token-1").0 == 200)
        // A reversed period trapped in `from..<to` (QueryKey.range); now refused like the reports'.
        let reversed = "from=2026-11-20&to=2026-11-10"
        for path in ["/v1/leads/lost?", "/v1/leads/calls?", "/v1/departments/sales/processed?", "/v1/audit/dismissals?"] {
            let (s, b) = try await server.request("GET", path + reversed, token: "reader-token-1")
            #expect(s == 400 && b.contains("from must not be after to"), "\(path): \(b)")
        }
    }
}
