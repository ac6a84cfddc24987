import Foundation

/// How many disbursements, how many units (cards, gifts, houses) and how much money.
public struct PurposeTotals: Codable, Hashable, Sendable {
    public var count: Int64 = 0
    public var quantity: Int64 = 0
    public var amount: VND = .zero

    public init(count: Int64 = 0, quantity: Int64 = 0, amount: VND = .zero) {
        self.count = count
        self.quantity = quantity
        self.amount = amount
    }

    mutating func add(count: Int64, quantity: Int64, amount: VND) throws {
        self.count += count
        self.quantity += quantity
        self.amount = try self.amount.adding(amount)
    }

    public var isEmpty: Bool { count == 0 && quantity == 0 && amount == .zero }
}

/// How many entries and how much money.
public struct MoneyTotals: Codable, Hashable, Sendable {
    public var count: Int64 = 0
    public var amount: VND = .zero

    public init(count: Int64 = 0, amount: VND = .zero) {
        self.count = count
        self.amount = amount
    }

    mutating func add(count: Int64, amount: VND) throws {
        self.count += count
        self.amount = try self.amount.adding(amount)
    }
}

/// A fund's balance sheet: the fund-balances projection, one per fund.
public struct FundBalance: Codable, Hashable, Sendable {
    public var fundId: String
    public var name: String
    public var openedOn: LocalDate
    public var purpose: String?
    public var openingBalance: VND
    /// Donations received, net of reversed ones.
    public var donations = MoneyTotals()
    /// Piggy-bank deposits into models of this fund, net of reversed ones.
    public var deposits = MoneyTotals()
    /// Σ of live pledges (not cancelled, not reversed).
    public var pledged: VND = .zero
    /// What live pledges still await: Σ max(0, pledged − received against the pledge).
    public var outstandingPledges: VND = .zero
    /// Per purpose (its raw name), net of reversed disbursements.
    public var disbursedByPurpose: [String: PurposeTotals] = [:]
    public var balance: VND

    init(opened: FundOpened) {
        fundId = opened.fundId
        name = opened.name
        openedOn = opened.openedOn
        purpose = opened.purpose
        openingBalance = opened.openingBalance ?? .zero
        balance = openingBalance
    }

    /// Donations and deposits.
    public var received: VND {
        get throws(MoneyOverflow) { try donations.amount.adding(deposits.amount) }
    }

    public var disbursed: PurposeTotals {
        get throws(MoneyOverflow) { try disbursedByPurpose.values.total() }
    }

    public func disbursed(for purpose: Purpose) -> PurposeTotals { disbursedByPurpose[purpose.rawValue] ?? PurposeTotals() }
}

/// A party member as the ledger knows them.
public struct MemberRecord: Codable, Hashable, Sendable {
    public var memberId: String
    /// Sealed (``PersonName``): shown through ``LedgerSnapshot/name(_:)``.
    public var fullName: PersonName
    public var cell: String
    public var enrolledOn: LocalDate
    public var leftOn: LocalDate?
    public var leftReason: String?
    /// The latest date of a deposit recorded for the member (reversed ones included):
    /// a leaving date must come after it.
    public var lastDepositOn: LocalDate?

    /// The member's cell and days of membership.
    var enrolment: Enrolment { Enrolment(memberId: memberId, cell: cell, enrolledOn: enrolledOn, leftOn: leftOn) }

    /// Enrolled and not yet left on `date`.
    public func isEnrolled(on date: LocalDate) -> Bool { enrolment.isEnrolled(on: date) }

    /// Days of `[start, end]` on which the member was enrolled.
    public func enrolledDays(from start: LocalDate, through end: LocalDate) -> Int64 {
        enrolment.enrolledDays(from: start, through: end)
    }
}

/// A member's cell and days of membership: what the piggy-bank read model keeps of a
/// member to count what they were expected to save (no name).
struct Enrolment: Codable, Hashable, Sendable {
    var memberId: String
    var cell: String
    var enrolledOn: LocalDate
    var leftOn: LocalDate?

    func isEnrolled(on date: LocalDate) -> Bool {
        enrolledOn <= date && (leftOn.map { date < $0 } ?? true)
    }

    /// Days of `[start, end]` on which the member was enrolled.
    func enrolledDays(from start: LocalDate, through end: LocalDate) -> Int64 {
        let first = max(start, enrolledOn)
        let last = leftOn.map { min(end, $0.advanced(by: -1)) } ?? end
        return first <= last ? Int64(first.distance(to: last) + 1) : 0
    }
}

/// What a fund's live pledges add up to: kept by the pledges read model, shown in the
/// fund's balance sheet.
struct PledgeTotals: Codable, Hashable, Sendable {
    /// Σ of live pledges (not cancelled, not reversed).
    var pledged: VND = .zero
    /// Σ max(0, pledged − received against the pledge) over live pledges.
    var outstanding: VND = .zero
}

public struct PledgeRecord: Codable, Hashable, Sendable {
    public var pledgeId: String
    public var fundId: String
    public var donor: Donor
    public var amount: VND
    public var pledgedOn: LocalDate
    public var dueOn: LocalDate?
    public var cancelledOn: LocalDate?
    /// The pledge itself was reversed (entered by mistake).
    public var voided = false
    public var received: VND = .zero
    public var donationCount: Int64 = 0

    public var isLive: Bool { cancelledOn == nil && !voided }
    /// What the pledge still awaits; zero once met or no longer live.
    public var outstanding: VND { isLive ? VND(max(0, amount.dong - received.dong)) : .zero }
    /// What was given beyond the pledge.
    public var surplus: VND { VND(max(0, received.dong - amount.dong)) }
}

public struct ModelRecord: Codable, Hashable, Sendable {
    public var modelId: String
    public var name: String
    public var fundId: String
    public var startsOn: LocalDate
    public var endsOn: LocalDate
    public var dailyTarget: VND
    public var closedOn: LocalDate?
    public var decisionRef: String?
    public var collected = MoneyTotals()
    /// The latest date of a deposit recorded into the model (reversed ones included):
    /// a closing date cannot come before it.
    public var lastDepositOn: LocalDate?
    /// The latest date of a deposit or of a deposit's reversal: from this date on, the
    /// totals the fold keeps are the totals as of that date.
    public var lastActivityOn: LocalDate?

    /// The last day savings are expected: the model's end, or its closing date when it
    /// was closed early.
    public var lastCountedDay: LocalDate { closedOn.map { min($0, endsOn) } ?? endsOn }
}

/// One member's deposits into one model.
public struct ModelMemberTotals: Codable, Hashable, Sendable {
    public var total = MoneyTotals()
    /// The days of the model's whole period on which the member is enrolled.
    public var enrolledDays: Int64 = 0

    /// What the member adds to their cell's line of the model's summary, or `nil` when
    /// they were never enrolled in the period and never deposited.
    func contribution(dailyTarget: VND) throws -> PiggyBankSummary.Cell? {
        guard enrolledDays > 0 || total.count > 0 else { return nil }
        let expected = try dailyTarget.multiplied(by: enrolledDays)
        let shortfall = total.amount < expected ? try expected.subtracting(total.amount) : .zero
        var line = PiggyBankSummary.Cell(cell: "")
        line.members = 1
        line.participating = total.count > 0 ? 1 : 0
        line.collected = total.amount
        line.deposits = total.count
        line.expected = expected
        line.belowTarget = shortfall > .zero ? 1 : 0
        line.shortfall = shortfall
        return line
    }
}

/// One row of a member's deposit history: a deposit, or the reversal of one, which
/// counts on its own date.
public struct DepositRecord: Codable, Hashable, Sendable {
    public var modelId: String
    /// The deposit's date, or for a reversal the reversal's date.
    public var depositedOn: LocalDate
    /// The deposit's amount, positive for a reversal too (``signedAmount`` takes it away).
    public var amount: VND
    /// A deposit that was reversed later (it still counts up to the reversal's date).
    public var reversed = false
    /// On a reversal's row, the position of the deposit it reverses; 0 on a deposit's
    /// (positions start at 1). Kept as a plain integer: a member's history holds
    /// thousands of rows, and an optional would widen each.
    private var reversedPosition: UInt64 = 0

    public init(modelId: String, depositedOn: LocalDate, amount: VND, reversed: Bool = false, reversesPosition: UInt64? = nil) {
        self.modelId = modelId
        self.depositedOn = depositedOn
        self.amount = amount
        self.reversed = reversed
        self.reversedPosition = reversesPosition ?? 0
    }

    /// On a reversal's row: the position of the deposit it reverses.
    public var reversesPosition: UInt64? { reversedPosition == 0 ? nil : reversedPosition }
    public var isReversal: Bool { reversedPosition != 0 }
    /// What the row adds to the member's savings on its date.
    public var signedAmount: VND { isReversal ? amount.negated : amount }

    /// The stored form, a fixed layout read without parsing (there is one row per
    /// deposit, and a member's history reads all of theirs): amount (i64), day number
    /// (i32), kind (u8: 0 a deposit, 1 a deposit reversed later, 2 a reversal, followed
    /// by the reversed deposit's position, u64), all big-endian, then the model id in UTF-8.
    func storedBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(21 + modelId.utf8.count)
        withUnsafeBytes(of: amount.dong.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: depositedOn.dayNumber.bigEndian) { bytes.append(contentsOf: $0) }
        if let reversesPosition {
            bytes.append(2)
            withUnsafeBytes(of: reversesPosition.bigEndian) { bytes.append(contentsOf: $0) }
        } else {
            bytes.append(reversed ? 1 : 0)
        }
        bytes.append(contentsOf: modelId.utf8)
        return bytes
    }

    /// The row read before, when reading a member's rows in order: its stored bytes
    /// (the map's, valid in the transaction) and its model id.
    struct Previous {
        var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        var modelId = ""
    }

    /// Reads ``storedBytes()``; `nil` when the bytes cannot be one.
    init?(storedBytes bytes: UnsafeRawBufferPointer) {
        var previous = Previous()
        self.init(storedBytes: bytes, previous: &previous)
    }

    /// Reads ``storedBytes()``, and remembers it in `previous`. A member's rows nearly
    /// all name the same model: an equal model id to the previous row's reuses its
    /// string rather than validate and build it again.
    init?(storedBytes bytes: UnsafeRawBufferPointer, previous: inout Previous) {
        guard bytes.count > 13, bytes[12] <= 2 else { return nil }
        let amount = Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: Int64.self))
        let day = Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: Int32.self))
        let kind = bytes[12]
        var reversesPosition: UInt64?
        var modelOffset = 13
        if kind == 2 {
            guard bytes.count > 21 else { return nil }
            reversesPosition = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 13, as: UInt64.self))
            modelOffset = 21
        }
        let modelBytes = UnsafeRawBufferPointer(rebasing: bytes[modelOffset...])
        let modelId: String
        if previous.bytes.count == bytes.count, previous.bytes[12] == kind,
            memcmp(previous.bytes.baseAddress! + modelOffset, modelBytes.baseAddress!, modelBytes.count) == 0
        {
            modelId = previous.modelId
        } else {
            guard let decoded = String(validating: modelBytes, as: UTF8.self) else { return nil }
            modelId = decoded
            previous.modelId = decoded
        }
        previous.bytes = bytes
        self.init(
            modelId: modelId, depositedOn: LocalDate(dayNumber: day), amount: VND(amount), reversed: kind == 1,
            reversesPosition: reversesPosition)
    }
}

/// What moved in one fund on one day: the period report's building block.
public struct FundDay: Codable, Hashable, Sendable {
    /// The opening balance, brought forward on the day the fund opened.
    public var broughtForward: VND = .zero
    public var donations = MoneyTotals()
    public var deposits = MoneyTotals()
    public var disbursedByPurpose: [String: PurposeTotals] = [:]

    public init() {}
}

/// Help arranged from outside the funds, as reported: a record on its date, or the
/// reversal of one on the reversal's date, which takes it away in that period.
public struct ExternalSupportRecord: Codable, Hashable, Sendable {
    public var support: ExternalSupportRecorded
    /// The record's event id (on a reversal's line too: the record it takes away).
    public var eventId: String
    /// On a record: it was reversed on this date.
    public var reversedOn: LocalDate?
    /// On a reversal's line: why.
    public var reversalReason: String?
    /// This line is a reversal: it counts against its period.
    public var isReversal = false

    /// The date the line counts on.
    public var date: LocalDate { isReversal ? (reversedOn ?? support.recordedOn) : support.recordedOn }
    /// The value, taken away on a reversal's line.
    public var signedValue: VND { isReversal ? support.value.negated : support.value }
    public var signedBeneficiaries: Int64 { isReversal ? -support.beneficiaries : support.beneficiaries }
}

/// A closed period (khoá sổ), as `ansinh periods` lists it.
public struct PeriodRecord: Codable, Hashable, Sendable {
    public var through: LocalDate
    public var decision: String
    public var position: UInt64
    public var eventId: String
    public var funds: [PeriodClosed.FundFigure]
    public var models: [PeriodClosed.ModelFigure]
}

extension Sequence where Element == PurposeTotals {
    /// Counts, quantities and amounts added up (the amount checked).
    public func total() throws(MoneyOverflow) -> PurposeTotals {
        var total = PurposeTotals()
        for totals in self {
            total.count += totals.count
            total.quantity += totals.quantity
            total.amount = try total.amount.adding(totals.amount)
        }
        return total
    }
}
