import EventLog
import Foundation
import Ledger
import Testing

/// A ledger in a fresh temporary folder, removed when released.
final class TemporaryLedger {
    let path: String
    let ledger: Ledger

    /// A new ledger; with `clock`, the store's clock reads that instant, not the system's.
    init(clock: Timestamp? = nil) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-ledger-\(UUID().uuidString.prefix(8))").path
        var options = EventLog.Options()
        if let clock { options.clock = { clock } }
        ledger = try Ledger(path: path, options: options)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    @discardableResult
    func record(_ events: LedgerEvent..., actor: String = "lan") throws -> [RecordedEntry] {
        try ledger.record(events.map { LedgerCommand($0) }, actor: actor)
    }

    var head: UInt64 {
        get throws { try ledger.head().position }
    }

    /// Expects `event` to be refused with `violation`, and nothing written.
    func expectRefused(_ event: LedgerEvent, _ violation: RuleViolation, sourceLocation: SourceLocation = #_sourceLocation) {
        let before: UInt64
        do {
            before = try head
        } catch {
            Issue.record("cannot read the head: \(error)", sourceLocation: sourceLocation)
            return
        }
        do {
            try record(event)
            Issue.record("expected \(violation), but it was recorded", sourceLocation: sourceLocation)
        } catch let rejected as CommandRejected {
            #expect(rejected.reason as? RuleViolation == violation, sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected \(violation), got \(error)", sourceLocation: sourceLocation)
        }
        #expect((try? head) == before, "nothing may be written", sourceLocation: sourceLocation)
    }
}

func day(_ text: String) -> LocalDate { LocalDate(text)! }

func openFund(_ id: String, on date: String = "2024-01-01", opening: Int64? = nil) -> LedgerEvent {
    .fundOpened(FundOpened(fundId: id, name: "Quỹ \(id)", openedOn: day(date), openingBalance: opening.map(VND.init)))
}

func donate(_ fund: String, _ amount: Int64, on date: String = "2024-02-01", pledge: String? = nil, donor: String = "Chùa Tây An")
    -> LedgerEvent
{
    .donationReceived(
        DonationReceived(
            fundId: fund, donor: Donor(name: donor, kind: .religiousBody), amount: VND(amount), receivedOn: day(date),
            pledgeId: pledge))
}

func disburse(_ fund: String, _ amount: Int64, id: String, purpose: Purpose = .gift, quantity: Int64 = 1, on date: String = "2024-03-01")
    -> LedgerEvent
{
    .disbursementMade(
        DisbursementMade(
            disbursementId: id, fundId: fund, purpose: purpose, beneficiary: Beneficiary(name: "Hộ bà Lê Thị Mai", kind: .poorHousehold),
            amount: VND(amount), quantity: quantity, disbursedOn: day(date)))
}

func enrol(_ id: String, cell: String = "Chi bộ khóm Vĩnh Tây 1", on date: String = "2024-01-01") -> LedgerEvent {
    .memberEnrolled(MemberEnrolled(memberId: id, fullName: "Đảng viên \(id)", cell: cell, enrolledOn: day(date)))
}

func startModel(_ id: String, fund: String, from start: String = "2024-05-19", to end: String = "2024-11-30") -> LedgerEvent {
    .piggyBankModelStarted(
        PiggyBankModelStarted(modelId: id, name: "Ống heo \(id)", fundId: fund, startsOn: day(start), endsOn: day(end)))
}

func deposit(_ model: String, _ member: String, _ amount: Int64, on date: String) -> LedgerEvent {
    .piggyBankDeposited(PiggyBankDeposited(modelId: model, memberId: member, amount: VND(amount), depositedOn: day(date)))
}

func reverse(_ id: UUID, on date: String = "2024-10-01") -> LedgerEvent {
    .entryReversed(EntryReversed(reversesEventId: id, reversedOn: day(date), reason: "nhập nhầm"))
}

