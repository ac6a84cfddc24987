import EventLog
import Foundation
import Ledger
import TestSupport
import Testing

/// The ward's own figures, from the article in shared/seed, as the program ships them (Sources/ansinh/Demo).
/// `DemoFiguresTests` compares every figure the demo's generator computes with the ledger.
@Suite("The ward's figures")
struct WardFixtureTests {
    static func load(_ name: String) throws -> [UInt8] {
        let folder = name.hasSuffix(".jsonl") ? "Sources/ansinh/Demo/" : "tools/demo/"
        return Array(try Data(contentsOf: packageRoot.appendingPathComponent(folder + name)))
    }

    static func imported() throws -> TemporaryLedger {
        let store = try TemporaryLedger()
        _ = try store.ledger.importLines(try load("nui-sam-2024.jsonl"), actor: "mat-tran")
        _ = try store.ledger.importLines(try load("piggybank-2024.jsonl"), actor: "dang-uy")
        return store
    }

    @Test("the period report for the first nine months of 2024 shows every figure of the article")
    func articleFigures() throws {
        let store = try Self.imported()
        let report = try store.ledger.periodReport(from: day("2024-01-01"), to: day("2024-09-30"))
        let funds = Dictionary(uniqueKeysWithValues: report.funds.map { ($0.fundId, $0) })

        let poor = try #require(funds["vi-nguoi-ngheo"])
        #expect(try poor.received == VND(624_845_000))
        #expect(poor.disbursed(for: .housing) == PurposeTotals(count: 2, quantity: 2, amount: VND(100_000_000)))
        #expect(poor.disbursed(for: .gift).quantity == 1_507)
        #expect(poor.disbursed(for: .gift).amount == VND(416_845_000))
        #expect(poor.disbursed(for: .healthInsurance).quantity == 93)
        #expect(poor.disbursed(for: .healthInsurance).amount == VND(50_752_000))
        #expect(poor.closing == VND(57_248_000))

        let gratitude = try #require(funds["den-on-dap-nghia"])
        #expect(try gratitude.received == VND(24_500_000))
        #expect(gratitude.disbursed(for: .gift).quantity == 76)

        let education = try #require(funds["khuyen-hoc"])
        #expect(try education.received == VND(400_000_000))
        #expect(education.closing == VND(611_300_000))

        let external = report.externalSupport.map(\.support)
        func has(_ beneficiaries: Int64, _ value: Int64) -> Bool {
            external.contains { $0.beneficiaries == beneficiaries && $0.value == VND(value) }
        }
        #expect(has(610, 133_251_000), "610 student gifts")
        #expect(has(8, 3_480_000), "8 scholarships")
        #expect(has(504, 78_430_000), "504 gifts of the Women's Union")
        #expect(has(5, 20_900_000), "Mẹ đỡ đầu for 5 children")
        #expect(has(9, 30_000_000), "9 members' loans")
        #expect(has(50, 35_000_000), "50 gifts × 700.000 đ")
        #expect(has(12, 240_000_000), "Honda đầu for 12 households")
        #expect(external.contains { $0.value == VND(15_500_000) }, "Vietinbank's gift to a martyr's mother")
        #expect(external.contains { $0.value == VND(40_000_000) }, "the tractor repair loan")
        #expect(external.contains { $0.value == VND(30_000_000) && $0.description.contains("20") }, "20 solar lamps")
    }

    @Test("names written NFD in the file are stored NFC")
    func nfdNames() throws {
        let store = try Self.imported()
        let expected = try JSONSerialization.jsonObject(with: Data(try Self.load("expected.json"))) as! [String: Any]
        let nfd = (expected["nfdEncodedMembers"] as! [String: Any])["members"] as! [String: String]
        #expect(nfd.count == 2)
        let nfdLines = try Self.load("piggybank-2024.jsonl").split(separator: UInt8(ascii: "\n"))
            .map { String(decoding: $0, as: UTF8.self) }
            .filter { $0.contains("MemberEnrolled") && $0.unicodeScalars.contains { (0x0300...0x036F).contains($0.value) } }
        #expect(nfdLines.count == 2, "the file really carries two NFD names")
        for (memberId, name) in nfd {
            let member = try #require(try store.ledger.member(memberId))
            #expect(Array((member.fullName.plainText ?? "").unicodeScalars) == Array(name.unicodeScalars))
        }
    }

    @Test("importing the same files again changes nothing")
    func reimportIsIdempotent() throws {
        let store = try Self.imported()
        let head = try store.head
        let file = try Self.load("nui-sam-2024.jsonl")
        let again = try store.ledger.importLines(file, actor: "mat-tran")
        #expect(again.recorded == 0)
        #expect(again.alreadyStored == file.count { $0 == UInt8(ascii: "\n") })
        #expect(try store.head == head)
    }
}
