import Foundation
import Ledger
import Logging

/// Group commit: recording requests that arrive together are applied in one write
/// transaction, so that they share one flush to disk.
///
/// One thread of its own records (a commit waits for the disk, which must not hold up
/// the threads serving HTTP). While it records a group, new requests queue; when it is
/// done it takes every queued request, up to ``groupRequestCountMax``, as the next
/// group. Under light load a group is one request, committed at once; under heavy load
/// groups grow, and each flush serves more requests. No request waits for a timer.
///
/// Each request is answered only once the transaction holding it is durable, and is all
/// or nothing on its own (``Ledger/recordGroup(_:)``).
final class CommitQueue: @unchecked Sendable {
    typealias Outcome = Result<[RecordedEntry], any Error>

    private let ledger: Ledger
    private let signal: HeadSignal
    private let logger: Logger
    /// At most this many requests in one transaction.
    let groupRequestCountMax: Int
    /// At most this many events in one transaction (a request is never split).
    let groupEventCountMax: Int
    private let condition = NSCondition()
    private var queued: [(request: RecordingRequest, reply: CheckedContinuation<Outcome, Never>)] = []
    private var stopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// What the queue has done, for the logs (touched by its thread only).
    private var groupCount = 0
    private var requestCount = 0

    init(ledger: Ledger, signal: HeadSignal, logger: Logger, groupRequestCountMax: Int, groupEventCountMax: Int) {
        precondition(groupRequestCountMax >= 1 && groupEventCountMax >= 1)
        self.ledger = ledger
        self.signal = signal
        self.logger = logger
        self.groupRequestCountMax = groupRequestCountMax
        self.groupEventCountMax = groupEventCountMax
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "ansinh-commit"
        thread.stackSize = 8 << 20
        condition.withLock { self.thread = thread }
        thread.start()
    }

    /// Records `request` with whatever else is queued; returns once it is durable (or refused).
    func record(_ request: RecordingRequest) async -> Outcome {
        await withCheckedContinuation { reply in
            condition.lock()
            guard !stopping else {
                condition.unlock()
                reply.resume(returning: .failure(ServerStopping()))
                return
            }
            queued.append((request, reply))
            condition.signal()
            condition.unlock()
        }
    }

    /// Records what is queued, then stops the thread. Requests arriving later are refused.
    func stop() {
        condition.lock()
        let running = thread != nil && !stopping
        stopping = true
        condition.signal()
        condition.unlock()
        if running { finished.wait() }
    }

    private func run() {
        while let group = nextGroup() {
            let start = ContinuousClock.now
            let outcomes = ledger.recordGroup(group.map(\.request))
            if logger.logLevel <= .debug {
                let elapsed = start.duration(to: .now)
                logger.debug(
                    "group committed",
                    metadata: [
                        "requests": "\(group.count)", "refused": "\(outcomes.filter { (try? $0.get()) == nil }.count)",
                        "ms": .string(String(format: "%.2f", milliseconds(elapsed))),
                    ])
            }
            groupCount += 1
            requestCount += group.count
            let head = outcomes.compactMap { try? $0.get().map(\.position).max() }.max()
            if let head { signal.advance(to: head) }
            for (waiting, outcome) in zip(group, outcomes) { waiting.reply.resume(returning: outcome) }
        }
        logger.info("recording stopped", metadata: ["groups": "\(groupCount)", "requests": "\(requestCount)"])
        finished.signal()
    }

    /// The next group: every queued request up to the limits, or `nil` once stopping with none left.
    private func nextGroup() -> [(request: RecordingRequest, reply: CheckedContinuation<Outcome, Never>)]? {
        condition.lock()
        defer { condition.unlock() }
        while queued.isEmpty {
            if stopping { return nil }
            condition.wait()
        }
        var count = 0
        var events = 0
        while count < queued.count, count < groupRequestCountMax {
            let size = queued[count].request.commands.count
            if count > 0, events + size > groupEventCountMax { break }
            events += size
            count += 1
        }
        let group = Array(queued.prefix(count))
        queued.removeFirst(count)
        return group
    }
}

/// A duration in milliseconds, for the logs.
func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

/// A recording request that arrived as the server was stopping.
struct ServerStopping: Error, CustomStringConvertible {
    var description: String { "the server is stopping; send the request again when it is back" }
}
