import EventLog
import Foundation

/// Fund balances and fund days: each fund's balance sheet (opening balance, received,
/// disbursed per purpose, balance), and its movements day by day, by business date,
/// for period reports and the rule that no fund goes below 0 on any date.
struct FundsReadModel: LedgerReadModel {
    static let readModelName = "funds"
    /// 2: its rows in fixed binary layouts (``RowWriter``), no longer CBOR.
    static let layoutVersion: UInt32 = 2
    static let answers = "each fund's balance sheet; its movements and balance on any date (period reports, the rule that no fund goes below 0)"
    let databases: LedgerDatabases
    let decoded: DecodedEvents
    var tables: [Table] { [databases.funds, databases.fundDays, databases.fundDayNet, databases.fundModels] }
    func makeCaches() -> [any WriteBackCache] {
        [
            NumberedRowCache<FundBalance>(databases.funds, databases.entities),
            NumberedRowCache<FundDay>(databases.fundDays, databases.entities),
            NumberedRowCache<Int64>(databases.fundDayNet, databases.entities),
            NumberedRowCache<String>(databases.fundModels, databases.entities),
        ]
    }

    func fold(_ event: LedgerEvent, _ stored: RecordedEventView, into tables: LedgerTables, context: ProjectionContext) throws {
        switch event {
        case .fundOpened(let opened):
            try tables.store(FundBalance(opened: opened), databases.funds, .fund(opened.fundId))
            if let balance = opened.openingBalance {
                try updateDay(tables, opened.fundId, opened.openedOn, net: balance) {
                    $0.broughtForward = try $0.broughtForward.adding(balance)
                }
            }
        case .piggyBankModelStarted(let started):
            try tables.store(started.fundId, databases.fundModels, .model(started.modelId))
        case .donationReceived(let donation):
            try receive(tables, donation, sign: 1, on: donation.receivedOn)
        case .piggyBankDeposited(let deposit):
            try deposited(tables, deposit, sign: 1, on: deposit.depositedOn)
        case .disbursementMade(let disbursement):
            try disburse(tables, disbursement, sign: 1, on: disbursement.disbursedOn)
        case .entryReversed(let reversal):
            let original = try original(of: reversal, context: context)
            switch original.event {
            case .donationReceived(let donation): try receive(tables, donation, sign: -1, on: reversal.reversedOn)
            case .piggyBankDeposited(let deposit): try deposited(tables, deposit, sign: -1, on: reversal.reversedOn)
            case .disbursementMade(let disbursement): try disburse(tables, disbursement, sign: -1, on: reversal.reversedOn)
            case .fundOpened, .memberEnrolled, .memberLeft, .pledgeMade, .pledgeCancelled, .piggyBankModelStarted,
                .piggyBankModelClosed, .externalSupportRecorded, .entryReversed, .periodClosed, .subjectErased, .storeMigrated:
                break  // no money moved
            }
        case .memberEnrolled, .memberLeft, .pledgeMade, .pledgeCancelled, .piggyBankModelClosed, .externalSupportRecorded,
            .periodClosed, .subjectErased, .storeMigrated:
            break  // no money moves
        }
    }

    private func receive(_ tables: LedgerTables, _ donation: DonationReceived, sign: Int64, on date: LocalDate) throws {
        let amount = VND(sign * donation.amount.dong)
        try update(tables, FundBalance.self, databases.funds, .fund(donation.fundId)) {
            try $0.donations.add(count: sign, amount: amount)
            $0.balance = try $0.balance.adding(amount)
        }
        try updateDay(tables, donation.fundId, date, net: amount) { try $0.donations.add(count: sign, amount: amount) }
    }

    private func deposited(_ tables: LedgerTables, _ deposit: PiggyBankDeposited, sign: Int64, on date: LocalDate) throws {
        let amount = VND(sign * deposit.amount.dong)
        guard let fundId = try tables.load(String.self, databases.fundModels, .model(deposit.modelId)) else {
            throw missing("model", deposit.modelId)
        }
        try update(tables, FundBalance.self, databases.funds, .fund(fundId)) {
            try $0.deposits.add(count: sign, amount: amount)
            $0.balance = try $0.balance.adding(amount)
        }
        try updateDay(tables, fundId, date, net: amount) { try $0.deposits.add(count: sign, amount: amount) }
    }

    private func disburse(_ tables: LedgerTables, _ disbursement: DisbursementMade, sign: Int64, on date: LocalDate) throws {
        let amount = VND(sign * disbursement.amount.dong)
        let purpose = disbursement.purpose.rawValue
        let quantity = sign * disbursement.quantity
        try update(tables, FundBalance.self, databases.funds, .fund(disbursement.fundId)) {
            try $0.disbursedByPurpose[purpose, default: PurposeTotals()].add(count: sign, quantity: quantity, amount: amount)
            $0.balance = try $0.balance.subtracting(amount)
        }
        try updateDay(tables, disbursement.fundId, date, net: amount.negated) {
            try $0.disbursedByPurpose[purpose, default: PurposeTotals()].add(count: sign, quantity: quantity, amount: amount)
        }
    }

    /// Changes a fund's movements on `date`, and its day balance by `net`.
    private func updateDay(
        _ tables: LedgerTables, _ fundId: String, _ date: LocalDate, net: VND, _ change: (inout FundDay) throws -> Void
    ) throws {
        let key = EntityKey.fundDay(fundId, date)
        try tables.modify(FundDay.self, databases.fundDays, key) { day in
            if day == nil { day = FundDay() }
            try change(&day!)
        }
        try tables.modify(Int64.self, databases.fundDayNet, key) { moved in moved = try VND(moved ?? 0).adding(net).dong }
    }
}
