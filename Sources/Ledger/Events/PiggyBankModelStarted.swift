import EventLog
import Foundation

/// Mô hình "ống heo tiết kiệm": members save at least `dailyTarget` a day over a period.
public struct PiggyBankModelStarted: Codable, Hashable, Sendable {
    public var modelId: String
    public var name: String
    public var fundId: String
    public var startsOn: LocalDate
    public var endsOn: LocalDate
    public var dailyTarget: VND

    public init(modelId: String, name: String, fundId: String, startsOn: LocalDate, endsOn: LocalDate, dailyTarget: VND = VND(1_000)) {
        self.modelId = modelId
        self.name = name
        self.fundId = fundId
        self.startsOn = startsOn
        self.endsOn = endsOn
        self.dailyTarget = dailyTarget
    }
}

extension PiggyBankModelStarted: EventDeclaration {
    static let type = EventType.piggyBankModelStarted
    static let isReversible = false
    var businessDate: LocalDate { startsOn }
    var money: VND? { nil }
    var event: LedgerEvent { .piggyBankModelStarted(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.id(modelId, "modelId")
        try check.name(&name, "name")
        try check.id(fundId, "fundId")
        try check.notBefore(endsOn, "endsOn", startsOn, "startsOn")
        try check.amount(dailyTarget, "dailyTarget", maximum: LedgerLimits.dailyTargetMax)
    }

    /// A model id is started once, into a fund open on its first day.
    func check(_ rules: Rules) throws -> Rules.Target {
        guard try rules.tables.model(modelId) == nil else { throw RuleViolation.modelAlreadyExists(model: modelId) }
        try rules.fundOpen(fundId, on: startsOn)
        return ("model-" + modelId, .noStream)
    }
}
