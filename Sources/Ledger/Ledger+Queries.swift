import EventLog
import Foundation

extension LedgerSnapshot {
    /// Every fund's balance sheet, by fund id.
    public func funds() throws -> [FundBalance] {
        var funds: [FundBalance] = []
        try tables.scan(FundBalance.self, tables.databases.funds) { _, fund in funds.append(fund) }
        for index in funds.indices { try tables.addPledgeSums(to: &funds[index]) }
        return funds
    }

    public func fund(_ fundId: String) throws -> FundBalance? {
        try tables.fund(fundId)
    }

    /// Every member, by member id, named as `view` allows.
    public func members(view: NameView = .internal) throws -> [MemberRecord] {
        var members: [MemberRecord] = []
        try tables.scan(MemberRecord.self, tables.databases.members) { _, member in members.append(try shown(member, view)) }
        return members
    }

    public func member(_ memberId: String, view: NameView = .internal) throws -> MemberRecord? {
        try tables.member(memberId).map { try shown($0, view) }
    }

    /// A member's cell, without opening their name.
    public func cell(ofMember memberId: String) throws -> String? {
        try tables.member(memberId)?.cell
    }

    /// Every pledge, its donor named as `view` allows.
    public func pledges(view: NameView = .internal) throws -> [PledgeRecord] {
        var pledges: [PledgeRecord] = []
        try tables.scan(PledgeRecord.self, tables.databases.pledges) { _, pledge in
            var shown = pledge
            shown.donor.name = .plain(try name(pledge.donor, view: view))
            pledges.append(shown)
        }
        return pledges
    }

    /// `member` with their name as `view` shows it, in the clear.
    func shown(_ member: MemberRecord, _ view: NameView) throws -> MemberRecord {
        var shown = member
        shown.fullName = .plain(try name(member, view: view))
        return shown
    }

    public func models() throws -> [ModelRecord] {
        var models: [ModelRecord] = []
        try tables.scan(ModelRecord.self, tables.databases.models) { _, model in models.append(model) }
        return models
    }

    /// A member's contribution history: every deposit, and every reversal of one on its
    /// own date, in date order with the running total, and what they add up to. `nil`
    /// for an unknown member.
    public func memberHistory(_ memberId: String, view: NameView = .internal) throws -> MemberHistory? {
        guard let member = try tables.member(memberId).map({ try shown($0, view) }) else { return nil }
        var rows = try tables.deposits(of: memberId)
        // Rows come in recording order, mostly already in date order.
        rows.sort { left, right in
            left.record.depositedOn != right.record.depositedOn
                ? left.record.depositedOn < right.record.depositedOn : left.position < right.position
        }
        var history = MemberHistory(member: member)
        history.deposits.reserveCapacity(rows.count)
        var perModel: [(modelId: String, total: VND)] = []  // a member saves in a few models
        var lastCountedDay: LocalDate?
        for row in rows {
            let amount = row.record.signedAmount
            history.total = try history.total.adding(amount)
            history.deposits.append(
                MemberHistory.Deposit(
                    position: row.position, modelId: row.record.modelId, depositedOn: row.record.depositedOn, amount: amount,
                    reversed: row.record.reversed, reversesPosition: row.record.reversesPosition, runningTotal: history.total))
            if let index = perModel.firstIndex(where: { $0.modelId == row.record.modelId }) {
                perModel[index].total = try perModel[index].total.adding(amount)
            } else {
                perModel.append((row.record.modelId, amount))
            }
            // Days with a deposit that stands: a reversed one is not a day saved.
            guard !row.record.reversed, !row.record.isReversal else { continue }
            if lastCountedDay != row.record.depositedOn {  // rows are in date order
                history.depositDays += 1
                lastCountedDay = row.record.depositedOn
            }
            history.lastDepositOn = row.record.depositedOn
        }
        for (modelId, total) in perModel {
            guard let target = try tables.model(modelId)?.dailyTarget, target.dong > 0 else { continue }
            history.daysCovered += total.dong / target.dong
        }
        return history
    }

    /// The summary of a piggy-bank model as of the end of `asOf`: the deposits dated on
    /// or before it less the reversals dated on or before it, against what was expected
    /// up to it (never past the model's end, or its close when it closed early). Without
    /// `asOf`, everything recorded, whatever its date.
    public func piggyBankSummary(_ modelId: String, asOf: LocalDate? = nil) throws -> PiggyBankSummary? {
        guard let model = try tables.model(modelId) else { return nil }
        if let asOf, asOf < model.lastCountedDay || asOf < (model.lastActivityOn ?? asOf) {
            return try piggyBankSummaryByScan(modelId, asOf: asOf)
        }
        // Everything up to now: read the lines the fold keeps per cell, and the members below target.
        var summary = PiggyBankSummary(model: model, countedThrough: model.lastCountedDay)
        if let asOf {
            summary.fundBalance = try tables.balance(of: model.fundId, through: asOf)
        } else {
            summary.fundBalance = try tables.fund(model.fundId)?.balance ?? .zero
        }
        let prefix = LedgerKey.prefix(modelId)
        try tables.scan(PiggyBankSummary.Cell.self, tables.databases.modelCells, prefix: prefix) { _, cell in
            try summary.add(cell)
        }
        try tables.transaction.withCursor(tables.databases.belowTarget) { cursor in
            var entry = try cursor.seek(atLeast: prefix)
            while let current = entry, current.key.starts(with: prefix) {
                _ = try Seal.opened(current.value, key: current.key, in: tables.databases.belowTarget)
                let memberId = String(decoding: UnsafeRawBufferPointer(rebasing: current.key[prefix.count...]), as: UTF8.self)
                guard let member = try tables.member(memberId).map({ try shown($0, .internal) }),
                    let totals = try tables.modelMember(modelId, memberId),
                    let line = try totals.contribution(dailyTarget: model.dailyTarget)
                else { throw ProjectionFault(reason: "the below-target list of \(modelId) names \(memberId), who has no totals") }
                summary.belowTarget.append(
                    .init(member: member, enrolledDays: totals.enrolledDays, expected: line.expected, deposited: line.collected,
                          shortfall: line.shortfall))
                entry = try cursor.next()
            }
        }
        summary.belowTarget.sort { ($1.shortfall, $0.member.memberId) < ($0.shortfall, $1.member.memberId) }
        return summary
    }

    /// The summary computed from every member's records, for any cut-off date.
    func piggyBankSummaryByScan(_ modelId: String, asOf: LocalDate?) throws -> PiggyBankSummary? {
        guard let model = try tables.model(modelId) else { return nil }
        let through = min(model.lastCountedDay, asOf ?? model.lastCountedDay)
        var summary = PiggyBankSummary(model: model, countedThrough: through)
        if let asOf {
            summary.fundBalance = try tables.balance(of: model.fundId, through: asOf)
        } else {
            summary.fundBalance = try tables.fund(model.fundId)?.balance ?? .zero
        }
        var cells: [String: PiggyBankSummary.Cell] = [:]
        try tables.scan(Enrolment.self, tables.databases.roster) { _, member in
            var totals = try tables.modelMember(modelId, member.memberId) ?? ModelMemberTotals()
            totals.enrolledDays = member.enrolledDays(from: model.startsOn, through: through)
            if let asOf {
                // Only what is dated up to `asOf` counts: deposits, less reversals.
                totals.total = try deposits(of: member.memberId, into: modelId, through: asOf)
            }
            // The same line the fold keeps per member, added up the same way.
            guard let line = try totals.contribution(dailyTarget: model.dailyTarget) else { return }
            try cells[member.cell, default: PiggyBankSummary.Cell(cell: member.cell)].add(line, sign: 1)
            if line.belowTarget > 0, let record = try tables.member(member.memberId).map({ try shown($0, .internal) }) {
                summary.belowTarget.append(
                    .init(member: record, enrolledDays: totals.enrolledDays, expected: line.expected, deposited: line.collected,
                          shortfall: line.shortfall))
            }
        }
        for cell in cells.values.sorted(by: { $0.cell < $1.cell }) { try summary.add(cell) }
        summary.belowTarget.sort { ($1.shortfall, $0.member.memberId) < ($0.shortfall, $1.member.memberId) }
        return summary
    }

    /// A member's deposits into a model dated up to `through`, less the reversals dated up to it.
    private func deposits(of memberId: String, into modelId: String, through: LocalDate) throws -> MoneyTotals {
        var totals = MoneyTotals()
        for (_, deposit) in try tables.deposits(of: memberId) where deposit.modelId == modelId && deposit.depositedOn <= through {
            try totals.add(count: deposit.isReversal ? -1 : 1, amount: deposit.signedAmount)
        }
        return totals
    }

    /// The period report: per fund opening, received, paid out per purpose and closing
    /// over `[from, to]`, and the external support recorded in it.
    public func periodReport(from: LocalDate, to: LocalDate) throws -> PeriodReport {
        var report = PeriodReport(from: from, to: to)
        try tables.scan(FundBalance.self, tables.databases.funds) { _, fund in
            guard fund.openedOn <= to else { return }
            report.funds.append(try fundPeriod(fund, from: from, to: to, tables: tables))
        }
        // Records on their dates and reversals on theirs: both are keyed by the date they count on.
        try tables.transaction.withCursor(tables.databases.externalSupport) { cursor in
            var entry = try cursor.seek(atLeast: LedgerKey.day(from))
            while let current = entry, LedgerKey.date(fromDayKey: current.key) <= to {
                let value = try Seal.opened(current.value, key: current.key, in: tables.databases.externalSupport)
                report.externalSupport.append(try ExternalSupportRecord(rowBytes: value))
                entry = try cursor.next()
            }
        }
        report.closedPeriods = try periods()
        return report
    }

    private func fundPeriod(_ fund: FundBalance, from: LocalDate, to: LocalDate, tables: LedgerTables) throws -> FundPeriod {
        var period = FundPeriod(fundId: fund.fundId, name: fund.name)
        let prefix = LedgerKey.prefix(fund.fundId)
        try tables.scan(FundDay.self, tables.databases.fundDays, prefix: prefix) { key, day in
            let date = LedgerKey.date(fromDayKey: UnsafeRawBufferPointer(rebasing: key[prefix.count...]))
            guard date <= to else { return }
            let disbursed = try day.disbursedByPurpose.values.total().amount
            if date < from {
                let net = try day.broughtForward.adding(day.donations.amount).adding(day.deposits.amount).subtracting(disbursed)
                period.opening = try period.opening.adding(net)
                return
            }
            period.opening = try period.opening.adding(day.broughtForward)
            try period.donations.add(count: day.donations.count, amount: day.donations.amount)
            try period.deposits.add(count: day.deposits.count, amount: day.deposits.amount)
            for (purpose, totals) in day.disbursedByPurpose {
                try period.disbursedByPurpose[purpose, default: PurposeTotals()].add(
                    count: totals.count, quantity: totals.quantity, amount: totals.amount)
            }
        }
        period.closing = try period.opening.adding(try period.received).subtracting(try period.disbursed.amount)
        return period
    }
}

/// A member's deposits, in date order, with running totals.
public struct MemberHistory: Hashable, Sendable {
    public struct Deposit: Hashable, Sendable {
        public var position: UInt64
        public var modelId: String
        public var depositedOn: LocalDate
        /// Taken away (negative) on a reversal's row.
        public var amount: VND
        /// A deposit reversed later: it counts until the reversal's row takes it away.
        public var reversed: Bool
        /// On a reversal's row, dated the reversal's date: the position of the deposit it takes away.
        public var reversesPosition: UInt64? { reversedPosition == 0 ? nil : reversedPosition }
        public var runningTotal: VND
        /// 0 on a deposit's row: a plain integer keeps the row narrow (a history holds thousands).
        private var reversedPosition: UInt64

        public init(
            position: UInt64, modelId: String, depositedOn: LocalDate, amount: VND, reversed: Bool, reversesPosition: UInt64?,
            runningTotal: VND
        ) {
            self.position = position
            self.modelId = modelId
            self.depositedOn = depositedOn
            self.amount = amount
            self.reversed = reversed
            self.reversedPosition = reversesPosition ?? 0
            self.runningTotal = runningTotal
        }
    }

    public var member: MemberRecord
    public var deposits: [Deposit] = []
    /// Deposits less reversals.
    public var total: VND = .zero
    /// Distinct dates with a deposit that was not reversed.
    public var depositDays = 0
    /// Days the savings cover at each model's daily target (total ÷ target, summed over models).
    public var daysCovered: Int64 = 0
    /// The latest date of a deposit that was not reversed.
    public var lastDepositOn: LocalDate?
}

/// The end-of-November summary of a piggy-bank model (mô hình ống heo tiết kiệm).
public struct PiggyBankSummary: Hashable, Sendable {
    public struct Shortfall: Hashable, Sendable {
        public var member: MemberRecord
        public var enrolledDays: Int64
        public var expected: VND
        public var deposited: VND
        public var shortfall: VND
    }

    public struct Cell: Codable, Hashable, Sendable {
        public var cell: String
        public var members = 0
        public var participating = 0
        public var collected: VND = .zero
        public var deposits: Int64 = 0
        public var expected: VND = .zero
        public var belowTarget = 0
        public var shortfall: VND = .zero

        /// Adds (`sign` 1) or takes away (`sign` -1) one member's line.
        mutating func add(_ line: Cell, sign: Int64) throws {
            members += Int(sign) * line.members
            participating += Int(sign) * line.participating
            collected = try collected.adding(VND(sign * line.collected.dong))
            deposits += sign * line.deposits
            expected = try expected.adding(VND(sign * line.expected.dong))
            belowTarget += Int(sign) * line.belowTarget
            shortfall = try shortfall.adding(VND(sign * line.shortfall.dong))
        }
    }

    /// Adds a cell's line (one with members) to the summary's totals and cells.
    mutating func add(_ cell: Cell) throws {
        guard cell.members > 0 else { return }
        cells.append(cell)
        membersEnrolled += cell.members
        membersParticipating += cell.participating
        collected = try collected.adding(cell.collected)
        depositCount += cell.deposits
        expected = try expected.adding(cell.expected)
    }

    public var model: ModelRecord
    /// Expected savings are counted from the model's start through this date.
    public var countedThrough: LocalDate
    /// Members enrolled on at least one day of the period (or who deposited).
    public var membersEnrolled = 0
    /// Members with at least one deposit.
    public var membersParticipating = 0
    public var depositCount: Int64 = 0
    public var collected: VND = .zero
    /// Σ members' enrolled days in the period × the daily target.
    public var expected: VND = .zero
    /// Members who saved less than expected, largest shortfall first.
    public var belowTarget: [Shortfall] = []
    public var cells: [Cell] = []
    /// The balance of the model's fund, for the Standing Committee's decision.
    public var fundBalance: VND = .zero

    /// Collected ÷ expected, in hundredths of a percent (10 000 = 100 %).
    public var attainmentBasisPoints: Int64 { Self.attainmentBasisPoints(collected: collected, expected: expected) }

    /// `collected` ÷ `expected` in hundredths of a percent, rounded down, in whole numbers:
    /// the rule every summary of saving against a target follows, the province's too.
    public static func attainmentBasisPoints(collected: VND, expected: VND) -> Int64 {
        guard expected.dong > 0, collected.dong >= 0 else { return 0 }
        guard collected.dong / expected.dong < Int64.max / 10_000 else { return Int64.max }
        let product = collected.dong.multipliedFullWidth(by: 10_000)
        let (quotient, _) = expected.dong.dividingFullWidth((high: product.high, low: product.low))
        return quotient
    }
}

/// One fund over a period.
public struct FundPeriod: Hashable, Sendable {
    public var fundId: String
    public var name: String
    public var opening: VND = .zero
    public var donations = MoneyTotals()
    public var deposits = MoneyTotals()
    public var disbursedByPurpose: [String: PurposeTotals] = [:]
    public var closing: VND = .zero

    public var received: VND {
        get throws(MoneyOverflow) { try donations.amount.adding(deposits.amount) }
    }

    public var disbursed: PurposeTotals {
        get throws(MoneyOverflow) { try disbursedByPurpose.values.total() }
    }

    public func disbursed(for purpose: Purpose) -> PurposeTotals { disbursedByPurpose[purpose.rawValue] ?? PurposeTotals() }
}

/// The period report: the funds and the external support over a date range.
public struct PeriodReport: Hashable, Sendable {
    public var from: LocalDate
    public var to: LocalDate
    public var funds: [FundPeriod] = []
    /// The records dated in the period, and the reversals dated in it (which take theirs away).
    public var externalSupport: [ExternalSupportRecord] = []
    /// Every close of the books so far, oldest first.
    public var closedPeriods: [PeriodRecord] = []

    /// Records less reversals.
    public var externalSupportValue: VND {
        get throws(MoneyOverflow) { try externalSupport.map(\.signedValue).sum() }
    }
    public var externalSupportBeneficiaries: Int64 { externalSupport.reduce(0) { $0 + $1.signedBeneficiaries } }

    /// The books are closed through the report's last day: its figures can no longer change.
    public var isClosed: Bool { closedPeriods.last.map { to <= $0.through } ?? false }
}
