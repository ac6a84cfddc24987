import EventLog
import Foundation

/// Everything about one event type, declared once, in the file of its data: its name,
/// schema versions and upcasters; its business date and the money it names; whether
/// it can be reversed, and whether it is a status; how its fields are checked and
/// normalised; and the rule it must pass, with the stream it goes to. What it does to
/// each read model is in that read model's fold, which switches over every type.
///
/// Adding an event type is a new file here (and its schema and tests), a case of
/// ``EventType`` and of ``LedgerEvent``: the compiler then points at every switch that
/// must say what the new type does, and no `default:` can swallow it.
protocol EventDeclaration: Codable, Hashable, Sendable {
    /// Its name, as stored and imported.
    static var type: EventType { get }
    /// The version new events are written with (1 unless declared).
    static var currentSchemaVersion: UInt32 { get }
    /// Turns data of an older schema `version` into the next one; called once a
    /// version, up to the current one.
    static func upcast(_ data: Payload, from version: UInt32) throws -> Payload
    /// Whether an ``EntryReversed`` may cancel it.
    static var isReversible: Bool { get }
    /// Whether it records a status (a leaving, a pledge, a cancellation, a model's
    /// closing) rather than money: its reversal withdraws it from its own date on.
    static var isStatus: Bool { get }
    /// Whether its rule checks its date against the closes of the books itself (a
    /// reversal, a close); every other type is refused when dated in a closed period.
    static var checksItsOwnDate: Bool { get }

    /// The business date it carries (`openedOn`, `depositedOn`, …).
    var businessDate: LocalDate { get }
    /// The money it names, if any.
    var money: VND? { get }
    /// It, as one of the catalogue's events.
    var event: LedgerEvent { get }
    /// Checks every field against the catalogue and normalises text to NFC.
    mutating func normalise(_ check: FieldChecker) throws(FieldError)
    /// The rule it must pass against the ledger as it stands, and where it goes.
    /// - Throws: ``RuleViolation``.
    func check(_ rules: Rules) throws -> Rules.Target
    /// Its data as stored: canonical CBOR of the current schema version.
    func canonicalData() -> [UInt8]
}

extension EventDeclaration {
    static var currentSchemaVersion: UInt32 { 1 }
    static var isStatus: Bool { false }
    static var checksItsOwnDate: Bool { false }

    static func upcast(_ data: Payload, from version: UInt32) throws -> Payload {
        preconditionFailure("\(type.rawValue) has no schema version \(version) to upcast")
    }

    func canonicalData() -> [UInt8] {
        do {
            return try PayloadEncoder().encode(self).canonicalBytes()
        } catch {
            // The catalogue's types hold only text, whole numbers and nested structs.
            preconditionFailure("catalogue event failed to encode: \(error)")
        }
    }
}
