@testable import LedgerServer
import Synchronization
import Testing

/// A streamed response is counted once, whether its body was written or dropped unwritten
/// (`HEAD` of a stream sends the head only): the active-requests gauge must come back down.
@Suite struct StreamRecordingTests {
    @Test func aStreamIsRecordedOnceWhenWrittenOrDropped() {
        let count = Mutex(0)
        do {
            let written = StreamRecording { count.withLock { $0 += 1 } }
            written.finish()
            written.finish()
        }
        #expect(count.withLock { $0 } == 1)
        do {
            _ = StreamRecording { count.withLock { $0 += 1 } }  // dropped without a write
        }
        #expect(count.withLock { $0 } == 2)
    }
}
