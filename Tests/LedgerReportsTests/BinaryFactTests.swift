import Foundation
import LedgerEvents
import LedgerProjections
import LedgerReports
import LedgerTestSupport
import Testing

@Suite struct BinaryFactTests {
    /// Every call and client fact of simulated traffic survives the hand-written binary form unchanged.
    @Test func callAndClientFactsRoundTrip() async throws {
        let dir = TemporaryDirectory("binary")
        let engine = try await reportEngine(dir, simulatedEvents(days: 2, seed: 8, late: 0.1))
        let calls = try engine.facts(of: CallsProjection(), in: QueryKey.prefix("dept"))
        let clients = try engine.facts(of: ClientsProjection(), in: QueryKey.prefix("episode"))
        #expect(calls.count > 1000 && clients.count > 100)
        for (_, c) in calls { #expect(try FactCoder.decode(CallFact.self, from: FactCoder.encode(c)) == c) }
        for (_, c) in clients { #expect(try FactCoder.decode(ClientFact.self, from: FactCoder.encode(c)) == c) }
        // Truncated bytes are an error, not a silent default.
        let bytes = try FactCoder.encode(calls[0].fact)
        #expect(throws: (any Error).self) { try FactCoder.decode(CallFact.self, from: Array(bytes.dropLast())) }
    }
}
