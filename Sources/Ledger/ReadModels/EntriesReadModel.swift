import EventLog
import Foundation

/// Entries: what the rules and the status ask of single entries: how many of each type
/// the log holds, which disbursement ids are taken, and which entries were reversed.
struct EntriesReadModel: LedgerReadModel {
    static let readModelName = "entries"
    static let layoutVersion: UInt32 = 1
    static let answers = "how many events of each type; whether a disbursement id is taken; whether and where an entry was reversed"
    let databases: LedgerDatabases
    let decoded: DecodedEvents
    var tables: [Table] { [databases.typeCounts, databases.disbursements, databases.reversals] }
    func makeCaches() -> [any WriteBackCache] { [NumberedRowCache<Int64>(databases.typeCounts, databases.entities)] }

    func fold(_ event: LedgerEvent, _ stored: RecordedEventView, into tables: LedgerTables, context: ProjectionContext) throws {
        try tables.modify(Int64.self, databases.typeCounts, .type(event.type)) { $0 = ($0 ?? 0) + 1 }
        switch event {
        case .disbursementMade(let disbursement):
            try tables.transaction.put(
                databases.disbursements, key: disbursement.disbursementId,
                value: Seal.sealed(stored.position, key: disbursement.disbursementId))
        case .entryReversed(let reversal):
            let original = try original(of: reversal, context: context)
            guard original.event.type.isReversible else {
                throw ProjectionFault(reason: "\(original.event.type.rawValue) at position \(original.position) cannot be reversed")
            }
            let key = LedgerKey.eventId(reversal.reversesEventId)
            try tables.transaction.put(databases.reversals, key: key, value: Seal.sealed(stored.position, key: key))
        case .fundOpened, .memberEnrolled, .memberLeft, .pledgeMade, .pledgeCancelled, .donationReceived,
            .piggyBankModelStarted, .piggyBankDeposited, .piggyBankModelClosed, .externalSupportRecorded, .periodClosed, .subjectErased, .storeMigrated:
            break  // counted above
        }
    }
}
