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

    func check(_ event: LedgerEvent) throws -> (stream: String, expected: ExpectedVersion) {
        switch event {
        case .entryReversed(let reversal): return try checkReversal(reversal)
        case .periodClosed(let closed): return try checkClose(closed)
        case .fundOpened, .memberEnrolled, .memberLeft, .pledgeMade, .pledgeCancelled, .donationReceived,
            .piggyBankModelStarted, .piggyBankDeposited, .piggyBankModelClosed, .disbursementMade, .externalSupportRecorded:
            try notInClosedPeriod(event.businessDate, "\(event.type.rawValue) dated \(event.businessDate)")
        }
        switch event {
        case .fundOpened(let opened):
            guard try tables.fund(opened.fundId) == nil else { throw RuleViolation.fundAlreadyExists(fund: opened.fundId) }
            return ("fund-" + opened.fundId, .noStream)
        case .memberEnrolled(let enrolled):
            guard try tables.member(enrolled.memberId) == nil else {
                throw RuleViolation.memberAlreadyExists(member: enrolled.memberId)
            }
            return ("member-" + enrolled.memberId, .noStream)
        case .memberLeft(let left):
            let member = try existingMember(left.memberId)
            if let leftOn = member.leftOn { throw RuleViolation.memberAlreadyLeft(member: left.memberId, leftOn: leftOn) }
            try notBefore(left.leftOn, member.enrolledOn, "leaving date", "the member was enrolled then")
            if let lastDeposit = member.lastDepositOn, left.leftOn <= lastDeposit {
                throw RuleViolation.dateBefore(
                    what: "leaving date", date: left.leftOn, earliest: lastDeposit.advanced(by: 1),
                    reason: "the member has a deposit dated \(lastDeposit)")
            }
            return ("member-" + left.memberId, .streamExists)
        case .pledgeMade(let pledge):
            guard try tables.pledge(pledge.pledgeId) == nil else {
                throw RuleViolation.pledgeAlreadyExists(pledge: pledge.pledgeId)
            }
            try fundOpen(pledge.fundId, on: pledge.pledgedOn)
            return ("pledge-" + pledge.pledgeId, .noStream)
        case .pledgeCancelled(let cancelled):
            guard let pledge = try tables.pledge(cancelled.pledgeId) else {
                throw RuleViolation.pledgeNotFound(pledge: cancelled.pledgeId)
            }
            if let cancelledOn = pledge.cancelledOn {
                throw RuleViolation.pledgeAlreadyCancelled(pledge: cancelled.pledgeId, cancelledOn: cancelledOn)
            }
            _ = try livePledge(cancelled.pledgeId)
            try notBefore(cancelled.cancelledOn, pledge.pledgedOn, "cancellation date", "the pledge was made then")
            return ("pledge-" + cancelled.pledgeId, .streamExists)
        case .donationReceived(let donation):
            let fund = try fundOpen(donation.fundId, on: donation.receivedOn)
            if let pledgeId = donation.pledgeId {
                let pledge = try livePledge(pledgeId)
                guard pledge.fundId == donation.fundId else {
                    throw RuleViolation.pledgeForAnotherFund(pledge: pledgeId, pledgeFund: pledge.fundId, fund: donation.fundId)
                }
                try notBefore(donation.receivedOn, pledge.pledgedOn, "donation date", "pledge \(pledgeId) was made then")
            }
            _ = try fund.balance.adding(donation.amount)
            return ("fund-" + donation.fundId, .streamExists)
        case .piggyBankModelStarted(let started):
            guard try tables.model(started.modelId) == nil else {
                throw RuleViolation.modelAlreadyExists(model: started.modelId)
            }
            try fundOpen(started.fundId, on: started.startsOn)
            return ("model-" + started.modelId, .noStream)
        case .piggyBankDeposited(let deposit):
            return try checkDeposit(deposit)
        case .piggyBankModelClosed(let closed):
            guard let model = try tables.model(closed.modelId) else { throw RuleViolation.modelNotFound(model: closed.modelId) }
            if let closedOn = model.closedOn {
                throw RuleViolation.modelAlreadyClosed(model: closed.modelId, closedOn: closedOn)
            }
            try notBefore(closed.closedOn, model.startsOn, "closing date", "the model started then")
            if let lastDeposit = model.lastDepositOn {
                try notBefore(closed.closedOn, lastDeposit, "closing date", "the model has a deposit dated \(lastDeposit)")
            }
            return ("model-" + closed.modelId, .streamExists)
        case .disbursementMade(let disbursement):
            guard try tables.disbursementPosition(disbursement.disbursementId) == nil else {
                throw RuleViolation.disbursementAlreadyExists(disbursement: disbursement.disbursementId)
            }
            let fund = try fundOpen(disbursement.fundId, on: disbursement.disbursedOn)
            try canPay(disbursement.amount, from: fund, on: disbursement.disbursedOn)
            return ("fund-" + disbursement.fundId, .streamExists)
        case .externalSupportRecorded:
            return ("external-support", .any)
        case .entryReversed, .periodClosed:
            preconditionFailure("checked above")
        }
    }

    private func checkDeposit(_ deposit: PiggyBankDeposited) throws -> (stream: String, expected: ExpectedVersion) {
        let model = try openModel(deposit.modelId)
        guard deposit.depositedOn >= model.startsOn, deposit.depositedOn <= model.endsOn else {
            throw RuleViolation.depositOutsidePeriod(
                model: deposit.modelId, date: deposit.depositedOn, startsOn: model.startsOn, endsOn: model.endsOn)
        }
        let member = try existingMember(deposit.memberId)
        guard member.isEnrolled(on: deposit.depositedOn) else {
            throw RuleViolation.memberNotEnrolledOn(
                member: deposit.memberId, date: deposit.depositedOn, enrolledOn: member.enrolledOn, leftOn: member.leftOn)
        }
        guard let fund = try tables.fund(model.fundId) else { throw RuleViolation.fundNotFound(fund: model.fundId) }
        _ = try fund.balance.adding(deposit.amount)
        return ("fund-" + model.fundId, .streamExists)
    }

    private func checkReversal(_ reversal: EntryReversed) throws -> (stream: String, expected: ExpectedVersion) {
        let id = reversal.reversesEventId
        guard let stored = try log.event(id: id) else { throw RuleViolation.entryNotFound(eventId: id) }
        let stream = stored.stream
        let original = try LedgerEvent.decode(stored)
        guard original.type.isReversible else {
            throw RuleViolation.entryNotReversible(eventId: id, type: original.type.rawValue)
        }
        if let position = try tables.reversal(of: id) {
            throw RuleViolation.entryAlreadyReversed(eventId: id, reversalPosition: position)
        }
        try notBefore(reversal.reversedOn, original.businessDate, "reversal date", "the entry is dated then")
        // A reversal is an entry of its own date. One of a status withdraws it from the
        // status's date on, but a status moves no money, so a closed period's figures hold.
        try notInClosedPeriod(reversal.reversedOn, "a reversal dated \(reversal.reversedOn)")
        switch original {
        case .donationReceived(let donation):
            try canPay(donation.amount, from: try existingFund(donation.fundId), on: reversal.reversedOn)
        case .piggyBankDeposited(let deposit):
            guard let model = try tables.model(deposit.modelId) else { throw RuleViolation.modelNotFound(model: deposit.modelId) }
            try canPay(deposit.amount, from: try existingFund(model.fundId), on: reversal.reversedOn)
        case .disbursementMade(let disbursement):
            _ = try existingFund(disbursement.fundId).balance.adding(disbursement.amount)
        case .pledgeCancelled(let cancelled):
            guard let pledge = try tables.pledge(cancelled.pledgeId), !pledge.voided else {
                throw RuleViolation.reversalNoLongerApplies(eventId: id, reason: "pledge \(cancelled.pledgeId) was reversed")
            }
        case .fundOpened, .memberEnrolled, .memberLeft, .pledgeMade, .piggyBankModelStarted, .piggyBankModelClosed,
            .externalSupportRecorded, .entryReversed, .periodClosed:
            break  // whether it may be reversed at all was checked above; nothing more moves
        }
        return (stream, .streamExists)
    }

    // MARK: - Lookups that throw the rule's error

    @discardableResult
    private func existingFund(_ fundId: String) throws -> FundBalance {
        guard let fund = try tables.fund(fundId) else { throw RuleViolation.fundNotFound(fund: fundId) }
        return fund
    }

    /// The fund, which must exist and be open on `date`.
    @discardableResult
    private func fundOpen(_ fundId: String, on date: LocalDate) throws -> FundBalance {
        let fund = try existingFund(fundId)
        guard date >= fund.openedOn else {
            throw RuleViolation.dateBeforeFundOpened(fund: fundId, date: date, openedOn: fund.openedOn)
        }
        return fund
    }

    private func existingMember(_ memberId: String) throws -> MemberRecord {
        guard let member = try tables.member(memberId) else { throw RuleViolation.memberNotFound(member: memberId) }
        return member
    }

    private func livePledge(_ pledgeId: String) throws -> PledgeRecord {
        guard let pledge = try tables.pledge(pledgeId) else { throw RuleViolation.pledgeNotFound(pledge: pledgeId) }
        guard pledge.isLive else { throw RuleViolation.pledgeNotLive(pledge: pledgeId, cancelledOn: pledge.cancelledOn) }
        return pledge
    }

    private func openModel(_ modelId: String) throws -> ModelRecord {
        guard let model = try tables.model(modelId) else { throw RuleViolation.modelNotFound(model: modelId) }
        if let closedOn = model.closedOn { throw RuleViolation.modelClosed(model: modelId, closedOn: closedOn) }
        return model
    }

    /// A close of the books: after the last one, with the figures the log gives.
    private func checkClose(_ closed: PeriodClosed) throws -> (stream: String, expected: ExpectedVersion) {
        if let through = try tables.closedThrough(), closed.through <= through {
            throw RuleViolation.periodAlreadyClosed(through: closed.through, closedThrough: through)
        }
        guard closed.through <= today else { throw RuleViolation.periodNotOver(through: closed.through, today: today) }
        let figures = try tables.periodFigures(through: closed.through)
        if let difference = PeriodFigures.firstDifference(
            recorded: closed.funds, computed: figures.funds, id: \.fundId, value: \.balance, what: "fund", measure: "balance")
            ?? PeriodFigures.firstDifference(
                recorded: closed.models, computed: figures.models, id: \.modelId, value: \.collected, what: "piggy-bank model",
                measure: "collected")
        {
            throw RuleViolation.periodFiguresDiffer(through: closed.through, detail: difference)
        }
        return ("periods", .any)
    }

    /// Refuses anything whose effect is dated on or before the last close of the books.
    private func notInClosedPeriod(_ date: LocalDate, _ what: String) throws {
        guard let through = try tables.closedThrough(), date <= through, let period = try tables.lastPeriod() else { return }
        throw RuleViolation.periodClosed(through: period.through, decision: period.decision, what: what)
    }

    /// Taking `amount` out of the fund on `date` leaves its balance at or above 0 on that
    /// date and every date after it, counting everything recorded so far by its date.
    private func canPay(_ amount: VND, from fund: FundBalance, on date: LocalDate) throws {
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

    private func notBefore(_ date: LocalDate, _ earliest: LocalDate, _ what: String, _ reason: String) throws {
        guard date >= earliest else {
            throw RuleViolation.dateBefore(what: what, date: date, earliest: earliest, reason: reason)
        }
    }
}
