import Foundation

/// Threads of their own for a server that runs inside the test process.
///
/// The tests beside it hold the cooperative pool's two threads for minutes (the oracle and
/// replay tests compute in `async` bodies); a server whose tasks queued behind them answered
/// nothing for over a minute in CI. A server task started with this executor as its preference
/// (`Task(executorPreference:)`) keeps it for every connection's child task, so it answers
/// however busy the pool is, as a server process of its own would.
public final class ServerThreads: TaskExecutor, @unchecked Sendable {
    /// Shared by every in-process server of the test run (the threads live as long as it).
    public static let shared = ServerThreads()

    // @unchecked: `jobs` is only touched under `lock`.
    private let lock = NSCondition()
    private var jobs: [UnownedJob] = []

    public init(count: Int = 2, name: String = "test-server") {
        for i in 0..<count {
            let thread = Thread { [self] in run() }
            thread.name = "\(name)-\(i)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        lock.lock()
        jobs.append(unowned)
        lock.signal()
        lock.unlock()
    }

    private func run() {
        while true {
            lock.lock()
            while jobs.isEmpty { lock.wait() }
            let job = jobs.removeFirst()
            lock.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
