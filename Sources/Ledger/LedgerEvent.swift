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
    case subjectErased = "SubjectErased"
    case storeMigrated = "StoreMigrated"

    /// Where everything about the type is declared.
    var declaration: any EventDeclaration.Type {
        switch self {
        case .fundOpened: return FundOpened.self
        case .memberEnrolled: return MemberEnrolled.self
        case .memberLeft: return MemberLeft.self
        case .pledgeMade: return PledgeMade.self
        case .pledgeCancelled: return PledgeCancelled.self
        case .donationReceived: return DonationReceived.self
        case .piggyBankModelStarted: return PiggyBankModelStarted.self
        case .piggyBankDeposited: return PiggyBankDeposited.self
        case .piggyBankModelClosed: return PiggyBankModelClosed.self
        case .disbursementMade: return DisbursementMade.self
        case .externalSupportRecorded: return ExternalSupportRecorded.self
        case .entryReversed: return EntryReversed.self
        case .periodClosed: return PeriodClosed.self
        case .subjectErased: return SubjectErased.self
        case .storeMigrated: return StoreMigrated.self
        }
    }

    /// The version new events of this type are written with; older stored ones are
    /// upcast to it on read (see ``Upcasters``).
    public var currentSchemaVersion: UInt32 { declaration.currentSchemaVersion }

    /// Whether an ``EntryReversed`` may cancel an event of this type.
    public var isReversible: Bool { declaration.isReversible }

    /// Whether an event of this type records a status (a leaving, a pledge, a cancellation,
    /// a model's closing) rather than money. Its reversal withdraws it from its own date
    /// on, as if it had never been recorded; a reversal of money counts on its own date.
    public var isStatus: Bool { declaration.isStatus }
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
    case subjectErased(SubjectErased)
    case storeMigrated(StoreMigrated)

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
        case .subjectErased: return .subjectErased
        case .storeMigrated: return .storeMigrated
        }
    }

    /// Its data, with everything declared about its type.
    var declaration: any EventDeclaration {
        switch self {
        case .fundOpened(let event): return event
        case .memberEnrolled(let event): return event
        case .memberLeft(let event): return event
        case .pledgeMade(let event): return event
        case .pledgeCancelled(let event): return event
        case .donationReceived(let event): return event
        case .piggyBankModelStarted(let event): return event
        case .piggyBankDeposited(let event): return event
        case .piggyBankModelClosed(let event): return event
        case .disbursementMade(let event): return event
        case .externalSupportRecorded(let event): return event
        case .entryReversed(let event): return event
        case .periodClosed(let event): return event
        case .subjectErased(let event): return event
        case .storeMigrated(let event): return event
        }
    }

    /// The business date the event carries (`openedOn`, `depositedOn`, …).
    public var businessDate: LocalDate { declaration.businessDate }

    /// The money the event names, if any: a fund's opening balance, a pledge, a donation,
    /// a deposit, a disbursement, or the value of support arranged outside the funds.
    public var amount: VND? { declaration.money }

    /// The date from which the event counts in every figure: its business date; for a
    /// reversal of money, the reversal's own date; for a reversal of a status (a leaving,
    /// a pledge, a cancellation, a model's closing), the status's own date, since it
    /// withdraws the status as if it had never been recorded. `original` is the reversed
    /// event, for a reversal.
    public func effectiveDate(original: LedgerEvent?) -> LocalDate {
        guard case .entryReversed(let reversal) = self, let original, original.type.isStatus else { return businessDate }
        return min(original.businessDate, reversal.reversedOn)
    }

    /// The data as stored: the canonical bytes of ``payload()`` (written directly for
    /// deposits, the most common event).
    public func canonicalData() -> [UInt8] { declaration.canonicalData() }

    /// The data as stored: a ``Payload`` of the current schema version.
    public func payload() -> Payload {
        do {
            return try PayloadEncoder().encode(declaration)
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
        if !checking, stored.isType("DonationReceived"), (2...3).contains(stored.schemaVersion),
            let donation = DonationReceived(canonicalBytes: stored.data)
        {
            return .donationReceived(donation)
        }
        if !checking, stored.isType("DisbursementMade"), (1...2).contains(stored.schemaVersion),
            let disbursement = DisbursementMade(canonicalBytes: stored.data) {
            return .disbursementMade(disbursement)
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
        do {
            return try PayloadDecoder().decode(type.declaration, from: data).event
        } catch {
            throw checker.fieldError(from: error)
        }
    }

    /// Checks every field against the catalogue's rules and normalises text to NFC.
    public mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        var declaration = self.declaration
        try declaration.normalise(check)
        self = declaration.event
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
        try type.declaration.upcast(data, from: version)
    }
}

extension CBORReader {
    /// The next value as text, or `nil` when it is not text. Its UTF-8 is not checked
    /// again: stored data was checked when it was appended.
    mutating func storedText() -> String? {
        (try? readTextBytes()).map { String(decoding: $0, as: UTF8.self) }
    }
}
