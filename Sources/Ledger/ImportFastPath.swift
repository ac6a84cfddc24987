import Foundation

/// Reads the commonest import line, a piggy-bank deposit, straight into its event
/// struct: no JSON tree, no Codable. It takes only the plain form
///
///     {"type": "PiggyBankDeposited", "data": {"modelId": "…", "memberId": "…",
///      "amount": 1000, "depositedOn": "2024-06-01"}, "eventId": "…"}
///
/// (any key order and spacing, `eventId` optional) and answers `nil` for anything
/// else: another type, a `schemaVersion`, an escape in a string, a key twice, a field
/// missing or extra, a number that is not plain digits, a field the catalogue refuses.
/// The general path then reads the line, and reports whatever is wrong in its own
/// words. A test holds the two to the same answer on every line the fast path takes.
enum DepositLine {
    static func parse(_ bytes: UnsafeRawBufferPointer) -> LedgerCommand? {
        var scanner = Scanner(bytes: bytes)
        var type: UnsafeRawBufferPointer?
        var data: (modelId: String, memberId: String, amount: Int64, depositedOn: LocalDate)?
        var eventId: UUID?
        var eventIdSeen = false
        guard scanner.objectStart() else { return nil }
        repeat {
            guard let key = scanner.key() else { return nil }
            if key.elementsEqual("type".utf8) {
                guard type == nil, let value = scanner.string() else { return nil }
                type = value
            } else if key.elementsEqual("data".utf8) {
                guard data == nil, let value = scanner.depositData() else { return nil }
                data = value
            } else if key.elementsEqual("eventId".utf8) {
                guard !eventIdSeen, let text = scanner.string(), let id = Self.uuid(text) else { return nil }
                eventId = id
                eventIdSeen = true
            } else {
                return nil  // schemaVersion, or a key the general path names
            }
        } while scanner.member()
        guard scanner.objectEnd(), scanner.atEnd(), let type, type.elementsEqual("PiggyBankDeposited".utf8), let data else { return nil }
        var event = LedgerEvent.piggyBankDeposited(
            PiggyBankDeposited(modelId: data.modelId, memberId: data.memberId, amount: VND(data.amount), depositedOn: data.depositedOn))
        do {
            try event.normalise(FieldChecker(eventType: "PiggyBankDeposited"))
        } catch {
            return nil
        }
        return LedgerCommand(event, eventId: eventId)
    }

    /// A UUID in its 36-character form (hex digits in either case, dashes after the 8th,
    /// 12th, 16th and 20th digit), or `nil`: any other form is left to Foundation's parser.
    static func uuid(_ text: UnsafeRawBufferPointer) -> UUID? {
        guard text.count == 36 else { return nil }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        func digit(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        let parsed: Bool = withUnsafeMutableBytes(of: &bytes) { out in
            var index = 0
            for offset in [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34] {
                guard let high = digit(text[offset]), let low = digit(text[offset + 1]) else { return false }
                out[index] = high << 4 | low
                index += 1
            }
            return [8, 13, 18, 23].allSatisfy { text[$0] == UInt8(ascii: "-") }
        }
        return parsed ? UUID(uuid: bytes) : nil
    }

    /// A forward-only reader of one line's bytes.
    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func skipSpace() {
            while offset < bytes.count {
                let byte = bytes[offset]
                guard byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else { return }
                offset += 1
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard offset < bytes.count, bytes[offset] == byte else { return false }
            offset += 1
            return true
        }

        mutating func objectStart() -> Bool { take(UInt8(ascii: "{")) }
        mutating func objectEnd() -> Bool { take(UInt8(ascii: "}")) }
        /// A comma: another member follows.
        mutating func member() -> Bool { take(UInt8(ascii: ",")) }

        mutating func atEnd() -> Bool {
            skipSpace()
            return offset == bytes.count
        }

        mutating func key() -> UnsafeRawBufferPointer? {
            guard let key = string(), take(UInt8(ascii: ":")) else { return nil }
            return key
        }

        /// A string's bytes, without escapes or control characters.
        mutating func string() -> UnsafeRawBufferPointer? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = offset
            while offset < bytes.count, bytes[offset] != UInt8(ascii: "\"") {
                guard bytes[offset] >= 0x20, bytes[offset] != UInt8(ascii: "\\") else { return nil }
                offset += 1
            }
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
        }

        /// A string, in valid UTF-8.
        mutating func text() -> String? { string().flatMap { String(validating: $0, as: UTF8.self) } }

        /// A whole number written as plain digits, without a sign or leading zeros.
        mutating func digits() -> Int64? {
            skipSpace()
            let start = offset
            var value: Int64 = 0
            while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) {
                let (times, overflow) = value.multipliedReportingOverflow(by: 10)
                let (sum, carry) = times.addingReportingOverflow(Int64(bytes[offset] - UInt8(ascii: "0")))
                guard !overflow, !carry else { return nil }
                value = sum
                offset += 1
            }
            guard offset > start, offset - start == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") || bytes[offset] | 0x20 == UInt8(ascii: "e") { return nil }
            return value
        }

        mutating func depositData() -> (modelId: String, memberId: String, amount: Int64, depositedOn: LocalDate)? {
            var modelId: String?
            var memberId: String?
            var amount: Int64?
            var depositedOn: LocalDate?
            guard objectStart() else { return nil }
            repeat {
                guard let key = key() else { return nil }
                if key.elementsEqual("modelId".utf8) {
                    guard modelId == nil, let value = text() else { return nil }
                    modelId = value
                } else if key.elementsEqual("memberId".utf8) {
                    guard memberId == nil, let value = text() else { return nil }
                    memberId = value
                } else if key.elementsEqual("amount".utf8) {
                    guard amount == nil, let value = digits() else { return nil }
                    amount = value
                } else if key.elementsEqual("depositedOn".utf8) {
                    guard depositedOn == nil, let value = string(), let date = LocalDate(bytes: value) else { return nil }
                    depositedOn = date
                } else {
                    return nil
                }
            } while member()
            guard objectEnd(), let modelId, let memberId, let amount, let depositedOn else { return nil }
            return (modelId, memberId, amount, depositedOn)
        }
    }
}
