import Synchronization

/// Wakes tasks waiting for the log to grow beyond a position.
final class HeadNotifier: Sendable {
    private struct Waiter {
        let beyond: UInt64
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var head: UInt64 = 0
        var nextID = 0
        var waiters: [Int: Waiter] = [:]
    }

    private let state = Mutex(State())

    func publish(_ head: UInt64) {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.head = max(s.head, head)
            var out: [CheckedContinuation<Void, Never>] = []
            for (id, w) in s.waiters where s.head > w.beyond {
                out.append(w.continuation)
                s.waiters[id] = nil
            }
            return out
        }
        for c in ready { c.resume() }
    }

    /// Returns when the head passes `position`, after `timeout`, or when the task is cancelled.
    func wait(beyond position: UInt64, timeout: Duration) async {
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.resume(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.head > position || Task.isCancelled { return true }
                    s.waiters[id] = Waiter(beyond: position, continuation: c)
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            self.resume(id)
        }
        timer.cancel()
    }

    private func resume(_ id: Int) {
        let w = state.withLock { s -> Waiter? in
            defer { s.waiters[id] = nil }
            return s.waiters[id]
        }
        w?.continuation.resume()
    }
}
