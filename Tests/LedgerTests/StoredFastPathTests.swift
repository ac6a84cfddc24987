import Crypto
import EventLog
import Foundation
@testable import Ledger
import Testing

/// Recording writes donations and disbursements straight to their bytes, and the folds
/// read them straight from their bytes, as they do deposits. The direct reader must give what the general decoder gives, for
/// every shape these events take, and never a different event for changed bytes that
/// still decode: it either reads the same event as the general decoder or declines.
@Suite("Stored donations and disbursements read straight from their bytes")
struct StoredFastPathTests {
    static func names() -> [PersonName] {
        let key = SymmetricKey(data: [UInt8](repeating: 0x5a, count: 32))
        return [
            .plain("Công ty TNHH Minh Phát"), .plain("Nguyễn Thị Hồng"),
            .sealed(SealedName.seal("Nguyễn Thị Hồng", subject: 7, key: key)),
            .sealed(SealedName.seal(String(repeating: "Trần Văn Bình ", count: 9), subject: 1_234_567, key: key)),
        ]
    }

    static func events() -> [LedgerEvent] {
        var events: [LedgerEvent] = []
        for (index, name) in names().enumerated() {
            for publish in [nil, true, false] as [Bool?] {
                events.append(
                    .donationReceived(
                        DonationReceived(
                            fundId: "vi-nguoi-ngheo", donor: Donor(name: name, kind: index == 0 ? .business : .individual, publish: publish),
                            amount: VND(Int64(200_000 * (index + 1))), receivedOn: LocalDate("2024-11-\(10 + index)")!,
                            pledgeId: index == 1 ? "p-1" : nil, receiptNo: publish == true ? "BL-0042" : nil)))
            }
            for area in [nil, "khóm Vĩnh Tây 1"] as [String?] {
                events.append(
                    .disbursementMade(
                        DisbursementMade(
                            disbursementId: "d-\(index)", fundId: "vi-nguoi-ngheo", purpose: Purpose.allCases[index],
                            beneficiary: Beneficiary(name: name, kind: BeneficiaryKind.allCases[index], area: area),
                            amount: VND(Int64(1_000_000 + index)), quantity: Int64(1 + index), disbursedOn: LocalDate("2024-12-0\(1 + index)")!,
                            decisionRef: area == nil ? nil : "QĐ 12/2024", programme: index == 2 ? "Mái ấm" : nil)))
            }
        }
        return events
    }

    /// The direct reader's event, or `nil` when it declines.
    static func direct(_ type: EventType, _ bytes: [UInt8]) -> LedgerEvent? {
        bytes.withUnsafeBytes { raw in
            switch type {
            case .donationReceived: return DonationReceived(canonicalBytes: raw).map { .donationReceived($0) }
            case .disbursementMade: return DisbursementMade(canonicalBytes: raw).map { .disbursementMade($0) }
            default: return nil
            }
        }
    }

    /// The general decoder's event, or `nil` when the bytes are not one.
    static func general(_ type: EventType, _ bytes: [UInt8]) -> LedgerEvent? {
        guard let data = try? bytes.withUnsafeBytes({ try Payload(canonicalBytes: $0) }) else { return nil }
        return try? LedgerEvent.decode(typeName: type.rawValue, schemaVersion: nil, data: data, checking: false)
    }

    @Test("every shape of a donation and a disbursement is written as Codable writes it, and reads the same both ways")
    func sameEvents() throws {
        let events = Self.events()
        #expect(events.count == 20)
        for event in events {
            let bytes = event.canonicalData()
            // Written directly, as Codable writes it.
            let general: [UInt8]
            switch event {
            case .donationReceived(let donation): general = try PayloadEncoder().encode(donation).canonicalBytes()
            case .disbursementMade(let disbursement): general = try PayloadEncoder().encode(disbursement).canonicalBytes()
            default: general = []
            }
            #expect(bytes == general, "\(event)")
            #expect(Self.direct(event.type, bytes) == event, "\(event)")
            #expect(Self.general(event.type, bytes) == event, "\(event)")
        }
    }

    @Test("changed bytes the general decoder reads: the direct reader declines, or reads the same event", arguments: [1, 2, 3] as [UInt64])
    func damagedBytes(seed: UInt64) throws {
        var random = PropertyTests.Generator(state: seed)
        var read = 0
        var declined = 0
        for event in Self.events() {
            let bytes = event.canonicalData()
            for _ in 0..<300 {
                var damaged = bytes
                switch random.next() % 4 {
                case 0: damaged[Int(random.next() % UInt64(damaged.count))] ^= UInt8(truncatingIfNeeded: 1 << (random.next() % 8))
                case 1: damaged[Int(random.next() % UInt64(damaged.count))] = UInt8(truncatingIfNeeded: random.next())
                case 2: damaged.removeLast(Int(1 + random.next() % UInt64(min(8, damaged.count))))
                default: damaged.insert(UInt8(truncatingIfNeeded: random.next()), at: Int(random.next() % UInt64(damaged.count)))
                }
                // Bytes the general decoder refuses (text that is not UTF-8, CBOR that is not
                // canonical) never reach a fold: the log checked them when it appended
                // them, and checks every record's checksum as it reads it.
                guard let general = Self.general(event.type, damaged) else { continue }
                guard let direct = Self.direct(event.type, damaged) else {
                    declined += 1
                    continue
                }
                read += 1
                #expect(direct == general, "\(event) damaged to \(damaged)")
            }
        }
        // Changes that still decode (an amount, a date, a letter of a name) are many: the
        // comparison above is not empty.
        #expect(read > 100, "read \(read), declined \(declined)")
    }
}
