import EventLog
import Foundation

public struct MemberLeft: Codable, Hashable, Sendable {
    public var memberId: String
    public var leftOn: LocalDate
    public var reason: String?

    public init(memberId: String, leftOn: LocalDate, reason: String? = nil) {
        self.memberId = memberId
        self.leftOn = leftOn
        self.reason = reason
    }
}

extension MemberLeft: EventDeclaration {
    static let type = EventType.memberLeft
    static let isReversible = true
    static let isStatus = true
    var businessDate: LocalDate { leftOn }
    var money: VND? { nil }
    var event: LedgerEvent { .memberLeft(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.id(memberId, "memberId")
        try check.optionalText(&reason, "reason")
    }

    /// A member leaves once, not before joining, and after their last deposit.
    func check(_ rules: Rules) throws -> Rules.Target {
        let member = try rules.existingMember(memberId)
        if let leftOn = member.leftOn { throw RuleViolation.memberAlreadyLeft(member: memberId, leftOn: leftOn) }
        try rules.notBefore(leftOn, member.enrolledOn, "leaving date", "the member was enrolled then")
        if let lastDeposit = member.lastDepositOn, leftOn <= lastDeposit {
            throw RuleViolation.dateBefore(
                what: "leaving date", date: leftOn, earliest: lastDeposit.advanced(by: 1),
                reason: "the member has a deposit dated \(lastDeposit)")
        }
        return ("member-" + memberId, .streamExists)
    }
}
