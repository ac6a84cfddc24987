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
    public var fullName: String
    public var cell: String
    public var enrolledOn: LocalDate
    public var leftOn: LocalDate?
    public var leftReason: String?
    /// The latest date of a deposit recorded for the member (reversed ones included):
    /// a leaving date must come after it.
    public var lastDepositOn: LocalDate?

    /// Enrolled and not yet left on `date`.
    public func isEnrolled(on date: LocalDate) -> Bool {
        enrolledOn <= date && (leftOn.map { date < $0 } ?? true)
    }

    /// Days of `[start, end]` on which the member was enrolled.
    public func enrolledDays(from start: LocalDate, through end: LocalDate) -> Int64 {
        let first = max(start, enrolledOn)
        let last = leftOn.map { min(end, $0.advanced(by: -1)) } ?? end
        return first <= last ? Int64(first.distance(to: last) + 1) : 0
    }
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

/// One deposit in a member's history.
public struct DepositRecord: Codable, Hashable, Sendable {
    public var modelId: String
    public var depositedOn: LocalDate
    public var amount: VND
    public var reversed = false

    public init(modelId: String, depositedOn: LocalDate, amount: VND, reversed: Bool = false) {
        self.modelId = modelId
        self.depositedOn = depositedOn
        self.amount = amount
        self.reversed = reversed
    }

    /// The stored form, a fixed layout read without parsing (there is one row per
    /// deposit, and a member's history reads all of theirs): amount (i64), day number
    /// (i32), reversed (u8), all big-endian, then the model id in UTF-8.
    func storedBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(13 + modelId.utf8.count)
        withUnsafeBytes(of: amount.dong.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: depositedOn.dayNumber.bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(reversed ? 1 : 0)
        bytes.append(contentsOf: modelId.utf8)
        return bytes
    }

    /// Reads ``storedBytes()``; `nil` when the bytes cannot be one. A member's rows
    /// nearly all name the same model: given the previous row's stored bytes and
    /// record, an equal model id reuses its string rather than validate and build it again.
    init?(storedBytes bytes: UnsafeRawBufferPointer, previous: (bytes: UnsafeRawBufferPointer, record: DepositRecord)? = nil) {
        guard bytes.count > 13, bytes[12] <= 1 else { return nil }
        let amount = Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: Int64.self))
        let day = Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: Int32.self))
        let modelBytes = UnsafeRawBufferPointer(rebasing: bytes[13...])
        let modelId: String
        if let previous, previous.bytes.count == bytes.count,
            memcmp(previous.bytes.baseAddress! + 13, modelBytes.baseAddress!, modelBytes.count) == 0
        {
            modelId = previous.record.modelId
        } else {
            guard let decoded = String(validating: modelBytes, as: UTF8.self) else { return nil }
            modelId = decoded
        }
        self.init(modelId: modelId, depositedOn: LocalDate(dayNumber: day), amount: VND(amount), reversed: bytes[12] == 1)
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

/// Help arranged from outside the funds, as reported.
public struct ExternalSupportRecord: Codable, Hashable, Sendable {
    public var support: ExternalSupportRecorded
    public var eventId: String
    public var reversed = false
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
