import EventLog
import Foundation

/// The rules a command must pass against the ledger's current state, and the stream
/// its event goes to. Streams: `fund-ID` (money in and out of a fund, deposits
/// included), `member-ID`, `pledge-ID`, `model-ID`, `external-support`; a reversal
/// goes to the stream of the entry it reverses.
struct Rules {
    let tables: LedgerTables
    let log: LogReader

    func check(_ event: LedgerEvent) throws -> (stream: String, expected: ExpectedVersion) {
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
            let pledge = try livePledge(cancelled.pledgeId)
            try notBefore(cancelled.cancelledOn, pledge.pledgedOn, "cancellation date", "the pledge was made then")
            return ("pledge-" + cancelled.pledgeId, .streamExists)
        case .donationReceived(let donation):
            let fund = try fundOpen(donation.fundId, on: donation.receivedOn)
            if let pledgeId = donation.pledgeId {
                let pledge = try livePledge(pledgeId)
                guard pledge.fundId == donation.fundId else {
                    throw RuleViolation.pledgeForAnotherFund(pledge: pledgeId, pledgeFund: pledge.fundId, fund: donation.fundId)
                }
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
            let model = try openModel(closed.modelId)
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
            try canPay(disbursement.amount, from: fund)
            return ("fund-" + disbursement.fundId, .streamExists)
        case .externalSupportRecorded:
            return ("external-support", .any)
        case .entryReversed(let reversal):
            return try checkReversal(reversal)
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
        switch original {
        case .donationReceived(let donation):
            try canPay(donation.amount, from: try existingFund(donation.fundId))
        case .piggyBankDeposited(let deposit):
            guard let model = try tables.model(deposit.modelId) else { throw RuleViolation.modelNotFound(model: deposit.modelId) }
            try canPay(deposit.amount, from: try existingFund(model.fundId))
        case .disbursementMade(let disbursement):
            _ = try existingFund(disbursement.fundId).balance.adding(disbursement.amount)
        case .pledgeCancelled(let cancelled):
            guard let pledge = try tables.pledge(cancelled.pledgeId), !pledge.voided else {
                throw RuleViolation.reversalNoLongerApplies(eventId: id, reason: "pledge \(cancelled.pledgeId) was reversed")
            }
        default:
            break
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

    private func canPay(_ amount: VND, from fund: FundBalance) throws {
        guard fund.balance >= amount else {
            throw RuleViolation.fundWouldGoNegative(fund: fund.fundId, balance: fund.balance, requested: amount)
        }
    }

    private func notBefore(_ date: LocalDate, _ earliest: LocalDate, _ what: String, _ reason: String) throws {
        guard date >= earliest else {
            throw RuleViolation.dateBefore(what: what, date: date, earliest: earliest, reason: reason)
        }
    }
}
