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

/// Who gives. An individual or a party member is a data subject: their name is kept
/// sealed (``PersonName``) and shown to the public only with their consent (`publish`).
/// A business, a religious body or an organisation is named in the clear.
public struct Donor: Codable, Hashable, Sendable {
    public var name: PersonName
    public var kind: DonorKind
    /// The donor agrees to be named in what the ward publishes (absent: no).
    public var publish: Bool?

    public init(name: PersonName, kind: DonorKind, publish: Bool? = nil) {
        self.name = name
        self.kind = kind
        self.publish = publish
    }

    public init(name: String, kind: DonorKind, publish: Bool? = nil) {
        self.init(name: .plain(name), kind: kind, publish: publish)
    }
}

extension DonorKind {
    /// Whether a donor of this kind is a person, whose name is personal data.
    public var isPerson: Bool {
        switch self {
        case .individual, .partyMember: return true
        case .business, .religiousBody, .organisation: return false
        }
    }
}

/// Who receives: every beneficiary is a person or a household, a data subject whose
/// name is kept sealed. `area` (a neighbourhood, khóm or ấp) is what the public view
/// shows beside their initials.
public struct Beneficiary: Codable, Hashable, Sendable {
    public var name: PersonName
    public var kind: BeneficiaryKind
    public var area: String?

    public init(name: PersonName, kind: BeneficiaryKind, area: String? = nil) {
        self.name = name
        self.kind = kind
        self.area = area
    }

    public init(name: String, kind: BeneficiaryKind, area: String? = nil) {
        self.init(name: .plain(name), kind: kind, area: area)
    }
}
