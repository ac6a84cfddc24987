/// An amount of Vietnamese đồng: a whole number, never floating point.
///
/// Arithmetic is checked: an overflow throws ``MoneyOverflow`` instead of wrapping.
/// People see it as `624.845.000 đ` (dot groups); JSON and CSV carry the plain integer.
///
/// ```swift
/// let total = try VND(100_000_000).adding(VND(416_845_000))   // 516.845.000 đ
/// ```
public struct VND: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var dong: Int64

    public static let zero = VND(0)

    public init(_ dong: Int64) {
        self.dong = dong
    }

    public init(from decoder: any Decoder) throws {
        dong = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(dong)
    }

    public static func < (left: VND, right: VND) -> Bool { left.dong < right.dong }

    public func adding(_ other: VND) throws(MoneyOverflow) -> VND {
        let (sum, overflow) = dong.addingReportingOverflow(other.dong)
        guard !overflow else { throw MoneyOverflow(left: self, right: other, operation: "+") }
        return VND(sum)
    }

    public func subtracting(_ other: VND) throws(MoneyOverflow) -> VND {
        let (difference, overflow) = dong.subtractingReportingOverflow(other.dong)
        guard !overflow else { throw MoneyOverflow(left: self, right: other, operation: "−") }
        return VND(difference)
    }

    public func multiplied(by factor: Int64) throws(MoneyOverflow) -> VND {
        let (product, overflow) = dong.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw MoneyOverflow(left: self, right: VND(factor), operation: "×") }
        return VND(product)
    }

    public var negated: VND { VND(-dong) }

    /// `1.507.000 đ`: dot-grouped thousands and the đồng sign, as Vietnamese write it.
    public var description: String { grouped + " đ" }

    /// `1.507.000`: the figure with dot-grouped thousands, no sign of the currency.
    public var grouped: String {
        let digits = String(dong.magnitude)
        var text = ""
        text.reserveCapacity(digits.count + digits.count / 3 + 1)
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { text.append(".") }
            text.append(digit)
        }
        return dong < 0 ? "-" + text : text
    }
}

/// A sum of money too large for 64 bits: refused, never wrapped.
public struct MoneyOverflow: Error, Hashable, Sendable, CustomStringConvertible {
    public let left: VND
    public let right: VND
    public let operation: String

    public var description: String {
        "amount overflow: \(left.grouped) \(operation) \(right.grouped) does not fit in 64 bits"
    }
}

extension Sequence where Element == VND {
    /// The checked sum.
    public func sum() throws(MoneyOverflow) -> VND {
        var total = VND.zero
        for amount in self { total = try total.adding(amount) }
        return total
    }
}
