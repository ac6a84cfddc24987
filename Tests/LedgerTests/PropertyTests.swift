import EventLog
import Foundation
@testable import Ledger
import Testing

/// Random histories — back-dated entries, reversals of every reversible kind, members
/// who leave, models closed early, closes of the books — checked against one
/// reference fold by business date, written here independently of the ledger's
/// projections, for many random dates and date ranges.
@Suite("Properties of random histories, by business date")
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

    static let seeds: [UInt64] = [1, 2, 3, 0xA115, 0x2024_1130]
    static let stepCount = 300
    static let firstDay = day("2024-01-01")

    @Test("every read model agrees with a reference fold by business date", arguments: seeds)
    func randomHistories(seed: UInt64) throws {
        var random = Generator(state: seed)
        let store = try TemporaryLedger()
        var accepted: [(id: UUID, event: LedgerEvent)] = []
        var refusedByDate = 0
        var refusedByClose = 0
        var erased: Set<String> = []
        var closes: [(through: LocalDate, reports: [(from: LocalDate, to: LocalDate, report: PeriodReport)])] = []
        for step in 0..<Self.stepCount {
            let context = "seed \(seed) step \(step)"
            if step > 20, Int.random(in: 0..<25, using: &random) == 0 {
                // Someone asks to be forgotten: a member, a donor or a household.
                let living = try store.ledger.people().filter { $0.erased == nil }
                if let person = living.randomElement(using: &random) {
                    let entry = try store.ledger.erase(subject: person.subjectId, reason: "yêu cầu", overridingRetention: true, actor: "kiểm thử")
                    let stored = try #require(try store.ledger.readLog { try $0.event(at: entry.position) })
                    accepted.append((entry.eventId, try LedgerEvent.decode(stored)))
                    erased.insert(person.subjectId)
                }
            }
            let event = Self.randomEvent(step: step, accepted: accepted, random: &random)
            let before = try store.head
            do {
                let entry: RecordedEntry
                if case .periodClosed(let close) = event {
                    entry = try store.ledger.closePeriod(through: close.through, decision: close.decision, actor: "kiểm thử")
                } else {
                    entry = try store.ledger.record([LedgerCommand(event)], actor: "kiểm thử")[0]
                }
                let stored = try #require(try store.ledger.readLog { try $0.event(at: entry.position) })
                accepted.append((entry.eventId, try LedgerEvent.decode(stored)))
                if case .periodClosed(let close) = event {
                    // The reports inside the closed period, kept to compare at the end.
                    let reports = try Self.randomRanges(within: Self.firstDay...close.through, count: 4, random: &random).map {
                        ($0.from, $0.to, try store.ledger.periodReport(from: $0.from, to: $0.to))
                    }
                    closes.append((close.through, reports))
                }
            } catch let rejected as CommandRejected {
                #expect(try store.head == before, "\(context): a refusal wrote something")
                let reference = Reference(accepted)
                switch rejected.reason as? RuleViolation {
                case .fundWouldGoNegative(let fund, let balance, let requested, let date):
                    refusedByDate += 1
                    #expect(reference.balance(of: fund, through: date) == balance.dong, "\(context): the refusal's balance on \(date)")
                    #expect(balance < requested, "\(context)")
                    // The first date, from the outflow's own, on which the balance is short.
                    #expect(reference.firstDateBelow(requested.dong, fund: fund, from: event.businessDate) == date, "\(context)")
                case .periodClosed(let through, _, _):
                    refusedByClose += 1
                    #expect(reference.closedThrough == through, "\(context)")
                default:
                    break
                }
            }
            if step % 60 == 59 || step == Self.stepCount - 1 {
                try Self.checkAgainstReference(store, Reference(accepted), random: &random, context: context)
                try Self.checkErasures(store, erased: erased, context: context)
            }
        }
        let reference = Reference(accepted)
        for close in closes {
            for kept in close.reports {
                let now = try store.ledger.periodReport(from: kept.from, to: kept.to)
                let what = "seed \(seed): the report \(kept.from)…\(kept.to), inside the period closed through \(close.through), changed"
                #expect(now.funds == kept.report.funds, "\(what)")
                #expect(now.externalSupport.map(\.support) == kept.report.externalSupport.map(\.support), "\(what)")
                #expect(now.externalSupport.map(\.isReversal) == kept.report.externalSupport.map(\.isReversal), "\(what)")
                #expect(try now.externalSupportValue == kept.report.externalSupportValue, "\(what)")
            }
        }
        try Self.checkReplayAsOf(store, reference, random: &random, context: "seed \(seed)")
        try Self.checkRebuild(store, context: "seed \(seed)")
        let reversals = accepted.filter { if case .entryReversed = $0.event { true } else { false } }.count
        #expect(accepted.count > Self.stepCount / 3, "seed \(seed): too few commands were accepted to mean anything")
        #expect(reversals >= 10, "seed \(seed): too few reversals (\(reversals))")
        #expect(refusedByDate >= 3, "seed \(seed): the date rule was hardly exercised (\(refusedByDate))")
        #expect(!closes.isEmpty && refusedByClose >= 1, "seed \(seed): closes \(closes.count), refused by a close \(refusedByClose)")
        #expect(erased.count >= 3, "seed \(seed): too few erasures (\(erased.count))")
    }

    // MARK: - The history

    static func randomEvent(step: Int, accepted: [(id: UUID, event: LedgerEvent)], random: inout Generator) -> LedgerEvent {
        let funds = ["f0", "f1", "f2"]
        let members = ["m0", "m1", "m2", "m3", "m4", "m5"]
        let models = ["p0", "p1"]
        let donors = ["Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Minh"]
        let households = ["Hộ bà Lê Thị Mai", "Hộ ông Phạm Văn Tư", "Hộ bà Huỳnh Thị Lan", "Hộ ông Đỗ Văn Ba"]
        let date = firstDay.advanced(by: Int.random(in: 0..<360, using: &random))
        let amount = Int64.random(in: 1...60_000, using: &random)
        // The opening steps set up the funds, members and models; then anything goes.
        if step < 3 { return openFund(funds[step], on: ["2024-01-01", "2024-02-15", "2024-01-01"][step], opening: step == 2 ? 30_000 : nil) }
        if step < 9 {
            return enrol(members[step - 3], cell: ["A", "B"][step % 2], on: ["2024-01-01", "2024-03-10", "2024-05-01"][step % 3])
        }
        if step < 11 { return startModel(models[step - 9], fund: funds[step - 9], from: "2024-03-01", to: "2024-10-31") }
        switch step == 150 || step == 240 ? 36 : Int.random(in: 0..<40, using: &random) {
        case 0...9:
            return deposit(models.randomElement(using: &random)!, members.randomElement(using: &random)!, amount, on: date.description)
        case 10...15:
            // Organisations, and people who give again under the same name.
            guard Bool.random(using: &random) else { return donate(funds.randomElement(using: &random)!, amount, on: date.description) }
            return .donationReceived(
                DonationReceived(
                    fundId: funds.randomElement(using: &random)!,
                    donor: Donor(name: donors.randomElement(using: &random)!, kind: .individual, publish: Bool.random(using: &random)),
                    amount: VND(amount), receivedOn: date))
        case 16...22:
            return .disbursementMade(
                DisbursementMade(
                    disbursementId: "d\(step)", fundId: funds.randomElement(using: &random)!,
                    purpose: Purpose.allCases.randomElement(using: &random)!,
                    beneficiary: Beneficiary(name: households.randomElement(using: &random)!, kind: .poorHousehold, area: "khóm Vĩnh Tây 1"),
                    amount: VND(amount), quantity: Int64.random(in: 1...5, using: &random), disbursedOn: date))
        case 23...28:
            // Reversals of anything recorded, dated on or after it.
            guard let target = accepted.randomElement(using: &random) else { return donate("f0", amount) }
            let earliest = target.event.businessDate
            let reversedOn = earliest.advanced(by: Int.random(in: 0..<120, using: &random))
            return reverse(target.id, on: reversedOn.description)
        case 29:
            return .memberLeft(MemberLeft(memberId: members.randomElement(using: &random)!, leftOn: date))
        case 30:
            let closedOn = day("2024-06-01").advanced(by: Int.random(in: 0..<150, using: &random))
            return .piggyBankModelClosed(PiggyBankModelClosed(modelId: models.randomElement(using: &random)!, closedOn: closedOn))
        case 31, 32:
            return .pledgeMade(
                PledgeMade(
                    pledgeId: "pl\(step)", fundId: funds.randomElement(using: &random)!, donor: Donor(name: "Công ty \(step)", kind: .business),
                    amount: VND(amount), pledgedOn: date))
        case 33:
            let pledges = accepted.compactMap { if case .pledgeMade(let pledge) = $0.event { pledge } else { nil } }
            guard let pledge = pledges.randomElement(using: &random) else { return donate("f1", amount, on: date.description) }
            if Bool.random(using: &random) {
                return .pledgeCancelled(PledgeCancelled(pledgeId: pledge.pledgeId, cancelledOn: max(date, pledge.pledgedOn)))
            }
            return donate(pledge.fundId, amount, on: max(date, pledge.pledgedOn).description, pledge: pledge.pledgeId)
        case 34, 35:
            return .externalSupportRecorded(
                ExternalSupportRecorded(
                    organisation: "Hội Phụ nữ", programme: "Mẹ đỡ đầu", description: "step \(step)",
                    beneficiaries: Int64.random(in: 1...9, using: &random), value: VND(amount), recordedOn: date))
        case 36 where step > 120:
            // A close of the books through a date a little after the last close, or refused before it.
            let last = accepted.compactMap { if case .periodClosed(let close) = $0.event { close.through } else { nil } }.max()
            let through = (last ?? firstDay.advanced(by: 45)).advanced(by: Int.random(in: -10..<40, using: &random))
            return .periodClosed(PeriodClosed(through: through, decision: "Quyết định \(step)"))
        default:
            return deposit(models.randomElement(using: &random)!, members.randomElement(using: &random)!, amount, on: date.description)
        }
    }

    static func randomRanges(within range: ClosedRange<LocalDate>, count: Int, random: inout Generator)
        -> [(from: LocalDate, to: LocalDate)]
    {
        let span = range.lowerBound.distance(to: range.upperBound)
        guard span >= 0 else { return [] }
        return (0..<count).map { _ in
            let first = range.lowerBound.advanced(by: Int.random(in: 0...span, using: &random))
            let last = first.advanced(by: Int.random(in: 0...max(0, first.distance(to: range.upperBound)), using: &random))
            return (first, last)
        }
    }

    // MARK: - Checks

    static func checkAgainstReference(_ store: TemporaryLedger, _ reference: Reference, random: inout Generator, context: String) throws {
        let ledger = store.ledger
        let lastDay = day("2025-06-30")
        // Fund balances, and no fund below 0 on any date.
        for fund in try ledger.funds() {
            #expect(fund.balance.dong == reference.balance(of: fund.fundId, through: lastDay), "\(context): fund \(fund.fundId)")
            for date in reference.movementDates(of: fund.fundId) {
                #expect(reference.balance(of: fund.fundId, through: date) >= 0, "\(context): fund \(fund.fundId) below 0 on \(date)")
            }
            #expect(fund.pledged.dong == reference.pledged(fund: fund.fundId), "\(context): fund \(fund.fundId)'s pledged")
            // The register runs by date, its running balance never below 0, ending at the balance.
            let register = try #require(try ledger.fundRegister(fund.fundId))
            #expect(register.map(\.date) == register.map(\.date).sorted(), "\(context): register of \(fund.fundId) out of date order")
            #expect(register.allSatisfy { $0.runningBalance >= .zero }, "\(context): register of \(fund.fundId) below 0")
            #expect(register.last?.runningBalance == fund.balance, "\(context): register of \(fund.fundId)")
        }
        #expect(Set(try ledger.funds().map(\.fundId)) == Set(reference.funds.keys))
        // Period reports for random ranges; two consecutive ones add up to the whole.
        for range in randomRanges(within: firstDay...lastDay, count: 12, random: &random) {
            let report = try ledger.periodReport(from: range.from, to: range.to)
            for fund in report.funds {
                let expected = reference.period(fund: fund.fundId, from: range.from, to: range.to)
                #expect(fund.opening.dong == expected.opening, "\(context): \(fund.fundId) opening \(range)")
                #expect(fund.donations == expected.donations, "\(context): \(fund.fundId) donations \(range)")
                #expect(fund.deposits == expected.deposits, "\(context): \(fund.fundId) deposits \(range)")
                #expect(fund.disbursedByPurpose.filter { !$0.value.isEmpty } == expected.disbursed, "\(context): \(fund.fundId) paid out \(range)")
                #expect(fund.closing.dong == expected.closing, "\(context): \(fund.fundId) closing \(range)")
                #expect(fund.closing.dong == reference.balance(of: fund.fundId, through: range.to), "\(context)")
            }
            let external = reference.externalSupport(from: range.from, to: range.to)
            #expect(try report.externalSupportValue.dong == external.value, "\(context): external support \(range)")
            #expect(report.externalSupportBeneficiaries == external.beneficiaries, "\(context): external support \(range)")
            guard range.from < range.to else { continue }
            let middle = range.from.advanced(by: range.from.distance(to: range.to) / 2)
            let first = try ledger.periodReport(from: range.from, to: middle)
            let second = try ledger.periodReport(from: middle.advanced(by: 1), to: range.to)
            for fund in report.funds {
                let two = try #require(second.funds.first { $0.fundId == fund.fundId }, "\(context): \(fund.fundId) split at \(middle)")
                guard let one = first.funds.first(where: { $0.fundId == fund.fundId }) else {
                    // Opened after the first half ends: the second half is the whole range.
                    #expect(reference.funds[fund.fundId]!.openedOn > middle && two == fund, "\(context): \(fund.fundId) split at \(middle)")
                    continue
                }
                #expect(one.opening == fund.opening && two.closing == fund.closing && one.closing == two.opening, "\(context)")
                #expect(try one.received.adding(try two.received) == fund.received, "\(context): received \(range) split at \(middle)")
                #expect(try one.disbursed.amount.adding(try two.disbursed.amount) == fund.disbursed.amount, "\(context)")
            }
            #expect(try first.externalSupportValue.adding(second.externalSupportValue) == report.externalSupportValue, "\(context)")
        }
        // Piggy-bank summaries: the whole period, and as of random dates.
        for model in try ledger.models() {
            var dates: [LocalDate?] = [nil, model.endsOn, model.lastCountedDay, lastDay]
            for _ in 0..<8 { dates.append(day("2024-02-20").advanced(by: Int.random(in: 0..<340, using: &random))) }
            for asOf in dates {
                let summary = try #require(try ledger.piggyBankSummary(model.modelId, asOf: asOf))
                let expected = reference.summary(model: model.modelId, asOf: asOf)
                let at = "\(context): \(model.modelId) as of \(asOf?.description ?? "now")"
                #expect(summary.countedThrough == expected.countedThrough, "\(at)")
                #expect(summary.collected.dong == expected.collected, "\(at): collected")
                #expect(summary.depositCount == expected.depositCount, "\(at): deposits")
                #expect(summary.expected.dong == expected.expected, "\(at): expected")
                #expect(summary.membersEnrolled == expected.membersEnrolled, "\(at): members")
                #expect(summary.membersParticipating == expected.participating, "\(at): participating")
                #expect(
                    Dictionary(uniqueKeysWithValues: summary.belowTarget.map { ($0.member.memberId, $0.shortfall.dong) }) == expected.shortfalls,
                    "\(at): below target")
                #expect(summary.cells.map(\.cell) == expected.cells.keys.sorted(), "\(at): cells")
                for cell in summary.cells {
                    #expect(cell.collected.dong == expected.cells[cell.cell]?.collected, "\(at): cell \(cell.cell)")
                    #expect(cell.expected.dong == expected.cells[cell.cell]?.expected, "\(at): cell \(cell.cell)")
                }
                if let asOf {
                    #expect(summary.fundBalance.dong == reference.balance(of: model.fundId, through: asOf), "\(at): fund balance")
                }
            }
        }
        // Member histories: every row by date, running totals from the reference.
        for member in try ledger.members() {
            let history = try #require(try ledger.memberHistory(member.memberId))
            let rows = reference.depositRows(of: member.memberId)
            #expect(history.deposits.map(\.depositedOn) == rows.map(\.date), "\(context): \(member.memberId)'s dates")
            #expect(history.deposits.map(\.amount.dong) == rows.map(\.amount), "\(context): \(member.memberId)'s amounts")
            var running: Int64 = 0
            #expect(history.deposits.map(\.runningTotal.dong) == rows.map { running += $0.amount; return running }, "\(context)")
            #expect(history.total.dong == running, "\(context): \(member.memberId)'s total")
            #expect(member.leftOn == reference.members[member.memberId]?.leftOn, "\(context): \(member.memberId) left")
        }
        // Cells: every member's deposits less reversals, by cell.
        for cell in try ledger.cells() {
            let members = reference.members.filter { $0.value.cell == cell.cell }.keys
            let total = members.flatMap { reference.depositRows(of: $0) }.reduce(0) { $0 + $1.amount }
            #expect(cell.deposits.amount.dong == total, "\(context): cell \(cell.cell)")
        }
        #expect(try ledger.periods().map(\.through) == reference.closes, "\(context): closes")
    }

    /// `audit replay --as-of` folds only what counts by a date, and agrees with the reference then.
    static func checkReplayAsOf(_ store: TemporaryLedger, _ reference: Reference, random: inout Generator, context: String) throws {
        for offset in [60, 200, 330] {
            let asOf = firstDay.advanced(by: offset + Int.random(in: 0..<20, using: &random))
            let folder = store.path + "-replay-\(offset)"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let past = try replayAsOf(store.ledger, asOf: asOf, into: folder)
            for fund in try past.funds() {
                #expect(fund.balance.dong == reference.balance(of: fund.fundId, through: asOf), "\(context): replay as of \(asOf), \(fund.fundId)")
            }
            #expect(Set(try past.funds().map(\.fundId)) == Set(reference.funds.filter { $0.value.openedOn <= asOf }.keys), "\(context)")
            for model in try past.models() {
                let summary = try #require(try past.piggyBankSummary(model.modelId, asOf: asOf))
                let expected = reference.summary(model: model.modelId, asOf: asOf)
                #expect(summary.collected.dong == expected.collected, "\(context): replay as of \(asOf), \(model.modelId)")
                #expect(summary.expected.dong == expected.expected, "\(context): replay as of \(asOf), \(model.modelId)")
            }
        }
    }

    /// Each erased subject is listed without a name, as "đã xoá" where a name stood, and
    /// every other one with theirs; a member's deposits stay theirs.
    static func checkErasures(_ store: TemporaryLedger, erased: Set<String>, context: String) throws {
        let people = try store.ledger.people()
        #expect(Set(people.filter { $0.erased != nil }.map(\.subjectId)) == erased, "\(context): erased subjects")
        for person in people {
            #expect((person.name == nil) == erased.contains(person.subjectId), "\(context): \(person.subjectId)'s name")
            guard let memberId = person.memberId else { continue }
            let member = try #require(try store.ledger.member(memberId))
            let shown = try store.ledger.snapshot { try $0.name(member.fullName) }
            let erasedName = "\(person.subjectId) (\(PeopleWords.erased))"
            #expect((shown == erasedName) == erased.contains(person.subjectId), "\(context): \(memberId) shown as \(shown)")
            #expect(shown == erasedName || shown == "Đảng viên \(memberId)", "\(context): \(memberId) shown as \(shown)")
        }
    }

    /// The stored read models equal a fresh fold of the log.
    static func checkRebuild(_ store: TemporaryLedger, context: String) throws {
        let stored = try store.ledger.projectionDump()
        try store.ledger.rebuildProjections()
        let fresh = try store.ledger.projectionDump()
        #expect(stored.map { $0.entries.map(\.key) } == fresh.map { $0.entries.map(\.key) }, "\(context): keys drift")
        #expect(stored.map { $0.entries.map(\.value) } == fresh.map { $0.entries.map(\.value) }, "\(context): values drift")
    }
}

/// Replays into a new ledger, in log order, the events that count by the end of `asOf`:
/// an independent statement of what `audit replay --as-of` does (LedgerTools is not a
/// dependency of these tests).
func replayAsOf(_ ledger: Ledger, asOf: LocalDate, into folder: String) throws -> Ledger {
    let past = try Ledger(path: folder)
    var commands: [LedgerCommand] = []
    try ledger.readLog { reader in
        try reader.forEachEvent(from: 1) { stored in
            let event = try LedgerEvent.decode(stored)
            var date = event.businessDate
            if case .entryReversed(let reversal) = event, let original = try reader.event(id: reversal.reversesEventId) {
                let reversed = try LedgerEvent.decode(original)
                if reversed.type.isStatus { date = reversed.businessDate }
            }
            if date <= asOf { commands.append(LedgerCommand(event, eventId: stored.eventId)) }
        }
    }
    try past.record(commands, actor: "replay")
    return past
}

/// The reference: the accepted events folded by business date, as plainly as possible.
struct Reference {
    struct Movement {
        var fund: String
        var date: LocalDate
        var amount: Int64
        var kind: Kind
        enum Kind: Equatable {
            case opening
            case donation(count: Int64)
            case deposit(count: Int64)
            case disbursement(purpose: String, count: Int64, quantity: Int64)
        }
    }

    struct Member {
        var cell: String
        var enrolledOn: LocalDate
        var leftOn: LocalDate?

        func days(from start: LocalDate, through end: LocalDate) -> Int64 {
            let first = max(start, enrolledOn)
            let last = leftOn.map { min(end, $0.advanced(by: -1)) } ?? end
            return first <= last ? Int64(first.distance(to: last) + 1) : 0
        }
    }

    struct Model {
        var fund: String
        var startsOn: LocalDate
        var endsOn: LocalDate
        var closedOn: LocalDate?
        var dailyTarget: Int64
    }

    struct DepositRow {
        var model: String
        var member: String
        var date: LocalDate
        var amount: Int64
        var position: Int
    }

    var funds: [String: (openedOn: LocalDate, opening: Int64)] = [:]
    var movements: [Movement] = []
    var members: [String: Member] = [:]
    var models: [String: Model] = [:]
    var deposits: [DepositRow] = []
    var external: [(date: LocalDate, value: Int64, beneficiaries: Int64)] = []
    var pledges: [String: (fund: String, amount: Int64, cancelled: Bool, voided: Bool)] = [:]
    var closes: [LocalDate] = []
    var closedThrough: LocalDate? { closes.last }

    init(_ accepted: [(id: UUID, event: LedgerEvent)]) {
        var byId: [UUID: LedgerEvent] = [:]
        for (index, (id, event)) in accepted.enumerated() {
            byId[id] = event
            fold(event, index: index, byId: byId)
        }
    }

    mutating func fold(_ event: LedgerEvent, index: Int, byId: [UUID: LedgerEvent]) {
        switch event {
        case .fundOpened(let opened):
            funds[opened.fundId] = (opened.openedOn, opened.openingBalance?.dong ?? 0)
            movements.append(Movement(fund: opened.fundId, date: opened.openedOn, amount: opened.openingBalance?.dong ?? 0, kind: .opening))
        case .memberEnrolled(let enrolled):
            members[enrolled.memberId] = Member(cell: enrolled.cell, enrolledOn: enrolled.enrolledOn)
        case .memberLeft(let left):
            members[left.memberId]?.leftOn = left.leftOn
        case .pledgeMade(let pledge):
            pledges[pledge.pledgeId] = (pledge.fundId, pledge.amount.dong, false, false)
        case .pledgeCancelled(let cancelled):
            pledges[cancelled.pledgeId]?.cancelled = true
        case .donationReceived(let donation):
            movements.append(Movement(fund: donation.fundId, date: donation.receivedOn, amount: donation.amount.dong, kind: .donation(count: 1)))
        case .piggyBankModelStarted(let started):
            models[started.modelId] = Model(
                fund: started.fundId, startsOn: started.startsOn, endsOn: started.endsOn, dailyTarget: started.dailyTarget.dong)
        case .piggyBankDeposited(let deposit):
            let fund = models[deposit.modelId]!.fund
            movements.append(Movement(fund: fund, date: deposit.depositedOn, amount: deposit.amount.dong, kind: .deposit(count: 1)))
            deposits.append(DepositRow(model: deposit.modelId, member: deposit.memberId, date: deposit.depositedOn, amount: deposit.amount.dong, position: index))
        case .piggyBankModelClosed(let closed):
            models[closed.modelId]?.closedOn = closed.closedOn
        case .disbursementMade(let paid):
            movements.append(
                Movement(
                    fund: paid.fundId, date: paid.disbursedOn, amount: -paid.amount.dong,
                    kind: .disbursement(purpose: paid.purpose.rawValue, count: 1, quantity: paid.quantity)))
        case .externalSupportRecorded(let support):
            external.append((support.recordedOn, support.value.dong, support.beneficiaries))
        case .periodClosed(let close):
            closes.append(close.through)
        case .entryReversed(let reversal):
            let on = reversal.reversedOn
            switch byId[reversal.reversesEventId]! {
            // A status is withdrawn as if never recorded.
            case .memberLeft(let left): members[left.memberId]?.leftOn = nil
            case .pledgeMade(let pledge): pledges[pledge.pledgeId]?.voided = true
            case .pledgeCancelled(let cancelled): pledges[cancelled.pledgeId]?.cancelled = false
            case .piggyBankModelClosed(let closed): models[closed.modelId]?.closedOn = nil
            // Money is taken back on the reversal's own date.
            case .donationReceived(let donation):
                movements.append(Movement(fund: donation.fundId, date: on, amount: -donation.amount.dong, kind: .donation(count: -1)))
            case .piggyBankDeposited(let deposit):
                let fund = models[deposit.modelId]!.fund
                movements.append(Movement(fund: fund, date: on, amount: -deposit.amount.dong, kind: .deposit(count: -1)))
                deposits.append(DepositRow(model: deposit.modelId, member: deposit.memberId, date: on, amount: -deposit.amount.dong, position: index))
            case .disbursementMade(let paid):
                movements.append(
                    Movement(
                        fund: paid.fundId, date: on, amount: paid.amount.dong,
                        kind: .disbursement(purpose: paid.purpose.rawValue, count: -1, quantity: -paid.quantity)))
            case .externalSupportRecorded(let support):
                external.append((on, -support.value.dong, -support.beneficiaries))
            default:
                Issue.record("the ledger accepted the reversal of an entry that cannot be reversed")
            }
        case .subjectErased, .storeMigrated:
            break  // no figure changes
        }
    }

    func balance(of fund: String, through date: LocalDate) -> Int64 {
        movements.filter { $0.fund == fund && $0.date <= date }.reduce(0) { $0 + $1.amount }
    }

    func movementDates(of fund: String) -> [LocalDate] {
        Set(movements.filter { $0.fund == fund }.map(\.date)).sorted()
    }

    /// The first date from `date` on whose balance is below `amount`.
    func firstDateBelow(_ amount: Int64, fund: String, from date: LocalDate) -> LocalDate? {
        ([date] + movementDates(of: fund).filter { $0 > date }).first { balance(of: fund, through: $0) < amount }
    }

    func pledged(fund: String) -> Int64 {
        pledges.values.filter { $0.fund == fund && !$0.cancelled && !$0.voided }.reduce(0) { $0 + $1.amount }
    }

    func period(fund: String, from: LocalDate, to: LocalDate)
        -> (opening: Int64, donations: MoneyTotals, deposits: MoneyTotals, disbursed: [String: PurposeTotals], closing: Int64)
    {
        var donations = MoneyTotals()
        var deposits = MoneyTotals()
        var disbursed: [String: PurposeTotals] = [:]
        var opening = balance(of: fund, through: from.advanced(by: -1))
        for movement in movements where movement.fund == fund && movement.date >= from && movement.date <= to {
            switch movement.kind {
            case .opening: opening += movement.amount
            case .donation(let count):
                donations.count += count
                donations.amount = VND(donations.amount.dong + movement.amount)
            case .deposit(let count):
                deposits.count += count
                deposits.amount = VND(deposits.amount.dong + movement.amount)
            case .disbursement(let purpose, let count, let quantity):
                var totals = disbursed[purpose] ?? PurposeTotals()
                totals.count += count
                totals.quantity += quantity
                totals.amount = VND(totals.amount.dong - movement.amount)
                disbursed[purpose] = totals
            }
        }
        return (opening, donations, deposits, disbursed.filter { !$0.value.isEmpty }, balance(of: fund, through: to))
    }

    func externalSupport(from: LocalDate, to: LocalDate) -> (value: Int64, beneficiaries: Int64) {
        external.filter { $0.date >= from && $0.date <= to }.reduce((0, 0)) { ($0.0 + $1.value, $0.1 + $1.beneficiaries) }
    }

    /// A member's rows in date order (the order recorded within a day).
    func depositRows(of member: String) -> [DepositRow] {
        deposits.filter { $0.member == member }.sorted { ($0.date, $0.position) < ($1.date, $1.position) }
    }

    struct Summary {
        var countedThrough: LocalDate
        var collected: Int64 = 0
        var depositCount: Int64 = 0
        var expected: Int64 = 0
        var membersEnrolled = 0
        var participating = 0
        var shortfalls: [String: Int64] = [:]
        var cells: [String: (collected: Int64, expected: Int64)] = [:]
    }

    /// A model as of the end of `asOf`, or with everything recorded when `nil`.
    func summary(model id: String, asOf: LocalDate?) -> Summary {
        let model = models[id]!
        let lastCounted = model.closedOn.map { min($0, model.endsOn) } ?? model.endsOn
        let through = min(lastCounted, asOf ?? lastCounted)
        var summary = Summary(countedThrough: through)
        for (memberId, member) in members {
            let rows = deposits.filter { row in row.model == id && row.member == memberId && row.date <= (asOf ?? row.date) }
            let collected = rows.reduce(0) { $0 + $1.amount }
            let count = rows.reduce(0) { $0 + ($1.amount > 0 ? 1 : -1) } as Int64
            let days = member.days(from: model.startsOn, through: through)
            guard days > 0 || count > 0 else { continue }
            let expected = days * model.dailyTarget
            summary.membersEnrolled += 1
            if count > 0 { summary.participating += 1 }
            summary.collected += collected
            summary.depositCount += count
            summary.expected += expected
            if collected < expected { summary.shortfalls[memberId] = expected - collected }
            let cell = summary.cells[member.cell] ?? (0, 0)
            summary.cells[member.cell] = (cell.collected + collected, cell.expected + expected)
        }
        return summary
    }
}
