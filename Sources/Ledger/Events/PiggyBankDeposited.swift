import EventLog
import Foundation

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

extension PiggyBankDeposited: EventDeclaration {
    static let type = EventType.piggyBankDeposited
    static let isReversible = true
    var businessDate: LocalDate { depositedOn }
    var money: VND? { amount }
    var event: LedgerEvent { .piggyBankDeposited(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.id(modelId, "modelId")
        try check.id(memberId, "memberId")
        try check.amount(amount, "amount")
    }

    /// Into an open model, within its period, by a member enrolled on the day; the
    /// money goes to the model's fund.
    func check(_ rules: Rules) throws -> Rules.Target {
        let model = try rules.openModel(modelId)
        guard depositedOn >= model.startsOn, depositedOn <= model.endsOn else {
            throw RuleViolation.depositOutsidePeriod(model: modelId, date: depositedOn, startsOn: model.startsOn, endsOn: model.endsOn)
        }
        let member = try rules.existingMember(memberId)
        guard member.isEnrolled(on: depositedOn) else {
            throw RuleViolation.memberNotEnrolledOn(member: memberId, date: depositedOn, enrolledOn: member.enrolledOn, leftOn: member.leftOn)
        }
        guard let fund = try rules.tables.fund(model.fundId) else { throw RuleViolation.fundNotFound(fund: model.fundId) }
        _ = try fund.balance.adding(amount)
        return ("fund-" + model.fundId, .streamExists)
    }

    /// The data as stored, written directly: the most common event.
    func canonicalData() -> [UInt8] {
        var bytes: [UInt8] = [0xa4]  // a map of four members, keys in canonical order
        bytes.reserveCapacity(64)
        CBOR.appendText("amount", to: &bytes)
        CBOR.appendInteger(amount.dong, to: &bytes)
        CBOR.appendText("modelId", to: &bytes)
        CBOR.appendText(modelId, to: &bytes)
        CBOR.appendText("memberId", to: &bytes)
        CBOR.appendText(memberId, to: &bytes)
        CBOR.appendText("depositedOn", to: &bytes)
        CBOR.appendText(depositedOn.description, to: &bytes)
        return bytes
    }
}

extension PiggyBankDeposited {
    /// Reads the stored data straight from its canonical bytes, or `nil` when they hold
    /// anything unexpected (the general decoder then reports it).
    init?(canonicalBytes bytes: UnsafeRawBufferPointer) {
        var reader = CBORReader(bytes)
        guard let count = try? reader.readMapHeader(), count == 4 else { return nil }
        var modelId: String?
        var memberId: String?
        var amount: Int64?
        var depositedOn: LocalDate?
        for _ in 0..<count {
            guard let key = try? reader.readTextBytes() else { return nil }
            if key.isText("amount") {
                amount = try? reader.readInteger()
            } else if key.isText("modelId") {
                modelId = reader.storedText()
            } else if key.isText("memberId") {
                memberId = reader.storedText()
            } else if key.isText("depositedOn") {
                depositedOn = (try? reader.readTextBytes()).flatMap(LocalDate.init(bytes:))
            } else {
                return nil
            }
        }
        guard reader.isAtEnd, let modelId, let memberId, let amount, let depositedOn else { return nil }
        self.init(modelId: modelId, memberId: memberId, amount: VND(amount), depositedOn: depositedOn)
    }
}
