import EventLog
import Foundation

public struct PledgeCancelled: Codable, Hashable, Sendable {
    public var pledgeId: String
    public var cancelledOn: LocalDate
    public var reason: String?

    public init(pledgeId: String, cancelledOn: LocalDate, reason: String? = nil) {
        self.pledgeId = pledgeId
        self.cancelledOn = cancelledOn
        self.reason = reason
    }
}

extension PledgeCancelled: EventDeclaration {
    static let type = EventType.pledgeCancelled
    static let isReversible = true
    static let isStatus = true
    var businessDate: LocalDate { cancelledOn }
    var money: VND? { nil }
    var event: LedgerEvent { .pledgeCancelled(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.id(pledgeId, "pledgeId")
        try check.optionalText(&reason, "reason")
    }

    /// A live pledge is cancelled once, not before it was made.
    func check(_ rules: Rules) throws -> Rules.Target {
        guard let pledge = try rules.tables.pledge(pledgeId) else { throw RuleViolation.pledgeNotFound(pledge: pledgeId) }
        if let cancelledOn = pledge.cancelledOn {
            throw RuleViolation.pledgeAlreadyCancelled(pledge: pledgeId, cancelledOn: cancelledOn)
        }
        _ = try rules.livePledge(pledgeId)
        try rules.notBefore(cancelledOn, pledge.pledgedOn, "cancellation date", "the pledge was made then")
        return ("pledge-" + pledgeId, .streamExists)
    }
}
