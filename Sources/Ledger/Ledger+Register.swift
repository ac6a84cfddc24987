import EventLog
import Foundation

extension LedgerSnapshot {
    /// A fund's register: every entry that moved its money, in order of business date
    /// (a reversal on its own date; within a day, money in before money out, each in
    /// the order recorded, so the running balance never dips below the day's close),
    /// with the running balance and who recorded it, each counterpart named as `view`
    /// allows. `nil` for an unknown fund.
    public func fundRegister(_ fundId: String, view: NameView = .internal) throws -> [RegisterEntry]? {
        guard try tables.fund(fundId) != nil else { return nil }
        var entries: [RegisterEntry] = []
        // The registers read model keeps the lines in the order they are read.
        let prefix = LedgerKey.prefix(fundId)
        try tables.transaction.withCursor(tables.databases.registerLines) { cursor in
            var line = try cursor.seek(atLeast: prefix)
            while let current = line, current.key.count == prefix.count + 13, current.key.starts(with: prefix) {
                _ = try Seal.opened(current.value, key: current.key, in: tables.databases.registerLines)
                let position = current.key.loadBigEndianUInt64(at: prefix.count + 5)
                guard let stored = try log.event(at: position) else {
                    throw ProjectionFault(reason: "the register of \(fundId) names position \(position), which the log does not hold")
                }
                var entry = RegisterEntry(
                    position: stored.position, eventId: stored.eventId, type: stored.type, recordedAt: stored.recordedAt,
                    recordedBy: stored.recordedBy)
                try describe(try LedgerEvent.decode(stored), into: &entry, view: view, reversing: false)
                entries.append(entry)
                line = try cursor.next()
            }
        }
        var balance = VND.zero
        for index in entries.indices {
            balance = try balance.adding(entries[index].amount)
            entries[index].runningBalance = balance
        }
        return entries
    }

    /// The event `eventId` as a line of its fund's register (no running balance), and the
    /// fund, named as `view` allows; `nil` when the log has no such event. An event that
    /// moves no fund's money has no fund and an empty line.
    public func registerEntry(eventId: UUID, view: NameView) throws -> (fundId: String?, entry: RegisterEntry)? {
        guard let stored = try log.event(id: eventId) else { return nil }
        var entry = RegisterEntry(
            position: stored.position, eventId: stored.eventId, type: stored.type, recordedAt: stored.recordedAt,
            recordedBy: stored.recordedBy)
        let event = try LedgerEvent.decode(stored)
        entry.date = event.businessDate
        try describe(event, into: &entry, view: view, reversing: false)
        var fundId: String?
        switch event {
        case .fundOpened(let e): fundId = e.fundId
        case .donationReceived(let e): fundId = e.fundId
        case .disbursementMade(let e): fundId = e.fundId
        case .piggyBankDeposited(let e): fundId = try tables.model(e.modelId)?.fundId
        case .entryReversed(let reversal):
            fundId = try registerEntry(eventId: reversal.reversesEventId, view: view)?.fundId
        default: break
        }
        return (fundId, entry)
    }

    private func describe(_ event: LedgerEvent, into entry: inout RegisterEntry, view: NameView, reversing: Bool) throws {
        let sign: Int64 = reversing ? -1 : 1
        if !reversing { entry.date = event.businessDate }
        switch event {
        case .fundOpened(let opened):
            entry.counterpart = "balance brought forward"
            entry.amount = VND(sign * (opened.openingBalance?.dong ?? 0))
        case .donationReceived(let donation):
            entry.counterpart = try name(donation.donor, view: view)
            entry.amount = VND(sign * donation.amount.dong)
            entry.reference = donation.receiptNo ?? donation.pledgeId.map { "pledge " + $0 }
        case .piggyBankDeposited(let deposit):
            let member = try tables.member(deposit.memberId)
            switch view {
            case .internal:
                let name = try member.map { try self.name($0.fullName) } ?? deposit.memberId
                entry.counterpart = "\(name) (\(deposit.memberId)), \(deposit.modelId)"
            case .public:
                // No member's deposits under their name: the cell's, in public.
                entry.counterpart = [member?.cell, deposit.modelId].compactMap { $0 }.joined(separator: ", ")
            }
            entry.amount = VND(sign * deposit.amount.dong)
        case .disbursementMade(let disbursement):
            entry.counterpart = try name(disbursement.beneficiary, view: view)
            entry.purpose = disbursement.purpose
            entry.quantity = sign * disbursement.quantity
            entry.amount = VND(-sign * disbursement.amount.dong)
            entry.reference = disbursement.decisionRef ?? disbursement.programme
        case .entryReversed(let reversal):
            guard let original = try log.event(id: reversal.reversesEventId) else { return }
            entry.date = reversal.reversedOn
            entry.reversesPosition = original.position
            try describe(try LedgerEvent.decode(original), into: &entry, view: view, reversing: true)
            // The reason is a clerk's free text, which may name people: not in public.
            entry.reference = view == .public ? "reverses #\(original.position)" : "reverses #\(original.position): \(reversal.reason)"
        case .memberEnrolled, .memberLeft, .pledgeMade, .pledgeCancelled, .piggyBankModelStarted, .piggyBankModelClosed,
            .externalSupportRecorded, .periodClosed, .subjectErased, .storeMigrated:
            break  // no money moves in or out of a fund: not a line of its register
        }
    }

    /// Every cell (chi bộ): its members now and in all, and what they deposited.
    public func cells() throws -> [CellSummary] {
        var cells: [String: CellSummary] = [:]
        var cellOf: [String: String] = [:]
        try tables.scan(MemberRecord.self, tables.databases.members) { _, member in
            cellOf[member.memberId] = member.cell
            cells[member.cell, default: CellSummary(cell: member.cell)].membersEver += 1
            if member.leftOn == nil { cells[member.cell]!.membersNow += 1 }
        }
        try tables.scan(ModelMemberTotals.self, tables.databases.modelMembers) { key, totals in
            guard let separator = key.firstIndex(of: 0) else { return }
            let memberId = String(decoding: UnsafeRawBufferPointer(rebasing: key[(separator + 1)...]), as: UTF8.self)
            guard let cell = cellOf[memberId] else { return }
            cells[cell]!.deposits.count += totals.total.count
            cells[cell]!.deposits.amount = try cells[cell]!.deposits.amount.adding(totals.total.amount)
        }
        return cells.values.sorted { $0.cell < $1.cell }
    }

    /// How many events of each type the log holds.
    public func eventCounts() throws -> [EventType: UInt64] {
        var counts: [EventType: UInt64] = [:]
        for type in EventType.allCases {
            if let count = try tables.load(Int64.self, tables.databases.typeCounts, .type(type)) {
                counts[type] = UInt64(count)
            }
        }
        return counts
    }

}

/// One line of a fund's register.
public struct RegisterEntry: Hashable, Sendable {
    public var position: UInt64
    public var eventId: UUID
    public var type: String
    public var recordedAt: Timestamp
    public var recordedBy: String
    /// The business date (the reversal's own date for a reversal).
    public var date = LocalDate(dayNumber: 0)
    /// Donor, member, beneficiary: who the money came from or went to.
    public var counterpart = ""
    public var purpose: Purpose?
    public var quantity: Int64?
    /// Money in is positive, money out negative.
    public var amount: VND = .zero
    public var runningBalance: VND = .zero
    /// A receipt, pledge, decision or programme, or what a reversal reverses and why.
    public var reference: String?
    public var reversesPosition: UInt64?
}

/// A cell (chi bộ) and its members' deposits.
public struct CellSummary: Hashable, Sendable {
    public var cell: String
    public var membersNow = 0
    public var membersEver = 0
    public var deposits = MoneyTotals()
}
