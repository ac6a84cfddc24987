import EventLog
import Foundation
@testable import Ledger
import Testing

@Suite("Money, dates and names")
struct ValueTests {
    @Test("đồng are shown with dot groups and đ")
    func moneyFormatting() {
        #expect(VND(624_845_000).description == "624.845.000 đ")
        #expect(VND(1_000).description == "1.000 đ")
        #expect(VND(999).description == "999 đ")
        #expect(VND(0).description == "0 đ")
        #expect(VND(-57_248_000).description == "-57.248.000 đ")
        #expect(VND(Int64.min).grouped == "-9.223.372.036.854.775.808")
    }

    @Test("arithmetic overflow is an error, never a wrap")
    func checkedArithmetic() throws {
        #expect(try VND(1).adding(VND(2)) == VND(3))
        #expect(throws: MoneyOverflow.self) { try VND(Int64.max).adding(VND(1)) }
        #expect(throws: MoneyOverflow.self) { try VND(Int64.min).subtracting(VND(1)) }
        #expect(throws: MoneyOverflow.self) { try VND(Int64.max / 2 + 1).multiplied(by: 2) }
        #expect(throws: MoneyOverflow.self) { try [VND(Int64.max), VND(1)].sum() }
    }

    @Test("business dates are real calendar dates in the ward's time zone")
    func localDates() {
        #expect(LocalDate("2024-02-29")?.description == "2024-02-29")
        #expect(LocalDate("2024-02-30") == nil)
        #expect(LocalDate("2023-02-29") == nil)
        #expect(LocalDate("2024-13-01") == nil)
        #expect(LocalDate("2024-1-01") == nil)
        #expect(LocalDate("24-01-01") == nil)
        #expect(LocalDate("2024-11-30")?.vietnamese == "30/11/2024")
        // 2024-11-29T17:30Z is already 30 November in Asia/Ho_Chi_Minh (UTC+7).
        #expect(LocalDate(at: Timestamp(iso8601: "2024-11-29T17:30:00.000000Z")!) == LocalDate("2024-11-30"))
        #expect(LocalDate(at: Timestamp(iso8601: "2024-11-29T16:59:59.999999Z")!) == LocalDate("2024-11-29"))
        #expect(day("2024-05-19").distance(to: day("2024-11-30")) == 195)
    }

    @Test("names arriving NFD are stored NFC")
    func nfcNormalisation() throws {
        let nfd = "Nguye\u{0302}\u{0303}n Thi\u{0323} La\u{0300}i"
        let nfc = "Nguyễn Thị Lài"
        #expect(Array(nfd.unicodeScalars) != Array(nfc.unicodeScalars), "the two spellings differ in code points")
        let store = try TemporaryLedger()
        try store.record(.memberEnrolled(MemberEnrolled(memberId: "dv-1", fullName: nfd, cell: "Chi bo\u{0302}\u{0323} 1", enrolledOn: day("2024-01-01"))))
        let member = try #require(try store.ledger.member("dv-1"))
        #expect(Array((member.fullName.plainText ?? "").unicodeScalars) == Array(nfc.unicodeScalars))
        #expect(Array(member.cell.unicodeScalars) == Array("Chi bộ 1".unicodeScalars))
    }
}

@Suite("Checksums of stored records")
struct ChecksumTests {
    @Test("CRC-32C gives the published check value, at every split of its input")
    func crc32c() {
        // RFC 3720 (iSCSI), Appendix B.4: CRC-32C of "123456789" is 0xE3069283.
        let text = Array("123456789".utf8)
        for split in 0...text.count {
            let crc = text[..<split].withUnsafeBytes { first in
                text[split...].withUnsafeBytes { second in CRC32C.update(CRC32C.update(CRC32C.start, first), second) }
            }
            #expect(CRC32C.finish(crc) == 0xE306_9283, "split at \(split)")
        }
        // 32 bytes of zeros (RFC 3720, B.4): 0x8A9136AA.
        let zeros = [UInt8](repeating: 0, count: 32)
        #expect(zeros.withUnsafeBytes { CRC32C.finish(CRC32C.update(CRC32C.start, $0)) } == 0x8A91_36AA)
    }
}
