import EventLog
import Foundation

/// Help arranged from outside the funds (loans, sponsors): reported, never in a balance.
public struct ExternalSupportRecorded: Codable, Hashable, Sendable {
    public var organisation: String
    public var programme: String
    public var description: String
    public var beneficiaries: Int64
    public var value: VND
    public var recordedOn: LocalDate
    public var source: String?

    public init(
        organisation: String, programme: String, description: String, beneficiaries: Int64, value: VND,
        recordedOn: LocalDate, source: String? = nil
    ) {
        self.organisation = organisation
        self.programme = programme
        self.description = description
        self.beneficiaries = beneficiaries
        self.value = value
        self.recordedOn = recordedOn
        self.source = source
    }
}

extension ExternalSupportRecorded: EventDeclaration {
    static let type = EventType.externalSupportRecorded
    static let isReversible = true
    var businessDate: LocalDate { recordedOn }
    var money: VND? { value }
    var event: LedgerEvent { .externalSupportRecorded(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.name(&organisation, "organisation")
        try check.name(&programme, "programme")
        try check.text(&description, "description")
        try check.count(beneficiaries, "beneficiaries")
        try check.amount(value, "value", minimum: 0)
        try check.optionalText(&source, "source")
    }

    /// Support arranged outside the funds moves none of their money.
    func check(_ rules: Rules) throws -> Rules.Target {
        ("external-support", .any)
    }
}
