@testable import EventLog
import Foundation
@testable import Ledger
import TestSupport
import Testing

@Suite("Ledger projections")
struct LedgerProjectionTests {
    @Test("a store whose map fills while its read models are written grows, and loses nothing")
    func mapGrowsUnderTheReadModels() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-small-map-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = EventLog.Options()
        options.mapSizeBytesInitial = 128 * 1024
        let ledger = try Ledger(path: path, options: options)
        var recorded = 0
        for name in ["nui-sam-2024.jsonl", "piggybank-2024.jsonl"] {
            let lines = try Data(contentsOf: packageRoot.appendingPathComponent("Sources/ansinh/Demo/" + name))
            recorded += try ledger.importLines(Array(lines), actor: "demo").recorded
        }
        #expect(recorded == 2_292)
        #expect(try ledger.storeInformation().usedBytes > 128 * 1024, "the map grew past where it started")
        #expect(try ledger.readLog { try $0.verify() }.isValid)
        let fresh = try Ledger(path: path)
        #expect(try fresh.funds().count == 4)
    }

    @Test("fund balances count donations, deposits, pledges and disbursements per purpose")
    func fundBalances() throws {
        let store = try TemporaryLedger()
        try store.record(
            openFund("q", opening: 1_000_000), enrol("dv-1"), startModel("m", fund: "q"),
            donate("q", 5_000_000), donate("q", 2_000_000),
            deposit("m", "dv-1", 30_000, on: "2024-06-01"),
            disburse("q", 2_000_000, id: "d-1", purpose: .healthInsurance, quantity: 4),
            disburse("q", 500_000, id: "d-2", purpose: .gift, quantity: 2),
            disburse("q", 300_000, id: "d-3", purpose: .gift, quantity: 1))
        let fund = try #require(try store.ledger.fund("q"))
        #expect(fund.openingBalance == VND(1_000_000))
        #expect(fund.donations == MoneyTotals(count: 2, amount: VND(7_000_000)))
        #expect(fund.deposits == MoneyTotals(count: 1, amount: VND(30_000)))
        #expect(try fund.received == VND(7_030_000))
        #expect(fund.disbursed(for: .gift) == PurposeTotals(count: 2, quantity: 3, amount: VND(800_000)))
        #expect(fund.disbursed(for: .healthInsurance) == PurposeTotals(count: 1, quantity: 4, amount: VND(2_000_000)))
        #expect(try fund.disbursed.amount == VND(2_800_000))
        #expect(fund.balance == VND(1_000_000 + 7_030_000 - 2_800_000))
    }

    @Test("reversals undo their entry's effect, dated on the reversal day")
    func reversals() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("q"), enrol("dv-1"), startModel("m", fund: "q"), donate("q", 100_000, on: "2024-02-01"))
        let disbursement = try store.record(disburse("q", 40_000, id: "d-1", on: "2024-03-01"))[0].eventId
        let depositId = try store.record(deposit("m", "dv-1", 7_000, on: "2024-06-01"))[0].eventId
        try store.record(deposit("m", "dv-1", 9_000, on: "2024-06-08"))
        try store.record(reverse(disbursement, on: "2024-04-01"), reverse(depositId, on: "2024-06-10"))
        let fund = try #require(try store.ledger.fund("q"))
        #expect(fund.balance == VND(109_000))
        #expect(fund.disbursed(for: .gift) == PurposeTotals(count: 0, quantity: 0, amount: .zero))
        let history = try #require(try store.ledger.memberHistory("dv-1"))
        #expect(history.total == VND(9_000))
        // The deposit counts from its date until its reversal, on the reversal's own date, takes it away.
        #expect(history.deposits.map(\.depositedOn) == [day("2024-06-01"), day("2024-06-08"), day("2024-06-10")])
        #expect(history.deposits.map(\.reversed) == [true, false, false])
        #expect(history.deposits.map(\.amount) == [VND(7_000), VND(9_000), VND(-7_000)])
        #expect(history.deposits.map(\.runningTotal) == [VND(7_000), VND(16_000), VND(9_000)])
        #expect(history.deposits.map(\.reversesPosition) == [nil, nil, history.deposits[0].position])
        #expect(history.depositDays == 1)
        #expect(history.lastDepositOn == day("2024-06-08"))
        // March shows the payment; April its reversal.
        let march = try store.ledger.periodReport(from: day("2024-03-01"), to: day("2024-03-31")).funds[0]
        #expect(march.disbursed(for: .gift).amount == VND(40_000))
        #expect(march.closing == VND(60_000))
        let april = try store.ledger.periodReport(from: day("2024-04-01"), to: day("2024-04-30")).funds[0]
        #expect(april.opening == VND(60_000))
        #expect(april.disbursed(for: .gift).amount == VND(-40_000))
        #expect(april.closing == VND(100_000))
    }

    @Test("member history: deposits in date order, running totals, days covered, last deposit")
    func memberHistory() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("q"), enrol("dv-1"), startModel("m", fund: "q"))
        try store.record(deposit("m", "dv-1", 7_000, on: "2024-06-08"))
        try store.record(deposit("m", "dv-1", 30_000, on: "2024-06-01"))  // recorded late, dated earlier
        try store.record(deposit("m", "dv-1", 1_500, on: "2024-06-08"))
        let history = try #require(try store.ledger.memberHistory("dv-1"))
        #expect(history.deposits.map(\.depositedOn) == [day("2024-06-01"), day("2024-06-08"), day("2024-06-08")])
        #expect(history.deposits.map(\.runningTotal) == [VND(30_000), VND(37_000), VND(38_500)])
        #expect(history.depositDays == 2)
        #expect(history.daysCovered == 38)
        #expect(history.lastDepositOn == day("2024-06-08"))
        #expect(try store.ledger.memberHistory("dv-9") == nil)
    }

    @Test("piggy-bank summary: expected at target from enrolled days, shortfalls, cells, fund balance")
    func piggyBankSummary() throws {
        let store = try TemporaryLedger()
        try store.record(
            openFund("q"), startModel("m", fund: "q", from: "2024-11-01", to: "2024-11-30"),
            enrol("a", cell: "Chi bộ 1"), enrol("b", cell: "Chi bộ 1", on: "2024-11-21"), enrol("c", cell: "Chi bộ 2"),
            enrol("d", cell: "Chi bộ 2", on: "2024-12-05"),
            deposit("m", "a", 30_000, on: "2024-11-30"), deposit("m", "b", 4_000, on: "2024-11-25"),
            .memberLeft(MemberLeft(memberId: "c", leftOn: day("2024-11-11"))))
        let summary = try #require(try store.ledger.piggyBankSummary("m"))
        // a: 30 days, b: 10 days (21–30), c: 10 days (1–10), d: none.
        #expect(summary.membersEnrolled == 3)
        #expect(summary.membersParticipating == 2)
        #expect(summary.collected == VND(34_000))
        #expect(summary.expected == VND(50_000))
        #expect(summary.attainmentBasisPoints == 6_800)
        #expect(summary.belowTarget.map(\.member.memberId) == ["c", "b"])
        #expect(summary.belowTarget.map(\.shortfall) == [VND(10_000), VND(6_000)])
        #expect(summary.cells.map(\.cell) == ["Chi bộ 1", "Chi bộ 2"])
        #expect(summary.cells.map(\.collected) == [VND(34_000), .zero])
        #expect(summary.cells.map(\.expected) == [VND(40_000), VND(10_000)])
        #expect(summary.fundBalance == VND(34_000))
        let midway = try #require(try store.ledger.piggyBankSummary("m", asOf: day("2024-11-10")))
        #expect(midway.expected == VND(20_000))
        #expect(midway.collected == .zero, "no deposit is dated on or before 10 November")
        #expect(midway.membersParticipating == 0)
        let late = try #require(try store.ledger.piggyBankSummary("m", asOf: day("2024-11-26")))
        #expect(late.collected == VND(4_000), "b's deposit of the 25th, not a's of the 30th")
    }

    @Test("rebuilding from position 1 gives byte-identical projections")
    func rebuildIsByteIdentical() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("q", opening: 5_000), enrol("dv-1"), startModel("m", fund: "q"), donate("q", 50_000))
        let donation = try store.record(donate("q", 10_000))[0].eventId
        try store.record(deposit("m", "dv-1", 7_000, on: "2024-06-01"), disburse("q", 20_000, id: "d-1"), reverse(donation))
        let before = try store.ledger.projectionDump()
        try store.ledger.rebuildProjections()
        let after = try store.ledger.projectionDump()
        #expect(before.map(\.name) == after.map(\.name))
        for (old, new) in zip(before, after) {
            #expect(old.entries.map(\.key) == new.entries.map(\.key), "\(old.name)")
            #expect(old.entries.map(\.value) == new.entries.map(\.value), "\(old.name)")
        }
        #expect(before.contains { !$0.entries.isEmpty })
    }

    @Test("an event stored at an older schema version is read through its upcaster, never rewritten")
    func upcasting() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("q"))
        // A donation as the first version wrote it: donorName, no kind.
        let old = NewEvent(
            type: "DonationReceived", schemaVersion: 1,
            data: .object([
                "fundId": .text("q"), "donorName": .text("Bà Trần Thị Hoa"), "amount": .integer(2_000_000),
                "receivedOn": .text("2024-02-01"),
            ]))
        try store.ledger.log.append([old], to: "fund-q", actor: "lan")
        #expect(try store.ledger.fund("q")?.donations == MoneyTotals(count: 1, amount: VND(2_000_000)))
        let stored = try store.ledger.readLog { reader in try reader.event(at: 2)!.copy() }
        #expect(stored.schemaVersion == 1)
        let event = try stored.data.withUnsafeBytes { _ in
            try LedgerEvent.decode(typeName: stored.type, schemaVersion: stored.schemaVersion, data: stored.payload())
        }
        #expect(event == donate("q", 2_000_000, donor: "Bà Trần Thị Hoa").withDonorKind(.individual))
        try store.ledger.rebuildProjections()
        #expect(try store.ledger.fund("q")?.balance == VND(2_000_000))
        #expect(try store.ledger.readLog { try $0.event(at: 2)!.schemaVersion } == 1)
    }
}

extension LedgerEvent {
    func withDonorKind(_ kind: DonorKind) -> LedgerEvent {
        guard case .donationReceived(var donation) = self else { return self }
        donation.donor.kind = kind
        return .donationReceived(donation)
    }
}

@Suite("Fast paths agree with the general ones")
struct FastPathTests {
    @Test("a deposit's stored data reads the same through the fast path and the general decoder")
    func depositDecoding() throws {
        let store = try TemporaryLedger()
        try store.record(openFund("q"), enrol("dv-1"), enrol("Dv_2.x"), startModel("ong-heo-2024", fund: "q"))
        try store.record(deposit("ong-heo-2024", "dv-1", 7_000, on: "2024-06-01"), deposit("ong-heo-2024", "Dv_2.x", 1, on: "2024-11-30"))
        try store.ledger.readLog { reader throws in
            try reader.forEachEvent(from: 5) { stored throws in
                let fast = try LedgerEvent.decode(stored)
                let general = try LedgerEvent.decode(stored, checking: true)
                #expect(fast == general)
                guard case .piggyBankDeposited = fast else { Issue.record("not a deposit"); return }
            }
        }
    }

    @Test("a deposit's data written directly has the bytes the general encoder writes")
    func depositEventBytes() {
        for event in [deposit("ong-heo-2024", "dv-1", 7_000, on: "2024-06-01"), deposit("m", "Dv_2.x", 1_000_000_000_000_000, on: "1999-12-31")] {
            #expect(event.canonicalData() == event.payload().canonicalBytes())
        }
        let other = donate("q", 5)
        #expect(other.canonicalData() == other.payload().canonicalBytes())
    }

    @Test("a deposit row survives its stored layout")
    func depositRecordBytes() throws {
        for (modelId, amount, date, reversed) in [
            ("ong-heo-2024", Int64(7_000), "2024-06-01", false), ("m", Int64(1), "1899-12-31", true),
            ("mô-hình", Int64(1_000_000_000_000_000), "2024-02-29", false),
        ] {
            let record = DepositRecord(modelId: modelId, depositedOn: day(date), amount: VND(amount), reversed: reversed)
            #expect(record.storedBytes().withUnsafeBytes { DepositRecord(storedBytes: $0) } == record)
        }
        #expect([UInt8](repeating: 0, count: 13).withUnsafeBytes { DepositRecord(storedBytes: $0) } == nil)
        #expect(([UInt8](repeating: 0, count: 12) + [2, 65]).withUnsafeBytes { DepositRecord(storedBytes: $0) } == nil)
    }
}

@Suite("Projection layouts")
struct ProjectionFormatTests {
    @Test("a store whose projection is in an older layout is refolded when opened for writing, refused read-only")
    func outdatedProjection() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-format-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var before: [ProjectionTable] = []
        do {
            let ledger = try Ledger(path: path)
            try ledger.record(
                [openFund("q"), enrol("dv-1"), startModel("m", fund: "q"), deposit("m", "dv-1", 7_000, on: "2024-06-01"), donate("q", 5_000)]
                    .map { LedgerCommand($0) }, actor: "lan")
            before = try ledger.projectionDump()
            // As an older version left it: another layout number, and a record it wrote differently.
            try ledger.log.environment.write { transaction in
                try transaction.put(try transaction.openDatabase("meta"), key: "projection.funds.format", value: [0, 0, 0, 99] as [UInt8])
                try transaction.put(try transaction.openDatabase("funds.balances"), key: "q", value: [0xa0] as [UInt8])
            }
        }
        var readOnly = EventLog.Options()
        readOnly.environment.readOnly = true
        do {
            let reader = try Ledger(path: path, options: readOnly)
            #expect(reader.readModelsOutdated, "read-only, the read models are left out")
            #expect(throws: LogError.projectionsOutdated(name: "funds")) { try reader.funds() }
        }
        let ledger = try Ledger(path: path)
        let after = try ledger.projectionDump()
        #expect(after == before, "the projection is refolded from the log")
        #expect(try ledger.fund("q")?.balance == VND(12_000))
    }
}

@Suite("The import's direct path for money entries")
struct DirectLineTests {
    static let plain = #"{"type":"PiggyBankDeposited","data":{"modelId":"ong-heo-2024","memberId":"dv-1","amount":7000,"depositedOn":"2024-06-01"},"eventId":"3f2b8c1e-5d4a-4e8f-9a7b-1c2d3e4f5a6b"}"#
    static let donation = #"{"type":"DonationReceived","data":{"fundId":"quy-ngheo","donor":{"name":"Công ty Hoà Bình","kind":"business"},"amount":5000000,"receivedOn":"2024-10-02","pledgeId":"cam-ket-1","receiptNo":"PT-0012"},"eventId":"6a1c0e7d-2b3f-4c5d-8e9f-0a1b2c3d4e5f"}"#
    static let disbursement = #"{"type":"DisbursementMade","data":{"disbursementId":"chi-7","fundId":"quy-ngheo","purpose":"housing","beneficiary":{"name":"Hộ bà Nguyễn Thị Bảy","kind":"poorHousehold"},"amount":60000000,"quantity":1,"disbursedOn":"2024-11-20","decisionRef":"QĐ 12/UBND","programme":"Mái ấm"}}"#
    /// A plain line of each type the direct path reads: its data's members, and which may be left out.
    static let kinds: [(type: String, data: [String], optional: Set<String>)] = [
        ("PiggyBankDeposited", [#""modelId":"ong-heo-2024""#, #""memberId":"Dv_2.x""#, #""amount":1000000000000000"#, #""depositedOn":"1999-12-31""#], []),
        ("DonationReceived", [
            #""fundId":"quy-ngheo""#, #""donor":{"kind":"individual", "name":"Trần Văn Ánh"}"#, #""amount":200000"#,
            #""receivedOn":"2024-10-02""#, #""pledgeId":"ck-1""#, #""receiptNo":"PT 0012""#,
        ], ["pledgeId", "receiptNo"]),
        ("DisbursementMade", [
            #""disbursementId":"chi-7""#, #""fundId":"quy-ngheo""#, #""purpose":"gift""#,
            #""beneficiary":{"name":"Hộ ông Lê Văn Tám","kind":"nearPoorHousehold"}"#, #""amount":500000"#, #""quantity":12"#,
            #""disbursedOn":"2024-01-25""#, #""decisionRef":"QĐ 3""#, #""programme":"Tết 2024""#,
        ], ["decisionRef", "programme"]),
    ]

    /// Whether the fast path took `line`; when it did, the general path must give the same command.
    func agrees(_ line: String) -> Bool {
        let bytes = Array(line.utf8)
        guard let fast = bytes.withUnsafeBytes({ DirectLine.parse($0) }) else { return false }
        let general = bytes.withUnsafeBytes { bytes in Result { () throws(ImportLineError) in try ImportLine.parseGenerally(bytes) } }
        #expect(general == .success(fast), "\(line)")
        return true
    }

    @Test("plain deposits, donations and disbursements, in any key order and spacing, are read directly to the general path's command")
    func plainLines() {
        var random = PropertyTests.Generator(state: 12)
        #expect(agrees(Self.plain))
        #expect(agrees(Self.donation))
        #expect(agrees(Self.disbursement))
        for round in 0..<600 {
            let (type, allData, optional) = Self.kinds[round % 3]
            let outer = [#""type":""# + type + #"""#, #""eventId":"3f2b8c1e-5d4a-4e8f-9a7b-1c2d3e4f5a6b""#]
            let data = allData.filter { member in
                !optional.contains { member.hasPrefix("\"\($0)\"") } || random.next() % 2 == 0
            }
            let space = [" ", "", "\t", " \r\n "][(round / 3) % 4]
            let inner = "{" + space + data.shuffled(using: &random).joined(separator: "," + space) + "}"
            var members = outer.shuffled(using: &random)
            if round % 3 == 0 { members.removeAll { $0.hasPrefix(#""eventId""#) } }
            members.insert(#""data":"# + space + inner, at: Int(random.next() % UInt64(members.count + 1)))
            #expect(agrees(space + "{" + members.joined(separator: space + "," + space) + "}" + space), "round \(round)")
        }
    }

    @Test("event ids are read as Foundation reads them, in either case; any other form is left to Foundation")
    func eventIds() {
        var random = PropertyTests.Generator(state: 36)
        for round in 0..<500 {
            let id = UUID()
            var text = round % 2 == 0 ? id.uuidString : id.uuidString.lowercased()
            if round % 5 == 0 {
                var bytes = Array(text.utf8)
                bytes[Int(random.next() % 36)] = Array("-gG0aA{ ".utf8)[Int(random.next() % 8)]
                text = String(decoding: bytes, as: UTF8.self)
            }
            let fast = Array(text.utf8).withUnsafeBytes { DirectLine.uuid($0) }
            if round % 5 != 0 { #expect(fast == id, "\(text)") }
            // Foundation reads some damaged forms too (a space as a 0): those are left to it.
            if let fast { #expect(fast == UUID(uuidString: text), "\(text)") }
        }
        for text in ["", "3f2b8c1e5d4a4e8f9a7b1c2d3e4f5a6b", "{3f2b8c1e-5d4a-4e8f-9a7b-1c2d3e4f5a6b}", "3f2b8c1e-5d4a-4e8f-9a7b-1c2d3e4f5a6b "] {
            #expect(Array(text.utf8).withUnsafeBytes { DirectLine.uuid($0) } == nil, "\(text)")
        }
    }

    @Test("anything but the plain form is left to the general path, which reports it")
    func otherLines() {
        let replacements: [(String, String)] = [
            ("7000", "0"),
            ("7000", "007"),
            ("7000", "7000.0"),
            ("7000", "7e3"),
            ("7000", "-7000"),
            ("7000", "\"7000\""),
            ("7000", "9223372036854775808"),
            ("2024-06-01", "2024-02-30"),
            ("2024-06-01", "2024-6-1"),
            ("dv-1", #"dv\u002d1"#),
            ("dv-1", "dv 1"),
            ("dv-1", ""),
            ("PiggyBankDeposited", "DonationReceived"),
            (#""eventId""#, #""schemaVersion":1,"eventId""#),
            (#""amount":7000"#, #""amount":7000,"amount":7000"#),
            (#""amount":7000,"#, ""),
            (#""amount":7000"#, #""amount":7000,"note":"x""#),
            ("3f2b8c1e", "not-a-uuid"),
        ]
        var refused: [String] = replacements.map { Self.plain.replacingOccurrences(of: $0.0, with: $0.1) }
        refused += [Self.plain + "x", "[" + Self.plain + "]", String(Self.plain.dropLast())]
        let donationReplacements: [(String, String)] = [
            (#""business""#, #""company""#),
            (#""business""#, "null"),
            (#""cam-ket-1""#, "null"),
            (#","receiptNo":"PT-0012""#, #","receiptNo":"PT-0012","receiptNo":"PT-0013""#),
            (#""kind":"business"}"#, #""kind":"business","note":"x"}"#),
            (#""name":"Công ty Hoà Bình","#, ""),
            ("Công ty", #"C\u00f4ng ty"#),
            (#""donor":{"#, #""donor":{"name":"x","#),
            (#""amount":5000000,"#, ""),
            (#""receivedOn""#, #""donatedOn""#),
            ("5000000", "0"),
        ]
        refused += donationReplacements.map { Self.donation.replacingOccurrences(of: $0.0, with: $0.1) }
        let disbursementReplacements: [(String, String)] = [
            (#""housing""#, #""house""#),
            (#","quantity":1"#, ""),
            ("\"quantity\":1", "\"quantity\":0"),
            ("\"quantity\":1", "\"quantity\":1.5"),
            (#""poorHousehold""#, #""business""#),
            (#""beneficiary":{"name":"Hộ bà Nguyễn Thị Bảy","kind":"poorHousehold"}"#, #""beneficiary":"Hộ bà Bảy""#),
            (#""disbursementId":"chi-7""#, #""disbursementId":"chi 7""#),
            (#""programme":"Mái ấm""#, #""programme":null"#),
            ("}}", "},\"schemaVersion\":1}"),
        ]
        refused += disbursementReplacements.map { Self.disbursement.replacingOccurrences(of: $0.0, with: $0.1) }
        for line in refused {
            #expect(!agrees(line), "\(line)")
            let bytes = Array(line.utf8)
            let answer = bytes.withUnsafeBytes { bytes in Result { () throws(ImportLineError) in try ImportLine.parse(bytes) } }
            let general = bytes.withUnsafeBytes { bytes in Result { () throws(ImportLineError) in try ImportLine.parseGenerally(bytes) } }
            #expect(answer == general, "\(line): the import answers as the general path does, its error messages included")
        }
        let zero = Array(Self.plain.replacingOccurrences(of: "7000", with: "0").utf8)
        #expect(throws: ImportLineError.self) { _ = try zero.withUnsafeBytes { try ImportLine.parse($0) } }
    }

    @Test("mutated money lines: whenever the direct path reads one, the general path reads it the same")
    func mutatedLines() {
        var random = PropertyTests.Generator(state: 0xD0C)
        let alphabet = Array(#"{}[]":,. -0123456789eE\u"#.utf8) + [0x00, 0x7F, 0xC3, 0xA1, 0x20]
        var taken = 0
        for round in 0..<4_500 {
            var bytes = Array([Self.plain, Self.donation, Self.disbursement][round % 3].utf8)
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let index = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 3 {
                case 0: bytes[index] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: index)
                default: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: index)
                }
            }
            guard let line = String(bytes: bytes, encoding: .utf8) else {
                #expect(bytes.withUnsafeBytes { DirectLine.parse($0) } == nil)
                continue
            }
            if agrees(line) { taken += 1 }
        }
        #expect(taken > 150, "the direct path took \(taken) mutated lines: the test exercises it")
    }
}
