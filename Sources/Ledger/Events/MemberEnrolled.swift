import EventLog
import Foundation

/// Đảng viên: a party member joins a cell (chi bộ).
public struct MemberEnrolled: Codable, Hashable, Sendable {
    public var memberId: String
    public var fullName: String
    public var cell: String
    public var enrolledOn: LocalDate

    public init(memberId: String, fullName: String, cell: String, enrolledOn: LocalDate) {
        self.memberId = memberId
        self.fullName = fullName
        self.cell = cell
        self.enrolledOn = enrolledOn
    }
}

extension MemberEnrolled: EventDeclaration {
    static let type = EventType.memberEnrolled
    static let isReversible = false
    var businessDate: LocalDate { enrolledOn }
    var money: VND? { nil }
    var event: LedgerEvent { .memberEnrolled(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.id(memberId, "memberId")
        try check.name(&fullName, "fullName")
        try check.name(&cell, "cell")
    }

    /// A member id is enrolled once.
    func check(_ rules: Rules) throws -> Rules.Target {
        guard try rules.tables.member(memberId) == nil else { throw RuleViolation.memberAlreadyExists(member: memberId) }
        return ("member-" + memberId, .noStream)
    }
}
