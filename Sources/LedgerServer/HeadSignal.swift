import Foundation

/// Wakes the live feed's streams when the server records: each waits for a head
/// beyond the position it has sent, or for a time out (other processes, such as the
/// command line, record in the same store without telling the server). Once stopped
/// (the server is stopping), every wait returns at once.
final class HeadSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var head: UInt64
    private var stopped = false
    private var waiters: [UInt64: (after: UInt64, continuation: CheckedContinuation<Bool, Never>)] = [:]
    private var nextWaiter: UInt64 = 0
    /// Waiters whose time ran out (or who were cancelled) before they had registered.
    private var wokenEarly: Set<UInt64> = []

    init(head: UInt64) { self.head = head }

    /// The server recorded up to `position`.
    func advance(to position: UInt64) {
        lock.lock()
        head = max(head, position)
        let woken = waiters.filter { $0.value.after < head }
        for key in woken.keys { waiters[key] = nil }
        lock.unlock()
        for waiter in woken.values { waiter.continuation.resume(returning: true) }
    }

    /// Returns when the head passes `position` or the signal stops (`true`), or after
    /// `timeout` or when the task is cancelled (`false`).
    @discardableResult
    func wait(after position: UInt64, timeout: Duration) async -> Bool {
        let id: UInt64 = lock.withLock {
            nextWaiter += 1
            return nextWaiter
        }
        let timer = Task { [weak self] in
            do {
                try await Task.sleep(for: timeout)
            } catch {
                return  // cancelled: the wait is over already
            }
            self?.wake(id)
        }
        let woken = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                lock.lock()
                if head > position || stopped {
                    lock.unlock()
                    continuation.resume(returning: true)
                } else if wokenEarly.remove(id) != nil {
                    lock.unlock()
                    continuation.resume(returning: false)
                } else {
                    waiters[id] = (position, continuation)
                    lock.unlock()
                }
            }
        } onCancel: {
            self.wake(id)
        }
        timer.cancel()
        lock.withLock { _ = wokenEarly.remove(id) }
        return woken
    }

    /// Waiters registered, and time-outs kept for waiters not registered yet (both return
    /// to 0 once every wait is over).
    var bookkeeping: (waiters: Int, wokenEarly: Int) { lock.withLock { (waiters.count, wokenEarly.count) } }

    /// Wakes every stream, now and from now on: the server is stopping.
    func stop() {
        let all: [CheckedContinuation<Bool, Never>] = lock.withLock {
            stopped = true
            let all = waiters.values.map(\.continuation)
            waiters = [:]
            return all
        }
        for continuation in all { continuation.resume(returning: true) }
    }

    /// Ends the wait `id` as timed out (or cancelled).
    private func wake(_ id: UInt64) {
        let waiter: CheckedContinuation<Bool, Never>? = lock.withLock {
            guard let waiter = waiters.removeValue(forKey: id) else {
                wokenEarly.insert(id)
                return nil
            }
            return waiter.continuation
        }
        waiter?.resume(returning: false)
    }
}
