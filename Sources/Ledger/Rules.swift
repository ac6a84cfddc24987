import EventLog
import Foundation

/// The rules a command must pass against the ledger's current state, and the stream
/// its event goes to. Streams: `fund-ID` (money in and out of a fund, deposits
/// included), `member-ID`, `pledge-ID`, `model-ID`, `external-support`; a reversal
/// goes to the stream of the entry it reverses; closes of the books go to `periods`.
///
/// Time is the business date: a fund's balance must stay at or above 0 on every date,
/// counting every entry by its date and every reversal of money by its own date, and
/// nothing can be dated in a period the books were closed for.
struct Rules {
    let tables: LedgerTables
    let log: LogReader
    /// Today in the ward's calendar, by the store's clock: a close cannot reach past it.
    let today: LocalDate
    /// The store seals people's names (format 2); a store of format 1, audited, kept them
    /// in the clear.
    var sealsNames = true

    /// Where an event goes: its stream, and what that stream's version must be.
    typealias Target = (stream: String, expected: ExpectedVersion)

    /// The rule of the event's type (see each type's ``EventDeclaration/check(_:)``),
    /// after the one every dated entry passes: nothing dated in a closed period.
    func check(_ event: LedgerEvent) throws -> Target {
        let declaration = event.declaration
        if !type(of: declaration).checksItsOwnDate {
            try notInClosedPeriod(event.businessDate, "\(event.type.rawValue) dated \(event.businessDate)")
        }
        return try declaration.check(self)
    }

    // MARK: - People

    /// A name in an entry: a person's (`role` given) sealed, under a subject recorded in
    /// that role and under the same key, and not erased; an organisation's (`role` nil)
    /// in the clear.
    func person(_ name: PersonName, role: SubjectRole?, _ field: String) throws {
        guard let role else {
            if case .sealed = name { throw RuleViolation.nameSealedForOrganisation(field: field) }
            return
        }
        guard case .sealed(let sealed) = name else {
            if sealsNames { throw RuleViolation.nameNotSealed(field: field) }
            return
        }
        guard let subject = try tables.subject(sealed.subjectId) else { return }  // a new subject
        if let erased = subject.erased {
            throw RuleViolation.subjectAlreadyErased(subject: sealed.subjectId, erasedOn: erased.erasedOn)
        }
        guard subject.role == role else {
            throw RuleViolation.subjectMismatch(subject: sealed.subjectId, detail: "it is a \(subject.role.rawValue), not a \(role.rawValue)")
        }
        guard subject.sealedName.keyCommitment == sealed.keyCommitment else {
            throw RuleViolation.subjectMismatch(subject: sealed.subjectId, detail: "it is sealed under another key")
        }
    }

    // MARK: - Lookups that throw the rule's error

    @discardableResult
    func existingFund(_ fundId: String) throws -> FundBalance {
        guard let fund = try tables.fund(fundId) else { throw RuleViolation.fundNotFound(fund: fundId) }
        return fund
    }

    /// The fund, which must exist and be open on `date`.
    @discardableResult
    func fundOpen(_ fundId: String, on date: LocalDate) throws -> FundBalance {
        let fund = try existingFund(fundId)
        guard date >= fund.openedOn else {
            throw RuleViolation.dateBeforeFundOpened(fund: fundId, date: date, openedOn: fund.openedOn)
        }
        return fund
    }

    func existingMember(_ memberId: String) throws -> MemberRecord {
        guard let member = try tables.member(memberId) else { throw RuleViolation.memberNotFound(member: memberId) }
        return member
    }

    func livePledge(_ pledgeId: String) throws -> PledgeRecord {
        guard let pledge = try tables.pledge(pledgeId) else { throw RuleViolation.pledgeNotFound(pledge: pledgeId) }
        guard pledge.isLive else { throw RuleViolation.pledgeNotLive(pledge: pledgeId, cancelledOn: pledge.cancelledOn) }
        return pledge
    }

    func openModel(_ modelId: String) throws -> ModelRecord {
        guard let model = try tables.model(modelId) else { throw RuleViolation.modelNotFound(model: modelId) }
        if let closedOn = model.closedOn { throw RuleViolation.modelClosed(model: modelId, closedOn: closedOn) }
        return model
    }

    /// Refuses anything whose effect is dated on or before the last close of the books.
    func notInClosedPeriod(_ date: LocalDate, _ what: String) throws {
        guard let through = try tables.closedThrough(), date <= through, let period = try tables.lastPeriod() else { return }
        throw RuleViolation.periodClosed(through: period.through, decision: period.decision, what: what)
    }

    /// Taking `amount` out of the fund on `date` leaves its balance at or above 0 on that
    /// date and every date after it, counting everything recorded so far by its date.
    func canPay(_ amount: VND, from fund: FundBalance, on date: LocalDate) throws {
        let days = try tables.flushed().dayNets(of: fund.fundId, from: date)
        var balance = try fund.balance.subtracting(try days.map(\.net).sum())  // at the end of the day before
        if days.first?.date != date, balance < amount {
            throw RuleViolation.fundWouldGoNegative(fund: fund.fundId, balance: balance, requested: amount, on: date)
        }
        for day in days {
            balance = try balance.adding(day.net)
            if balance < amount {
                throw RuleViolation.fundWouldGoNegative(fund: fund.fundId, balance: balance, requested: amount, on: day.date)
            }
        }
    }

    func notBefore(_ date: LocalDate, _ earliest: LocalDate, _ what: String, _ reason: String) throws {
        guard date >= earliest else {
            throw RuleViolation.dateBefore(what: what, date: date, earliest: earliest, reason: reason)
        }
    }
}
