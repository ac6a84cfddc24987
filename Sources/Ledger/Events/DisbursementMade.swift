import EventLog
import Foundation

/// Money paid out of a fund to a beneficiary: houses, gifts, health-insurance cards, …
public struct DisbursementMade: Codable, Hashable, Sendable {
    public var disbursementId: String
    public var fundId: String
    public var purpose: Purpose
    public var beneficiary: Beneficiary
    public var amount: VND
    public var quantity: Int64
    public var disbursedOn: LocalDate
    public var decisionRef: String?
    public var programme: String?

    public init(
        disbursementId: String, fundId: String, purpose: Purpose, beneficiary: Beneficiary, amount: VND,
        quantity: Int64 = 1, disbursedOn: LocalDate, decisionRef: String? = nil, programme: String? = nil
    ) {
        self.disbursementId = disbursementId
        self.fundId = fundId
        self.purpose = purpose
        self.beneficiary = beneficiary
        self.amount = amount
        self.quantity = quantity
        self.disbursedOn = disbursedOn
        self.decisionRef = decisionRef
        self.programme = programme
    }
}

extension DisbursementMade: EventDeclaration {
    static let type = EventType.disbursementMade
    static let isReversible = true
    /// 2: the beneficiary's name may be sealed (``PersonName``), and has an optional
    /// `area`; version 1 data is version 2 data.
    static let currentSchemaVersion: UInt32 = 2
    var businessDate: LocalDate { disbursedOn }
    var money: VND? { amount }
    var event: LedgerEvent { .disbursementMade(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.id(disbursementId, "disbursementId")
        try check.id(fundId, "fundId")
        try check.person(&beneficiary.name, "beneficiary.name")
        try check.optionalText(&beneficiary.area, "beneficiary.area", characterCountMax: LedgerLimits.nameCharactersMax)
        try check.amount(amount, "amount")
        try check.count(quantity, "quantity")
        try check.optionalText(&decisionRef, "decisionRef")
        try check.optionalText(&programme, "programme", characterCountMax: LedgerLimits.nameCharactersMax)
    }

    static func upcast(_ data: Payload, from version: UInt32) throws -> Payload {
        precondition(version == 1, "no upcaster for DisbursementMade version \(version)")
        return data
    }

    /// A disbursement id is paid once, from a fund open on its date whose balance stays
    /// at or above 0 on that date and every date after.
    func check(_ rules: Rules) throws -> Rules.Target {
        guard try rules.tables.disbursementPosition(disbursementId) == nil else {
            throw RuleViolation.disbursementAlreadyExists(disbursement: disbursementId)
        }
        let fund = try rules.fundOpen(fundId, on: disbursedOn)
        try rules.canPay(amount, from: fund, on: disbursedOn)
        try rules.person(beneficiary.name, role: .beneficiary, "beneficiary.name")
        return ("fund-" + fundId, .streamExists)
    }
}
