import EventLog
import Foundation

/// Quỹ: a fund is opened, with an optional balance brought forward.
public struct FundOpened: Codable, Hashable, Sendable {
    public var fundId: String
    public var name: String
    public var openedOn: LocalDate
    public var openingBalance: VND?
    public var purpose: String?

    public init(fundId: String, name: String, openedOn: LocalDate, openingBalance: VND? = nil, purpose: String? = nil) {
        self.fundId = fundId
        self.name = name
        self.openedOn = openedOn
        self.openingBalance = openingBalance
        self.purpose = purpose
    }
}

extension FundOpened: EventDeclaration {
    static let type = EventType.fundOpened
    static let isReversible = false
    var businessDate: LocalDate { openedOn }
    var money: VND? { openingBalance }
    var event: LedgerEvent { .fundOpened(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.id(fundId, "fundId")
        try check.name(&name, "name")
        if let balance = openingBalance { try check.amount(balance, "openingBalance", minimum: 0) }
        try check.optionalText(&purpose, "purpose")
    }

    /// A fund id is opened once.
    func check(_ rules: Rules) throws -> Rules.Target {
        guard try rules.tables.fund(fundId) == nil else { throw RuleViolation.fundAlreadyExists(fund: fundId) }
        return ("fund-" + fundId, .noStream)
    }
}
