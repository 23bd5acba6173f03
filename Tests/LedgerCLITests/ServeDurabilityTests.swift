import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerEvents
import LedgerLog
import LedgerSimulator
import LedgerTestSupport
import Synchronization
import Testing

/// The server stopped in the middle of sustained ingest: by SIGTERM it drains and exits cleanly,
/// by kill -9 it just dies; either way every event it acknowledged is there after a restart.
@Suite struct ServeDurabilityTests {
    /// What the ingesting tasks share.
    final class IngestState: Sendable {
        let acknowledged = Mutex<[Int]>([])
        let serverErrors = Mutex<[String]>([])
        let next = Mutex(0)
    }

    @Test(arguments: [SIGTERM, SIGKILL])
    func acknowledgedEventsSurviveAStopInTheMiddleOfIngest(signal: Int32) async throws {
        let dir = TemporaryDirectory("serve-stop")
        var config = SimulatorConfiguration()
        config.days = 2
        let lines = TrafficSimulator(config).lines()
        let batches = stride(from: 0, to: lines.count, by: 250).map { Array(lines[$0..<min(lines.count, $0 + 250)]) }
        let serve = try ServeProcess.start(data: dir.sub("data"), tokens: "stop-test-token=pbx:append+read")
        let (server, port) = (serve.process, serve.port)
        defer { serve.killIfRunning() }

        let state = IngestState()
        let pid = server.processIdentifier
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    while true {
                        let k = state.next.withLock { n -> Int in defer { n += 1 }; return n }
                        guard k < batches.count else { return }
                        var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/events")!)
                        r.httpMethod = "POST"
                        r.setValue("Bearer stop-test-token", forHTTPHeaderField: "Authorization")
                        r.httpBody = Data(batches[k].joined(separator: "\n").utf8)
                        guard let (data, response) = try? await URLSession.shared.data(for: r) else { return }  // stopped
                        let status = (response as! HTTPURLResponse).statusCode
                        if status == 200 {
                            state.acknowledged.withLock { $0.append(k) }
                        } else {
                            state.serverErrors.withLock { $0.append("\(status): \(String(decoding: data, as: UTF8.self))") }
                            return
                        }
                    }
                }
            }
            group.addTask {
                while state.acknowledged.withLock({ $0.count }) < 12 { try await Task.sleep(for: .milliseconds(5)) }
                kill(pid, signal)
            }
            try await group.waitForAll()
        }
        server.waitUntilExit()
        if signal == SIGTERM {
            #expect(server.terminationReason == .exit && server.terminationStatus == 0, "SIGTERM should drain and exit 0")
        }
        // SIGTERM: in-flight requests finish; a request that got an answer never got a 5xx.
        #expect(state.serverErrors.withLock { $0 }.allSatisfy { !$0.hasPrefix("5") }, "\(state.serverErrors.withLock { $0 })")
        let acked = state.acknowledged.withLock { $0 }
        #expect(acked.count >= 12 && acked.count < batches.count, "the stop should land mid-ingest (\(acked.count) of \(batches.count))")

        let log = try EventLog(directory: dir.sub("data"))
        var missing: [String] = []
        for k in acked {
            for line in batches[k] {
                let id = try JSONParser.parse(Array(line.utf8)).objectValue!["id"]!.stringValue!
                if try log.event(id: id) == nil { missing.append(id) }
            }
        }
        #expect(missing.isEmpty, "acknowledged but lost: \(missing.prefix(5))")
        let report = try log.verify()
        #expect(report.isClean, "\(report.problems.prefix(3))")
    }

    /// An open event stream (a page, a projection elsewhere) must not keep SIGTERM from draining.
    @Test func sigtermEndsOpenEventStreams() async throws {
        let dir = TemporaryDirectory("serve-sse-stop")
        let serve = try ServeProcess.start(data: dir.sub("data"), tokens: "stop-test-token=pbx:append+read")
        let (server, port) = (serve.process, serve.port)
        defer { serve.killIfRunning() }
        // curl holds the stream open (URLSession on Linux has no streaming body).
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        curl.arguments = ["curl", "-sN", "-H", "Authorization: Bearer stop-test-token", "http://127.0.0.1:\(port)/v1/events/stream"]
        curl.standardOutput = FileHandle.nullDevice
        try curl.run()
        defer { curl.terminate() }
        try await Task.sleep(for: .milliseconds(800))  // the stream is open and idle
        #expect(curl.isRunning)
        let t0 = Date()
        kill(server.processIdentifier, SIGTERM)
        while server.isRunning && Date().timeIntervalSince(t0) < 10 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!server.isRunning, "serve still running 10 s after SIGTERM with a stream open")
        if !server.isRunning { #expect(server.terminationStatus == 0) }
    }
}
