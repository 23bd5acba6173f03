import Dispatch
import Foundation
import LedgerLog
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

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
                        try await offPool { try engine.prepare(name) }
                        prepared = true
                    }
                    // At most one catch-up per 25 ms: under many small commits each catch-up's own
                    // durable commit would compete with the log's fsync; a burst gathers instead
                    // (well inside the 100 ms lag budget). After a quiet spell it starts at once.
                    let since = ContinuousClock.now - lastCatchUp
                    if since < .milliseconds(25) { try await Task.sleep(for: .milliseconds(25) - since) }
                    lastCatchUp = .now
                    try await offPool { try engine.catchUp(name) }
                    backoff = .milliseconds(100)
                    let status = try engine.status().first { $0.name == name }
                    if status?.state == .failed {
                        // Stopped at a bad event: wait for a rebuild (which clears the failure).
                        try await Task.sleep(for: .seconds(1))
                        continue
                    }
                    await engine.log.waitForAppend(beyond: status?.checkpoint ?? 0)
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
    try await withCheckedThrowingContinuation { c in
        CatchUpThreads.shared.run { c.resume(with: Result { try work() }) }
    }
}

/// The threads projection workers catch up on, one per core, at a lower scheduling priority
/// (nice 10) than the threads that take appends and answer queries. When the CPU is saturated,
/// ingest and reports go first and the read models catch up in the gaps: their lag grows for the
/// burst, and they stay exact. With spare CPU the priority changes nothing.
final class CatchUpThreads: Sendable {
    static let shared = CatchUpThreads(count: max(2, ProcessInfo.processInfo.activeProcessorCount))

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let ready = DispatchSemaphore(value: 0)

    private init(count: Int) {
        for k in 0..<count {
            let thread = Thread { [self] in
                Thread.current.name = "projection-\(k)"  // set from inside: shown by top -H and perf
                // On Linux the nice value is per thread, and 0 names the calling one. A failure
                // (a system that refuses it) only leaves the default priority.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
                while true {
                    ready.wait()
                    let job = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                    job?()
                }
            }
            thread.start()
        }
    }

    func run(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        ready.signal()
    }
}
