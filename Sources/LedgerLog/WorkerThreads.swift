import Dispatch
import Foundation
import LedgerStorage
import Synchronization

/// A few named threads, at a lower scheduling priority than the rest of the process, that run
/// blocking or CPU-heavy jobs off Swift's cooperative pool.
///
/// With two cores that pool has two threads: a job holding one for milliseconds stalls every
/// HTTP handler and append continuation behind it. On these threads the job runs beside the pool
/// instead, and the nice value decides who goes first when the CPU is saturated: appends and
/// report queries (nice 0) before bulk parsing (nice 5) before read-model catch-ups (nice 10).
/// With spare CPU the priority changes nothing.
public final class WorkerThreads: Sendable {
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let ready = DispatchSemaphore(value: 0)

    /// Starts `count` threads named `name-0`, `name-1`, … at `nice` (0–19).
    public init(name: String, count: Int = max(2, ProcessInfo.processInfo.activeProcessorCount), nice: Int32) {
        for k in 0..<count {
            let thread = Thread { [self] in
                nameCurrentThread("\(name)-\(k)", nice: nice)
                while true {
                    ready.wait()
                    let job = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                    job?()
                }
            }
            thread.start()
        }
    }

    /// Queues `job` for the next free thread.
    public func run(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        ready.signal()
    }

    /// Runs `work` on a new thread of its own at `nice`, which ends with it: for a job that can
    /// take seconds (a rebuild), so that it does not hold a shared thread meanwhile.
    public static func once<T: Sendable>(name: String, nice: Int32, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            Thread {
                nameCurrentThread(name, nice: nice)
                c.resume(with: Result { try work() })
            }.start()
        }
    }

    /// Runs `work` on one of the threads and returns its result to the awaiting task.
    public func perform<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            run { c.resume(with: Result { try work() }) }
        }
    }
}
