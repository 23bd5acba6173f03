import Foundation
import LedgerEvents
import Testing

private let root: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

@Suite struct EventValidatorTests {
    /// Our validator and the JSON Schemas in `Schemas/` (checked by Python's `jsonschema`) must give
    /// the same verdict on every corpus line.
    @Test func agreesWithTheJSONSchemasOnTheCorpus() throws {
        let corpus = root + "/Tests/Fixtures/schema-corpus.ndjson"
        let text = try String(contentsOfFile: corpus, encoding: .utf8)
        var disagreements: [String] = []
        var count = 0
        for (k, line) in text.split(separator: "\n").enumerated() {
            let entry = try JSONParser.parse(String(line))
            guard let o = entry.objectValue, let expect = o.string("expect"), let event = o["event"] else {
                Issue.record("corpus line \(k + 1) is malformed")
                continue
            }
            count += 1
            let verdict: String
            switch EventValidator.validate(event) {
            case .success: verdict = "valid"
            case .failure: verdict = "invalid"
            }
            if verdict != expect { disagreements.append("line \(k + 1) (\(o.string("why") ?? "")): expected \(expect), got \(verdict)") }
        }
        #expect(count >= 150)
        #expect(disagreements.isEmpty, "\(disagreements.joined(separator: "\n"))")

        // The same corpus through the JSON Schemas with a real validator.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", root + "/Tools/schema-check.py", "--corpus", corpus]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "Schemas/ disagree with the corpus: run python3 Tools/schema-check.py --corpus \(corpus)")
    }

    @Test func namesTheEventTheFieldAndWhatWasExpected() throws {
        let v = try JSONParser.parse(#"{"id":"e7","type":"call.ring_ended","at":"2026-11-21T09:15:02+03:00","data":{"call_id":"","agent":7,"outcome":"maybe"},"extra":1}"#)
        guard case .failure(let err) = EventValidator.validate(v, index: 4) else { Issue.record("accepted"); return }
        let fields = err.issues.map(\.field)
        #expect(fields.contains("extra"))
        #expect(fields.contains("data.call_id"))
        #expect(fields.contains("data.agent"))
        #expect(fields.contains("data.outcome"))
        #expect(err.issues.allSatisfy { $0.index == 4 && $0.eventID == "e7" })
        let outcome = err.issues.first { $0.field == "data.outcome" }!
        #expect(outcome.description == #"event 4 (id "e7"): data.outcome: unknown value "maybe"; expected one of no_answer, rejected, caller_hung_up, answered_elsewhere"#)
    }

    /// A refused id of 100,000 characters is named by its start, not echoed whole.
    @Test func aHugeIdIsNamedByItsStart() {
        let line = #"{"id":"\#(String(repeating: "x", count: 100_000))","type":"agent.status","at":"2026-11-20T10:00:00Z","data":{"agent":"a","status":"available"}}"#
        guard case .failure(let e) = NDJSONReader.parse(Array(line.utf8)) else { Issue.record("accepted"); return }
        #expect(e.description.count < 400 && e.description.contains(String(repeating: "x", count: 80) + "…"), "\(e.description.prefix(300))")
    }

    @Test func otherNeedsAComment() throws {
        let base = #"{"id":"m","type":"missed.handled","at":"2026-11-21T09:15:02Z","data":{"department":"sales","client":"79001234567","by":"ann","reason":"other"COMMENT}}"#
        let without = try JSONParser.parse(base.replacingOccurrences(of: "COMMENT", with: ""))
        let blank = try JSONParser.parse(base.replacingOccurrences(of: "COMMENT", with: #","comment":"  ""#))
        let with = try JSONParser.parse(base.replacingOccurrences(of: "COMMENT", with: #","comment":"wrong number""#))
        #expect((try? EventValidator.validate(without).get()) == nil)
        #expect((try? EventValidator.validate(blank).get()) == nil)
        #expect((try? EventValidator.validate(with).get()) != nil)
    }

    @Test func ndjsonReaderReportsLineNumbersAcrossChunks() throws {
        var lines: [String] = []
        // About 1 MB: several chunks, so the line of the problem is counted across them.
        for n in 1...10_000 {
            lines.append(#"{"id":"n\#(n)","type":"call.greeting","at":"2026-11-21T09:15:02Z","data":{"call_id":"c\#(n)"}}"#)
        }
        lines[6_999] = #"{"id":"bad","type":"call.greeting","at":"2026-11-21T09:15:02Z","data":{}}"#
        lines.insert("", at: 10)  // blank lines are skipped but counted
        let result = NDJSONReader.parse(Array(lines.joined(separator: "\n").utf8))
        guard case .failure(let err) = result else { Issue.record("accepted"); return }
        #expect(err.issues.count == 1)
        #expect(err.issues[0].line == 7001)
        #expect(err.issues[0].index == 6999)  // among the non-blank lines, from 0
        #expect(err.issues[0].description.hasPrefix(#"line 7001 (id "bad"): data.call_id: required"#))
        lines[7_000] = #"{"id":"n7000","type":"call.greeting","at":"2026-11-21T09:15:02Z","data":{"call_id":"c"}}"#
        let ok = try NDJSONReader.parse(Array(lines.joined(separator: "\n").utf8)).get()
        #expect(ok.count == 10_000)
        #expect(ok.map(\.id).prefix(3) == ["n1", "n2", "n3"])
    }
}
