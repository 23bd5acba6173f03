import Foundation
import LedgerEvents
import LedgerLog
@testable import LedgerProjections
import LedgerTestSupport
import Testing

/// Two processes serving one ledger catch up the same projection stores. A page whose facts were
/// computed before the other process moved the checkpoint must not be written: its older facts
/// would replace newer ones, and the checkpoint would pass them for good (a probe saw reports of
/// two servers on one ledger stay wrong until a rebuild).
@Suite struct SharedStoreTests {
    @Test func aPageComputedBeforeAnotherWriterMovedTheCheckpointIsNotWritten() async throws {
        let dir = TemporaryDirectory("shared-store")
        let engine = try await ledger(dir, "l", simulated(days: 1))
        let head = engine.log.lastPosition
        let current = try lineFacts(engine)
        let s = try engine.slot("calls-per-line-hour")
        // A page as another process computed it from an older checkpoint: facts as of head − 400.
        let page = try engine.log.events(after: head - 800, limit: 400)
        #expect(throws: ProjectionEngine.CheckpointMoved.self) { try engine.apply(s, store: s.active, page, after: head - 800) }
        #expect(try s.active.meta().checkpoint == head)
        #expect(try lineFacts(engine) == current)
        // A page computed from the stored checkpoint is written.
        _ = try await engine.log.append(simulated(days: 1, seed: 77))
        let next = try engine.log.events(after: head, limit: 400)
        try engine.apply(s, store: s.active, next, after: head)
        #expect(try s.active.meta().checkpoint == next.last!.position)
    }
}
