import EventLog
import Foundation

/// Money received into a fund, perhaps against a pledge.
public struct DonationReceived: Codable, Hashable, Sendable {
    public var fundId: String
    public var donor: Donor
    public var amount: VND
    public var receivedOn: LocalDate
    public var pledgeId: String?
    public var receiptNo: String?

    public init(
        fundId: String, donor: Donor, amount: VND, receivedOn: LocalDate, pledgeId: String? = nil, receiptNo: String? = nil
    ) {
        self.fundId = fundId
        self.donor = donor
        self.amount = amount
        self.receivedOn = receivedOn
        self.pledgeId = pledgeId
        self.receiptNo = receiptNo
    }
}

extension DonationReceived: EventDeclaration {
    static let type = EventType.donationReceived
    /// 2: the donor is `donor {name, kind}`; version 1 had `donorName` and no kind.
    /// 3: the donor's name may be sealed (``PersonName``), and the donor may consent to
    /// be named (`publish`); version 2 data is version 3 data.
    static let currentSchemaVersion: UInt32 = 3
    static let isReversible = true
    var businessDate: LocalDate { receivedOn }
    var money: VND? { amount }
    var event: LedgerEvent { .donationReceived(self) }

    static func upcast(_ data: Payload, from version: UInt32) throws -> Payload {
        if version == 2 { return data }
        precondition(version == 1, "no upcaster for DonationReceived version \(version)")
        // v1 named the donor with `donorName` and no kind; v2 has donor {name, kind}.
        // Donors of v1 were recorded without a kind: they are read as individuals.
        guard case .object(var members) = data else {
            throw DecodingError.typeMismatch(Payload.self, .init(codingPath: [], debugDescription: "must be an object"))
        }
        guard let name = members.removeValue(forKey: "donorName") else {
            throw DecodingError.keyNotFound(
                UpcastKey.donorName, .init(codingPath: [UpcastKey.donorName], debugDescription: "is required"))
        }
        members["donor"] = .object(["name": name, "kind": .text(DonorKind.individual.rawValue)])
        return .object(members)
    }

    private enum UpcastKey: String, CodingKey {
        case donorName
    }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.id(fundId, "fundId")
        try check.person(&donor.name, "donor.name")
        if donor.publish == false { donor.publish = nil }
        try check.amount(amount, "amount")
        if let pledgeId { try check.id(pledgeId, "pledgeId") }
        try check.optionalText(&receiptNo, "receiptNo")
    }

    /// Money into a fund open on its date; against a live pledge of the same fund, not
    /// before the pledge was made.
    func check(_ rules: Rules) throws -> Rules.Target {
        let fund = try rules.fundOpen(fundId, on: receivedOn)
        if let pledgeId {
            let pledge = try rules.livePledge(pledgeId)
            guard pledge.fundId == fundId else {
                throw RuleViolation.pledgeForAnotherFund(pledge: pledgeId, pledgeFund: pledge.fundId, fund: fundId)
            }
            try rules.notBefore(receivedOn, pledge.pledgedOn, "donation date", "pledge \(pledgeId) was made then")
        }
        _ = try fund.balance.adding(amount)
        try rules.person(donor.name, role: donor.kind.isPerson ? .donor : nil, "donor.name")
        return ("fund-" + fundId, .streamExists)
    }
}

extension DonationReceived {
    /// The data as stored, written directly rather than through Codable: a donor's sealed
    /// name is a nested object, slow to encode generically.
    func canonicalData() -> [UInt8] {
        var donorMembers: [(key: String, value: [UInt8])] = [("name", donor.name.canonicalBytes), ("kind", CBOR.text(donor.kind.rawValue))]
        if let publish = donor.publish { donorMembers.append(("publish", CBOR.bool(publish))) }
        var donorBytes: [UInt8] = []
        CBOR.appendMap(donorMembers, to: &donorBytes)
        var members: [(key: String, value: [UInt8])] = [
            ("fundId", CBOR.text(fundId)), ("donor", donorBytes), ("amount", CBOR.integer(amount.dong)),
            ("receivedOn", CBOR.text(receivedOn.description)),
        ]
        if let pledgeId { members.append(("pledgeId", CBOR.text(pledgeId))) }
        if let receiptNo { members.append(("receiptNo", CBOR.text(receiptNo))) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(320)
        CBOR.appendMap(members, to: &bytes)
        return bytes
    }

    /// Reads stored data (schema version 2 or 3) straight from its canonical CBOR, as the
    /// general decoder would: the fold's path for donations, whose donors' sealed names
    /// the general path decodes slowly. `nil` for anything unusual, which the general
    /// decoder then reads or reports.
    init?(canonicalBytes bytes: UnsafeRawBufferPointer) {
        var reader = CBORReader(bytes)
        guard let count = try? reader.readMapHeader(), (4...6).contains(count) else { return nil }
        var fundId: String?
        var donor: Donor?
        var amount: Int64?
        var receivedOn: LocalDate?
        var pledgeId: String?
        var receiptNo: String?
        for _ in 0..<count {
            guard let key = try? reader.readTextBytes() else { return nil }
            if key.isText("amount") {
                amount = try? reader.readInteger()
            } else if key.isText("fundId") {
                fundId = reader.storedText()
            } else if key.isText("donor") {
                donor = Donor(reading: &reader)
            } else if key.isText("receivedOn") {
                receivedOn = (try? reader.readTextBytes()).flatMap(LocalDate.init(bytes:))
            } else if key.isText("pledgeId") {
                guard let text = reader.storedText() else { return nil }
                pledgeId = text
            } else if key.isText("receiptNo") {
                guard let text = reader.storedText() else { return nil }
                receiptNo = text
            } else {
                return nil
            }
        }
        guard reader.isAtEnd, let fundId, let donor, let amount, let receivedOn else { return nil }
        self.init(fundId: fundId, donor: donor, amount: VND(amount), receivedOn: receivedOn, pledgeId: pledgeId, receiptNo: receiptNo)
    }
}

extension Donor {
    /// A stored donor, `{name, kind, publish?}`, read straight from canonical CBOR.
    init?(reading reader: inout CBORReader) {
        guard let count = try? reader.readMapHeader(), count == 2 || count == 3 else { return nil }
        var name: PersonName?
        var kind: DonorKind?
        var publish: Bool?
        for _ in 0..<count {
            guard let key = try? reader.readTextBytes() else { return nil }
            if key.isText("name") {
                name = PersonName(reading: &reader)
            } else if key.isText("kind") {
                kind = reader.storedText().flatMap(DonorKind.init(rawValue:))
            } else if key.isText("publish") {
                guard let value = try? reader.readBool() else { return nil }
                publish = value
            } else {
                return nil
            }
        }
        guard let name, let kind else { return nil }
        self.init(name: name, kind: kind, publish: publish)
    }
}
