import Foundation
import LedgerEvents
import LedgerSimulator
import Testing

private let root: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The full way: parse, validate, encode. `nil` when the line is refused.
private func fullWay(_ bytes: [UInt8]) -> EncodedEvent? {
    guard let value = try? JSONParser.parse(bytes), case .success(let e) = EventValidator.validate(value) else { return nil }
    return EncodedEvent(e)
}

/// The direct encoder may decline any line, but when it answers, the full way must accept the
/// line and give the same bytes and index values.
private func checkAgreement(_ bytes: [UInt8], _ what: String) -> Bool? {
    guard let direct = DirectEventEncoder.encode(bytes, 0..<bytes.count) else { return nil }
    let full = fullWay(bytes)
    #expect(full == direct, "\(what): \(String(decoding: bytes, as: UTF8.self))")
    return full == direct
}

@Suite struct DirectEventEncoderTests {
    private func simulatedLines(seed: UInt64, late: Double) -> [String] {
        var config = SimulatorConfiguration()
        config.seed = seed
        config.days = 2
        config.lateFraction = late
        return TrafficSimulator(config).lines()
    }

    /// Simulated traffic: the direct way takes almost every line (else it would be dead weight)
    /// and agrees with the full way on each.
    @Test(arguments: [(UInt64(1), 0.0), (UInt64(7), 0.2)])
    func agreesOnSimulatedTraffic(seed: UInt64, late: Double) {
        let lines = simulatedLines(seed: seed, late: late)
        var taken = 0
        for line in lines where checkAgreement(Array(line.utf8), "seed \(seed)") != nil { taken += 1 }
        #expect(lines.count > 1000)
        #expect(Double(taken) >= 0.95 * Double(lines.count), "direct way took \(taken) of \(lines.count) lines")
    }

    /// The schema corpus (valid and invalid events): never an answer the full way would not give.
    @Test func neverAcceptsWhatTheValidatorRefuses() throws {
        let text = try String(contentsOfFile: root + "/Tests/Fixtures/schema-corpus.ndjson", encoding: .utf8)
        var taken = 0, count = 0
        for line in text.split(separator: "\n") {
            guard let event = try JSONParser.parse(String(line)).objectValue?["event"] else { continue }
            count += 1
            if checkAgreement(Array(JSONWriter.string(event).utf8), "corpus") != nil { taken += 1 }
        }
        #expect(count >= 150)
        #expect(taken > 20)
    }

    /// Random edits of real lines (bytes deleted, inserted, replaced; keys doubled; escapes,
    /// non-ASCII and control bytes): whatever the direct way accepts, the full way accepts the same.
    @Test func agreesOnMutatedLines() {
        var rng = SimRandom(seed: 42)  // repeatable
        let lines = simulatedLines(seed: 3, late: 0).prefix(3000).map { Array($0.utf8) }
        let alphabet: [[UInt8]] = ["\"", "\\", ",", "{", "}", "[", "]", ":", " ", "0", "-", "1e5", "é", "K", "\u{212A}", "\u{01}", "\n",
                                   "null", "true", "\"id\":\"x\",", "\"data\":{},", "\"agent\":\"a\",", "\\u0041"].map { Array($0.utf8) }
        var accepted = 0
        for k in 0..<40_000 {
            var b = lines[k % lines.count]
            for _ in 0...(rng.next() % 3) {
                let at = Int(rng.next() % UInt64(b.count))
                switch rng.next() % 4 {
                case 0: b.remove(at: at)
                case 1: b.insert(contentsOf: alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                case 2: b[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))].first!
                default:
                    // Double a member: copy a stretch starting after a comma.
                    if let comma = b[at...].firstIndex(of: 0x2C), let next = b[(comma + 1)...].firstIndex(of: 0x2C) {
                        b.insert(contentsOf: b[(comma + 1)...next], at: comma + 1)
                    }
                }
                if b.isEmpty { b = [0x7B] }
            }
            if checkAgreement(b, "mutation \(k)") != nil { accepted += 1 }
        }
        #expect(accepted > 1000, "mutations accepted by the direct way: \(accepted)")
    }

    /// Whole inputs: `NDJSONReader.encode` equals encoding `NDJSONReader.parse`, problems and
    /// their line numbers included.
    @Test func readerEncodesLikeParse() {
        var lines = simulatedLines(seed: 5, late: 0.1).prefix(5000).map { $0 }
        let good = lines.joined(separator: "\n") + "\n"
        let parsed = try? NDJSONReader.parse(Array(good.utf8)).get()
        let encoded = try? NDJSONReader.encode(Array(good.utf8)).get()
        #expect(parsed != nil && parsed?.map(EncodedEvent.init) == encoded)
        lines[10] = #"{"id":"x","type":"call.nope","at":"2026-11-21T09:15:02Z","data":{}}"#
        lines.insert("", at: 20)
        lines[4000] = "{"
        let bad = Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
        guard case .failure(let a) = NDJSONReader.parse(bad), case .failure(let b) = NDJSONReader.encode(bad) else {
            Issue.record("a bad input was accepted")
            return
        }
        #expect(a.issues.map(\.description) == b.issues.map(\.description))
        #expect(b.issues.compactMap(\.line) .contains(11))
        #expect(b.issues.compactMap(\.line).contains(4001))
    }
}
