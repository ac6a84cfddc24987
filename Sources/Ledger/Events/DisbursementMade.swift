import EventLog
import Foundation

/// Money paid out of a fund to a beneficiary: houses, gifts, health-insurance cards, …
public struct DisbursementMade: Codable, Hashable, Sendable {
    public var disbursementId: String
    public var fundId: String
    public var purpose: Purpose
    public var beneficiary: Beneficiary
    public var amount: VND
    public var quantity: Int64
    public var disbursedOn: LocalDate
    public var decisionRef: String?
    public var programme: String?

    public init(
        disbursementId: String, fundId: String, purpose: Purpose, beneficiary: Beneficiary, amount: VND,
        quantity: Int64 = 1, disbursedOn: LocalDate, decisionRef: String? = nil, programme: String? = nil
    ) {
        self.disbursementId = disbursementId
        self.fundId = fundId
        self.purpose = purpose
        self.beneficiary = beneficiary
        self.amount = amount
        self.quantity = quantity
        self.disbursedOn = disbursedOn
        self.decisionRef = decisionRef
        self.programme = programme
    }
}

extension DisbursementMade: EventDeclaration {
    static let type = EventType.disbursementMade
    static let isReversible = true
    /// 2: the beneficiary's name may be sealed (``PersonName``), and has an optional
    /// `area`; version 1 data is version 2 data.
    static let currentSchemaVersion: UInt32 = 2
    var businessDate: LocalDate { disbursedOn }
    var money: VND? { amount }
    var event: LedgerEvent { .disbursementMade(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.id(disbursementId, "disbursementId")
        try check.id(fundId, "fundId")
        try check.person(&beneficiary.name, "beneficiary.name")
        try check.optionalText(&beneficiary.area, "beneficiary.area", characterCountMax: LedgerLimits.nameCharactersMax)
        try check.amount(amount, "amount")
        try check.count(quantity, "quantity")
        try check.optionalText(&decisionRef, "decisionRef")
        try check.optionalText(&programme, "programme", characterCountMax: LedgerLimits.nameCharactersMax)
    }

    static func upcast(_ data: Payload, from version: UInt32) throws -> Payload {
        precondition(version == 1, "no upcaster for DisbursementMade version \(version)")
        return data
    }

    /// A disbursement id is paid once, from a fund open on its date whose balance stays
    /// at or above 0 on that date and every date after.
    func check(_ rules: Rules) throws -> Rules.Target {
        guard try rules.tables.disbursementPosition(disbursementId) == nil else {
            throw RuleViolation.disbursementAlreadyExists(disbursement: disbursementId)
        }
        let fund = try rules.fundOpen(fundId, on: disbursedOn)
        try rules.canPay(amount, from: fund, on: disbursedOn)
        try rules.person(beneficiary.name, role: .beneficiary, "beneficiary.name")
        return ("fund-" + fundId, .streamExists)
    }
}

extension DisbursementMade {
    /// The data as stored, written directly rather than through Codable: a
    /// beneficiary's sealed name is a nested object, slow to encode generically.
    func canonicalData() -> [UInt8] {
        var beneficiaryMembers: [(key: String, value: [UInt8])] = [
            ("name", beneficiary.name.canonicalBytes), ("kind", CBOR.text(beneficiary.kind.rawValue)),
        ]
        if let area = beneficiary.area { beneficiaryMembers.append(("area", CBOR.text(area))) }
        var beneficiaryBytes: [UInt8] = []
        CBOR.appendMap(beneficiaryMembers, to: &beneficiaryBytes)
        var members: [(key: String, value: [UInt8])] = [
            ("disbursementId", CBOR.text(disbursementId)), ("fundId", CBOR.text(fundId)), ("purpose", CBOR.text(purpose.rawValue)),
            ("beneficiary", beneficiaryBytes), ("amount", CBOR.integer(amount.dong)), ("quantity", CBOR.integer(quantity)),
            ("disbursedOn", CBOR.text(disbursedOn.description)),
        ]
        if let decisionRef { members.append(("decisionRef", CBOR.text(decisionRef))) }
        if let programme { members.append(("programme", CBOR.text(programme))) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(320)
        CBOR.appendMap(members, to: &bytes)
        return bytes
    }

    /// Reads stored data (schema version 1 or 2) straight from its canonical CBOR, as the
    /// general decoder would; `nil` for anything unusual, which the general decoder then
    /// reads or reports.
    init?(canonicalBytes bytes: UnsafeRawBufferPointer) {
        var reader = CBORReader(bytes)
        guard let count = try? reader.readMapHeader(), (7...9).contains(count) else { return nil }
        var disbursementId: String?
        var fundId: String?
        var purpose: Purpose?
        var beneficiary: Beneficiary?
        var amount: Int64?
        var quantity: Int64?
        var disbursedOn: LocalDate?
        var decisionRef: String?
        var programme: String?
        for _ in 0..<count {
            guard let key = try? reader.readTextBytes() else { return nil }
            if key.isText("amount") {
                amount = try? reader.readInteger()
            } else if key.isText("quantity") {
                quantity = try? reader.readInteger()
            } else if key.isText("fundId") {
                fundId = reader.storedText()
            } else if key.isText("disbursementId") {
                disbursementId = reader.storedText()
            } else if key.isText("purpose") {
                purpose = reader.storedText().flatMap(Purpose.init(rawValue:))
            } else if key.isText("beneficiary") {
                beneficiary = Beneficiary(reading: &reader)
            } else if key.isText("disbursedOn") {
                disbursedOn = (try? reader.readTextBytes()).flatMap(LocalDate.init(bytes:))
            } else if key.isText("decisionRef") {
                guard let value = reader.storedText() else { return nil }
                decisionRef = value
            } else if key.isText("programme") {
                guard let value = reader.storedText() else { return nil }
                programme = value
            } else {
                return nil
            }
        }
        guard reader.isAtEnd, let disbursementId, let fundId, let purpose, let beneficiary, let amount, let quantity, let disbursedOn
        else { return nil }
        self.init(
            disbursementId: disbursementId, fundId: fundId, purpose: purpose, beneficiary: beneficiary, amount: VND(amount),
            quantity: quantity, disbursedOn: disbursedOn, decisionRef: decisionRef, programme: programme)
    }
}

extension Beneficiary {
    /// A stored beneficiary, `{name, kind, area?}`, read straight from canonical CBOR.
    init?(reading reader: inout CBORReader) {
        guard let count = try? reader.readMapHeader(), count == 2 || count == 3 else { return nil }
        var name: PersonName?
        var kind: BeneficiaryKind?
        var area: String?
        for _ in 0..<count {
            guard let key = try? reader.readTextBytes() else { return nil }
            if key.isText("name") {
                name = PersonName(reading: &reader)
            } else if key.isText("kind") {
                kind = reader.storedText().flatMap(BeneficiaryKind.init(rawValue:))
            } else if key.isText("area") {
                guard let text = reader.storedText() else { return nil }
                area = text
            } else {
                return nil
            }
        }
        guard let name, let kind else { return nil }
        self.init(name: name, kind: kind, area: area)
    }
}
