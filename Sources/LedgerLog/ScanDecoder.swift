import Dispatch
import Foundation
import LedgerEvents
import LedgerStorage
import Synchronization

/// Decodes a long scan on two cores while the caller still receives the events one by one, in
/// log order, on its own thread.
///
/// The scan goes in chunks of positions; of each chunk the helper thread reads and decodes the
/// second half (in its own read transaction: committed positions never change, so two snapshots
/// agree on them) while the caller reads, decodes and delivers the first, then the caller delivers
/// the helper's half. Decoding is ~85 % of a scan, so this nearly halves it.
///
/// Events the helper built go back to it to be freed once delivered (`garbage`): a block freed by
/// the thread that allocated it stays in that thread's malloc arena, where freeing it on the
/// caller's thread goes through the other arena's lock, which the helper is busy allocating from.
/// Hand-overs spin before they sleep: waking a sleeping thread costs this VM up to a few hundred
/// microseconds, and a hand-over comes every millisecond or so.
final class ScanDecoder: Sendable {
    /// Positions per chunk: large enough that a hand-over is noise next to decoding half of it.
    static let chunk = 8192

    private struct State {
        var input: (after: UInt64, count: Int) = (0, 0)
        var output: [RecordedEvent] = []
        var failure: (any Error)?
        var garbage: [RecordedEvent] = []
        var stop = false
    }

    private let state = Mutex(State())
    /// Chunks handed to the helper, and chunks it has finished (each only grows).
    private let posted = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    private let helperSleeps = Atomic<Bool>(false)
    private let callerSleeps = Atomic<Bool>(false)
    private let work = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    private let read: @Sendable (_ after: UInt64, _ count: Int) throws -> [RecordedEvent]

    /// `read` decodes the `count` events after a position (in its own read transaction).
    init(read: @escaping @Sendable (_ after: UInt64, _ count: Int) throws -> [RecordedEvent]) {
        self.read = read
        let thread = Thread { [self] in
            nameCurrentThread("ledger-scan")  // set from inside: shown by top -H and perf
            run()
        }
        thread.start()
    }

    /// Waits until `counter` passes `seen`: spinning first, since the other side hands over
    /// every millisecond or so and waking a sleeping thread costs this VM up to a few hundred
    /// microseconds per hand-over; sleeping on `semaphore` after 200,000 looks (about a
    /// millisecond) of nothing.
    private static func await(_ counter: borrowing Atomic<Int>, passing seen: Int,
                              sleeping: borrowing Atomic<Bool>, on semaphore: DispatchSemaphore) {
        var spins = 0
        while counter.load(ordering: .sequentiallyConsistent) <= seen {
            spins += 1
            if spins < 200_000 { continue }
            sleeping.store(true, ordering: .sequentiallyConsistent)
            if counter.load(ordering: .sequentiallyConsistent) <= seen { semaphore.wait() }
            sleeping.store(false, ordering: .sequentiallyConsistent)
            spins = 0
        }
    }

    /// Advances `counter` and wakes the other side if it sleeps.
    private static func advance(_ counter: borrowing Atomic<Int>, sleeping: borrowing Atomic<Bool>,
                                on semaphore: DispatchSemaphore) {
        counter.add(1, ordering: .sequentiallyConsistent)
        // A stray signal (the sleeper saw the new count itself) only costs it one more look.
        if sleeping.exchange(false, ordering: .sequentiallyConsistent) { semaphore.signal() }
    }

    private func run() {
        var seen = 0
        while true {
            Self.await(posted, passing: seen, sleeping: helperSleeps, on: work)
            seen += 1
            let (input, stop) = state.withLock { s -> ((after: UInt64, count: Int), Bool) in
                s.garbage = []
                return (s.input, s.stop)
            }
            if stop {
                Self.advance(completed, sleeping: callerSleeps, on: done)
                return
            }
            var output: [RecordedEvent] = []
            var failure: (any Error)?
            do { output = try read(input.after, input.count) } catch { failure = error }
            state.withLock { s in
                s.output = output
                s.failure = failure
            }
            Self.advance(completed, sleeping: callerSleeps, on: done)
        }
    }

    /// Hands the helper its next piece of work and returns its number.
    private func post(input: (after: UInt64, count: Int) = (0, 0), stop: Bool = false) -> Int {
        state.withLock { s in
            s.input = input
            s.stop = stop
        }
        let n = posted.load(ordering: .sequentiallyConsistent)
        Self.advance(posted, sleeping: helperSleeps, on: work)
        return n
    }

    /// Calls `body` with each of the `count` events after `position`, in order: the helper reads
    /// and decodes the second half while `scanHere` does the first on this thread.
    func deliver(after position: UInt64, count: Int, scanHere: (_ after: UInt64, _ count: Int) throws -> Void,
                 to body: (RecordedEvent) throws -> Void) throws {
        let half = count / 2
        let ticket = post(input: (position + UInt64(half), count - half))
        var waited = false
        // Never leave the helper writing into a finished scan.
        defer { if !waited { Self.await(completed, passing: ticket, sleeping: callerSleeps, on: done) } }
        try scanHere(position, half)
        Self.await(completed, passing: ticket, sleeping: callerSleeps, on: done)
        waited = true
        let (output, failure) = state.withLock { s -> ([RecordedEvent], (any Error)?) in
            let taken = s.output
            s.output = []
            return (taken, s.failure)
        }
        if let failure { throw failure }
        for e in output { try body(e) }
        state.withLock { $0.garbage = output }
    }

    /// Ends the helper thread (after freeing what it still holds).
    func finish() {
        let ticket = post(stop: true)
        Self.await(completed, passing: ticket, sleeping: callerSleeps, on: done)
    }
}
