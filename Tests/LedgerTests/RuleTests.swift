import EventLog
import Foundation
@testable import Ledger
import Testing

@Suite("Rules: every refusal names the rule and writes nothing")
struct RuleTests {
    @Test("references must exist, and ids are unique when created")
    func referencesAndUniqueness() throws {
        let store = try TemporaryLedger()
        store.expectRefused(donate("vi-nguoi-ngheo", 1_000), .fundNotFound(fund: "vi-nguoi-ngheo"))
        try store.record(openFund("vi-nguoi-ngheo"), enrol("dv-1"))
        store.expectRefused(openFund("vi-nguoi-ngheo"), .fundAlreadyExists(fund: "vi-nguoi-ngheo"))
        store.expectRefused(enrol("dv-1"), .memberAlreadyExists(member: "dv-1"))
        store.expectRefused(
            .memberLeft(MemberLeft(memberId: "dv-9", leftOn: day("2024-02-01"))), .memberNotFound(member: "dv-9"))
        store.expectRefused(donate("vi-nguoi-ngheo", 1_000, pledge: "p-9"), .pledgeNotFound(pledge: "p-9"))
        store.expectRefused(deposit("m-9", "dv-1", 1_000, on: "2024-06-01"), .modelNotFound(model: "m-9"))
        store.expectRefused(startModel("m-1", fund: "quy-khac"), .fundNotFound(fund: "quy-khac"))
        try store.record(startModel("m-1", fund: "vi-nguoi-ngheo"))
        store.expectRefused(startModel("m-1", fund: "vi-nguoi-ngheo"), .modelAlreadyExists(model: "m-1"))
        try store.record(donate("vi-nguoi-ngheo", 10_000), disburse("vi-nguoi-ngheo", 1_000, id: "d-1"))
        store.expectRefused(disburse("vi-nguoi-ngheo", 1_000, id: "d-1"), .disbursementAlreadyExists(disbursement: "d-1"))
        let pledge = LedgerEvent.pledgeMade(
            PledgeMade(pledgeId: "p-1", fundId: "vi-nguoi-ngheo", donor: Donor(name: "Công ty An Phú", kind: .business),
                       amount: VND(5_000_000), pledgedOn: day("2024-02-01")))
        try store.record(pledge)
        store.expectRefused(pledge, .pledgeAlreadyExists(pledge: "p-1"))
    }

    @Test("a disbursement never takes a fund below 0")
    func noNegativeBalance() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("vi-nguoi-ngheo"), donate("vi-nguoi-ngheo", 57_248_000))
        store.expectRefused(
            disburse("vi-nguoi-ngheo", 60_000_000, id: "d-1"),
            .fundWouldGoNegative(fund: "vi-nguoi-ngheo", balance: VND(57_248_000), requested: VND(60_000_000), on: day("2024-03-01")))
        let message = RuleViolation.fundWouldGoNegative(
            fund: "vi-nguoi-ngheo", balance: VND(57_248_000), requested: VND(60_000_000), on: day("2024-03-01")).description
        #expect(
            message
                == "fund vi-nguoi-ngheo has 57.248.000 đ on 2024-03-01, less than the 60.000.000 đ asked: its balance would go below 0 on that date")
        try store.record(disburse("vi-nguoi-ngheo", 57_248_000, id: "d-2"))
        #expect(try store.ledger.fund("vi-nguoi-ngheo")?.balance == .zero)
    }

    @Test("a reversal of money received never takes a fund below 0")
    func reversalKeepsBalance() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("q"))
        let donation = try store.record(donate("q", 10_000))[0].eventId
        try store.record(disburse("q", 8_000, id: "d-1"))
        store.expectRefused(reverse(donation), .fundWouldGoNegative(fund: "q", balance: VND(2_000), requested: VND(10_000), on: day("2024-10-01")))
    }

    @Test("a deposit falls inside its model's period, by an enrolled member, into an open model")
    func depositRules() throws {
        let store = try TemporaryLedger()
        try store.record(
            openFund("an-sinh"), startModel("ong-heo", fund: "an-sinh"), enrol("dv-1"), enrol("dv-2", on: "2024-07-01"))
        store.expectRefused(
            deposit("ong-heo", "dv-1", 7_000, on: "2024-05-18"),
            .depositOutsidePeriod(model: "ong-heo", date: day("2024-05-18"), startsOn: day("2024-05-19"), endsOn: day("2024-11-30")))
        store.expectRefused(
            deposit("ong-heo", "dv-1", 7_000, on: "2024-12-01"),
            .depositOutsidePeriod(model: "ong-heo", date: day("2024-12-01"), startsOn: day("2024-05-19"), endsOn: day("2024-11-30")))
        store.expectRefused(
            deposit("ong-heo", "dv-2", 7_000, on: "2024-06-30"),
            .memberNotEnrolledOn(member: "dv-2", date: day("2024-06-30"), enrolledOn: day("2024-07-01"), leftOn: nil))
        store.expectRefused(deposit("ong-heo", "dv-9", 7_000, on: "2024-06-30"), .memberNotFound(member: "dv-9"))
        try store.record(.memberLeft(MemberLeft(memberId: "dv-1", leftOn: day("2024-08-01"), reason: "chuyển sinh hoạt")))
        try store.record(deposit("ong-heo", "dv-1", 7_000, on: "2024-07-31"))
        store.expectRefused(
            deposit("ong-heo", "dv-1", 7_000, on: "2024-08-01"),
            .memberNotEnrolledOn(member: "dv-1", date: day("2024-08-01"), enrolledOn: day("2024-01-01"), leftOn: day("2024-08-01")))
        store.expectRefused(
            .memberLeft(MemberLeft(memberId: "dv-1", leftOn: day("2024-09-01"))),
            .memberAlreadyLeft(member: "dv-1", leftOn: day("2024-08-01")))
        try store.record(.piggyBankModelClosed(PiggyBankModelClosed(modelId: "ong-heo", closedOn: day("2024-11-30"))))
        store.expectRefused(
            deposit("ong-heo", "dv-2", 7_000, on: "2024-11-29"), .modelClosed(model: "ong-heo", closedOn: day("2024-11-30")))
    }

    @Test("a cancelled pledge takes no more donations; a donation may exceed its pledge")
    func pledges() throws {
        let store = try TemporaryLedger()
        let pledge = { (id: String, amount: Int64) in
            LedgerEvent.pledgeMade(
                PledgeMade(pledgeId: id, fundId: "q", donor: Donor(name: "Công ty An Phú", kind: .business),
                           amount: VND(amount), pledgedOn: day("2024-02-01")))
        }
        try store.record(openFund("q"), openFund("r"), pledge("p-1", 5_000_000), pledge("p-2", 3_000_000))
        try store.record(donate("q", 7_000_000, pledge: "p-1"))
        var fund = try #require(try store.ledger.fund("q"))
        #expect(fund.pledged == VND(8_000_000))
        #expect(fund.outstandingPledges == VND(3_000_000))
        #expect(try store.ledger.pledges().first { $0.pledgeId == "p-1" }?.surplus == VND(2_000_000))
        store.expectRefused(
            donate("r", 1_000, pledge: "p-2"), .pledgeForAnotherFund(pledge: "p-2", pledgeFund: "q", fund: "r"))
        try store.record(.pledgeCancelled(PledgeCancelled(pledgeId: "p-2", cancelledOn: day("2024-03-01"), reason: "đổi ý")))
        store.expectRefused(donate("q", 1_000, pledge: "p-2"), .pledgeNotLive(pledge: "p-2", cancelledOn: day("2024-03-01")))
        fund = try #require(try store.ledger.fund("q"))
        #expect(fund.pledged == VND(5_000_000))
        #expect(fund.outstandingPledges == .zero)
    }

    @Test("an entry is reversed at most once; reversals and openings cannot be reversed")
    func reversalRules() throws {
        let store = try TemporaryLedger()
        let opened = try store.record(openFund("q"))[0].eventId
        let enrolled = try store.record(enrol("dv-1"))[0].eventId
        let donation = try store.record(donate("q", 10_000))[0].eventId
        let reversal = try store.record(reverse(donation))[0]
        #expect(reversal.fundBalance == .zero)
        store.expectRefused(reverse(donation), .entryAlreadyReversed(eventId: donation, reversalPosition: reversal.position))
        store.expectRefused(reverse(reversal.eventId), .entryNotReversible(eventId: reversal.eventId, type: "EntryReversed"))
        store.expectRefused(reverse(opened), .entryNotReversible(eventId: opened, type: "FundOpened"))
        store.expectRefused(reverse(enrolled), .entryNotReversible(eventId: enrolled, type: "MemberEnrolled"))
        let unknown = UUID()
        store.expectRefused(reverse(unknown), .entryNotFound(eventId: unknown))
        store.expectRefused(
            reverse(try store.record(donate("q", 5_000))[0].eventId, on: "2024-01-31"),
            .dateBefore(what: "reversal date", date: day("2024-01-31"), earliest: day("2024-02-01"), reason: "the entry is dated then"))
    }

    @Test("money events cannot be dated before their fund opened")
    func datesAfterOpening() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("q", on: "2024-03-01"))
        store.expectRefused(
            donate("q", 1_000, on: "2024-02-29"),
            .dateBeforeFundOpened(fund: "q", date: day("2024-02-29"), openedOn: day("2024-03-01")))
    }

    @Test("a batch is all-or-nothing, and names the command that was refused")
    func batchAtomicity() throws {
        let store = try TemporaryLedger()
        let commands = [openFund("q"), donate("q", 10_000), disburse("q", 20_000, id: "d-1"), donate("q", 5)]
        do {
            try store.ledger.record(commands.map { LedgerCommand($0) }, actor: "lan")
            Issue.record("the batch should have been refused")
        } catch let rejected as CommandRejected {
            #expect(rejected.index == 2)
            #expect(rejected.eventType == "DisbursementMade")
        }
        #expect(try store.head == 0)
        #expect(try store.ledger.funds().isEmpty)
    }

    @Test("a retry with the same event id changes nothing; a different event under it is refused")
    func idempotentRetry() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("q"), donate("q", 10_000))
        let id = UUID()
        let first = try store.ledger.record([LedgerCommand(disburse("q", 4_000, id: "d-1"), eventId: id)], actor: "lan")
        let retry = try store.ledger.record([LedgerCommand(disburse("q", 4_000, id: "d-1"), eventId: id)], actor: "hoa")
        #expect(retry[0].wasAlreadyStored)
        #expect(retry[0].position == first[0].position)
        #expect(try store.ledger.fund("q")?.balance == VND(6_000))
        #expect(throws: CommandRejected.self) {
            try store.ledger.record([LedgerCommand(disburse("q", 5_000, id: "d-2"), eventId: id)], actor: "lan")
        }
        #expect(try store.head == 3)
    }
}

@Suite("Rules: the rarer refusals")
struct RarerRuleTests {
    @Test("un-cancelling a pledge that was itself reversed no longer applies")
    func reversalNoLongerApplies() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("q"))
        let pledge = try store.record(
            .pledgeMade(PledgeMade(pledgeId: "p", fundId: "q", donor: Donor(name: "A", kind: .individual), amount: VND(5_000), pledgedOn: day("2024-02-01"))))[0].eventId
        let cancellation = try store.record(.pledgeCancelled(PledgeCancelled(pledgeId: "p", cancelledOn: day("2024-02-02"))))[0].eventId
        try store.record(reverse(pledge))
        store.expectRefused(reverse(cancellation), .reversalNoLongerApplies(eventId: cancellation, reason: "pledge p was reversed"))
    }

    @Test("a sum that would overflow 64 bits is refused, not wrapped")
    func overflow() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("q", opening: LedgerLimits.amountMax))
        // Each donation is at the per-amount limit; the 9 223rd would pass Int64.max.
        let donations = (0..<9_300).map { _ in LedgerCommand(donate("q", LedgerLimits.amountMax)) }
        do {
            try store.ledger.record(donations, actor: "lan")
            Issue.record("the overflow was not refused")
        } catch let rejected as CommandRejected {
            #expect(rejected.index == Int(Int64.max / LedgerLimits.amountMax) - 1)
            guard case .amountOverflow = rejected.reason as? RuleViolation else {
                Issue.record("unexpected \(rejected.reason)")
                return
            }
        }
        #expect(try store.head == 1)
    }
}

@Suite("Rules found by review")
struct ReviewRuleTests {
    @Test("a member cannot leave before a deposit already recorded, nor a model close before one")
    func datesAfterDeposits() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("q"), startModel("m", fund: "q"), enrol("dv-1"), deposit("m", "dv-1", 5_000, on: "2024-10-15"))
        store.expectRefused(
            .memberLeft(MemberLeft(memberId: "dv-1", leftOn: day("2024-10-01"))),
            .dateBefore(what: "leaving date", date: day("2024-10-01"), earliest: day("2024-10-16"), reason: "the member has a deposit dated 2024-10-15"))
        store.expectRefused(
            .memberLeft(MemberLeft(memberId: "dv-1", leftOn: day("2024-10-15"))),
            .dateBefore(what: "leaving date", date: day("2024-10-15"), earliest: day("2024-10-16"), reason: "the member has a deposit dated 2024-10-15"))
        try store.record(.memberLeft(MemberLeft(memberId: "dv-1", leftOn: day("2024-10-16"))))
        store.expectRefused(
            .piggyBankModelClosed(PiggyBankModelClosed(modelId: "m", closedOn: day("2024-10-14"))),
            .dateBefore(what: "closing date", date: day("2024-10-14"), earliest: day("2024-10-15"), reason: "the model has a deposit dated 2024-10-15"))
        try store.record(.piggyBankModelClosed(PiggyBankModelClosed(modelId: "m", closedOn: day("2024-10-15"))))
    }

    @Test("a retry of an event stored at an older schema version is recognised")
    func retryAcrossVersions() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("q"))
        let id = UUID()
        let v1: Payload = .object([
            "fundId": .text("q"), "donorName": .text("Bà Hoa"), "amount": .integer(100_000), "receivedOn": .text("2024-02-01"),
        ])
        try store.ledger.log.append([NewEvent(eventId: id, type: "DonationReceived", schemaVersion: 1, data: v1)], to: "fund-q", actor: "lan")
        let line = #"{"type":"DonationReceived","schemaVersion":1,"eventId":"\#(id.uuidString)","data":\#(v1.jsonText)}"#
        let summary = try store.ledger.importLines(Array(line.utf8), actor: "lan")
        #expect(summary.alreadyStored == 1)
        #expect(summary.recorded == 0)
        #expect(try store.head == 2)
        let different = LedgerCommand(donate("q", 5, donor: "Bà Hoa"), eventId: id)
        #expect(throws: CommandRejected.self) { try store.ledger.record([different], actor: "lan") }
    }

    @Test("a daily target above a million đồng is refused")
    func dailyTargetLimit() throws {
        var event = LedgerEvent.piggyBankModelStarted(
            PiggyBankModelStarted(modelId: "m", name: "M", fundId: "q", startsOn: day("2024-01-01"), endsOn: day("2024-12-31"), dailyTarget: VND(1_000_001)))
        #expect(throws: FieldError(eventType: "PiggyBankModelStarted", field: "dailyTarget", message: "must be at most 1.000.000 đ")) {
            try event.normalise(FieldChecker(eventType: "PiggyBankModelStarted"))
        }
    }
}
