import EventLog
import Foundation

/// External support: what other bodies gave the ward's poor directly, by the date it
/// counts on (a reversal on its own date).
struct ExternalSupportReadModel: LedgerReadModel {
    static let readModelName = "external-support"
    static let layoutVersion: UInt32 = 1
    static let answers = "the external support recorded in any date range, with reversals on their own dates"
    let databases: LedgerDatabases
    let decoded: DecodedEvents
    var tables: [Table] { [databases.externalSupport] }
    func makeCaches() -> [any WriteBackCache] { [] }

    func fold(_ event: LedgerEvent, _ stored: RecordedEventView, into tables: LedgerTables, context: ProjectionContext) throws {
        switch event {
        case .externalSupportRecorded(let support):
            let record = ExternalSupportRecord(support: support, eventId: stored.eventId.uuidString.lowercased())
            try tables.store(record, databases.externalSupport, LedgerKey.external(support.recordedOn, stored.position))
        case .entryReversed(let reversal):
            let original = try original(of: reversal, context: context)
            switch original.event {
            case .externalSupportRecorded(let support):
                let date = reversal.reversedOn
                try update(
                    tables, ExternalSupportRecord.self, databases.externalSupport,
                    LedgerKey.external(support.recordedOn, original.position)
                ) { $0.reversedOn = date }
                var record = ExternalSupportRecord(support: support, eventId: original.eventId.uuidString.lowercased())
                record.reversedOn = date
                record.reversalReason = reversal.reason
                record.isReversal = true
                try tables.store(record, databases.externalSupport, LedgerKey.external(date, stored.position))
            case .fundOpened, .memberEnrolled, .memberLeft, .pledgeMade, .pledgeCancelled, .donationReceived,
                .piggyBankModelStarted, .piggyBankDeposited, .piggyBankModelClosed, .disbursementMade, .entryReversed,
                .periodClosed, .subjectErased, .storeMigrated:
                break  // not external support
            }
        case .fundOpened, .memberEnrolled, .memberLeft, .pledgeMade, .pledgeCancelled, .donationReceived,
            .piggyBankModelStarted, .piggyBankDeposited, .piggyBankModelClosed, .disbursementMade, .periodClosed, .subjectErased, .storeMigrated:
            break  // not external support
        }
    }
}
