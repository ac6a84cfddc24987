import EventLog
import Foundation

/// Member histories: each party member, and every deposit they made (and every
/// reversal of one, on its own date), for contribution histories and cells.
struct MembersReadModel: LedgerReadModel {
    static let readModelName = "members"
    /// 2: its rows in fixed binary layouts (``RowWriter``), no longer CBOR.
    /// 3: a member's name sealed (``PersonName``).
    static let layoutVersion: UInt32 = 3
    static let answers = "each member, their deposits and reversals with running totals, days covered, last deposit; cells"
    let databases: LedgerDatabases
    let decoded: DecodedEvents
    var tables: [Table] { [databases.members, databases.deposits] }
    func makeCaches() -> [any WriteBackCache] { [NumberedRowCache<MemberRecord>(databases.members, databases.entities)] }

    func fold(_ event: LedgerEvent, _ stored: RecordedEventView, into tables: LedgerTables, context: ProjectionContext) throws {
        switch event {
        case .memberEnrolled(let enrolled):
            let member = MemberRecord(
                memberId: enrolled.memberId, fullName: enrolled.fullName, cell: enrolled.cell, enrolledOn: enrolled.enrolledOn)
            try tables.store(member, databases.members, .member(enrolled.memberId))
        case .memberLeft(let left):
            try update(tables, MemberRecord.self, databases.members, .member(left.memberId)) {
                $0.leftOn = left.leftOn
                $0.leftReason = left.reason
            }
        case .piggyBankDeposited(let deposit):
            let row = DepositRecord(modelId: deposit.modelId, depositedOn: deposit.depositedOn, amount: deposit.amount)
            try putRow(row, tables, deposit.memberId, stored.position)
            try update(tables, MemberRecord.self, databases.members, .member(deposit.memberId)) { member in
                if member.lastDepositOn.map({ $0 < deposit.depositedOn }) ?? true { member.lastDepositOn = deposit.depositedOn }
            }
        case .entryReversed(let reversal):
            let original = try original(of: reversal, context: context)
            switch original.event {
            case .memberLeft(let left):
                try update(tables, MemberRecord.self, databases.members, .member(left.memberId)) {
                    $0.leftOn = nil
                    $0.leftReason = nil
                }
            case .piggyBankDeposited(let deposit):
                try update(tables, DepositRecord.self, databases.deposits, LedgerKey.deposit(deposit.memberId, original.position)) {
                    $0.reversed = true
                }
                let row = DepositRecord(
                    modelId: deposit.modelId, depositedOn: reversal.reversedOn, amount: deposit.amount,
                    reversesPosition: original.position)
                try putRow(row, tables, deposit.memberId, stored.position)
            case .fundOpened, .memberEnrolled, .pledgeMade, .pledgeCancelled, .donationReceived, .piggyBankModelStarted,
                .piggyBankModelClosed, .disbursementMade, .externalSupportRecorded, .entryReversed, .periodClosed, .subjectErased, .storeMigrated:
                break  // nothing of a member's
            }
        case .fundOpened, .pledgeMade, .pledgeCancelled, .donationReceived, .piggyBankModelStarted, .piggyBankModelClosed,
            .disbursementMade, .externalSupportRecorded, .periodClosed, .subjectErased, .storeMigrated:
            break  // nothing of a member's
        }
    }

    private func putRow(_ row: DepositRecord, _ tables: LedgerTables, _ memberId: String, _ position: UInt64) throws {
        let key = LedgerKey.deposit(memberId, position)
        try tables.transaction.put(databases.deposits, key: key, value: Seal.sealed(row.storedBytes(), key: key))
    }
}
