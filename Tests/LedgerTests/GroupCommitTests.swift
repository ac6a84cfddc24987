import EventLog
import Foundation
import Ledger
import Testing

/// `Ledger.recordGroup`: several users' batches in one transaction, each all or nothing,
/// with the outcome of recording them one after another.
@Suite struct GroupCommitTests {
    static let clock = Timestamp(iso8601: "2024-06-01T05:00:00.000000Z")!

    /// Random batches (donations, and payments that sometimes overdraw), recorded in
    /// random groups on one store and one by one on another: the same batches are
    /// refused, for the same reasons, and both logs hold the same events in the same order,
    /// by the same recorders (their data differ only where names are sealed, each store
    /// under its own keys; the funds' figures are compared).
    @Test(arguments: [UInt64(1), 2, 3, 0x16])
    func groupsGiveWhatOneByOneGives(seed: UInt64) throws {
        var random = PropertyTests.Generator(state: seed)
        let grouped = try TemporaryLedger(clock: Self.clock)
        let single = try TemporaryLedger(clock: Self.clock)
        for store in [grouped, single] { try store.record(openFund("a"), openFund("b")) }
        var requests: [RecordingRequest] = []
        for index in 0..<120 {
            let commands = (0...Int.random(in: 0...2, using: &random)).map { line -> LedgerCommand in
                let fund = Bool.random(using: &random) ? "a" : "b"
                let event = Int.random(in: 0..<3, using: &random) == 0
                    ? disburse(fund, Int64.random(in: 1...30_000, using: &random), id: "d-\(index)-\(line)")
                    : donate(fund, Int64.random(in: 1...10_000, using: &random))
                return LedgerCommand(event, eventId: UUID(uuid: Self.uuid(seed, index, line)))
            }
            requests.append(RecordingRequest(commands: commands, actor: "clerk-\(index % 5)"))
        }
        var groupedOutcomes: [Result<[RecordedEntry], any Error>] = []
        var start = 0
        while start < requests.count {
            let size = Int.random(in: 1...40, using: &random)
            groupedOutcomes += grouped.ledger.recordGroup(Array(requests[start..<min(requests.count, start + size)]))
            start += size
        }
        let singleOutcomes = requests.map { request in
            Result { try single.ledger.record(request.commands, actor: request.actor) }
        }
        #expect(groupedOutcomes.count == singleOutcomes.count)
        for (grouped, single) in zip(groupedOutcomes, singleOutcomes) {
            switch (grouped, single) {
            case (.success(let left), .success(let right)):
                #expect(left == right)
            case (.failure(let left), .failure(let right)):
                #expect("\(left)" == "\(right)")
                #expect((left as? CommandRejected)?.index == (right as? CommandRejected)?.index)
            default:
                Issue.record("grouped \(grouped) but one by one \(single)")
            }
        }
        #expect(groupedOutcomes.contains { (try? $0.get()) == nil }, "some batches overdraw")
        #expect(try grouped.ledger.funds() == single.ledger.funds())
        // From position 3: the two funds were opened under fresh ids.
        let (groupedRecords, singleRecords) = (try Self.records(grouped).dropFirst(2), try Self.records(single).dropFirst(2))
        #expect(groupedRecords.count == singleRecords.count)
        for (left, right) in zip(groupedRecords, singleRecords) where left != right {
            Issue.record("grouped \(left), one by one \(right)")
            break
        }
    }

    @Test func aScopeRefusesOtherFundsAndTheWardsEvents() throws {
        let store = try TemporaryLedger(clock: Self.clock)
        try store.record(openFund("a"), openFund("b"), donate("b", 5_000))
        let clerk = RecordingScope(funds: ["a"], wardEvents: false)
        let donationToB = try #require(try store.ledger.fundRegister("b")?.last?.eventId)
        let outcomes = store.ledger.recordGroup([
            RecordingRequest(commands: [LedgerCommand(donate("a", 1_000))], actor: "lan", scope: clerk),
            RecordingRequest(commands: [LedgerCommand(donate("a", 1_000)), LedgerCommand(donate("b", 1_000))], actor: "lan", scope: clerk),
            RecordingRequest(commands: [LedgerCommand(reverse(donationToB))], actor: "lan", scope: clerk),
            RecordingRequest(commands: [LedgerCommand(enrol("dv-1"))], actor: "lan", scope: clerk),
            RecordingRequest(commands: [LedgerCommand(enrol("dv-1"))], actor: "hoa", scope: RecordingScope(funds: nil, wardEvents: true)),
        ])
        let refusals = outcomes.map { outcome -> ScopeViolation? in
            guard case .failure(let error) = outcome else { return nil }
            return (error as? CommandRejected)?.reason as? ScopeViolation
        }
        #expect(refusals == [nil, ScopeViolation(fundId: "b"), ScopeViolation(fundId: "b"), ScopeViolation(fundId: nil), nil])
        #expect((outcomes[1].failureIndex) == 1)
        #expect(try store.ledger.fund("a")?.balance == VND(1_000))
        #expect(try store.ledger.fund("b")?.balance == VND(5_000))
        #expect(try store.head == 5)
        let recorders = try Self.records(store).suffix(2).map(\.recordedBy)
        #expect(recorders == ["lan", "hoa"])
    }

    @Test func oneEventInTwoRequestsOfAGroupIsStoredOnce() throws {
        let store = try TemporaryLedger(clock: Self.clock)
        try store.record(openFund("a"))
        let command = LedgerCommand(donate("a", 1_000), eventId: UUID())
        let outcomes = store.ledger.recordGroup([
            RecordingRequest(commands: [command], actor: "lan"), RecordingRequest(commands: [command], actor: "hoa"),
        ])
        let entries = outcomes.compactMap { try? $0.get().first }
        #expect(entries.map(\.position) == [2, 2])
        #expect(entries.map(\.wasAlreadyStored) == [false, true])
        #expect(try store.head == 2)
        #expect(try store.ledger.fund("a")?.balance == VND(1_000))
    }

    static func uuid(_ seed: UInt64, _ index: Int, _ line: Int) -> uuid_t {
        var bytes = [UInt8](repeating: 0, count: 16)
        withUnsafeBytes(of: seed.bigEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        bytes[8] = UInt8(index >> 8)
        bytes[9] = UInt8(index & 0xff)
        bytes[10] = UInt8(line)
        bytes[6] = 0x40 | (bytes[6] & 0x0f)
        bytes[8] = 0x80 | (bytes[8] & 0x3f)
        return (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])
    }

    struct Stored: Hashable {
        let position: UInt64
        let eventId: UUID
        let type: String
        let recordedBy: String
    }

    static func records(_ store: TemporaryLedger) throws -> [Stored] {
        try store.ledger.readLog { reader in
            var all: [Stored] = []
            try reader.forEachEvent { event in
                all.append(Stored(position: event.position, eventId: event.eventId, type: event.type, recordedBy: event.recordedBy))
            }
            return all
        }
    }
}

extension Result where Failure == any Error {
    /// The index of the refused command in its batch.
    var failureIndex: Int? {
        guard case .failure(let error) = self else { return nil }
        return (error as? CommandRejected)?.index
    }
}
