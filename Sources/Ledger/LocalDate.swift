import EventLog

/// A calendar date in the ward's time zone (Asia/Ho_Chi_Minh, UTC+7, no daylight
/// saving): a business date such as `depositedOn`. Written `YYYY-MM-DD`.
public struct LocalDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, Strideable {
    /// Days since 1970-01-01.
    public var dayNumber: Int32

    /// The ward's offset from UTC.
    public static let utcOffsetSeconds: Int64 = 7 * 3_600

    /// 1 January of year 1 and 31 December 9999: the dates a ledger takes.
    public static let earliest = LocalDate(year: 1, month: 1, day: 1)!
    public static let latest = LocalDate(year: 9999, month: 12, day: 31)!

    public init(dayNumber: Int32) {
        self.dayNumber = dayNumber
    }

    /// A real calendar date, or `nil` (2024-02-30 is not one).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), (1...31).contains(day) else { return nil }
        let number = daysSince1970(year: Int64(year), month: Int64(month), day: Int64(day))
        guard civilDate(daysSince1970: number) == (Int64(year), Int64(month), Int64(day)) else { return nil }
        dayNumber = Int32(number)
    }

    /// Parses `YYYY-MM-DD`; `nil` unless it is exactly that form and a real date.
    public init?(_ text: String) {
        var text = text
        guard let date = text.withUTF8({ LocalDate(bytes: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = date
    }

    /// Parses `YYYY-MM-DD` from UTF-8 bytes.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The ward's date at `instant`.
    public init(at instant: Timestamp) {
        let seconds = (instant.microsecondsSince1970.floorDivided(by: 1_000_000)) + Self.utcOffsetSeconds
        dayNumber = Int32(seconds.floorDivided(by: 86_400))
    }

    /// Today in Asia/Ho_Chi_Minh.
    public static func today() -> LocalDate { LocalDate(at: Timestamp.now()) }

    public var components: (year: Int, month: Int, day: Int) {
        let (year, month, day) = civilDate(daysSince1970: Int64(dayNumber))
        return (Int(year), Int(month), Int(day))
    }

    public var description: String {
        let (year, month, day) = components
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    /// `30/11/2024`, as dates are written in Vietnamese text.
    public var vietnamese: String {
        let (year, month, day) = components
        return pad(day, 2) + "/" + pad(month, 2) + "/" + String(year)
    }

    public static func < (left: LocalDate, right: LocalDate) -> Bool { left.dayNumber < right.dayNumber }

    public func distance(to other: LocalDate) -> Int { Int(other.dayNumber) - Int(dayNumber) }
    /// The same day `years` years later; 29 February becomes 28 February in a common year.
    public func addingYears(_ years: Int) -> LocalDate {
        let (year, month, day) = components
        return LocalDate(year: year + years, month: month, day: day) ?? LocalDate(year: year + years, month: month, day: day - 1)
            ?? self
    }

    public func advanced(by days: Int) -> LocalDate { LocalDate(dayNumber: dayNumber + Int32(days)) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = LocalDate(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "must be a real date written YYYY-MM-DD, not \(quoted(text))")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

private func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// `"text"`, cut short when long, for error messages.
func quoted(_ text: String) -> String {
    let limit = 40
    return text.count <= limit ? "\"\(text)\"" : "\"\(text.prefix(limit))…\""
}
