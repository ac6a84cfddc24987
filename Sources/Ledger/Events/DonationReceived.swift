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
