import Foundation

/// Who gives: `donor.kind` in pledges and donations.
public enum DonorKind: String, CatalogueEnumeration {
    case individual, business, religiousBody, organisation, partyMember
}

/// Who receives: `beneficiary.kind` in disbursements.
public enum BeneficiaryKind: String, CatalogueEnumeration {
    case poorHousehold, nearPoorHousehold, policyFamily, student, child, other
}

/// What a disbursement is for.
public enum Purpose: String, CatalogueEnumeration, Comparable {
    case housing, gift, healthInsurance, scholarship, studySupplies, livelihood, infrastructure, sponsorship, other

    public static func < (left: Purpose, right: Purpose) -> Bool {
        allCases.firstIndex(of: left)! < allCases.firstIndex(of: right)!
    }
}

public struct Donor: Codable, Hashable, Sendable {
    public var name: String
    public var kind: DonorKind

    public init(name: String, kind: DonorKind) {
        self.name = name
        self.kind = kind
    }
}

public struct Beneficiary: Codable, Hashable, Sendable {
    public var name: String
    public var kind: BeneficiaryKind

    public init(name: String, kind: BeneficiaryKind) {
        self.name = name
        self.kind = kind
    }
}

/// Quỹ: a fund is opened, with an optional balance brought forward.
public struct FundOpened: Codable, Hashable, Sendable {
    public var fundId: String
    public var name: String
    public var openedOn: LocalDate
    public var openingBalance: VND?
    public var purpose: String?

    public init(fundId: String, name: String, openedOn: LocalDate, openingBalance: VND? = nil, purpose: String? = nil) {
        self.fundId = fundId
        self.name = name
        self.openedOn = openedOn
        self.openingBalance = openingBalance
        self.purpose = purpose
    }
}

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

public struct MemberLeft: Codable, Hashable, Sendable {
    public var memberId: String
    public var leftOn: LocalDate
    public var reason: String?

    public init(memberId: String, leftOn: LocalDate, reason: String? = nil) {
        self.memberId = memberId
        self.leftOn = leftOn
        self.reason = reason
    }
}

/// A donor promises an amount to a fund.
public struct PledgeMade: Codable, Hashable, Sendable {
    public var pledgeId: String
    public var fundId: String
    public var donor: Donor
    public var amount: VND
    public var pledgedOn: LocalDate
    public var dueOn: LocalDate?

    public init(pledgeId: String, fundId: String, donor: Donor, amount: VND, pledgedOn: LocalDate, dueOn: LocalDate? = nil) {
        self.pledgeId = pledgeId
        self.fundId = fundId
        self.donor = donor
        self.amount = amount
        self.pledgedOn = pledgedOn
        self.dueOn = dueOn
    }
}

public struct PledgeCancelled: Codable, Hashable, Sendable {
    public var pledgeId: String
    public var cancelledOn: LocalDate
    public var reason: String?

    public init(pledgeId: String, cancelledOn: LocalDate, reason: String? = nil) {
        self.pledgeId = pledgeId
        self.cancelledOn = cancelledOn
        self.reason = reason
    }
}

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

/// Mô hình "ống heo tiết kiệm": members save at least `dailyTarget` a day over a period.
public struct PiggyBankModelStarted: Codable, Hashable, Sendable {
    public var modelId: String
    public var name: String
    public var fundId: String
    public var startsOn: LocalDate
    public var endsOn: LocalDate
    public var dailyTarget: VND

    public init(modelId: String, name: String, fundId: String, startsOn: LocalDate, endsOn: LocalDate, dailyTarget: VND = VND(1_000)) {
        self.modelId = modelId
        self.name = name
        self.fundId = fundId
        self.startsOn = startsOn
        self.endsOn = endsOn
        self.dailyTarget = dailyTarget
    }
}

public struct PiggyBankDeposited: Codable, Hashable, Sendable {
    public var modelId: String
    public var memberId: String
    public var amount: VND
    public var depositedOn: LocalDate

    public init(modelId: String, memberId: String, amount: VND, depositedOn: LocalDate) {
        self.modelId = modelId
        self.memberId = memberId
        self.amount = amount
        self.depositedOn = depositedOn
    }
}

public struct PiggyBankModelClosed: Codable, Hashable, Sendable {
    public var modelId: String
    public var closedOn: LocalDate
    public var decisionRef: String?

    public init(modelId: String, closedOn: LocalDate, decisionRef: String? = nil) {
        self.modelId = modelId
        self.closedOn = closedOn
        self.decisionRef = decisionRef
    }
}

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

/// The only way to correct a mistake: a new event that cancels an earlier one.
public struct EntryReversed: Codable, Hashable, Sendable {
    public var reversesEventId: UUID
    public var reversedOn: LocalDate
    public var reason: String

    public init(reversesEventId: UUID, reversedOn: LocalDate, reason: String) {
        self.reversesEventId = reversesEventId
        self.reversedOn = reversedOn
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case reversesEventId, reversedOn, reason
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .reversesEventId)
        guard let id = UUID(uuidString: text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .reversesEventId, in: container, debugDescription: "must be an event id (a UUID), not \(quoted(text))")
        }
        reversesEventId = id
        reversedOn = try container.decode(LocalDate.self, forKey: .reversedOn)
        reason = try container.decode(String.self, forKey: .reason)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(reversesEventId.uuidString.lowercased(), forKey: .reversesEventId)
        try container.encode(reversedOn, forKey: .reversedOn)
        try container.encode(reason, forKey: .reason)
    }
}

/// The books are closed (khoá sổ) through a date: nothing dated on or before it can be
/// recorded afterwards. The event carries each fund's balance and each piggy-bank
/// model's collected savings at that date, which an audit recomputes from the log.
public struct PeriodClosed: Codable, Hashable, Sendable {
    /// The last day of the closed period.
    public var through: LocalDate
    /// The decision that closes it, such as "Quyết định 12/QĐ-MTTQ".
    public var decision: String
    /// Every fund opened by `through`, by fund id.
    public var funds: [FundFigure]
    /// Every piggy-bank model started by `through`, by model id.
    public var models: [ModelFigure]

    public init(through: LocalDate, decision: String, funds: [FundFigure] = [], models: [ModelFigure] = []) {
        self.through = through
        self.decision = decision
        self.funds = funds
        self.models = models
    }

    /// A fund's balance at the end of the closed period.
    public struct FundFigure: Codable, Hashable, Sendable {
        public var fundId: String
        public var balance: VND

        public init(fundId: String, balance: VND) {
            self.fundId = fundId
            self.balance = balance
        }
    }

    /// What a piggy-bank model had collected by the end of the closed period, net of reversals.
    public struct ModelFigure: Codable, Hashable, Sendable {
        public var modelId: String
        public var collected: VND

        public init(modelId: String, collected: VND) {
            self.modelId = modelId
            self.collected = collected
        }
    }
}
