import Foundation
import LedgerEvents
import LedgerLog
import LedgerTestSupport
import Testing

@Suite struct CrashTests {
    /// kill -9 in the middle of sustained concurrent appends: every acknowledged id survives and
    /// the log verifies clean.
    @Test func acknowledgedAppendsSurviveKill9() async throws {
        let dir = TemporaryDirectory("crash")
        let exe = productsDirectory + "/ledger-stress"
        try #require(FileManager.default.fileExists(atPath: exe), "build ledger-stress first (swift build --build-tests)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = [dir.path, "8", "25"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        var acked: [(task: Int, last: Int)] = []
        var buffer = Data()
        let deadline = Date().addingTimeInterval(60)
        while acked.count < 300 && Date() < deadline {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let nl = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...nl)
                let f = line.split(separator: " ")
                if f.count == 4, f[0] == "ack", let last = Int(f[2]), let t = Int(f[3]) { acked.append((t, last)) }
            }
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        try #require(acked.count >= 300, "the stress child acknowledged only \(acked.count) batches")

        let log = try EventLog(directory: dir.path)
        var highest: [Int: Int] = [:]
        for a in acked { highest[a.task] = max(highest[a.task] ?? 0, a.last) }
        for (t, last) in highest {
            for n in [1, last / 2, last] where n >= 1 {
                #expect(try log.event(id: "stress-\(t)-\(n)") != nil, "acknowledged stress-\(t)-\(n) is missing")
            }
        }
        // Every acknowledged id, not just samples.
        var stored = Set<String>()
        try log.scan(after: 0, limit: .max) { stored.insert($0.event.id) }
        var missing: [String] = []
        for (t, last) in highest {
            for n in 1...last where !stored.contains("stress-\(t)-\(n)") { missing.append("stress-\(t)-\(n)") }
        }
        #expect(missing.isEmpty, "acknowledged but missing: \(missing.prefix(10))")
        let report = try log.verify()
        #expect(report.isClean, "\(report.problems.prefix(5))")
        #expect(report.records == stored.count)
    }
}
