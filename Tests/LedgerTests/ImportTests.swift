import EventLog
import Foundation
@testable import Ledger
import Testing

@Suite("Import lines and field errors")
struct ImportTests {
    static let opening = #"{"type":"FundOpened","data":{"fundId":"q","name":"Quỹ Q","openedOn":"2024-01-01"}}"#
    static let donation = #"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"Chùa Tây An","kind":"religiousBody"},"amount":5000000,"receivedOn":"2024-02-01"}}"#

    static let badLines: [(String, String)] = [
        (#"{"type":"DisbursementMade","data":{"disbursementId":"d","fundId":"q","purpose":"gift","beneficiary":{"name":"Hộ A","kind":"poorHousehold"},"amount":0,"quantity":1,"disbursedOn":"2024-03-01"}}"#,
         "DisbursementMade.amount: must be > 0"),
        (#"{"type":"DisbursementMade","data":{"disbursementId":"d","fundId":"q","purpose":"gift","beneficiary":{"name":"Hộ A","kind":"poorHousehold"},"amount":-5,"quantity":1,"disbursedOn":"2024-03-01"}}"#,
         "DisbursementMade.amount: must be > 0"),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"X","kind":"alien"},"amount":5,"receivedOn":"2024-02-01"}}"#,
         "DonationReceived.donor.kind: must be one of individual, business, religiousBody, organisation, partyMember, not \"alien\""),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"X","kind":"business"},"amount":"5","receivedOn":"2024-02-01"}}"#,
         "DonationReceived.amount: must be a whole number"),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"X","kind":"business"},"receivedOn":"2024-02-01"}}"#,
         "DonationReceived.amount: is required"),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"X","kind":"business"},"amount":5,"receivedOn":"2024-02-30"}}"#,
         "DonationReceived.receivedOn: must be a real date written YYYY-MM-DD, not \"2024-02-30\""),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"X","kind":"business"},"amount":5,"receivedOn":"2024-02-01","amout":5}}"#,
         "DonationReceived.amout: is not a known field"),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"   ","kind":"business"},"amount":5,"receivedOn":"2024-02-01"}}"#,
         "DonationReceived.donor.name: must not be empty"),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"X","kind":"business"},"amount":5,"receivedOn":"2024-02-01","receiptNo":null}}"#,
         "DonationReceived.receiptNo: must be text"),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"X","kind":"business"},"amount":1.5,"receivedOn":"2024-02-01"}}"#,
         "must be a whole number (no fraction or exponent)"),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"X","kind":"business"},"amount":99999999999999999999,"receivedOn":"2024-02-01"}}"#,
         "outside the 64-bit range"),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"X","kind":"business"},"amount":2000000000000000,"receivedOn":"2024-02-01"}}"#,
         "DonationReceived.amount: must be at most 1.000.000.000.000.000 đ"),
        (#"{"type":"DonationReceived","data":{"fundId":"q","fundId":"r","donor":{"name":"X","kind":"business"},"amount":5,"receivedOn":"2024-02-01"}}"#,
         "the key \"fundId\" appears twice in one object"),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"A\u001b[31mB","kind":"business"},"amount":5,"receivedOn":"2024-02-01"}}"#,
         "DonationReceived.donor.name: must not contain control characters (U+001B at character 2)"),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"A\nB","kind":"business"},"amount":5,"receivedOn":"2024-02-01"}}"#,
         "DonationReceived.donor.name: must not contain control characters (U+000A at character 2)"),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"X","kind":"business"},"amount":5,"receivedOn":"2024-02-01","receiptNo":"PT\u0000"}}"#,
         "DonationReceived.receiptNo: must not contain control characters (U+0000 at character 3)"),
        (#"{"type":"Donation","data":{}}"#, "Donation: is not an event type"),
        (#"{"type":"DonationReceived","data":{},"extra":1}"#, "unknown key \"extra\""),
        (#"{"type":"DonationReceived","data":{"fundId":"q"},"eventId":"not-a-uuid"}"#, "\"eventId\" must be a UUID"),
        (#"{"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"X","kind":"business"},"amount":5,"receivedOn":"2024-02-01"}"#,
         "not valid JSON"),
        (#"{"type":"MemberEnrolled","data":{"memberId":"dv 1","fullName":"A","cell":"B","enrolledOn":"2024-01-01"}}"#,
         "MemberEnrolled.memberId: must be letters, digits"),
        (#"{"type":"DonationReceived","schemaVersion":4,"data":{}}"#, "DonationReceived: has no schema version 4"),
        (#"{"type":"SubjectErased","data":{"subjectId":"ds-000001","erasedOn":"2024-05-01","reason":"theo yêu cầu"}}"#,
         "SubjectErased is not an import line: erase a person with `ansinh people erase`"),
        (#"{"type":"StoreMigrated","data":{"fromFormat":1,"headPosition":12,"headHash":"\#(String(repeating: "ab", count: 32))","migratedOn":"2024-05-01"}}"#,
         "StoreMigrated is not an import line"),
    ]

    /// Lines just past each named limit: the message says the limit.
    static let limitLines: [(String, String)] = {
        func donation(fundId: String = "q", donor: String = "X") -> String {
            #"{"type":"DonationReceived","data":{"fundId":"\#(fundId)","donor":{"name":"\#(donor)","kind":"business"},"amount":5,"receivedOn":"2024-02-01"}}"#
        }
        let support = { (description: String, beneficiaries: String) in
            #"{"type":"ExternalSupportRecorded","data":{"organisation":"Hội Phụ nữ","programme":"Quà","description":"\#(description)","beneficiaries":\#(beneficiaries),"value":5,"recordedOn":"2024-02-03"}}"#
        }
        return [
            (donation(donor: String(repeating: "ễ", count: 201)), "DonationReceived.donor.name: must be at most 200 characters (it has 201)"),
            (donation(fundId: String(repeating: "q", count: 65)), "DonationReceived.fundId: must be at most 64 characters"),
            (support(String(repeating: "a", count: 1_001), "1"), "ExternalSupportRecorded.description: must be at most 1000 characters (it has 1001)"),
            (support("x", "1000000001"), "ExternalSupportRecorded.beneficiaries: must be at most 1000000000"),
            (donation(donor: String(repeating: "a", count: 70_000)), "the line has 70124 bytes, over the limit of 65536"),
        ]
    }()

    @Test("a line past a named limit is refused, and the message says the limit", arguments: limitLines)
    func limitLine(_ line: String, _ message: String) throws {
        try badLine(line, message)
    }

    @Test("a bad line is reported by line number and field, and nothing is written", arguments: badLines)
    func badLine(_ line: String, _ message: String) throws {
        let store = try TemporaryLedger()
        let file = [Self.opening, "", Self.donation, line, Self.donation].joined(separator: "\n") + "\n"
        do {
            _ = try store.ledger.importLines(Array(file.utf8), actor: "lan")
            Issue.record("the import should have failed")
        } catch let error as ImportError {
            #expect(error.line == 4)
            #expect(error.description.hasPrefix("line 4: "))
            #expect(error.message.contains(message), "\(error.message)")
        }
        #expect(try store.head == 0)
    }

    @Test("a byte-order mark at the start of a file, as Windows editors write, is not part of the first line")
    func byteOrderMark() throws {
        let store = try TemporaryLedger()
        let summary = try store.ledger.importLines([0xEF, 0xBB, 0xBF] + Array((Self.opening + "\n" + Self.donation + "\n").utf8), actor: "lan")
        #expect(summary.recorded == 2)
        #expect(throws: ImportError.self) {
            try store.ledger.importLines(Array((Self.opening + "\n").utf8) + [0xEF, 0xBB, 0xBF] + Array(Self.donation.utf8), actor: "lan")
        }
    }

    @Test("free text keeps its tabs and line breaks")
    func lineBreaksInFreeText() throws {
        let store = try TemporaryLedger()
        let support = #"{"type":"ExternalSupportRecorded","data":{"organisation":"Hội Phụ nữ","programme":"Quà","description":"Dòng 1\nDòng 2\tcột","beneficiaries":1,"value":5,"recordedOn":"2024-02-03"}}"#
        #expect(try store.ledger.importLines(Array(support.utf8), actor: "lan").recorded == 1)
        let stored = try store.ledger.readLog { try LedgerEvent.decode(try $0.event(at: 1)!) }
        guard case .externalSupportRecorded(let recorded) = stored else { Issue.record("\(stored)"); return }
        #expect(recorded.description == "Dòng 1\nDòng 2\tcột")
    }

    @Test("invalid UTF-8 is refused with its line")
    func invalidUTF8() throws {
        let store = try TemporaryLedger()
        var bytes = Array((Self.opening + "\n").utf8)
        bytes += Array(#"{"type":"MemberEnrolled","data":{"memberId":"a","fullName":"Nguy"#.utf8) + [0xC3, 0x28]
        bytes += Array(#"n","cell":"B","enrolledOn":"2024-01-01"}}"#.utf8) + [0x0a]
        #expect(throws: ImportError(line: 2, message: "not valid JSON at character 60: the text is not valid UTF-8")) {
            try store.ledger.importLines(bytes, actor: "lan")
        }
        #expect(try store.head == 0)
    }

    @Test("a rule broken by a line is reported with its line number")
    func ruleByLine() throws {
        let store = try TemporaryLedger()
        let overdraw = #"{"type":"DisbursementMade","data":{"disbursementId":"d","fundId":"q","purpose":"gift","beneficiary":{"name":"Hộ A","kind":"poorHousehold"},"amount":6000000,"quantity":1,"disbursedOn":"2024-03-01"}}"#
        let file = [Self.opening, Self.donation, overdraw].joined(separator: "\r\n")
        #expect(
            throws: ImportError(
                line: 3,
                message:
                    "DisbursementMade: fund q has 5.000.000 đ on 2024-03-01, less than the 6.000.000 đ asked: its balance would go below 0 on that date")
        ) { try store.ledger.importLines(Array(file.utf8), actor: "lan") }
        #expect(try store.head == 0)
        let summary = try store.ledger.importLines(Array(([Self.opening, Self.donation].joined(separator: "\n")).utf8), actor: "lan")
        #expect(summary.recorded == 2)
        #expect(summary.lastPosition == 2)
    }

    @Test("strict JSON: whole numbers in range, escapes, surrogates, depth")
    func jsonParser() throws {
        #expect(try JSONParser.parse(Array(#" {"a":[1,-2,true,false,null,"x\"\\\/\n\u00e9\ud83d\ude00"]} "#.utf8))
            == .object(["a": .array([.integer(1), .integer(-2), .bool(true), .bool(false), .null, .text("x\"\\/\né😀")])]))
        #expect(try JSONParser.parse(Array("-9223372036854775808".utf8)) == .integer(Int64.min))
        #expect(try JSONParser.parse(Array("9223372036854775807".utf8)) == .integer(Int64.max))
        for bad in ["9223372036854775808", "01", "1e3", "\"\\ud83d\"", "[1,]", "{\"a\"}", "\"a\u{1}\"", "tru", "{} x", ""] {
            #expect(throws: JSONSyntaxError.self, "\(bad)") { try JSONParser.parse(Array(bad.utf8)) }
        }
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Array(deep.utf8)) }
    }
}

/// An import line's command is checked and normalised once, as it is parsed; recording
/// trusts that only while the event is the one parsed.
@Suite("Commands normalised once")
struct NormalisedOnceTests {
    @Test("an event changed after its line was parsed is checked and normalised again when recorded")
    func changedAfterParsing() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("f"))
        let nfd = "Nguye\u{0302}\u{0303}n Thi\u{0323} Ho\u{0302}\u{0300}ng"
        var command = LedgerCommand(normal: donate("f", 1_000), eventId: nil)
        #expect(command.isNormal)
        command.event = .donationReceived(
            DonationReceived(fundId: "f", donor: Donor(name: nfd, kind: .business), amount: VND(1_000), receivedOn: day("2024-02-01")))
        #expect(!command.isNormal)
        let entry = try store.ledger.record([command], actor: "lan")[0]
        let stored = try #require(try store.ledger.readLog { try $0.event(at: entry.position) })
        guard case .donationReceived(let donation) = try LedgerEvent.decode(stored) else {
            Issue.record("not a donation")
            return
        }
        #expect(donation.donor.name.plainText == nfd.precomposedStringWithCanonicalMapping)
        #expect(Array(donation.donor.name.plainText!.utf8) != Array(nfd.utf8))
    }
}
