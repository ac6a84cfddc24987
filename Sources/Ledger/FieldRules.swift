import Foundation

/// A field of an event that breaks the catalogue's rules: which event type, which
/// field (a dotted path such as `donor.kind`), and why.
///
/// Printed as `DisbursementMade.amount: must be > 0`.
public struct FieldError: Error, Hashable, Sendable, CustomStringConvertible {
    public var eventType: String
    public var field: String
    public var message: String

    public init(eventType: String, field: String, message: String) {
        self.eventType = eventType
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(eventType): \(message)" : "\(eventType).\(field): \(message)"
    }
}

/// The catalogue's limits, checked where data enters. Units last.
public enum LedgerLimits {
    public static let idBytesMax = 64
    public static let nameCharactersMax = 200
    public static let textCharactersMax = 1_000
    /// 10^15 đ: far above any ward's money, far below where sums could overflow.
    public static let amountMax: Int64 = 1_000_000_000_000_000
    public static let countMax: Int64 = 1_000_000_000
    /// A piggy-bank model's daily target: 1.000 đ in the ward's model, a million at most.
    public static let dailyTargetMax: Int64 = 1_000_000
    /// Funds, or piggy-bank models, whose figures one `PeriodClosed` carries: far above a
    /// ward's handful, and it keeps the event well inside the log's data limit.
    public static let periodFiguresMax = 250
}

/// Checks and normalises the fields of one event, naming the field on failure.
public struct FieldChecker: Sendable {
    public let eventType: String

    public init(eventType: String) {
        self.eventType = eventType
    }

    public func fail(_ field: String, _ message: String) -> FieldError {
        FieldError(eventType: eventType, field: field, message: message)
    }

    /// An id: 1–64 of `A–Z a–z 0–9 . _ -`, starting with a letter or digit.
    public func id(_ value: String, _ field: String) throws(FieldError) {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty else { throw fail(field, "must not be empty") }
        guard bytes.count <= LedgerLimits.idBytesMax else {
            throw fail(field, "must be at most \(LedgerLimits.idBytesMax) characters")
        }
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard isAlphanumeric(bytes[0]),
            bytes.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else {
            throw fail(field, "must be letters, digits, '.', '_' or '-' (starting with a letter or digit), not \(quoted(value))")
        }
    }

    /// A person's name: in the clear, a name (NFC-normalised, 1–200 characters); sealed,
    /// its subject id.
    public func person(_ value: inout PersonName, _ field: String) throws(FieldError) {
        switch value {
        case .plain(var name):
            try self.name(&name, field)
            value = .plain(name)
        case .sealed(let sealed):
            try subjectId(sealed.subjectId, field + ".subject")
        }
    }

    /// A subject id, `ds-` and at least six digits.
    public func subjectId(_ value: String, _ field: String) throws(FieldError) {
        guard SubjectKeys.number(ofSubject: value) != nil else {
            throw fail(field, "must be a subject id such as ds-000012, not \(quoted(value))")
        }
    }

    /// A name: NFC-normalised, 1–200 characters, not only blanks.
    public func name(_ value: inout String, _ field: String) throws(FieldError) {
        try text(&value, field, characterCountMax: LedgerLimits.nameCharactersMax, lineBreaks: false)
    }

    /// Free text: NFC-normalised, 1–1000 characters, not only blanks.
    /// Free text; with `lineBreaks` (the default) it may hold tabs and line breaks,
    /// never other control characters.
    public func text(
        _ value: inout String, _ field: String, characterCountMax: Int = LedgerLimits.textCharactersMax, lineBreaks: Bool = true
    ) throws(FieldError) {
        value = value.precomposedStringWithCanonicalMapping
        guard !value.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) else {
            throw fail(field, "must not be empty")
        }
        guard value.count <= characterCountMax else {
            throw fail(field, "must be at most \(characterCountMax) characters (it has \(value.count))")
        }
        // Control characters (an escape sequence, NUL) could drive the clerk's terminal or
        // hide text; a name is one line. Free text keeps its tabs and line breaks.
        let allowed: Set<Unicode.Scalar> = lineBreaks ? ["\t", "\n", "\r"] : []
        if let (offset, control) = value.unicodeScalars.enumerated().first(where: {
            $0.element.properties.generalCategory == .control && !allowed.contains($0.element)
        }) {
            let code = String(control.value, radix: 16, uppercase: true)
            throw fail(field, "must not contain control characters (U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code) at character \(offset + 1))")
        }
    }

    public func optionalText(_ value: inout String?, _ field: String, characterCountMax: Int = LedgerLimits.textCharactersMax)
        throws(FieldError)
    {
        guard var present = value else { return }
        try text(&present, field, characterCountMax: characterCountMax)
        value = present
    }

    /// An amount of money: at least `minimum` (1 unless said), at most `maximum` (10^15 đ unless said).
    public func amount(_ value: VND, _ field: String, minimum: Int64 = 1, maximum: Int64 = LedgerLimits.amountMax)
        throws(FieldError)
    {
        guard value.dong >= minimum else { throw fail(field, minimum == 1 ? "must be > 0" : "must be ≥ \(minimum)") }
        guard value.dong <= maximum else { throw fail(field, "must be at most \(VND(maximum))") }
    }

    /// A whole number within `range`.
    public func range(_ value: Int64, _ field: String, _ range: ClosedRange<Int64>) throws(FieldError) {
        guard range.contains(value) else { throw fail(field, "must be from \(range.lowerBound) to \(range.upperBound)") }
    }

    /// A count of people or things: 1 to 10^9.
    public func count(_ value: Int64, _ field: String) throws(FieldError) {
        guard value >= 1 else { throw fail(field, "must be ≥ 1") }
        guard value <= LedgerLimits.countMax else { throw fail(field, "must be at most \(LedgerLimits.countMax)") }
    }

    /// `later` is not before `earlier`.
    public func notBefore(_ later: LocalDate?, _ laterField: String, _ earlier: LocalDate, _ earlierField: String)
        throws(FieldError)
    {
        guard let later, later < earlier else { return }
        throw fail(laterField, "\(later) is before \(earlierField) \(earlier)")
    }

    /// Turns a decoding failure into a field error with its dotted path.
    func fieldError(from error: any Error) -> FieldError {
        guard let error = error as? DecodingError else { return fail("", "\(error)") }
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return fail(path(context.codingPath.last?.stringValue == key.stringValue ? context.codingPath : context.codingPath + [key]), "is required")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return fail(path(context.codingPath), context.debugDescription)
        @unknown default:
            return fail("", "\(error)")
        }
    }
}

/// An enumeration of the catalogue, written as its raw text; an unknown value is
/// refused with the list of allowed ones.
public protocol CatalogueEnumeration: RawRepresentable, CaseIterable, Codable, Hashable, Sendable
where RawValue == String {}

extension CatalogueEnumeration {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            let allowed = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be one of \(allowed), not \(quoted(text))")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
