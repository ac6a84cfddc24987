import EventLog
import Foundation

/// The names of the catalogue's event types, as stored and imported.
public enum EventType: String, CaseIterable, Sendable {
    case fundOpened = "FundOpened"
    case memberEnrolled = "MemberEnrolled"
    case memberLeft = "MemberLeft"
    case pledgeMade = "PledgeMade"
    case pledgeCancelled = "PledgeCancelled"
    case donationReceived = "DonationReceived"
    case piggyBankModelStarted = "PiggyBankModelStarted"
    case piggyBankDeposited = "PiggyBankDeposited"
    case piggyBankModelClosed = "PiggyBankModelClosed"
    case disbursementMade = "DisbursementMade"
    case externalSupportRecorded = "ExternalSupportRecorded"
    case entryReversed = "EntryReversed"
    case periodClosed = "PeriodClosed"

    /// The version new events of this type are written with; older stored ones are
    /// upcast to it on read (see ``Upcasters``).
    public var currentSchemaVersion: UInt32 {
        switch self {
        case .donationReceived: return 2
        case .fundOpened, .memberEnrolled, .memberLeft, .pledgeMade, .pledgeCancelled, .piggyBankModelStarted,
            .piggyBankDeposited, .piggyBankModelClosed, .disbursementMade, .externalSupportRecorded, .entryReversed,
            .periodClosed:
            return 1
        }
    }

    /// Whether an ``EntryReversed`` may cancel an event of this type.
    public var isReversible: Bool {
        switch self {
        case .fundOpened, .memberEnrolled, .piggyBankModelStarted, .entryReversed, .periodClosed: return false
        case .memberLeft, .pledgeMade, .pledgeCancelled, .donationReceived, .piggyBankDeposited, .piggyBankModelClosed,
            .disbursementMade, .externalSupportRecorded:
            return true
        }
    }

    /// Whether an event of this type records a status (a leaving, a pledge, a cancellation,
    /// a model's closing) rather than money. Its reversal withdraws it from its own date
    /// on, as if it had never been recorded; a reversal of money counts on its own date.
    public var isStatus: Bool {
        switch self {
        case .memberLeft, .pledgeMade, .pledgeCancelled, .piggyBankModelClosed: return true
        case .fundOpened, .memberEnrolled, .donationReceived, .piggyBankModelStarted, .piggyBankDeposited,
            .disbursementMade, .externalSupportRecorded, .entryReversed, .periodClosed:
            return false
        }
    }
}

/// One event of the catalogue, with its data.
public enum LedgerEvent: Hashable, Sendable {
    case fundOpened(FundOpened)
    case memberEnrolled(MemberEnrolled)
    case memberLeft(MemberLeft)
    case pledgeMade(PledgeMade)
    case pledgeCancelled(PledgeCancelled)
    case donationReceived(DonationReceived)
    case piggyBankModelStarted(PiggyBankModelStarted)
    case piggyBankDeposited(PiggyBankDeposited)
    case piggyBankModelClosed(PiggyBankModelClosed)
    case disbursementMade(DisbursementMade)
    case externalSupportRecorded(ExternalSupportRecorded)
    case entryReversed(EntryReversed)
    case periodClosed(PeriodClosed)

    public var type: EventType {
        switch self {
        case .fundOpened: return .fundOpened
        case .memberEnrolled: return .memberEnrolled
        case .memberLeft: return .memberLeft
        case .pledgeMade: return .pledgeMade
        case .pledgeCancelled: return .pledgeCancelled
        case .donationReceived: return .donationReceived
        case .piggyBankModelStarted: return .piggyBankModelStarted
        case .piggyBankDeposited: return .piggyBankDeposited
        case .piggyBankModelClosed: return .piggyBankModelClosed
        case .disbursementMade: return .disbursementMade
        case .externalSupportRecorded: return .externalSupportRecorded
        case .entryReversed: return .entryReversed
        case .periodClosed: return .periodClosed
        }
    }

    /// The business date the event carries (`openedOn`, `depositedOn`, …).
    public var businessDate: LocalDate {
        switch self {
        case .fundOpened(let event): return event.openedOn
        case .memberEnrolled(let event): return event.enrolledOn
        case .memberLeft(let event): return event.leftOn
        case .pledgeMade(let event): return event.pledgedOn
        case .pledgeCancelled(let event): return event.cancelledOn
        case .donationReceived(let event): return event.receivedOn
        case .piggyBankModelStarted(let event): return event.startsOn
        case .piggyBankDeposited(let event): return event.depositedOn
        case .piggyBankModelClosed(let event): return event.closedOn
        case .disbursementMade(let event): return event.disbursedOn
        case .externalSupportRecorded(let event): return event.recordedOn
        case .entryReversed(let event): return event.reversedOn
        case .periodClosed(let event): return event.through
        }
    }

    /// The money the event names, if any: a fund's opening balance, a pledge, a donation,
    /// a deposit, a disbursement, or the value of support arranged outside the funds.
    public var amount: VND? {
        switch self {
        case .fundOpened(let event): return event.openingBalance
        case .pledgeMade(let event): return event.amount
        case .donationReceived(let event): return event.amount
        case .piggyBankDeposited(let event): return event.amount
        case .disbursementMade(let event): return event.amount
        case .externalSupportRecorded(let event): return event.value
        case .memberEnrolled, .memberLeft, .pledgeCancelled, .piggyBankModelStarted, .piggyBankModelClosed,
            .entryReversed, .periodClosed:
            return nil
        }
    }

    /// The date from which the event counts in every figure: its business date; for a
    /// reversal of money, the reversal's own date; for a reversal of a status (a leaving,
    /// a pledge, a cancellation, a model's closing), the status's own date, since it
    /// withdraws the status as if it had never been recorded. `original` is the reversed
    /// event, for a reversal.
    public func effectiveDate(original: LedgerEvent?) -> LocalDate {
        guard case .entryReversed(let reversal) = self, let original, original.type.isStatus else { return businessDate }
        return min(original.businessDate, reversal.reversedOn)
    }

    /// The data as stored: the canonical bytes of ``payload()``, written directly for
    /// deposits (the most common event) and through the general encoder otherwise.
    public func canonicalData() -> [UInt8] {
        guard case .piggyBankDeposited(let deposit) = self else { return payload().canonicalBytes() }
        var bytes: [UInt8] = [0xa4]  // a map of four members, keys in canonical order
        bytes.reserveCapacity(64)
        CBOR.appendText("amount", to: &bytes)
        CBOR.appendInteger(deposit.amount.dong, to: &bytes)
        CBOR.appendText("modelId", to: &bytes)
        CBOR.appendText(deposit.modelId, to: &bytes)
        CBOR.appendText("memberId", to: &bytes)
        CBOR.appendText(deposit.memberId, to: &bytes)
        CBOR.appendText("depositedOn", to: &bytes)
        CBOR.appendText(deposit.depositedOn.description, to: &bytes)
        return bytes
    }

    /// The data as stored: a ``Payload`` of the current schema version.
    public func payload() -> Payload {
        let encoder = PayloadEncoder()
        do {
            switch self {
            case .fundOpened(let event): return try encoder.encode(event)
            case .memberEnrolled(let event): return try encoder.encode(event)
            case .memberLeft(let event): return try encoder.encode(event)
            case .pledgeMade(let event): return try encoder.encode(event)
            case .pledgeCancelled(let event): return try encoder.encode(event)
            case .donationReceived(let event): return try encoder.encode(event)
            case .piggyBankModelStarted(let event): return try encoder.encode(event)
            case .piggyBankDeposited(let event): return try encoder.encode(event)
            case .piggyBankModelClosed(let event): return try encoder.encode(event)
            case .disbursementMade(let event): return try encoder.encode(event)
            case .externalSupportRecorded(let event): return try encoder.encode(event)
            case .entryReversed(let event): return try encoder.encode(event)
            case .periodClosed(let event): return try encoder.encode(event)
            }
        } catch {
            // The catalogue's types hold only text, whole numbers and nested structs.
            preconditionFailure("catalogue event failed to encode: \(error)")
        }
    }

    /// Decodes and checks event data of any schema version (upcasting older ones),
    /// normalising every name and text to NFC.
    /// - Throws: ``FieldError`` naming the type, the field and the fault.
    public static func decode(typeName: String, schemaVersion: UInt32? = nil, data: Payload) throws(FieldError) -> LedgerEvent {
        try decode(typeName: typeName, schemaVersion: schemaVersion, data: data, checking: true)
    }

    /// With `checking` false, the fields are decoded but not checked or normalised again:
    /// for stored events, which were when they were appended.
    static func decode(typeName: String, schemaVersion: UInt32?, data: Payload, checking: Bool) throws(FieldError) -> LedgerEvent {
        guard let type = EventType(rawValue: typeName) else {
            let known = EventType.allCases.map(\.rawValue).joined(separator: ", ")
            throw FieldError(eventType: typeName, field: "", message: "is not an event type (known: \(known))")
        }
        let checker = FieldChecker(eventType: typeName)
        let version = schemaVersion ?? type.currentSchemaVersion
        guard version >= 1, version <= type.currentSchemaVersion else {
            throw checker.fail("", "has no schema version \(version) (current: \(type.currentSchemaVersion))")
        }
        let upcast: Payload
        do {
            upcast = try Upcasters.upcast(type: type, from: version, data: data)
        } catch {
            throw checker.fieldError(from: error)
        }
        var event = try decodeCurrent(type: type, data: upcast, checker: checker)
        if checking { try event.normalise(checker) }
        return event
    }

    /// Decodes a stored event; `checking` also checks its fields against the catalogue
    /// (an audit does), where folding trusts what was checked when it was appended.
    public static func decode(_ stored: RecordedEventView, checking: Bool = false) throws(FieldError) -> LedgerEvent {
        if !checking, stored.schemaVersion == 1, stored.isType("PiggyBankDeposited"),
            let deposit = PiggyBankDeposited(canonicalBytes: stored.data)
        {
            return .piggyBankDeposited(deposit)  // the most common event, read without building its data
        }
        let data: Payload
        do {
            data = try Payload(canonicalBytes: stored.data)
        } catch {
            throw FieldError(eventType: stored.type, field: "", message: "stored data is damaged: \(error)")
        }
        return try decode(typeName: stored.type, schemaVersion: stored.schemaVersion, data: data, checking: checking)
    }

    private static func decodeCurrent(type: EventType, data: Payload, checker: FieldChecker) throws(FieldError)
        -> LedgerEvent
    {
        let decoder = PayloadDecoder()
        do {
            switch type {
            case .fundOpened: return .fundOpened(try decoder.decode(FundOpened.self, from: data))
            case .memberEnrolled: return .memberEnrolled(try decoder.decode(MemberEnrolled.self, from: data))
            case .memberLeft: return .memberLeft(try decoder.decode(MemberLeft.self, from: data))
            case .pledgeMade: return .pledgeMade(try decoder.decode(PledgeMade.self, from: data))
            case .pledgeCancelled: return .pledgeCancelled(try decoder.decode(PledgeCancelled.self, from: data))
            case .donationReceived: return .donationReceived(try decoder.decode(DonationReceived.self, from: data))
            case .piggyBankModelStarted:
                return .piggyBankModelStarted(try decoder.decode(PiggyBankModelStarted.self, from: data))
            case .piggyBankDeposited: return .piggyBankDeposited(try decoder.decode(PiggyBankDeposited.self, from: data))
            case .piggyBankModelClosed:
                return .piggyBankModelClosed(try decoder.decode(PiggyBankModelClosed.self, from: data))
            case .disbursementMade: return .disbursementMade(try decoder.decode(DisbursementMade.self, from: data))
            case .externalSupportRecorded:
                return .externalSupportRecorded(try decoder.decode(ExternalSupportRecorded.self, from: data))
            case .entryReversed: return .entryReversed(try decoder.decode(EntryReversed.self, from: data))
            case .periodClosed: return .periodClosed(try decoder.decode(PeriodClosed.self, from: data))
            }
        } catch {
            throw checker.fieldError(from: error)
        }
    }

    /// Checks every field against the catalogue's rules and normalises text to NFC.
    public mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        switch self {
        case .fundOpened(var event):
            try check.id(event.fundId, "fundId")
            try check.name(&event.name, "name")
            if let balance = event.openingBalance { try check.amount(balance, "openingBalance", minimum: 0) }
            try check.optionalText(&event.purpose, "purpose")
            self = .fundOpened(event)
        case .memberEnrolled(var event):
            try check.id(event.memberId, "memberId")
            try check.name(&event.fullName, "fullName")
            try check.name(&event.cell, "cell")
            self = .memberEnrolled(event)
        case .memberLeft(var event):
            try check.id(event.memberId, "memberId")
            try check.optionalText(&event.reason, "reason")
            self = .memberLeft(event)
        case .pledgeMade(var event):
            try check.id(event.pledgeId, "pledgeId")
            try check.id(event.fundId, "fundId")
            try check.name(&event.donor.name, "donor.name")
            try check.amount(event.amount, "amount")
            try check.notBefore(event.dueOn, "dueOn", event.pledgedOn, "pledgedOn")
            self = .pledgeMade(event)
        case .pledgeCancelled(var event):
            try check.id(event.pledgeId, "pledgeId")
            try check.optionalText(&event.reason, "reason")
            self = .pledgeCancelled(event)
        case .donationReceived(var event):
            try check.id(event.fundId, "fundId")
            try check.name(&event.donor.name, "donor.name")
            try check.amount(event.amount, "amount")
            if let pledgeId = event.pledgeId { try check.id(pledgeId, "pledgeId") }
            try check.optionalText(&event.receiptNo, "receiptNo")
            self = .donationReceived(event)
        case .piggyBankModelStarted(var event):
            try check.id(event.modelId, "modelId")
            try check.name(&event.name, "name")
            try check.id(event.fundId, "fundId")
            try check.notBefore(event.endsOn, "endsOn", event.startsOn, "startsOn")
            try check.amount(event.dailyTarget, "dailyTarget", maximum: LedgerLimits.dailyTargetMax)
            self = .piggyBankModelStarted(event)
        case .piggyBankDeposited(let event):
            try check.id(event.modelId, "modelId")
            try check.id(event.memberId, "memberId")
            try check.amount(event.amount, "amount")
        case .piggyBankModelClosed(var event):
            try check.id(event.modelId, "modelId")
            try check.optionalText(&event.decisionRef, "decisionRef")
            self = .piggyBankModelClosed(event)
        case .disbursementMade(var event):
            try check.id(event.disbursementId, "disbursementId")
            try check.id(event.fundId, "fundId")
            try check.name(&event.beneficiary.name, "beneficiary.name")
            try check.amount(event.amount, "amount")
            try check.count(event.quantity, "quantity")
            try check.optionalText(&event.decisionRef, "decisionRef")
            try check.optionalText(&event.programme, "programme", characterCountMax: LedgerLimits.nameCharactersMax)
            self = .disbursementMade(event)
        case .externalSupportRecorded(var event):
            try check.name(&event.organisation, "organisation")
            try check.name(&event.programme, "programme")
            try check.text(&event.description, "description")
            try check.count(event.beneficiaries, "beneficiaries")
            try check.amount(event.value, "value", minimum: 0)
            try check.optionalText(&event.source, "source")
            self = .externalSupportRecorded(event)
        case .entryReversed(var event):
            try check.text(&event.reason, "reason")
            self = .entryReversed(event)
        case .periodClosed(var event):
            try check.text(&event.decision, "decision")
            for (index, figure) in event.funds.enumerated() {
                try check.id(figure.fundId, "funds[\(index)].fundId")
                try check.amount(figure.balance, "funds[\(index)].balance", minimum: 0)
            }
            for (index, figure) in event.models.enumerated() {
                try check.id(figure.modelId, "models[\(index)].modelId")
                try check.amount(figure.collected, "models[\(index)].collected", minimum: 0)
            }
            guard event.funds.count <= LedgerLimits.periodFiguresMax else {
                throw check.fail("funds", "must list at most \(LedgerLimits.periodFiguresMax) funds")
            }
            guard event.models.count <= LedgerLimits.periodFiguresMax else {
                throw check.fail("models", "must list at most \(LedgerLimits.periodFiguresMax) models")
            }
            self = .periodClosed(event)
        }
    }
}

/// Turns stored data of an older schema version into the current shape, one version
/// at a time, when it is read. Stored history is never rewritten.
public enum Upcasters {
    /// Upcasts `data` of `type` from `version` to the type's current version.
    public static func upcast(type: EventType, from version: UInt32, data: Payload) throws -> Payload {
        var data = data
        var version = version
        while version < type.currentSchemaVersion {
            data = try step(type: type, from: version, data: data)
            version += 1
        }
        return data
    }

    private static func step(type: EventType, from version: UInt32, data: Payload) throws -> Payload {
        switch (type, version) {
        case (.donationReceived, 1):
            // v1 named the donor with `donorName` and no kind; v2 has donor {name, kind}.
            // Donors of v1 were recorded without a kind: they are read as individuals.
            guard case .object(var members) = data else {
                throw DecodingError.typeMismatch(
                    Payload.self, .init(codingPath: [], debugDescription: "must be an object"))
            }
            guard let name = members.removeValue(forKey: "donorName") else {
                throw DecodingError.keyNotFound(
                    UpcastKey.donorName, .init(codingPath: [UpcastKey.donorName], debugDescription: "is required"))
            }
            members["donor"] = .object(["name": name, "kind": .text(DonorKind.individual.rawValue)])
            return .object(members)
        default:
            preconditionFailure("no upcaster for \(type.rawValue) version \(version)")
        }
    }

    private enum UpcastKey: String, CodingKey {
        case donorName
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
            if key.elementsEqual("amount".utf8) {
                amount = try? reader.readInteger()
            } else if key.elementsEqual("modelId".utf8) {
                modelId = (try? reader.readTextBytes()).map { String(decoding: $0, as: UTF8.self) }
            } else if key.elementsEqual("memberId".utf8) {
                memberId = (try? reader.readTextBytes()).map { String(decoding: $0, as: UTF8.self) }
            } else if key.elementsEqual("depositedOn".utf8) {
                depositedOn = (try? reader.readTextBytes()).flatMap(LocalDate.init(bytes:))
            } else {
                return nil
            }
        }
        guard reader.isAtEnd, let modelId, let memberId, let amount, let depositedOn else { return nil }
        self.init(modelId: modelId, memberId: memberId, amount: VND(amount), depositedOn: depositedOn)
    }
}
