import EventLog
import Foundation
@testable import Ledger
import Testing

/// Random sequences of valid and invalid commands, checked after every step against
/// an independent model of the money and against a fresh fold of the log.
@Suite("Properties of random command sequences")
struct PropertyTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
    }

    /// What the money should be, kept from accepted events only.
    struct Model {
        var balances: [String: Int64] = [:]
        var modelFund: [String: String] = [:]
        var moneyOf: [UUID: (fund: String, signedAmount: Int64)] = [:]
        var recorded: [UUID] = []
    }

    static let seeds: [UInt64] = [1, 2, 3, 0xA115, 0x2024_1130]

    @Test("projections equal a fresh fold, no balance goes negative, the sums hold", arguments: seeds)
    func randomSequences(seed: UInt64) throws {
        var random = Generator(state: seed)
        let store = try TemporaryLedger()
        var model = Model()
        let funds = ["f0", "f1", "f2"]
        let members = ["m0", "m1", "m2", "m3", "m4"]
        let models = ["p0", "p1"]
        let steps = 120
        for step in 0..<steps {
            let date = LocalDate(dayNumber: day("2024-01-01").dayNumber + Int32.random(in: 0..<330, using: &random))
            let dateText = date.description
            let amount = Int64.random(in: 1...60_000, using: &random)
            let event: LedgerEvent
            switch Int.random(in: 0..<12, using: &random) {
            case 0: event = openFund(funds.randomElement(using: &random)!, on: "2024-01-01", opening: Bool.random(using: &random) ? 20_000 : nil)
            case 1: event = enrol(members.randomElement(using: &random)!, cell: ["A", "B"].randomElement(using: &random)!, on: dateText)
            case 2: event = .memberLeft(MemberLeft(memberId: members.randomElement(using: &random)!, leftOn: date))
            case 3: event = startModel(models.randomElement(using: &random)!, fund: funds.randomElement(using: &random)!, from: "2024-03-01", to: "2024-10-31")
            case 4, 5: event = deposit(models.randomElement(using: &random)!, members.randomElement(using: &random)!, amount, on: dateText)
            case 6, 7: event = donate(funds.randomElement(using: &random)!, amount, on: dateText)
            case 8, 9:
                event = disburse(
                    funds.randomElement(using: &random)!, amount, id: "d\(Int.random(in: 0..<40, using: &random))",
                    purpose: Purpose.allCases.randomElement(using: &random)!, quantity: Int64.random(in: 1...5, using: &random), on: dateText)
            case 10:
                let target = model.recorded.randomElement(using: &random) ?? UUID()
                event = reverse(target, on: "2024-12-01")
            default:
                event = .piggyBankModelClosed(PiggyBankModelClosed(modelId: models.randomElement(using: &random)!, closedOn: "2024-10-31" < dateText ? date : day("2024-10-31")))
            }
            let before = try store.head
            let dumpBefore = try store.ledger.projectionDump().map { $0.entries.map(\.value) }
            let balanceBefore = try balanceOf(event, store: store, model: model)
            do {
                let entry = try store.ledger.record([LedgerCommand(event)], actor: "kiểm thử")[0]
                model.recorded.append(entry.eventId)
                try apply(event, id: entry.eventId, to: &model)
                if case .disbursementMade(let disbursement) = event {
                    #expect(balanceBefore! >= disbursement.amount.dong, "seed \(seed) step \(step): accepted an overdraft")
                }
                if case .entryReversed(let reversal) = event, let money = model.moneyOf[reversal.reversesEventId], money.signedAmount > 0 {
                    #expect(balanceBefore! >= money.signedAmount, "seed \(seed) step \(step): a reversal overdrew")
                }
            } catch let rejected as CommandRejected {
                #expect(try store.head == before, "seed \(seed) step \(step): a refusal wrote something")
                #expect(try store.ledger.projectionDump().map { $0.entries.map(\.value) } == dumpBefore)
                if case .fundWouldGoNegative(_, let balance, let requested) = rejected.reason as? RuleViolation {
                    #expect(balance.dong < requested.dong)
                    #expect(balanceBefore == balance.dong)
                }
            }
            try checkInvariants(store: store, model: model, context: "seed \(seed) step \(step)")
        }
        #expect(try store.head > UInt64(steps / 4), "seed \(seed): too few commands were accepted to mean anything")
    }

    /// The balance the model expects for the fund an event draws on.
    func balanceOf(_ event: LedgerEvent, store: TemporaryLedger, model: Model) throws -> Int64? {
        switch event {
        case .disbursementMade(let disbursement): return model.balances[disbursement.fundId]
        case .entryReversed(let reversal): return model.moneyOf[reversal.reversesEventId].flatMap { model.balances[$0.fund] }
        default: return nil
        }
    }

    func apply(_ event: LedgerEvent, id: UUID, to model: inout Model) throws {
        switch event {
        case .fundOpened(let opened):
            model.balances[opened.fundId] = opened.openingBalance?.dong ?? 0
        case .piggyBankModelStarted(let started):
            model.modelFund[started.modelId] = started.fundId
        case .donationReceived(let donation):
            model.balances[donation.fundId, default: 0] += donation.amount.dong
            model.moneyOf[id] = (donation.fundId, donation.amount.dong)
        case .piggyBankDeposited(let deposit):
            let fund = model.modelFund[deposit.modelId]!
            model.balances[fund, default: 0] += deposit.amount.dong
            model.moneyOf[id] = (fund, deposit.amount.dong)
        case .disbursementMade(let disbursement):
            model.balances[disbursement.fundId, default: 0] -= disbursement.amount.dong
            model.moneyOf[id] = (disbursement.fundId, -disbursement.amount.dong)
        case .entryReversed(let reversal):
            if let money = model.moneyOf[reversal.reversesEventId] {
                model.balances[money.fund, default: 0] -= money.signedAmount
            }
        default:
            break
        }
    }

    func checkInvariants(store: TemporaryLedger, model: Model, context: String) throws {
        let funds = try store.ledger.funds()
        var sumOfBalances: Int64 = 0
        var sumOfParts: Int64 = 0
        for fund in funds {
            #expect(fund.balance.dong >= 0, "\(context): fund \(fund.fundId) is negative")
            #expect(fund.balance.dong == model.balances[fund.fundId], "\(context): fund \(fund.fundId) balance")
            sumOfBalances += fund.balance.dong
            sumOfParts += fund.openingBalance.dong + (try fund.received.dong) - (try fund.disbursed.amount.dong)
        }
        #expect(sumOfBalances == sumOfParts, "\(context): Σ balances ≠ Σ opening + Σ received − Σ disbursed")
        #expect(Set(funds.map(\.fundId)) == Set(model.balances.keys))
        for piggyBank in try store.ledger.models() {
            var perMember: Int64 = 0
            for member in try store.ledger.members() {
                let history = try #require(try store.ledger.memberHistory(member.memberId))
                perMember += history.deposits.filter { !$0.reversed && $0.modelId == piggyBank.modelId }.reduce(0) { $0 + $1.amount.dong }
            }
            #expect(perMember == piggyBank.collected.amount.dong, "\(context): members' deposits ≠ model \(piggyBank.modelId)'s total")
            let summary = try #require(try store.ledger.piggyBankSummary(piggyBank.modelId))
            #expect(summary.cells.reduce(0) { $0 + $1.collected.dong } == piggyBank.collected.amount.dong)
            // The summary the fold keeps equals one computed from every member's records.
            let scanned = try #require(try store.ledger.snapshot { try $0.piggyBankSummaryByScan(piggyBank.modelId, asOf: nil) })
            #expect(summary == scanned, "\(context): the kept summary of \(piggyBank.modelId) differs from a scan")
        }
        // Stored projections equal a fresh fold of the log.
        let stored = try store.ledger.projectionDump()
        try store.ledger.rebuildProjections()
        let fresh = try store.ledger.projectionDump()
        #expect(stored.map { $0.entries.map(\.key) } == fresh.map { $0.entries.map(\.key) }, "\(context): keys drift")
        #expect(stored.map { $0.entries.map(\.value) } == fresh.map { $0.entries.map(\.value) }, "\(context): values drift")
    }
}
