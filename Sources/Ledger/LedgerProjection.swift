import EventLog
import Foundation

/// The ledger's read models, folded inline with every append: fund balances,
/// members, pledges, piggy-bank models and their members' totals, deposit
/// histories, per-fund daily movements (for period reports) and external support.
///
/// A pure fold: the same log always gives the same bytes.
struct LedgerProjection: InlineProjection {
    static let checkpointName = "ledger"
    var name: String { Self.checkpointName }
    /// 2: deposit rows in a fixed binary layout, members' enrolled days per model, and
    /// the summary's cell lines and below-target list. 3: every figure by business date:
    /// reversal rows in deposit histories and external support, day balances per fund,
    /// models closed early, closed periods. 4: every value sealed with a CRC-32C of its
    /// key and itself, checked when read.
    var formatVersion: UInt32 { 4 }
    let databases: LedgerDatabases

    init(_ setup: ProjectionSetup) throws {
        databases = try LedgerDatabases(setup)
    }

    func removeAll(in tables: Tables) throws {
        for table in databases.all { try tables.removeAll(table) }
    }

    /// The write-back cache of this transaction, shared with the rules' checks.
    func cache(_ state: ProjectionState) -> LedgerCache {
        if let cache = state.value as? LedgerCache { return cache }
        let cache = LedgerCache(databases)
        state.value = cache
        return cache
    }

    func willCommit(in context: ProjectionContext) throws {
        try (context.state.value as? LedgerCache)?.flush(into: context.tables)
    }

    func apply(_ stored: RecordedEventView, in context: ProjectionContext) throws {
        let tables = LedgerTables(transaction: context.tables, databases: databases, cache: cache(context.state))
        let event = try LedgerEvent.decode(stored)
        let typeCount = try tables.load(Int64.self, databases.typeCounts, event.type.rawValue) ?? 0
        try tables.store(typeCount + 1, databases.typeCounts, event.type.rawValue)
        switch event {
        case .fundOpened(let opened):
            try tables.store(FundBalance(opened: opened), databases.funds, opened.fundId)
            if let balance = opened.openingBalance {
                try updateDay(tables, opened.fundId, opened.openedOn, net: balance) {
                    $0.broughtForward = try $0.broughtForward.adding(balance)
                }
            }
        case .memberEnrolled(let enrolled):
            let member = MemberRecord(
                memberId: enrolled.memberId, fullName: enrolled.fullName, cell: enrolled.cell, enrolledOn: enrolled.enrolledOn)
            try tables.store(member, databases.members, enrolled.memberId)
            try recountEnrolledDays(of: member, tables: tables, context: context)
        case .memberLeft(let left):
            try update(tables, MemberRecord.self, databases.members, left.memberId) {
                $0.leftOn = left.leftOn
                $0.leftReason = left.reason
            }
            try recountEnrolledDays(of: try tables.member(left.memberId)!, tables: tables, context: context)
        case .pledgeMade(let pledge):
            let record = PledgeRecord(
                pledgeId: pledge.pledgeId, fundId: pledge.fundId, donor: pledge.donor, amount: pledge.amount,
                pledgedOn: pledge.pledgedOn, dueOn: pledge.dueOn)
            try tables.store(record, databases.pledges, pledge.pledgeId)
            try update(tables, FundBalance.self, databases.funds, pledge.fundId) {
                $0.pledged = try $0.pledged.adding(pledge.amount)
                $0.outstandingPledges = try $0.outstandingPledges.adding(record.outstanding)
            }
        case .pledgeCancelled(let cancelled):
            try updatePledge(tables, cancelled.pledgeId) { $0.cancelledOn = cancelled.cancelledOn }
        case .donationReceived(let donation):
            try receive(tables, donation, sign: 1, on: donation.receivedOn)
        case .piggyBankModelStarted(let started):
            let model = ModelRecord(
                modelId: started.modelId, name: started.name, fundId: started.fundId, startsOn: started.startsOn,
                endsOn: started.endsOn, dailyTarget: started.dailyTarget)
            try tables.store(model, databases.models, started.modelId)
            // Every member enrolled in the period is expected to save from the start.
            try recountEnrolledDays(in: model, tables: tables)
        case .piggyBankDeposited(let deposit):
            let row = DepositRecord(modelId: deposit.modelId, depositedOn: deposit.depositedOn, amount: deposit.amount)
            let key = LedgerKey.deposit(deposit.memberId, stored.position)
            try context.tables.put(databases.deposits, key: key, value: Seal.sealed(row.storedBytes(), key: key))
            try deposited(tables, deposit, sign: 1, on: deposit.depositedOn)
        case .piggyBankModelClosed(let closed):
            try update(tables, ModelRecord.self, databases.models, closed.modelId) {
                $0.closedOn = closed.closedOn
                $0.decisionRef = closed.decisionRef
            }
            try recountEnrolledDays(in: try tables.model(closed.modelId)!, tables: tables)  // none expected after the close
        case .disbursementMade(let disbursement):
            try context.tables.put(
                databases.disbursements, key: disbursement.disbursementId, value: Seal.sealed(stored.position, key: disbursement.disbursementId))
            try disburse(tables, disbursement, sign: 1, on: disbursement.disbursedOn)
        case .externalSupportRecorded(let support):
            let record = ExternalSupportRecord(support: support, eventId: stored.eventId.uuidString.lowercased())
            try tables.store(record, databases.externalSupport, LedgerKey.external(support.recordedOn, stored.position))
        case .entryReversed(let reversal):
            try reverse(reversal, at: stored.position, tables: tables, context: context)
        case .periodClosed(let closed):
            let record = PeriodRecord(
                through: closed.through, decision: closed.decision, position: stored.position,
                eventId: stored.eventId.uuidString.lowercased(), funds: closed.funds, models: closed.models)
            try tables.store(record, databases.periods, LedgerKey.day(closed.through))
        }
    }

    // MARK: - Money

    private func receive(_ tables: LedgerTables, _ donation: DonationReceived, sign: Int64, on date: LocalDate) throws {
        let amount = VND(sign * donation.amount.dong)
        try update(tables, FundBalance.self, databases.funds, donation.fundId) {
            try $0.donations.add(count: sign, amount: amount)
            $0.balance = try $0.balance.adding(amount)
        }
        try updateDay(tables, donation.fundId, date, net: amount) { try $0.donations.add(count: sign, amount: amount) }
        if let pledgeId = donation.pledgeId {
            try updatePledge(tables, pledgeId) {
                $0.received = try $0.received.adding(amount)
                $0.donationCount += sign
            }
        }
    }

    private func deposited(_ tables: LedgerTables, _ deposit: PiggyBankDeposited, sign: Int64, on date: LocalDate) throws {
        let amount = VND(sign * deposit.amount.dong)
        guard let model = try tables.model(deposit.modelId) else { throw missing("model", deposit.modelId) }
        try update(tables, FundBalance.self, databases.funds, model.fundId) {
            try $0.deposits.add(count: sign, amount: amount)
            $0.balance = try $0.balance.adding(amount)
        }
        try updateDay(tables, model.fundId, date, net: amount) { try $0.deposits.add(count: sign, amount: amount) }
        try update(tables, ModelRecord.self, databases.models, deposit.modelId) {
            try $0.collected.add(count: sign, amount: amount)
            $0.lastDepositOn = max($0.lastDepositOn ?? deposit.depositedOn, deposit.depositedOn)
            $0.lastActivityOn = max($0.lastActivityOn ?? date, date)
        }
        guard var member = try tables.member(deposit.memberId) else { throw missing("member", deposit.memberId) }
        if member.lastDepositOn.map({ $0 < deposit.depositedOn }) ?? true {
            member.lastDepositOn = deposit.depositedOn
            try tables.store(member, databases.members, deposit.memberId)
        }
        guard let model = try tables.model(deposit.modelId), let member = try tables.member(deposit.memberId) else {
            throw missing("model or member", deposit.modelId + "/" + deposit.memberId)
        }
        try changeMember(member, in: model, tables: tables) { try $0.total.add(count: sign, amount: amount) }
    }

    /// Changes a member's totals in a model, and keeps the cell's line of the model's
    /// summary and the list of members below target in step.
    private func changeMember(
        _ member: MemberRecord, in model: ModelRecord, tables: LedgerTables, _ change: (inout ModelMemberTotals) throws -> Void
    ) throws {
        let key = LedgerKey.composite(model.modelId, member.memberId)
        let before = try tables.load(ModelMemberTotals.self, databases.modelMembers, key) ?? ModelMemberTotals()
        var after = before
        try change(&after)
        guard after != before else { return }
        try tables.store(after, databases.modelMembers, key)
        let old = try before.contribution(dailyTarget: model.dailyTarget)
        let new = try after.contribution(dailyTarget: model.dailyTarget)
        let cellKey = LedgerKey.composite(model.modelId, member.cell)
        var cell = try tables.load(PiggyBankSummary.Cell.self, databases.modelCells, cellKey) ?? PiggyBankSummary.Cell(cell: member.cell)
        if let old { try cell.add(old, sign: -1) }
        if let new { try cell.add(new, sign: 1) }
        try tables.store(cell, databases.modelCells, cellKey)
        let wasBelow = (old?.belowTarget ?? 0) > 0
        let isBelow = (new?.belowTarget ?? 0) > 0
        guard wasBelow != isBelow, tables.transaction.isWritable else { return }
        if isBelow {
            try tables.transaction.put(databases.belowTarget, key: key, value: Seal.sealed([], key: key))
        } else {
            try tables.transaction.delete(databases.belowTarget, key: key)
        }
    }

    /// A member's enrolled days in every model, after they joined or left (or a leaving was reversed).
    private func recountEnrolledDays(of member: MemberRecord, tables: LedgerTables, context: ProjectionContext) throws {
        var models: [ModelRecord] = []
        try tables.flushed().scan(ModelRecord.self, databases.models) { _, model in models.append(model) }
        for model in models {
            let days = member.enrolledDays(from: model.startsOn, through: model.lastCountedDay)
            try changeMember(member, in: model, tables: tables) { $0.enrolledDays = days }
        }
    }

    /// Every member's enrolled days in a model, after it started or its last counted day
    /// moved (a close, or a close reversed).
    private func recountEnrolledDays(in model: ModelRecord, tables: LedgerTables) throws {
        var members: [MemberRecord] = []
        try tables.flushed().scan(MemberRecord.self, databases.members) { _, member in members.append(member) }
        for member in members {
            let days = member.enrolledDays(from: model.startsOn, through: model.lastCountedDay)
            let known = try tables.modelMember(model.modelId, member.memberId) != nil
            guard days > 0 || known else { continue }
            try changeMember(member, in: model, tables: tables) { $0.enrolledDays = days }
        }
    }

    private func disburse(_ tables: LedgerTables, _ disbursement: DisbursementMade, sign: Int64, on date: LocalDate) throws {
        let amount = VND(sign * disbursement.amount.dong)
        let purpose = disbursement.purpose.rawValue
        let quantity = sign * disbursement.quantity
        try update(tables, FundBalance.self, databases.funds, disbursement.fundId) {
            try $0.disbursedByPurpose[purpose, default: PurposeTotals()].add(count: sign, quantity: quantity, amount: amount)
            $0.balance = try $0.balance.subtracting(amount)
        }
        try updateDay(tables, disbursement.fundId, date, net: amount.negated) {
            try $0.disbursedByPurpose[purpose, default: PurposeTotals()].add(count: sign, quantity: quantity, amount: amount)
        }
    }

    /// Applies a change to a pledge and keeps its fund's pledged and outstanding sums in step.
    private func updatePledge(_ tables: LedgerTables, _ pledgeId: String, _ change: (inout PledgeRecord) throws -> Void)
        throws
    {
        guard var pledge = try tables.pledge(pledgeId) else { throw missing("pledge", pledgeId) }
        let before = (pledged: pledge.isLive ? pledge.amount : .zero, outstanding: pledge.outstanding)
        try change(&pledge)
        let after = (pledged: pledge.isLive ? pledge.amount : .zero, outstanding: pledge.outstanding)
        try tables.store(pledge, databases.pledges, pledgeId)
        try update(tables, FundBalance.self, databases.funds, pledge.fundId) {
            $0.pledged = try $0.pledged.adding(try after.pledged.subtracting(before.pledged))
            $0.outstandingPledges = try $0.outstandingPledges.adding(try after.outstanding.subtracting(before.outstanding))
        }
    }

    // MARK: - Reversals

    private func reverse(_ reversal: EntryReversed, at position: UInt64, tables: LedgerTables, context: ProjectionContext)
        throws
    {
        guard let stored = try context.log.event(id: reversal.reversesEventId) else {
            throw missing("event", reversal.reversesEventId.uuidString.lowercased())
        }
        let original = try LedgerEvent.decode(stored)
        let originalPosition = stored.position
        let reversalKey = LedgerKey.eventId(reversal.reversesEventId)
        try context.tables.put(databases.reversals, key: reversalKey, value: Seal.sealed(position, key: reversalKey))
        let date = reversal.reversedOn
        switch original {
        case .memberLeft(let left):
            try update(tables, MemberRecord.self, databases.members, left.memberId) {
                $0.leftOn = nil
                $0.leftReason = nil
            }
            try recountEnrolledDays(of: try tables.member(left.memberId)!, tables: tables, context: context)
        case .pledgeMade(let pledge):
            try updatePledge(tables, pledge.pledgeId) { $0.voided = true }
        case .pledgeCancelled(let cancelled):
            try updatePledge(tables, cancelled.pledgeId) { $0.cancelledOn = nil }
        case .donationReceived(let donation):
            try receive(tables, donation, sign: -1, on: date)
        case .piggyBankDeposited(let deposit):
            try update(tables, DepositRecord.self, databases.deposits, LedgerKey.deposit(deposit.memberId, originalPosition)) {
                $0.reversed = true
            }
            let row = DepositRecord(modelId: deposit.modelId, depositedOn: date, amount: deposit.amount, reversesPosition: originalPosition)
            let rowKey = LedgerKey.deposit(deposit.memberId, position)
            try context.tables.put(databases.deposits, key: rowKey, value: Seal.sealed(row.storedBytes(), key: rowKey))
            try deposited(tables, deposit, sign: -1, on: date)
        case .piggyBankModelClosed(let closed):
            try update(tables, ModelRecord.self, databases.models, closed.modelId) {
                $0.closedOn = nil
                $0.decisionRef = nil
            }
            try recountEnrolledDays(in: try tables.model(closed.modelId)!, tables: tables)
        case .disbursementMade(let disbursement):
            try disburse(tables, disbursement, sign: -1, on: date)
        case .externalSupportRecorded(let support):
            var record = ExternalSupportRecord(support: support, eventId: stored.eventId.uuidString.lowercased())
            try update(
                tables, ExternalSupportRecord.self, databases.externalSupport,
                LedgerKey.external(support.recordedOn, originalPosition)
            ) { $0.reversedOn = date }
            record.reversedOn = date
            record.reversalReason = reversal.reason
            record.isReversal = true
            try tables.store(record, databases.externalSupport, LedgerKey.external(date, position))
        case .fundOpened, .memberEnrolled, .piggyBankModelStarted, .entryReversed, .periodClosed:
            throw ProjectionFault(reason: "\(original.type.rawValue) at position \(originalPosition) cannot be reversed")
        }
    }

    // MARK: - Helpers

    private func update<Record: Codable>(
        _ tables: LedgerTables, _ type: Record.Type, _ database: Table, _ key: some TableBytes,
        _ change: (inout Record) throws -> Void
    ) throws {
        guard var record = try tables.load(type, database, key) else {
            throw ProjectionFault(reason: "no \(database.name) entry for an event that needs one")
        }
        try change(&record)
        try tables.store(record, database, key)
    }

    /// Changes a fund's movements on `date`, and its day balance by `net`.
    private func updateDay(
        _ tables: LedgerTables, _ fundId: String, _ date: LocalDate, net: VND, _ change: (inout FundDay) throws -> Void
    ) throws {
        let key = LedgerKey.fundDay(fundId, date)
        var day = try tables.load(FundDay.self, databases.fundDays, key) ?? FundDay()
        try change(&day)
        try tables.store(day, databases.fundDays, key)
        let moved = try tables.load(Int64.self, databases.fundDayNet, key) ?? 0
        try tables.store(try VND(moved).adding(net).dong, databases.fundDayNet, key)
    }

    private func missing(_ what: String, _ id: String) -> ProjectionFault {
        ProjectionFault(reason: "the log refers to \(what) \(id), which the projection does not know")
    }
}

/// The log holds something the rules would have refused: the store is damaged or
/// was written by other means. An audit says more.
public struct ProjectionFault: Error, Hashable, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { "the ledger cannot fold its log: \(reason)" }
}
