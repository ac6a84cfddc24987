import EventLog
import Foundation

/// Closing the books (khoá sổ): the figures a close carries, and the closes kept.
extension LedgerTables {
    /// Each fund's balance at the end of `date` (the funds opened by then), and what each
    /// piggy-bank model started by then had collected, net of reversals dated by then.
    /// Reads the tables themselves, after writing back the cache.
    func periodFigures(through date: LocalDate) throws -> (funds: [PeriodClosed.FundFigure], models: [PeriodClosed.ModelFigure]) {
        let tables = try flushed()
        var funds: [PeriodClosed.FundFigure] = []
        try tables.scan(FundBalance.self, databases.funds) { _, fund in
            guard fund.openedOn <= date else { return }
            funds.append(.init(fundId: fund.fundId, balance: try tables.balance(of: fund.fundId, through: date)))
        }
        var collected: [String: VND] = [:]
        try tables.scan(ModelRecord.self, databases.models) { _, model in
            if model.startsOn <= date { collected[model.modelId] = .zero }
        }
        if !collected.isEmpty {
            try tables.scan(DepositRecord.self, databases.deposits) { _, row in
                guard row.depositedOn <= date, let total = collected[row.modelId] else { return }
                collected[row.modelId] = try total.adding(row.signedAmount)
            }
        }
        let models = collected.map { PeriodClosed.ModelFigure(modelId: $0.key, collected: $0.value) }.sorted { $0.modelId < $1.modelId }
        return (funds, models)
    }
}

enum PeriodFigures {
    /// The first way a close's recorded figures differ from those computed, in words.
    static func firstDifference<Figure>(
        recorded: [Figure], computed: [Figure], id: KeyPath<Figure, String>, value: KeyPath<Figure, VND>, what: String,
        measure: String
    ) -> String? {
        for (index, expected) in computed.enumerated() {
            guard index < recorded.count, recorded[index][keyPath: id] == expected[keyPath: id] else {
                return "it leaves out \(what) \(expected[keyPath: id]), or lists it out of order"
            }
            let figure = recorded[index][keyPath: value]
            guard figure == expected[keyPath: value] else {
                return "it gives \(what) \(expected[keyPath: id]) \(measure) \(figure), the log gives \(expected[keyPath: value])"
            }
        }
        if recorded.count > computed.count {
            return "it lists \(what) \(recorded[computed.count][keyPath: id]), which had not started by then or does not exist"
        }
        return nil
    }
}

extension Ledger {
    /// Closes the books through `through`: records a `PeriodClosed` carrying each fund's
    /// balance and each model's collected savings at that date, computed in the same
    /// write transaction. Afterwards nothing dated on or before it can be recorded.
    /// - Throws: ``CommandRejected`` (a ``RuleViolation`` such as ``RuleViolation/periodAlreadyClosed(through:closedThrough:)``,
    ///   or a ``FieldError`` for the decision's text); `LogError` for a store problem.
    @discardableResult
    public func closePeriod(through: LocalDate, decision: String, eventId: UUID? = nil, actor: String) throws -> RecordedEntry {
        try log.write(actor: Self.recorder(actor)) { writer in
            let tables = tables(writer)
            let figures = try tables.periodFigures(through: through)
            let command = LedgerCommand(
                .periodClosed(PeriodClosed(through: through, decision: decision, funds: figures.funds, models: figures.models)),
                eventId: eventId)
            let prepared = try prepare(command, index: 0)
            return try execute(
                prepared.event, eventId: prepared.eventId, index: 0, writer: writer, tables: tables, subjects: NewSubjects())
        }
    }

    public func periods() throws -> [PeriodRecord] { try snapshot { try $0.periods() } }
}

extension LedgerSnapshot {
    /// Every close of the books, oldest first.
    public func periods() throws -> [PeriodRecord] {
        var periods: [PeriodRecord] = []
        try tables.scan(PeriodRecord.self, tables.databases.periods) { _, period in periods.append(period) }
        return periods
    }
}
