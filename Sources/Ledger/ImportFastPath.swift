import Foundation

/// Reads the commonest import lines, the money entries (a piggy-bank deposit, a
/// donation, a disbursement), straight into their event structs: no JSON tree, no
/// Codable. It takes only their plain form, such as
///
///     {"type": "PiggyBankDeposited", "data": {"modelId": "…", "memberId": "…",
///      "amount": 1000, "depositedOn": "2024-06-01"}, "eventId": "…"}
///
/// (any key order and spacing, `eventId` optional, optional fields absent or given) and
/// answers `nil` for anything else: another type, a `schemaVersion`, an escape in a
/// string, a `null`, a key twice, a field missing or extra, a number that is not plain
/// digits, a field the catalogue refuses. The general path then reads the line, and
/// reports whatever is wrong in its own words. A test holds the two to the same answer
/// on every line this path takes.
enum DirectLine {
    static func parse(_ bytes: UnsafeRawBufferPointer) -> LedgerCommand? {
        var scanner = Scanner(bytes: bytes)
        var type: UnsafeRawBufferPointer?
        var data: Range<Int>?
        var eventId: UUID?
        var eventIdSeen = false
        guard scanner.objectStart() else { return nil }
        repeat {
            guard let key = scanner.key() else { return nil }
            if key.isText("type") {
                guard type == nil, let value = scanner.string() else { return nil }
                type = value
            } else if key.isText("data") {
                // Read once the type is known: it may come after the data.
                guard data == nil, let range = scanner.skipObject() else { return nil }
                data = range
            } else if key.isText("eventId") {
                guard !eventIdSeen, let text = scanner.string(), let id = Self.uuid(text) else { return nil }
                eventId = id
                eventIdSeen = true
            } else {
                return nil  // schemaVersion, or a key the general path names
            }
        } while scanner.member()
        guard scanner.objectEnd(), scanner.atEnd(), let type, let data else { return nil }
        var fields = Scanner(bytes: UnsafeRawBufferPointer(rebasing: bytes[data]))
        var event: LedgerEvent
        let typeName: String
        if type.isText("PiggyBankDeposited") {
            guard let deposit = fields.deposit() else { return nil }
            (event, typeName) = (.piggyBankDeposited(deposit), "PiggyBankDeposited")
        } else if type.isText("DonationReceived") {
            guard let donation = fields.donation() else { return nil }
            (event, typeName) = (.donationReceived(donation), "DonationReceived")
        } else if type.isText("DisbursementMade") {
            guard let disbursement = fields.disbursement() else { return nil }
            (event, typeName) = (.disbursementMade(disbursement), "DisbursementMade")
        } else {
            return nil
        }
        guard fields.atEnd() else { return nil }
        do {
            try event.normalise(FieldChecker(eventType: typeName))
        } catch {
            return nil
        }
        return LedgerCommand(normal: event, eventId: eventId)
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

        /// An object's byte range, skipped over: its strings without escapes, its
        /// values strings, plain numbers or objects of the same.
        mutating func skipObject() -> Range<Int>? {
            skipSpace()
            let start = offset
            guard objectStart() else { return nil }
            if take(UInt8(ascii: "}")) { return start..<offset }
            repeat {
                guard key() != nil else { return nil }
                skipSpace()
                guard offset < bytes.count else { return nil }
                switch bytes[offset] {
                case UInt8(ascii: "\""): guard string() != nil else { return nil }
                case UInt8(ascii: "{"): guard skipObject() != nil else { return nil }
                default: guard digits() != nil else { return nil }
                }
            } while member()
            guard objectEnd() else { return nil }
            return start..<offset
        }

        /// An object's members, each read by `field` (which answers whether it took the
        /// key), each key at most once: `nil` for a key `field` does not take.
        mutating func object(_ field: (inout Scanner, UnsafeRawBufferPointer) -> Bool) -> Bool {
            guard objectStart() else { return false }
            if take(UInt8(ascii: "}")) { return true }
            var seen: [UnsafeRawBufferPointer] = []
            repeat {
                guard let key = key(), !seen.contains(where: { $0.elementsEqual(key) }), field(&self, key) else { return false }
                seen.append(key)
            } while member()
            return objectEnd()
        }

        mutating func date() -> LocalDate? { string().flatMap { LocalDate(bytes: $0) } }

        mutating func enumeration<Value: RawRepresentable<String>>(_ type: Value.Type) -> Value? {
            text().flatMap(Value.init(rawValue:))
        }

        mutating func deposit() -> PiggyBankDeposited? {
            var modelId: String?
            var memberId: String?
            var amount: Int64?
            var depositedOn: LocalDate?
            let read = object { scanner, key in
                if key.isText("modelId") {
                    modelId = scanner.text()
                    return modelId != nil
                } else if key.isText("memberId") {
                    memberId = scanner.text()
                    return memberId != nil
                } else if key.isText("amount") {
                    amount = scanner.digits()
                    return amount != nil
                } else if key.isText("depositedOn") {
                    depositedOn = scanner.date()
                    return depositedOn != nil
                }
                return false
            }
            guard read, let modelId, let memberId, let amount, let depositedOn else { return nil }
            return PiggyBankDeposited(modelId: modelId, memberId: memberId, amount: VND(amount), depositedOn: depositedOn)
        }

        /// `{"name": …, "kind": …}`: a donor or a beneficiary.
        mutating func party<Kind: RawRepresentable<String>>(_ kind: Kind.Type) -> (name: String, kind: Kind)? {
            var name: String?
            var kind: Kind?
            let read = object { scanner, key in
                if key.isText("name") {
                    name = scanner.text()
                    return name != nil
                } else if key.isText("kind") {
                    kind = scanner.enumeration(Kind.self)
                    return kind != nil
                }
                return false
            }
            guard read, let name, let kind else { return nil }
            return (name, kind)
        }

        mutating func donation() -> DonationReceived? {
            var fundId: String?
            var donor: (name: String, kind: DonorKind)?
            var amount: Int64?
            var receivedOn: LocalDate?
            var pledgeId: String?
            var receiptNo: String?
            let read = object { scanner, key in
                if key.isText("fundId") {
                    fundId = scanner.text()
                    return fundId != nil
                } else if key.isText("donor") {
                    donor = scanner.party(DonorKind.self)
                    return donor != nil
                } else if key.isText("amount") {
                    amount = scanner.digits()
                    return amount != nil
                } else if key.isText("receivedOn") {
                    receivedOn = scanner.date()
                    return receivedOn != nil
                } else if key.isText("pledgeId") {
                    pledgeId = scanner.text()
                    return pledgeId != nil
                } else if key.isText("receiptNo") {
                    receiptNo = scanner.text()
                    return receiptNo != nil
                }
                return false
            }
            guard read, let fundId, let donor, let amount, let receivedOn else { return nil }
            return DonationReceived(
                fundId: fundId, donor: Donor(name: donor.name, kind: donor.kind), amount: VND(amount), receivedOn: receivedOn,
                pledgeId: pledgeId, receiptNo: receiptNo)
        }

        mutating func disbursement() -> DisbursementMade? {
            var disbursementId: String?
            var fundId: String?
            var purpose: Purpose?
            var beneficiary: (name: String, kind: BeneficiaryKind)?
            var amount: Int64?
            var quantity: Int64?
            var disbursedOn: LocalDate?
            var decisionRef: String?
            var programme: String?
            let read = object { scanner, key in
                if key.isText("disbursementId") {
                    disbursementId = scanner.text()
                    return disbursementId != nil
                } else if key.isText("fundId") {
                    fundId = scanner.text()
                    return fundId != nil
                } else if key.isText("purpose") {
                    purpose = scanner.enumeration(Purpose.self)
                    return purpose != nil
                } else if key.isText("beneficiary") {
                    beneficiary = scanner.party(BeneficiaryKind.self)
                    return beneficiary != nil
                } else if key.isText("amount") {
                    amount = scanner.digits()
                    return amount != nil
                } else if key.isText("quantity") {
                    quantity = scanner.digits()
                    return quantity != nil
                } else if key.isText("disbursedOn") {
                    disbursedOn = scanner.date()
                    return disbursedOn != nil
                } else if key.isText("decisionRef") {
                    decisionRef = scanner.text()
                    return decisionRef != nil
                } else if key.isText("programme") {
                    programme = scanner.text()
                    return programme != nil
                }
                return false
            }
            guard read, let disbursementId, let fundId, let purpose, let beneficiary, let amount, let quantity, let disbursedOn
            else { return nil }
            return DisbursementMade(
                disbursementId: disbursementId, fundId: fundId, purpose: purpose,
                beneficiary: Beneficiary(name: beneficiary.name, kind: beneficiary.kind), amount: VND(amount), quantity: quantity,
                disbursedOn: disbursedOn, decisionRef: decisionRef, programme: programme)
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Whether these are the UTF-8 bytes of `text`, compared as memory (a key of a line
    /// or of a stored event, compared for every event).
    @inline(__always)
    func isText(_ text: StaticString) -> Bool {
        count == text.utf8CodeUnitCount && (count == 0 || memcmp(baseAddress!, text.utf8Start, count) == 0)
    }
}
