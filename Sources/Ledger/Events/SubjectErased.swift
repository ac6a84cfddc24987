import EventLog
import Foundation

/// A data subject's personal data was erased (`ansinh people erase`): the key their
/// name was sealed under is destroyed, so the name cannot be read again. The event
/// holds no personal data: the subject id, the date, and why.
public struct SubjectErased: Codable, Hashable, Sendable {
    public var subjectId: String
    public var erasedOn: LocalDate
    public var reason: String
    /// The subject had entries younger than the retention period, and the erasure was
    /// asked for all the same (`--override-retention`).
    public var retentionOverridden: Bool?

    public init(subjectId: String, erasedOn: LocalDate, reason: String, retentionOverridden: Bool? = nil) {
        self.subjectId = subjectId
        self.erasedOn = erasedOn
        self.reason = reason
        self.retentionOverridden = retentionOverridden
    }
}

extension SubjectErased: EventDeclaration {
    static let type = EventType.subjectErased
    static let isReversible = false
    /// Erasing a person's name moves no money: it may be dated inside a closed period.
    static let checksItsOwnDate = true
    var businessDate: LocalDate { erasedOn }
    var money: VND? { nil }
    var event: LedgerEvent { .subjectErased(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.subjectId(subjectId, "subjectId")
        try check.text(&reason, "reason")
        if retentionOverridden == false { retentionOverridden = nil }
    }

    /// A recorded subject, erased once.
    func check(_ rules: Rules) throws -> Rules.Target {
        guard let subject = try rules.tables.subject(subjectId) else { throw RuleViolation.subjectNotFound(subject: subjectId) }
        if let erased = subject.erased { throw RuleViolation.subjectAlreadyErased(subject: subjectId, erasedOn: erased.erasedOn) }
        return ("people", .any)
    }
}
