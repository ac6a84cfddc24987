import EventLog
import Foundation
import Ledger
@testable import LedgerServer
import Logging
import Testing

/// The server's parts on their own: the signal that wakes live streams, the slots that
/// bound them, the rate limiter, and the commit queue's stop.
@Suite struct ServerPartsTests {
    /// Each wait says why it ended, so nothing here depends on how fast the machine is:
    /// a lost wake-up would end in its (long) time, and answer `false`.
    @Test func aStreamWakesWhenTheHeadPassesItOrTheSignalStops() async throws {
        let signal = HeadSignal(head: 5)
        #expect(await signal.wait(after: 4, timeout: .seconds(60)), "the head is past already")
        // Woken by a commit, once registered.
        async let byCommit = signal.wait(after: 5, timeout: .seconds(60))
        while signal.bookkeeping.waiters == 0 { try await Task.sleep(for: .milliseconds(10)) }
        signal.advance(to: 6)
        #expect(await byCommit)
        // Its time runs out, many times over: `false`, and nothing is left behind.
        for _ in 0..<50 { #expect(await signal.wait(after: 6, timeout: .milliseconds(2)) == false) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(signal.bookkeeping.waiters == 0 && signal.bookkeeping.wokenEarly == 0)
        // Stopped: the stream waiting returns, and so does every later one, at once.
        async let byStop = signal.wait(after: 6, timeout: .seconds(60))
        while signal.bookkeeping.waiters == 0 { try await Task.sleep(for: .milliseconds(10)) }
        signal.stop()
        #expect(await byStop)
        #expect(await signal.wait(after: 6, timeout: .seconds(60)))
        #expect(signal.bookkeeping.waiters == 0)
    }

    @Test func streamSlotsBoundEachAddressAndEveryone() throws {
        let slots = StreamSlots(perAddressMax: 2, totalMax: 3)
        var held: [StreamSlots.Slot] = [try slots.take(for: "a"), try slots.take(for: "a")]
        #expect(throws: StreamSlots.Refusal.address) { try slots.take(for: "a") }
        held.append(try slots.take(for: "b"))
        #expect(throws: StreamSlots.Refusal.everyone) { try slots.take(for: "c") }
        held.removeFirst()  // a stream of a's ends
        #expect(slots.count(for: "a") == (1, 2))
        held.append(try slots.take(for: "c"))
        held.removeAll()
        #expect(slots.count(for: "a") == (0, 0))
    }

    @Test func aBucketAllowsItsBurstThenItsRate() {
        let limiter = RateLimiter(authenticated: .init(perSecond: 0.001, burst: 3), anonymous: .init(perSecond: 0.001, burst: 1))
        #expect((0..<3).map { _ in limiter.take("user:lan", authenticated: true) == nil } == [true, true, true])
        #expect((limiter.take("user:lan", authenticated: true) ?? 0) >= 1)
        // Another key has its own bucket.
        #expect(limiter.take("user:hoa", authenticated: true) == nil)
        #expect(limiter.take("address:1.2.3.4", authenticated: false) == nil)
        #expect(limiter.peek("address:1.2.3.4") != nil)
        #expect(limiter.peek("address:5.6.7.8") == nil)
    }

    @Test func stoppingRecordsWhatIsQueuedThenRefuses() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-queue-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ledger = try Ledger(path: folder)
        try ledger.record(
            [LedgerCommand(.fundOpened(FundOpened(fundId: "a", name: "Quỹ a", openedOn: LocalDate("2024-01-01")!)))], actor: "lan")
        let queue = CommitQueue(
            ledger: ledger, signal: HeadSignal(head: 1), logger: Logger(label: "test"), groupRequestCountMax: 64, groupEventCountMax: 1_000)
        let donation = LedgerEvent.donationReceived(
            DonationReceived(fundId: "a", donor: Donor(name: "Chùa Tây An", kind: .religiousBody), amount: VND(1_000), receivedOn: LocalDate("2024-02-01")!))
        // Queued before the thread starts: all recorded once it runs.
        let outcomes = try await withThrowingTaskGroup(of: Result<[RecordedEntry], any Error>.self) { group in
            for _ in 0..<20 {
                group.addTask { await queue.record(RecordingRequest(commands: [LedgerCommand(donation)], actor: "lan")) }
            }
            try await Task.sleep(for: .milliseconds(300))
            queue.start()
            var all: [Result<[RecordedEntry], any Error>] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.allSatisfy { (try? $0.get()) != nil })
        #expect(try ledger.head().position == 21)
        queue.stop()
        queue.stop()  // twice: no wait for a thread that is gone
        let late = await queue.record(RecordingRequest(commands: [LedgerCommand(donation)], actor: "lan"))
        #expect((try? late.get()) == nil)
        #expect(try ledger.head().position == 21)
    }
}
