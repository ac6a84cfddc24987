import EventLog
import Foundation

/// The only way to correct a mistake: a new event that cancels an earlier one.
public struct EntryReversed: Codable, Hashable, Sendable {
    public var reversesEventId: UUID
    public var reversedOn: LocalDate
    public var reason: String

    public init(reversesEventId: UUID, reversedOn: LocalDate, reason: String) {
        self.reversesEventId = reversesEventId
        self.reversedOn = reversedOn
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case reversesEventId, reversedOn, reason
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .reversesEventId)
        guard let id = UUID(uuidString: text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .reversesEventId, in: container, debugDescription: "must be an event id (a UUID), not \(quoted(text))")
        }
        reversesEventId = id
        reversedOn = try container.decode(LocalDate.self, forKey: .reversedOn)
        reason = try container.decode(String.self, forKey: .reason)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(reversesEventId.uuidString.lowercased(), forKey: .reversesEventId)
        try container.encode(reversedOn, forKey: .reversedOn)
        try container.encode(reason, forKey: .reason)
    }
}

extension EntryReversed: EventDeclaration {
    static let type = EventType.entryReversed
    static let isReversible = false
    static let checksItsOwnDate = true
    var businessDate: LocalDate { reversedOn }
    var money: VND? { nil }
    var event: LedgerEvent { .entryReversed(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.text(&reason, "reason")
    }

    /// A reversible entry, reversed once, not before its date nor in a closed period;
    /// a reversal of money must leave its fund at or above 0 on every date. It goes to
    /// the stream of the entry it reverses.
    func check(_ rules: Rules) throws -> Rules.Target {
        let id = reversesEventId
        guard let stored = try rules.log.event(id: id) else { throw RuleViolation.entryNotFound(eventId: id) }
        let stream = stored.stream
        let original = try LedgerEvent.decode(stored)
        guard original.type.isReversible else {
            throw RuleViolation.entryNotReversible(eventId: id, type: original.type.rawValue)
        }
        if let position = try rules.tables.reversal(of: id) {
            throw RuleViolation.entryAlreadyReversed(eventId: id, reversalPosition: position)
        }
        try rules.notBefore(reversedOn, original.businessDate, "reversal date", "the entry is dated then")
        // A reversal is an entry of its own date. One of a status withdraws it from the
        // status's date on, but a status moves no money, so a closed period's figures hold.
        try rules.notInClosedPeriod(reversedOn, "a reversal dated \(reversedOn)")
        switch original {
        case .donationReceived(let donation):
            try rules.canPay(donation.amount, from: try rules.existingFund(donation.fundId), on: reversedOn)
        case .piggyBankDeposited(let deposit):
            guard let model = try rules.tables.model(deposit.modelId) else { throw RuleViolation.modelNotFound(model: deposit.modelId) }
            try rules.canPay(deposit.amount, from: try rules.existingFund(model.fundId), on: reversedOn)
        case .disbursementMade(let disbursement):
            _ = try rules.existingFund(disbursement.fundId).balance.adding(disbursement.amount)
        case .pledgeCancelled(let cancelled):
            guard let pledge = try rules.tables.pledge(cancelled.pledgeId), !pledge.voided else {
                throw RuleViolation.reversalNoLongerApplies(eventId: id, reason: "pledge \(cancelled.pledgeId) was reversed")
            }
        case .fundOpened, .memberEnrolled, .memberLeft, .pledgeMade, .piggyBankModelStarted, .piggyBankModelClosed,
            .externalSupportRecorded, .entryReversed, .periodClosed, .subjectErased, .storeMigrated:
            break  // whether it may be reversed at all was checked above; nothing more moves
        }
        return (stream, .streamExists)
    }
}
