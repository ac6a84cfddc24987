import EventLog
import Foundation

/// Registers: the lines of each fund's register (every entry that moved its money) in
/// the order the register is read: by business date, money in before money out within
/// a day, each in the order recorded. The running balance is computed as it is read.
struct RegistersReadModel: LedgerReadModel {
    static let readModelName = "registers"
    static let layoutVersion: UInt32 = 1
    static let answers = "a fund's register in business-date order, with its running balance"
    let databases: LedgerDatabases
    let decoded: DecodedEvents
    var tables: [Table] { [databases.registerLines] }
    func makeCaches() -> [any WriteBackCache] { [] }

    func fold(_ event: LedgerEvent, _ stored: RecordedEventView, into tables: LedgerTables, context: ProjectionContext) throws {
        let line: (fundId: String, date: LocalDate, amount: VND)
        switch event {
        case .fundOpened(let opened):
            line = (opened.fundId, opened.openedOn, opened.openingBalance ?? .zero)
        case .donationReceived(let donation):
            line = (donation.fundId, donation.receivedOn, donation.amount)
        case .piggyBankDeposited(let deposit):
            line = (try fundOf(stored), deposit.depositedOn, deposit.amount)
        case .disbursementMade(let disbursement):
            line = (disbursement.fundId, disbursement.disbursedOn, disbursement.amount.negated)
        case .entryReversed(let reversal):
            let original = try original(of: reversal, context: context)
            switch original.event {
            case .donationReceived(let donation):
                line = (donation.fundId, reversal.reversedOn, donation.amount.negated)
            case .piggyBankDeposited(let deposit):
                line = (try fundOf(stored), reversal.reversedOn, deposit.amount.negated)
            case .disbursementMade(let disbursement):
                line = (disbursement.fundId, reversal.reversedOn, disbursement.amount)
            case .fundOpened, .memberEnrolled, .memberLeft, .pledgeMade, .pledgeCancelled, .piggyBankModelStarted,
                .piggyBankModelClosed, .externalSupportRecorded, .entryReversed, .periodClosed, .subjectErased, .storeMigrated:
                return  // no money moved: not a line of a register
            }
        case .memberEnrolled, .memberLeft, .pledgeMade, .pledgeCancelled, .piggyBankModelStarted, .piggyBankModelClosed,
            .externalSupportRecorded, .periodClosed, .subjectErased, .storeMigrated:
            return  // no money moves in or out of a fund
        }
        let key = LedgerKey.registerLine(line.fundId, line.date, moneyOut: line.amount < .zero, position: stored.position)
        try tables.transaction.put(databases.registerLines, key: key, value: Seal.sealed([], key: key))
    }

    /// A deposit's fund: the fund its stream is (`fund-ID`), as the rules chose it.
    private func fundOf(_ stored: RecordedEventView) throws -> String {
        let stream = stored.stream
        guard stream.hasPrefix("fund-") else {
            throw ProjectionFault(reason: "the entry at position \(stored.position) moves money but is in stream \(stream)")
        }
        return String(stream.dropFirst(5))
    }
}
