import Foundation

/// Wakes the live feed's streams when the server records: each waits for a head
/// beyond the position it has sent, or for a time out (other processes, such as the
/// command line, record in the same store without telling the server).
final class HeadSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var head: UInt64
    private var waiters: [UInt64: (after: UInt64, continuation: CheckedContinuation<Void, Never>)] = [:]
    private var nextWaiter: UInt64 = 0
    /// Waiters woken (timed out, cancelled) before they had registered.
    private var wokenEarly: Set<UInt64> = []

    init(head: UInt64) { self.head = head }

    /// The server recorded up to `position`.
    func advance(to position: UInt64) {
        lock.lock()
        head = max(head, position)
        let woken = waiters.filter { $0.value.after < head }
        for key in woken.keys { waiters[key] = nil }
        lock.unlock()
        for waiter in woken.values { waiter.continuation.resume() }
    }

    /// Returns when the head passes `position`, after `timeout`, or when the task is cancelled.
    func wait(after position: UInt64, timeout: Duration) async {
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
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                lock.lock()
                if head > position || wokenEarly.remove(id) != nil {
                    lock.unlock()
                    continuation.resume()
                    return
                }
                waiters[id] = (position, continuation)
                lock.unlock()
            }
        } onCancel: {
            self.wake(id)
        }
        timer.cancel()
        lock.withLock { _ = wokenEarly.remove(id) }
    }

    /// Waiters registered, and wake-ups kept for waiters not registered yet (both return to
    /// 0 once every wait is over).
    var bookkeeping: (waiters: Int, wokenEarly: Int) { lock.withLock { (waiters.count, wokenEarly.count) } }

    /// Wakes every stream: the server is stopping.
    func wakeAll() {
        let all: [CheckedContinuation<Void, Never>] = lock.withLock {
            let all = waiters.values.map(\.continuation)
            waiters = [:]
            return all
        }
        for continuation in all { continuation.resume() }
    }

    private func wake(_ id: UInt64) {
        let waiter: CheckedContinuation<Void, Never>? = lock.withLock {
            guard let waiter = waiters.removeValue(forKey: id) else {
                wokenEarly.insert(id)
                return nil
            }
            return waiter.continuation
        }
        waiter?.resume()
    }
}
