import EventLog
import Foundation

/// Đảng viên: a party member joins a cell (chi bộ).
public struct MemberEnrolled: Codable, Hashable, Sendable {
    public var memberId: String
    /// A party member's name: sealed in the log (membership is sensitive data).
    public var fullName: PersonName
    public var cell: String
    public var enrolledOn: LocalDate

    public init(memberId: String, fullName: PersonName, cell: String, enrolledOn: LocalDate) {
        self.memberId = memberId
        self.fullName = fullName
        self.cell = cell
        self.enrolledOn = enrolledOn
    }

    public init(memberId: String, fullName: String, cell: String, enrolledOn: LocalDate) {
        self.init(memberId: memberId, fullName: .plain(fullName), cell: cell, enrolledOn: enrolledOn)
    }
}

extension MemberEnrolled: EventDeclaration {
    static let type = EventType.memberEnrolled
    static let isReversible = false
    /// 2: the name may be sealed (``PersonName``); version 1 data is version 2 data.
    static let currentSchemaVersion: UInt32 = 2
    var businessDate: LocalDate { enrolledOn }
    var money: VND? { nil }
    var event: LedgerEvent { .memberEnrolled(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.id(memberId, "memberId")
        try check.person(&fullName, "fullName")
        try check.name(&cell, "cell")
    }

    static func upcast(_ data: Payload, from version: UInt32) throws -> Payload {
        precondition(version == 1, "no upcaster for MemberEnrolled version \(version)")
        return data
    }

    /// A member id is enrolled once.
    func check(_ rules: Rules) throws -> Rules.Target {
        guard try rules.tables.member(memberId) == nil else { throw RuleViolation.memberAlreadyExists(member: memberId) }
        try rules.person(fullName, role: .member, "fullName")
        return ("member-" + memberId, .noStream)
    }
}
