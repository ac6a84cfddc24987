import EventLog
import Foundation

public struct PiggyBankModelClosed: Codable, Hashable, Sendable {
    public var modelId: String
    public var closedOn: LocalDate
    public var decisionRef: String?

    public init(modelId: String, closedOn: LocalDate, decisionRef: String? = nil) {
        self.modelId = modelId
        self.closedOn = closedOn
        self.decisionRef = decisionRef
    }
}

extension PiggyBankModelClosed: EventDeclaration {
    static let type = EventType.piggyBankModelClosed
    static let isReversible = true
    static let isStatus = true
    var businessDate: LocalDate { closedOn }
    var money: VND? { nil }
    var event: LedgerEvent { .piggyBankModelClosed(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.id(modelId, "modelId")
        try check.optionalText(&decisionRef, "decisionRef")
    }

    /// A model closes once, not before it started nor before its last deposit.
    func check(_ rules: Rules) throws -> Rules.Target {
        guard let model = try rules.tables.model(modelId) else { throw RuleViolation.modelNotFound(model: modelId) }
        if let closedOn = model.closedOn { throw RuleViolation.modelAlreadyClosed(model: modelId, closedOn: closedOn) }
        try rules.notBefore(closedOn, model.startsOn, "closing date", "the model started then")
        if let lastDeposit = model.lastDepositOn {
            try rules.notBefore(closedOn, lastDeposit, "closing date", "the model has a deposit dated \(lastDeposit)")
        }
        return ("model-" + modelId, .streamExists)
    }
}
