import Dispatch
import Synchronization

/// A batch appended part by part while its producer is still making the parts (parsing a large
/// file, say): the writer stores each part as it arrives, in one write transaction that commits
/// at ``finish()`` or is aborted, so the batch is still all or nothing. The writer's work then
/// overlaps the producer's instead of following it.
///
/// ```swift
/// let batch = try store.beginAppend()
/// for part in parts { batch.send(part) }      // on a problem: batch.cancel()
/// let outcome = try await batch.finish()       // durable, like append(_:)
/// ```
///
/// The batch holds the log's write lock from the writer taking it up until it ends: other appends
/// wait, as they would for one large append. Dropping the batch without finishing it cancels it.
public final class AppendStream: Sendable {
    let channel: AppendChannel
    private let outcome: Task<AppendOutcome, any Error>

    init(channel: AppendChannel, outcome: Task<AppendOutcome, any Error>) {
        self.channel = channel
        self.outcome = outcome
    }

    deinit { channel.end(cancelled: true) }

    /// Hands the next records to the writer. Records of a part count in the batch after those of
    /// every part sent before (``AppendOutcome/positions`` and conflict indices are batch-wide).
    public func send(_ records: [PendingRecord]) throws {
        for r in records where r.id.isEmpty || r.id.count > 400 {
            throw StorageError(.invalidArgument, "record id must be 1–400 bytes")
        }
        channel.send(records)
    }

    /// Stores nothing of the batch: the writer aborts its transaction. Idempotent.
    public func cancel() { channel.end(cancelled: true) }

    /// Commits the batch durably and answers as ``LogStore/append(_:)`` would for all its records
    /// at once (a conflict anywhere rejects all of it), or throws why it stored nothing.
    public func finish() async throws -> AppendOutcome {
        channel.end(cancelled: false)
        return try await outcome.value
    }
}

/// The hand-off between an ``AppendStream``'s producer and the writer thread.
final class AppendChannel: Sendable {
    private struct State {
        var parts: [[PendingRecord]] = []
        var ended = false
        var cancelled = false
        /// The writer has finished with the batch: later parts are dropped.
        var closed = false
    }

    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)

    func send(_ records: [PendingRecord]) {
        let wake = state.withLock { s -> Bool in
            guard !s.ended && !s.closed else { return false }
            s.parts.append(records)
            return true
        }
        if wake { ready.signal() }
    }

    func end(cancelled: Bool) {
        let wake = state.withLock { s -> Bool in
            guard !s.ended else { return false }
            s.ended = true
            s.cancelled = cancelled
            return true
        }
        if wake { ready.signal() }
    }

    /// Writer side: the next part, waiting for it; `nil` once the producer has ended the batch
    /// (then ``wasCancelled`` says how).
    func next() -> [PendingRecord]? {
        while true {
            let (part, ended) = state.withLock { s -> ([PendingRecord]?, Bool) in
                if !s.parts.isEmpty { return (s.parts.removeFirst(), false) }
                return (nil, s.ended)
            }
            if let part { return part }
            if ended { return nil }
            ready.wait()
        }
    }

    var wasCancelled: Bool { state.withLock { $0.cancelled } }

    /// Writer side: the batch is done with; what the producer still sends is dropped.
    func close() { state.withLock { $0.closed = true; $0.parts = [] } }
}
