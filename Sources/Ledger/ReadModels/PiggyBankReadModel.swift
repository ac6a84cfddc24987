import EventLog
import Foundation

/// Piggy-bank summaries and cells: each model, each member's deposits and enrolled
/// days in it, each cell's line of its summary, and the members below its target. It
/// keeps its own roster (cell and days of membership, no names) so that it folds alone.
struct PiggyBankReadModel: LedgerReadModel {
    static let readModelName = "piggybank"
    /// 2: its rows in fixed binary layouts (``RowWriter``), no longer CBOR.
    static let layoutVersion: UInt32 = 2
    static let answers = "each piggy-bank model's summary: enrolled, participating, collected, expected, attainment, by cell, below target"
    let databases: LedgerDatabases
    let decoded: DecodedEvents
    var tables: [Table] { [databases.models, databases.roster, databases.modelMembers, databases.modelCells, databases.belowTarget] }
    func makeCaches() -> [any WriteBackCache] {
        [
            NumberedRowCache<ModelRecord>(databases.models, databases.entities),
            NumberedRowCache<Enrolment>(databases.roster, databases.entities),
            NumberedRowCache<ModelMemberTotals>(databases.modelMembers, databases.entities),
            NumberedRowCache<PiggyBankSummary.Cell>(databases.modelCells, databases.entities),
        ]
    }

    func fold(_ event: LedgerEvent, _ stored: RecordedEventView, into tables: LedgerTables, context: ProjectionContext) throws {
        switch event {
        case .memberEnrolled(let enrolled):
            let member = Enrolment(memberId: enrolled.memberId, cell: enrolled.cell, enrolledOn: enrolled.enrolledOn)
            try tables.store(member, databases.roster, .member(enrolled.memberId))
            try recountEnrolledDays(of: member, tables: tables)
        case .memberLeft(let left):
            try changeEnrolment(left.memberId, tables: tables) { $0.leftOn = left.leftOn }
        case .piggyBankModelStarted(let started):
            let model = ModelRecord(
                modelId: started.modelId, name: started.name, fundId: started.fundId, startsOn: started.startsOn,
                endsOn: started.endsOn, dailyTarget: started.dailyTarget)
            try tables.store(model, databases.models, .model(started.modelId))
            // Every member enrolled in the period is expected to save from the start.
            try recountEnrolledDays(in: model, tables: tables)
        case .piggyBankDeposited(let deposit):
            try deposited(tables, deposit, sign: 1, on: deposit.depositedOn)
        case .piggyBankModelClosed(let closed):
            try changeModel(closed.modelId, tables: tables) {
                $0.closedOn = closed.closedOn
                $0.decisionRef = closed.decisionRef
            }
        case .entryReversed(let reversal):
            let original = try original(of: reversal, context: context)
            switch original.event {
            case .memberLeft(let left):
                try changeEnrolment(left.memberId, tables: tables) { $0.leftOn = nil }
            case .piggyBankDeposited(let deposit):
                try deposited(tables, deposit, sign: -1, on: reversal.reversedOn)
            case .piggyBankModelClosed(let closed):
                try changeModel(closed.modelId, tables: tables) {
                    $0.closedOn = nil
                    $0.decisionRef = nil
                }
            case .fundOpened, .memberEnrolled, .pledgeMade, .pledgeCancelled, .donationReceived, .piggyBankModelStarted,
                .disbursementMade, .externalSupportRecorded, .entryReversed, .periodClosed, .subjectErased, .storeMigrated:
                break  // nothing of a model's
            }
        case .fundOpened, .pledgeMade, .pledgeCancelled, .donationReceived, .disbursementMade, .externalSupportRecorded,
            .periodClosed, .subjectErased, .storeMigrated:
            break  // nothing of a model's
        }
    }

    private func deposited(_ tables: LedgerTables, _ deposit: PiggyBankDeposited, sign: Int64, on date: LocalDate) throws {
        let amount = VND(sign * deposit.amount.dong)
        try update(tables, ModelRecord.self, databases.models, .model(deposit.modelId)) {
            try $0.collected.add(count: sign, amount: amount)
            $0.lastDepositOn = max($0.lastDepositOn ?? deposit.depositedOn, deposit.depositedOn)
            $0.lastActivityOn = max($0.lastActivityOn ?? date, date)
        }
        guard let model = try tables.model(deposit.modelId) else { throw missing("model", deposit.modelId) }
        guard let member = try tables.load(Enrolment.self, databases.roster, .member(deposit.memberId)) else {
            throw missing("member", deposit.memberId)
        }
        try changeMember(member, in: model, tables: tables) { try $0.total.add(count: sign, amount: amount) }
    }

    /// A member joined, left, or their leaving was reversed: their enrolled days in every model change.
    private func changeEnrolment(_ memberId: String, tables: LedgerTables, _ change: (inout Enrolment) -> Void) throws {
        guard var member = try tables.load(Enrolment.self, databases.roster, .member(memberId)) else { throw missing("member", memberId) }
        change(&member)
        try tables.store(member, databases.roster, .member(memberId))
        try recountEnrolledDays(of: member, tables: tables)
    }

    /// A model was closed, or its close reversed: its members' enrolled days change.
    private func changeModel(_ modelId: String, tables: LedgerTables, _ change: (inout ModelRecord) -> Void) throws {
        guard var model = try tables.model(modelId) else { throw missing("model", modelId) }
        change(&model)
        try tables.store(model, databases.models, .model(modelId))
        try recountEnrolledDays(in: model, tables: tables)
    }

    /// Changes a member's totals in a model, and keeps the cell's line of the model's
    /// summary and the list of members below target in step.
    private func changeMember(
        _ member: Enrolment, in model: ModelRecord, tables: LedgerTables, _ change: (inout ModelMemberTotals) throws -> Void
    ) throws {
        let key = EntityKey.modelMember(model: model.modelId, member: member.memberId)
        let before = try tables.load(ModelMemberTotals.self, databases.modelMembers, key) ?? ModelMemberTotals()
        var after = before
        try change(&after)
        guard after != before else { return }
        try tables.store(after, databases.modelMembers, key)
        let old = try before.contribution(dailyTarget: model.dailyTarget)
        let new = try after.contribution(dailyTarget: model.dailyTarget)
        let cellKey = EntityKey.modelCell(model: model.modelId, cell: member.cell)
        try tables.modify(PiggyBankSummary.Cell.self, databases.modelCells, cellKey) { cell in
            if cell == nil { cell = PiggyBankSummary.Cell(cell: member.cell) }
            if let old { try cell!.add(old, sign: -1) }
            if let new { try cell!.add(new, sign: 1) }
        }
        let wasBelow = (old?.belowTarget ?? 0) > 0
        let isBelow = (new?.belowTarget ?? 0) > 0
        guard wasBelow != isBelow else { return }
        let belowKey = key.bytes()
        if isBelow {
            try tables.transaction.put(databases.belowTarget, key: belowKey, value: Seal.sealed([], key: belowKey))
        } else {
            try tables.transaction.delete(databases.belowTarget, key: belowKey)
        }
    }

    /// A member's enrolled days in every model.
    private func recountEnrolledDays(of member: Enrolment, tables: LedgerTables) throws {
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
        var members: [Enrolment] = []
        try tables.flushed().scan(Enrolment.self, databases.roster) { _, member in members.append(member) }
        for member in members {
            let days = member.enrolledDays(from: model.startsOn, through: model.lastCountedDay)
            let known = try tables.modelMember(model.modelId, member.memberId) != nil
            guard days > 0 || known else { continue }
            try changeMember(member, in: model, tables: tables) { $0.enrolledDays = days }
        }
    }
}
