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
        var type: Substring?
        var data: (modelId: String, memberId: String, amount: Int64, depositedOn: LocalDate)?
        var eventId: UUID?
        var eventIdSeen = false
        guard scanner.objectStart() else { return nil }
        repeat {
            guard let key = scanner.key() else { return nil }
            switch key {
            case "type":
                guard type == nil, let value = scanner.string() else { return nil }
                type = value
            case "data":
                guard data == nil, let value = scanner.depositData() else { return nil }
                data = value
            case "eventId":
                guard !eventIdSeen, let text = scanner.string(), let id = UUID(uuidString: String(text)) else { return nil }
                eventId = id
                eventIdSeen = true
            default:
                return nil  // schemaVersion, or a key the general path names
            }
        } while scanner.member()
        guard scanner.objectEnd(), scanner.atEnd(), type == "PiggyBankDeposited", let data else { return nil }
        var event = LedgerEvent.piggyBankDeposited(
            PiggyBankDeposited(modelId: data.modelId, memberId: data.memberId, amount: VND(data.amount), depositedOn: data.depositedOn))
        do {
            try event.normalise(FieldChecker(eventType: "PiggyBankDeposited"))
        } catch {
            return nil
        }
        return LedgerCommand(event, eventId: eventId)
    }

    /// A forward-only reader of one line's bytes.
    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func skipSpace() {
            while offset < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) { offset += 1 }
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

        mutating func key() -> Substring? {
            guard let key = string(), take(UInt8(ascii: ":")) else { return nil }
            return key
        }

        /// A string without escapes or control characters, in valid UTF-8.
        mutating func string() -> Substring? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = offset
            while offset < bytes.count, bytes[offset] != UInt8(ascii: "\"") {
                guard bytes[offset] >= 0x20, bytes[offset] != UInt8(ascii: "\\") else { return nil }
                offset += 1
            }
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)?[...]
        }

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
            if offset < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[offset]) { return nil }
            return value
        }

        mutating func depositData() -> (modelId: String, memberId: String, amount: Int64, depositedOn: LocalDate)? {
            var modelId: Substring?
            var memberId: Substring?
            var amount: Int64?
            var depositedOn: LocalDate?
            guard objectStart() else { return nil }
            repeat {
                guard let key = key() else { return nil }
                switch key {
                case "modelId":
                    guard modelId == nil, let value = string() else { return nil }
                    modelId = value
                case "memberId":
                    guard memberId == nil, let value = string() else { return nil }
                    memberId = value
                case "amount":
                    guard amount == nil, let value = digits() else { return nil }
                    amount = value
                case "depositedOn":
                    guard depositedOn == nil, let text = string(), let date = LocalDate(String(text)) else { return nil }
                    depositedOn = date
                default:
                    return nil
                }
            } while member()
            guard objectEnd(), let modelId, let memberId, let amount, let depositedOn else { return nil }
            return (String(modelId), String(memberId), amount, depositedOn)
        }
    }
}
