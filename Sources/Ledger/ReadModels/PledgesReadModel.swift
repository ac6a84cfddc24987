import EventLog
import Foundation

/// Pledges: each pledge, what was received against it, and what each fund's live
/// pledges add up to and still await.
struct PledgesReadModel: LedgerReadModel {
    static let readModelName = "pledges"
    /// 2: its rows in fixed binary layouts (``RowWriter``), no longer CBOR.
    static let layoutVersion: UInt32 = 2
    static let answers = "each pledge and what was received against it; each fund's pledged and outstanding sums"
    let databases: LedgerDatabases
    let decoded: DecodedEvents
    var tables: [Table] { [databases.pledges, databases.pledgeTotals] }
    func makeCaches() -> [any WriteBackCache] {
        [RowCache<PledgeRecord>(databases.pledges), NumberedRowCache<PledgeTotals>(databases.pledgeTotals, databases.entities)]
    }

    func fold(_ event: LedgerEvent, _ stored: RecordedEventView, into tables: LedgerTables, context: ProjectionContext) throws {
        switch event {
        case .pledgeMade(let pledge):
            let record = PledgeRecord(
                pledgeId: pledge.pledgeId, fundId: pledge.fundId, donor: pledge.donor, amount: pledge.amount,
                pledgedOn: pledge.pledgedOn, dueOn: pledge.dueOn)
            try tables.store(record, databases.pledges, pledge.pledgeId)
            try tables.modify(PledgeTotals.self, databases.pledgeTotals, .fund(pledge.fundId)) { totals in
                if totals == nil { totals = PledgeTotals() }
                totals!.pledged = try totals!.pledged.adding(pledge.amount)
                totals!.outstanding = try totals!.outstanding.adding(record.outstanding)
            }
        case .pledgeCancelled(let cancelled):
            try updatePledge(tables, cancelled.pledgeId) { $0.cancelledOn = cancelled.cancelledOn }
        case .donationReceived(let donation):
            try received(tables, donation, sign: 1)
        case .entryReversed(let reversal):
            let original = try original(of: reversal, context: context)
            switch original.event {
            case .pledgeMade(let pledge): try updatePledge(tables, pledge.pledgeId) { $0.voided = true }
            case .pledgeCancelled(let cancelled): try updatePledge(tables, cancelled.pledgeId) { $0.cancelledOn = nil }
            case .donationReceived(let donation): try received(tables, donation, sign: -1)
            case .fundOpened, .memberEnrolled, .memberLeft, .piggyBankModelStarted, .piggyBankDeposited,
                .piggyBankModelClosed, .disbursementMade, .externalSupportRecorded, .entryReversed, .periodClosed, .subjectErased, .storeMigrated:
                break  // no pledge changes
            }
        case .fundOpened, .memberEnrolled, .memberLeft, .piggyBankModelStarted, .piggyBankDeposited, .piggyBankModelClosed,
            .disbursementMade, .externalSupportRecorded, .periodClosed, .subjectErased, .storeMigrated:
            break  // no pledge changes
        }
    }

    private func received(_ tables: LedgerTables, _ donation: DonationReceived, sign: Int64) throws {
        guard let pledgeId = donation.pledgeId else { return }
        try updatePledge(tables, pledgeId) {
            $0.received = try $0.received.adding(VND(sign * donation.amount.dong))
            $0.donationCount += sign
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
        try tables.modify(PledgeTotals.self, databases.pledgeTotals, .fund(pledge.fundId)) { totals in
            if totals == nil { totals = PledgeTotals() }
            totals!.pledged = try totals!.pledged.adding(try after.pledged.subtracting(before.pledged))
            totals!.outstanding = try totals!.outstanding.adding(try after.outstanding.subtracting(before.outstanding))
        }
    }
}
