import Foundation

/// A command that breaks one of the ledger's rules. Each names the rule, the entity
/// and the figures, in the clerk's terms; nothing was written.
public enum RuleViolation: Error, Hashable, Sendable, CustomStringConvertible {
    case fundNotFound(fund: String)
    case fundAlreadyExists(fund: String)
    case memberNotFound(member: String)
    case memberAlreadyExists(member: String)
    case memberAlreadyLeft(member: String, leftOn: LocalDate)
    case pledgeNotFound(pledge: String)
    case pledgeAlreadyExists(pledge: String)
    case pledgeNotLive(pledge: String, cancelledOn: LocalDate?)
    case pledgeForAnotherFund(pledge: String, pledgeFund: String, fund: String)
    case modelNotFound(model: String)
    case modelAlreadyExists(model: String)
    case modelClosed(model: String, closedOn: LocalDate)
    case depositOutsidePeriod(model: String, date: LocalDate, startsOn: LocalDate, endsOn: LocalDate)
    case memberNotEnrolledOn(member: String, date: LocalDate, enrolledOn: LocalDate, leftOn: LocalDate?)
    case disbursementAlreadyExists(disbursement: String)
    case fundWouldGoNegative(fund: String, balance: VND, requested: VND, on: LocalDate)
    case pledgeAlreadyCancelled(pledge: String, cancelledOn: LocalDate)
    case modelAlreadyClosed(model: String, closedOn: LocalDate)
    case periodClosed(through: LocalDate, decision: String, what: String)
    case periodAlreadyClosed(through: LocalDate, closedThrough: LocalDate)
    case periodNotOver(through: LocalDate, today: LocalDate)
    case periodFiguresDiffer(through: LocalDate, detail: String)
    case dateBeforeFundOpened(fund: String, date: LocalDate, openedOn: LocalDate)
    case dateBefore(what: String, date: LocalDate, earliest: LocalDate, reason: String)
    case entryNotFound(eventId: UUID)
    case entryAlreadyReversed(eventId: UUID, reversalPosition: UInt64)
    case entryNotReversible(eventId: UUID, type: String)
    case reversalNoLongerApplies(eventId: UUID, reason: String)
    case amountOverflow(MoneyOverflow)
    case subjectNotFound(subject: String)
    case subjectAlreadyErased(subject: String, erasedOn: LocalDate)
    /// A sealed name's subject is known in another role, or under another key.
    case subjectMismatch(subject: String, detail: String)
    /// A person's name in the clear, or an organisation's sealed, where the store keeps
    /// people's names sealed.
    case nameNotSealed(field: String)
    case nameSealedForOrganisation(field: String)
    /// A store's migration is recorded as its first event only.
    case migrationNotFirst

    public var description: String {
        switch self {
        case .fundNotFound(let fund): return "fund \(fund) does not exist"
        case .fundAlreadyExists(let fund): return "fund \(fund) already exists"
        case .memberNotFound(let member): return "member \(member) does not exist"
        case .memberAlreadyExists(let member): return "member \(member) already exists"
        case .memberAlreadyLeft(let member, let leftOn): return "member \(member) already left on \(leftOn)"
        case .pledgeNotFound(let pledge): return "pledge \(pledge) does not exist"
        case .pledgeAlreadyExists(let pledge): return "pledge \(pledge) already exists"
        case .pledgeNotLive(let pledge, let cancelledOn):
            if let cancelledOn { return "pledge \(pledge) was cancelled on \(cancelledOn) and takes no more donations" }
            return "pledge \(pledge) was reversed and takes no more donations"
        case .pledgeForAnotherFund(let pledge, let pledgeFund, let fund):
            return "pledge \(pledge) is for fund \(pledgeFund), not \(fund)"
        case .modelNotFound(let model): return "piggy-bank model \(model) does not exist"
        case .modelAlreadyExists(let model): return "piggy-bank model \(model) already exists"
        case .modelClosed(let model, let closedOn):
            return "piggy-bank model \(model) was closed on \(closedOn) and takes no more deposits"
        case .depositOutsidePeriod(let model, let date, let startsOn, let endsOn):
            return "deposit dated \(date) is outside piggy-bank model \(model)'s period \(startsOn) to \(endsOn)"
        case .memberNotEnrolledOn(let member, let date, let enrolledOn, let leftOn):
            if let leftOn, leftOn <= date { return "member \(member) left on \(leftOn), before the deposit dated \(date)" }
            return "member \(member) was enrolled on \(enrolledOn), after the deposit dated \(date)"
        case .disbursementAlreadyExists(let disbursement): return "disbursement \(disbursement) already exists"
        case .fundWouldGoNegative(let fund, let balance, let requested, let date):
            return "fund \(fund) has \(balance) on \(date), less than the \(requested) asked: its balance would go below 0 on that date"
        case .pledgeAlreadyCancelled(let pledge, let cancelledOn):
            return "pledge \(pledge) was already cancelled on \(cancelledOn)"
        case .modelAlreadyClosed(let model, let closedOn):
            return "piggy-bank model \(model) was already closed on \(closedOn)"
        case .periodClosed(let through, let decision, let what):
            return "the books are closed through \(through) (\(decision)): \(what) cannot be recorded; "
                + "correct a closed period with a reversal dated after \(through)"
        case .periodAlreadyClosed(let through, let closedThrough):
            return "the books are already closed through \(closedThrough): a new close must be through a later date than that, not \(through)"
        case .periodNotOver(let through, let today):
            return "the books cannot be closed through \(through), after today (\(today)): only days that have passed can be closed"
        case .periodFiguresDiffer(let through, let detail):
            return "the close through \(through) does not match the books: \(detail)"
        case .dateBeforeFundOpened(let fund, let date, let openedOn):
            return "date \(date) is before fund \(fund) opened on \(openedOn)"
        case .dateBefore(let what, let date, let earliest, let reason):
            return "\(what) \(date) is before \(earliest) (\(reason))"
        case .entryNotFound(let eventId): return "no entry has event id \(eventId.uuidString.lowercased())"
        case .entryAlreadyReversed(let eventId, let position):
            return "entry \(eventId.uuidString.lowercased()) was already reversed at position \(position)"
        case .entryNotReversible(let eventId, let type):
            return "entry \(eventId.uuidString.lowercased()) is of type \(type), which cannot be reversed"
        case .reversalNoLongerApplies(let eventId, let reason):
            return "entry \(eventId.uuidString.lowercased()) cannot be reversed now: \(reason)"
        case .amountOverflow(let overflow): return "\(overflow)"
        case .subjectNotFound(let subject): return "no person has subject id \(subject)"
        case .subjectAlreadyErased(let subject, let erasedOn): return "\(subject) was already erased on \(erasedOn)"
        case .subjectMismatch(let subject, let detail): return "the sealed name of \(subject) does not match the subject: \(detail)"
        case .nameNotSealed(let field): return "\(field) is a person's name and must be stored sealed, not in the clear"
        case .nameSealedForOrganisation(let field): return "\(field) names an organisation, whose name is kept in the clear"
        case .migrationNotFirst: return "a migration is recorded only as a new store's first event"
        }
    }
}

/// A command of a batch was refused; the whole batch wrote nothing.
public struct CommandRejected: Error, Sendable, CustomStringConvertible {
    /// Which command of the batch (0-based).
    public let index: Int
    /// The event type the command would have appended.
    public let eventType: String
    /// A ``RuleViolation``, a ``FieldError``, or a `LogError` (an event id reused, say).
    public let reason: any Error & Sendable

    public var description: String { "\(reason)" }
}
