import Dispatch
import Foundation
import LedgerLog
import ServiceLifecycle
import Synchronization

/// Keeps one projection current: rebuilds it first if its version changed, catches up from its
/// checkpoint in bounded pages, then follows the live tail. Run it in a `ServiceGroup`.
///
/// A projection that throws on an event stops alone at that event (its status shows where and
/// why) while the others and the log go on; a storage error is retried with backoff. The worker
/// returns only on shutdown.
public struct ProjectionWorker: Service, CustomStringConvertible {
    public let engine: ProjectionEngine
    public let name: String

    public init(engine: ProjectionEngine, name: String) {
        self.engine = engine
        self.name = name
    }

    public var description: String { "ProjectionWorker(\(name))" }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            var backoff: Duration = .milliseconds(100)
            var prepared = false
            var lastCatchUp = ContinuousClock.now - .seconds(1)
            while !Task.isCancelled {
                do {
                    if !prepared {
                        // A version change rebuilds: seconds of work on a thread of its own.
                        try await WorkerThreads.once(name: "rebuild", nice: 10) { try engine.prepare(name) }
                        prepared = true
                    }
                    // At most one catch-up per 25 ms: under many small commits each catch-up's own
                    // durable commit would compete with the log's fsync; a burst gathers instead
                    // (well inside the 100 ms lag budget). After a quiet spell it starts at once.
                    let since = ContinuousClock.now - lastCatchUp
                    if since < .milliseconds(25) { try await Task.sleep(for: .milliseconds(25) - since) }
                    lastCatchUp = .now
                    // Slices of one page: the workers of every projection (and, in a process
                    // hosting several ledgers, of every ledger) take turns on the shared threads,
                    // so the one far behind does not hold up the live panel's.
                    while try await !offPool({ try engine.catchUp(name, pages: 1) }) { try Task.checkCancellation() }
                    backoff = .milliseconds(100)
                    let status = try engine.status(of: name)
                    if status.state == .failed {
                        // Stopped at a bad event: wait for a rebuild (which clears the failure).
                        try await Task.sleep(for: .seconds(1))
                        continue
                    }
                    await engine.log.waitForAppend(beyond: status.checkpoint)
                } catch is CancellationError {
                    return
                } catch {
                    try await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(10))
                }
            }
        }
    }
}

extension ProjectionEngine {
    /// One worker per registered projection.
    public func workers() -> [ProjectionWorker] {
        names.map { ProjectionWorker(engine: self, name: $0) }
    }
}

/// Runs blocking work (LMDB transactions, fact computation) on a catch-up thread, not on Swift's
/// cooperative pool: with two cores that pool has two threads, and a catch-up holding one would
/// stall HTTP handlers and appends.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await catchUpThreads.perform(work)
}

/// The threads projection workers catch up on, one per core, at nice 10: below the threads that
/// take appends and answer queries. When the CPU is saturated, ingest and reports go first and
/// the read models catch up in the gaps: their lag grows for the burst, and they stay exact.
let catchUpThreads = WorkerThreads(name: "projection", nice: 10)
