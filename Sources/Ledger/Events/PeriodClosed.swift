import EventLog
import Foundation

/// The books are closed (khoá sổ) through a date: nothing dated on or before it can be
/// recorded afterwards. The event carries each fund's balance and each piggy-bank
/// model's collected savings at that date, which an audit recomputes from the log.
public struct PeriodClosed: Codable, Hashable, Sendable {
    /// The last day of the closed period.
    public var through: LocalDate
    /// The decision that closes it, such as "Quyết định 12/QĐ-MTTQ".
    public var decision: String
    /// Every fund opened by `through`, by fund id.
    public var funds: [FundFigure]
    /// Every piggy-bank model started by `through`, by model id.
    public var models: [ModelFigure]

    public init(through: LocalDate, decision: String, funds: [FundFigure] = [], models: [ModelFigure] = []) {
        self.through = through
        self.decision = decision
        self.funds = funds
        self.models = models
    }

    /// A fund's balance at the end of the closed period.
    public struct FundFigure: Codable, Hashable, Sendable {
        public var fundId: String
        public var balance: VND

        public init(fundId: String, balance: VND) {
            self.fundId = fundId
            self.balance = balance
        }
    }

    /// What a piggy-bank model had collected by the end of the closed period, net of reversals.
    public struct ModelFigure: Codable, Hashable, Sendable {
        public var modelId: String
        public var collected: VND

        public init(modelId: String, collected: VND) {
            self.modelId = modelId
            self.collected = collected
        }
    }
}

extension PeriodClosed: EventDeclaration {
    static let type = EventType.periodClosed
    static let isReversible = false
    static let checksItsOwnDate = true
    var businessDate: LocalDate { through }
    var money: VND? { nil }
    var event: LedgerEvent { .periodClosed(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.text(&decision, "decision")
        for (index, figure) in funds.enumerated() {
            try check.id(figure.fundId, "funds[\(index)].fundId")
            try check.amount(figure.balance, "funds[\(index)].balance", minimum: 0)
        }
        for (index, figure) in models.enumerated() {
            try check.id(figure.modelId, "models[\(index)].modelId")
            try check.amount(figure.collected, "models[\(index)].collected", minimum: 0)
        }
        guard funds.count <= LedgerLimits.periodFiguresMax else {
            throw check.fail("funds", "must list at most \(LedgerLimits.periodFiguresMax) funds")
        }
        guard models.count <= LedgerLimits.periodFiguresMax else {
            throw check.fail("models", "must list at most \(LedgerLimits.periodFiguresMax) models")
        }
    }

    /// A close of the books: after the last one, not past today, with the figures the log gives.
    func check(_ rules: Rules) throws -> Rules.Target {
        if let closedThrough = try rules.tables.closedThrough(), through <= closedThrough {
            throw RuleViolation.periodAlreadyClosed(through: through, closedThrough: closedThrough)
        }
        guard through <= rules.today else { throw RuleViolation.periodNotOver(through: through, today: rules.today) }
        let figures = try rules.tables.periodFigures(through: through)
        if let difference = PeriodFigures.firstDifference(
            recorded: funds, computed: figures.funds, id: \.fundId, value: \.balance, what: "fund", measure: "balance")
            ?? PeriodFigures.firstDifference(
                recorded: models, computed: figures.models, id: \.modelId, value: \.collected, what: "piggy-bank model",
                measure: "collected")
        {
            throw RuleViolation.periodFiguresDiffer(through: through, detail: difference)
        }
        return ("periods", .any)
    }
}
