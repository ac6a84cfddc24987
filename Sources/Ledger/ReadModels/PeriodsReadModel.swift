import EventLog
import Foundation

/// Closed periods: each close of the books, with the figures it fixed.
struct PeriodsReadModel: LedgerReadModel {
    static let readModelName = "periods"
    static let layoutVersion: UInt32 = 1
    static let answers = "the closes of the books and the figures each fixed; the last day closed"
    let databases: LedgerDatabases
    let decoded: DecodedEvents
    var tables: [Table] { [databases.periods] }
    func makeCaches() -> [any WriteBackCache] { [] }

    func fold(_ event: LedgerEvent, _ stored: RecordedEventView, into tables: LedgerTables, context: ProjectionContext) throws {
        switch event {
        case .periodClosed(let closed):
            let record = PeriodRecord(
                through: closed.through, decision: closed.decision, position: stored.position,
                eventId: stored.eventId.uuidString.lowercased(), funds: closed.funds, models: closed.models)
            try tables.store(record, databases.periods, LedgerKey.day(closed.through))
        case .fundOpened, .memberEnrolled, .memberLeft, .pledgeMade, .pledgeCancelled, .donationReceived,
            .piggyBankModelStarted, .piggyBankDeposited, .piggyBankModelClosed, .disbursementMade, .externalSupportRecorded,
            .entryReversed, .subjectErased, .storeMigrated:
            break  // not a close of the books
        }
    }
}
