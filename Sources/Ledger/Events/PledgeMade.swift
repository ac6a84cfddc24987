import EventLog
import Foundation

/// A donor promises an amount to a fund.
public struct PledgeMade: Codable, Hashable, Sendable {
    public var pledgeId: String
    public var fundId: String
    public var donor: Donor
    public var amount: VND
    public var pledgedOn: LocalDate
    public var dueOn: LocalDate?

    public init(pledgeId: String, fundId: String, donor: Donor, amount: VND, pledgedOn: LocalDate, dueOn: LocalDate? = nil) {
        self.pledgeId = pledgeId
        self.fundId = fundId
        self.donor = donor
        self.amount = amount
        self.pledgedOn = pledgedOn
        self.dueOn = dueOn
    }
}

extension PledgeMade: EventDeclaration {
    static let type = EventType.pledgeMade
    static let isReversible = true
    static let isStatus = true
    /// 2: the donor's name may be sealed (``PersonName``), and the donor may consent to
    /// be named (`publish`). Version 1 data is version 2 data.
    static let currentSchemaVersion: UInt32 = 2
    var businessDate: LocalDate { pledgedOn }
    var money: VND? { amount }
    var event: LedgerEvent { .pledgeMade(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.id(pledgeId, "pledgeId")
        try check.id(fundId, "fundId")
        try check.person(&donor.name, "donor.name")
        if donor.publish == false { donor.publish = nil }
        try check.amount(amount, "amount")
        try check.notBefore(dueOn, "dueOn", pledgedOn, "pledgedOn")
    }

    static func upcast(_ data: Payload, from version: UInt32) throws -> Payload {
        precondition(version == 1, "no upcaster for PledgeMade version \(version)")
        return data
    }

    /// A pledge id is made once, to a fund open on its date.
    func check(_ rules: Rules) throws -> Rules.Target {
        guard try rules.tables.pledge(pledgeId) == nil else { throw RuleViolation.pledgeAlreadyExists(pledge: pledgeId) }
        try rules.person(donor.name, role: donor.kind.isPerson ? .donor : nil, "donor.name")
        try rules.fundOpen(fundId, on: pledgedOn)
        return ("pledge-" + pledgeId, .noStream)
    }
}
