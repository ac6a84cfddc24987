import EventLog
import Foundation
import Ledger
import Testing

/// Every figure by business date: an entry counts from its date, a reversal of money on
/// its own date, no fund below 0 on any date, and closed periods that never change.
@Suite("Business dates")
struct BusinessDateTests {
    @Test("a disbursement dated before the money arrived is refused, naming the first short date and its balance")
    func disbursementBeforeTheMoney() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("f"), donate("f", 100, on: "2024-03-01"))
        store.expectRefused(
            disburse("f", 100, id: "d-1", on: "2024-02-01"),
            .fundWouldGoNegative(fund: "f", balance: .zero, requested: VND(100), on: day("2024-02-01")))
        let february = try store.ledger.periodReport(from: day("2024-02-01"), to: day("2024-02-29")).funds[0]
        #expect(february.closing == .zero)
        // Dated on or after the donation, it is paid.
        try store.record(disburse("f", 100, id: "d-1", on: "2024-03-01"))
        #expect(try store.ledger.fund("f")?.balance == .zero)
    }

    @Test("a back-dated payment that its own date can afford, but a later date cannot, is refused on that later date")
    func laterDateGoesShort() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("f"), donate("f", 100, on: "2024-03-01"), disburse("f", 80, id: "d-1", on: "2024-04-01"))
        store.expectRefused(
            disburse("f", 50, id: "d-2", on: "2024-03-15"),
            .fundWouldGoNegative(fund: "f", balance: VND(20), requested: VND(50), on: day("2024-04-01")))
        try store.record(disburse("f", 20, id: "d-2", on: "2024-03-15"))
        #expect(try store.ledger.fund("f")?.balance == .zero)
    }

    @Test("the check counts earlier lines of the same batch, by their dates")
    func batchCountsEarlierLines() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("f"))
        // The money arrives after the payment's date: the batch is refused, naming its second command.
        #expect {
            try store.ledger.record(
                [LedgerCommand(donate("f", 100, on: "2024-03-01")), LedgerCommand(disburse("f", 100, id: "d", on: "2024-02-01"))],
                actor: "lan")
        } throws: { error in
            let rejected = error as? CommandRejected
            return rejected?.index == 1
                && rejected?.reason as? RuleViolation
                    == .fundWouldGoNegative(fund: "f", balance: .zero, requested: VND(100), on: day("2024-02-01"))
        }
        #expect(try store.head == 1)
        // Dated before it, the money pays for it.
        try store.ledger.record(
            [LedgerCommand(donate("f", 100, on: "2024-01-15")), LedgerCommand(disburse("f", 100, id: "d", on: "2024-02-01"))], actor: "lan")
        #expect(try store.ledger.fund("f")?.balance == .zero)
    }

    @Test("the reversal of a donation takes its money out on the reversal's own date, which must afford it")
    func donationReversalOnItsDate() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("f"))
        let donation = try store.record(donate("f", 100, on: "2024-01-10"))[0].eventId
        try store.record(donate("f", 50, on: "2024-05-01"), disburse("f", 60, id: "d-1", on: "2024-05-02"))
        // On 2024-03-01 the fund has 100 đ, but after the payment of 2024-05-02 only 90 đ.
        store.expectRefused(reverse(donation, on: "2024-03-01"), .fundWouldGoNegative(fund: "f", balance: VND(90), requested: VND(100), on: day("2024-05-02")))
    }

    @Test("a reversed deposit counts until its reversal's date in summaries, reports and the member's history")
    func reversedDeposit() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("an-sinh"), enrol("dv-1"), startModel("pb", fund: "an-sinh", from: "2024-03-01", to: "2024-11-30"))
        let depositId = try store.record(deposit("pb", "dv-1", 31_000, on: "2024-03-05"))[0].eventId
        try store.record(reverse(depositId, on: "2024-04-10"))
        let early = try #require(try store.ledger.piggyBankSummary("pb", asOf: day("2024-03-10")))
        #expect(early.collected == VND(31_000))
        #expect(early.depositCount == 1)
        #expect(early.membersParticipating == 1)
        #expect(early.fundBalance == VND(31_000))
        let later = try #require(try store.ledger.piggyBankSummary("pb", asOf: day("2024-04-10")))
        #expect(later.collected == .zero)
        #expect(later.depositCount == 0)
        #expect(try store.ledger.piggyBankSummary("pb")?.collected == .zero)
        let march = try store.ledger.periodReport(from: day("2024-03-01"), to: day("2024-03-31")).funds[0]
        let april = try store.ledger.periodReport(from: day("2024-04-01"), to: day("2024-04-30")).funds[0]
        #expect(march.deposits == MoneyTotals(count: 1, amount: VND(31_000)))
        #expect(april.deposits == MoneyTotals(count: -1, amount: VND(-31_000)))
        #expect(april.opening == VND(31_000) && april.closing == .zero)
        let history = try #require(try store.ledger.memberHistory("dv-1"))
        #expect(history.deposits.map(\.runningTotal) == [VND(31_000), .zero])
        #expect(history.total == .zero)
    }

    @Test("a reversed external-support record stays in its own period, and its reversal shows in the reversal's")
    func reversedExternalSupport() throws {
        let store = try TemporaryLedger()
        let support = ExternalSupportRecorded(
            organisation: "Ngân hàng Chính sách", programme: "Vay vốn", description: "09 hộ vay vốn", beneficiaries: 9,
            value: VND(30_000_000), recordedOn: day("2024-01-04"))
        let id = try store.record(.externalSupportRecorded(support))[0].eventId
        try store.record(reverse(id, on: "2024-04-01"))
        let january = try store.ledger.periodReport(from: day("2024-01-01"), to: day("2024-01-31"))
        #expect(january.externalSupport.map(\.support) == [support])
        #expect(try january.externalSupportValue == VND(30_000_000))
        #expect(january.externalSupportBeneficiaries == 9)
        let april = try store.ledger.periodReport(from: day("2024-04-01"), to: day("2024-04-30"))
        #expect(april.externalSupport.map(\.isReversal) == [true])
        #expect(try april.externalSupportValue == VND(-30_000_000))
        #expect(april.externalSupportBeneficiaries == -9)
        let year = try store.ledger.periodReport(from: day("2024-01-01"), to: day("2024-12-31"))
        #expect(try year.externalSupportValue == .zero)
        #expect(year.externalSupport.count == 2)
    }

    @Test("a model closed early stops counting expected savings at its close; reversing the close counts them again")
    func modelClosedEarly() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("q"), enrol("dv-1"), startModel("pb", fund: "q", from: "2024-06-01", to: "2024-06-30"))
        let close = try store.record(.piggyBankModelClosed(PiggyBankModelClosed(modelId: "pb", closedOn: day("2024-06-10"))))[0].eventId
        let summary = try #require(try store.ledger.piggyBankSummary("pb"))
        #expect(summary.countedThrough == day("2024-06-10"))
        #expect(summary.expected == VND(10_000))
        #expect(try store.ledger.piggyBankSummary("pb", asOf: day("2024-06-20"))?.expected == VND(10_000))
        #expect(try store.ledger.piggyBankSummary("pb", asOf: day("2024-06-05"))?.expected == VND(5_000))
        try store.record(reverse(close, on: "2024-06-12"))
        #expect(try store.ledger.piggyBankSummary("pb")?.expected == VND(30_000))
    }

    @Test("the register lists a day's money in before its money out, so its running balance never dips below 0")
    func registerWithinADay() throws {
        let store = try TemporaryLedger()
        try store.record(
            openFund("f"), donate("f", 100, on: "2024-03-01"), disburse("f", 80, id: "d-1", on: "2024-03-05"),
            donate("f", 100, on: "2024-03-05"), disburse("f", 50, id: "d-2", on: "2024-03-02"))
        let register = try #require(try store.ledger.fundRegister("f"))
        #expect(register.map(\.amount) == [.zero, VND(100), VND(-50), VND(100), VND(-80)])
        #expect(register.map(\.runningBalance) == [.zero, VND(100), VND(50), VND(150), VND(70)])
    }

    @Test("cancelling a pledge twice, or closing a model twice, is refused in those words")
    func twice() throws {
        let store = try TemporaryLedger()
        try store.record(
            openFund("q"), startModel("pb", fund: "q"),
            .pledgeMade(PledgeMade(pledgeId: "p", fundId: "q", donor: Donor(name: "A", kind: .business), amount: VND(5), pledgedOn: day("2024-02-01"))),
            .pledgeCancelled(PledgeCancelled(pledgeId: "p", cancelledOn: day("2024-03-01"))),
            .piggyBankModelClosed(PiggyBankModelClosed(modelId: "pb", closedOn: day("2024-11-30"))))
        store.expectRefused(
            .pledgeCancelled(PledgeCancelled(pledgeId: "p", cancelledOn: day("2024-04-01"))),
            .pledgeAlreadyCancelled(pledge: "p", cancelledOn: day("2024-03-01")))
        #expect(
            RuleViolation.pledgeAlreadyCancelled(pledge: "p", cancelledOn: day("2024-03-01")).description
                == "pledge p was already cancelled on 2024-03-01")
        store.expectRefused(
            .piggyBankModelClosed(PiggyBankModelClosed(modelId: "pb", closedOn: day("2024-12-01"))),
            .modelAlreadyClosed(model: "pb", closedOn: day("2024-11-30")))
        #expect(
            RuleViolation.modelAlreadyClosed(model: "pb", closedOn: day("2024-11-30")).description
                == "piggy-bank model pb was already closed on 2024-11-30")
        #expect(try store.ledger.fund("q")?.pledged == .zero, "a cancelled pledge is not pledged")
    }

    @Test("a donation against a pledge cannot be dated before the pledge")
    func donationBeforePledge() throws {
        let store = try TemporaryLedger()
        try store.record(
            openFund("q"),
            .pledgeMade(PledgeMade(pledgeId: "p", fundId: "q", donor: Donor(name: "A", kind: .business), amount: VND(5), pledgedOn: day("2024-02-01"))))
        store.expectRefused(
            donate("q", 5, on: "2024-01-20", pledge: "p"),
            .dateBefore(what: "donation date", date: day("2024-01-20"), earliest: day("2024-02-01"), reason: "pledge p was made then"))
    }
}

@Suite("Closes of the books")
struct PeriodCloseTests {
    /// A fund with money in and out around 2024-03-31, a member saving in a model.
    static func ward(clock: Timestamp? = nil) throws -> (store: TemporaryLedger, donation: UUID, leaving: UUID) {
        let store = try TemporaryLedger(clock: clock)
        try store.record(
            openFund("q", opening: 1_000), openFund("z", on: "2024-05-01"), enrol("dv-1"), enrol("dv-2"),
            startModel("pb", fund: "q", from: "2024-03-01", to: "2024-11-30"),
            deposit("pb", "dv-1", 7_000, on: "2024-03-05"), disburse("q", 500, id: "d-1", on: "2024-03-20"),
            deposit("pb", "dv-1", 9_000, on: "2024-04-02"))
        let donation = try store.record(donate("q", 20_000, on: "2024-02-10"))[0].eventId
        let leaving = try store.record(.memberLeft(MemberLeft(memberId: "dv-2", leftOn: day("2024-03-15"))))[0].eventId
        return (store, donation, leaving)
    }

    @Test("a close carries each fund's balance and each model's savings at its date, and locks everything dated by then")
    func closeLocks() throws {
        let (store, donation, leaving) = try Self.ward()
        let before = try store.ledger.periodReport(from: day("2024-01-01"), to: day("2024-03-31"))
        let entry = try store.ledger.closePeriod(through: day("2024-03-31"), decision: "Quyết định 05/QĐ-MTTQ", actor: "lan")
        #expect(entry.type == .periodClosed && entry.stream == "periods")
        let period = try #require(try store.ledger.periods().first)
        #expect(period.through == day("2024-03-31"))
        #expect(period.funds == [.init(fundId: "q", balance: VND(1_000 + 20_000 + 7_000 - 500))])
        #expect(period.models == [.init(modelId: "pb", collected: VND(7_000))])
        let locked = RuleViolation.periodClosed(
            through: day("2024-03-31"), decision: "Quyết định 05/QĐ-MTTQ", what: "DonationReceived dated 2024-03-15")
        store.expectRefused(donate("q", 5, on: "2024-03-15"), locked)
        #expect(
            locked.description
                == "the books are closed through 2024-03-31 (Quyết định 05/QĐ-MTTQ): DonationReceived dated 2024-03-15 cannot be "
                + "recorded; correct a closed period with a reversal dated after 2024-03-31")
        store.expectRefused(
            reverse(donation, on: "2024-03-30"),
            .periodClosed(through: day("2024-03-31"), decision: "Quyết định 05/QĐ-MTTQ", what: "a reversal dated 2024-03-30"))
        // A leaving dated in the closed period is withdrawn by a reversal dated after it:
        // it moves no money, so the closed figures hold.
        store.expectRefused(
            reverse(leaving, on: "2024-03-31"),
            .periodClosed(through: day("2024-03-31"), decision: "Quyết định 05/QĐ-MTTQ", what: "a reversal dated 2024-03-31"))
        try store.record(reverse(leaving, on: "2024-04-05"))
        #expect(try store.ledger.member("dv-2")?.leftOn == nil)
        // A correction: a reversal dated after the close of an entry dated before it.
        try store.record(reverse(donation, on: "2024-04-02"))
        #expect(try store.ledger.periodReport(from: day("2024-01-01"), to: day("2024-03-31")) == before.with(closes: try store.ledger.periods()))
        #expect(try store.ledger.periodReport(from: day("2024-01-01"), to: day("2024-03-31")).isClosed)
        #expect(try !store.ledger.periodReport(from: day("2024-03-01"), to: day("2024-04-30")).isClosed)
        #expect(try store.ledger.piggyBankSummary("pb", asOf: day("2024-03-31"))?.collected == VND(7_000))
        // A later close, not an earlier or the same one.
        store.expectRefused(
            .periodClosed(PeriodClosed(through: day("2024-03-31"), decision: "again")),
            .periodAlreadyClosed(through: day("2024-03-31"), closedThrough: day("2024-03-31")))
        #expect {
            try store.ledger.closePeriod(through: day("2024-02-29"), decision: "earlier", actor: "lan")
        } throws: { ($0 as? CommandRejected)?.reason as? RuleViolation == .periodAlreadyClosed(through: day("2024-02-29"), closedThrough: day("2024-03-31")) }
        let second = try store.ledger.closePeriod(through: day("2024-06-30"), decision: "Quyết định 09", actor: "lan")
        #expect(try store.ledger.periods().map(\.through) == [day("2024-03-31"), day("2024-06-30")])
        let last = try #require(try store.ledger.periods().last)
        #expect(last.position == second.position)
        #expect(last.funds == [.init(fundId: "q", balance: VND(1_000 + 7_000 - 500 + 9_000)), .init(fundId: "z", balance: .zero)])
    }

    @Test("a close cannot reach past today, by the store's clock")
    func closeNotAfterToday() throws {
        // 23:59:59 in Vietnam on 2024-12-31: the next day is still refused, today is not.
        let (store, _, _) = try Self.ward(clock: Timestamp(iso8601: "2024-12-31T16:59:59.000000Z")!)
        let today = day("2024-12-31")
        #expect(try store.ledger.closePeriod(through: today, decision: "QĐ", actor: "lan").position > 0)
        store.expectRefused(
            .periodClosed(PeriodClosed(through: today.advanced(by: 1), decision: "QĐ", funds: [], models: [])),
            .periodNotOver(through: today.advanced(by: 1), today: today))
    }

    @Test("a close retried with its event id records nothing new")
    func closeRetried() throws {
        let (store, _, _) = try Self.ward()
        let id = UUID()
        let first = try store.ledger.closePeriod(through: day("2024-03-31"), decision: "QĐ 5", eventId: id, actor: "lan")
        let again = try store.ledger.closePeriod(through: day("2024-03-31"), decision: "QĐ 5", eventId: id, actor: "lan")
        #expect(again.wasAlreadyStored && again.position == first.position)
    }

    @Test("an imported close must carry the figures the log gives")
    func importedClose() throws {
        let (store, _, _) = try Self.ward()
        var close = PeriodClosed(
            through: day("2024-03-31"), decision: "QĐ 5", funds: [.init(fundId: "q", balance: VND(27_500))],
            models: [.init(modelId: "pb", collected: VND(7_000))])
        close.funds = [.init(fundId: "q", balance: VND(27_000))]
        store.expectRefused(
            .periodClosed(close),
            .periodFiguresDiffer(through: day("2024-03-31"), detail: "it gives fund q balance 27.000 đ, the log gives 27.500 đ"))
        close.funds = []
        store.expectRefused(
            .periodClosed(close), .periodFiguresDiffer(through: day("2024-03-31"), detail: "it leaves out fund q, or lists it out of order"))
        close.funds = [.init(fundId: "q", balance: VND(27_500)), .init(fundId: "z", balance: .zero)]
        store.expectRefused(
            .periodClosed(close),
            .periodFiguresDiffer(through: day("2024-03-31"), detail: "it lists fund z, which had not started by then or does not exist"))
        close.funds = [.init(fundId: "q", balance: VND(27_500))]
        try store.record(.periodClosed(close))
        #expect(try store.ledger.periods().count == 1)
    }
}

extension PeriodReport {
    func with(closes: [PeriodRecord]) -> PeriodReport {
        var report = self
        report.closedPeriods = closes
        return report
    }
}
