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
        let p = Process()
        p.executableURL = URL(fileURLWithPath: productsDirectory + "/call-ledger")
        p.arguments = ["serve", "--demo", "--port", "0"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while !text.contains("demo token") && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let port = try #require(text.split(separator: "\n").first { $0.hasPrefix("call-ledger serving") }?.split(separator: ":").last)
        let token = try #require(text.split(separator: "\n").first { $0.hasPrefix("demo token") }?.split(separator: " ").last)
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/events?limit=2")!)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as! HTTPURLResponse).statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self).split(separator: "\n").count == 2)
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
    }
}
