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
