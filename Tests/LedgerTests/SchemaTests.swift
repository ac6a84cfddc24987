import EventLog
import Foundation
import Ledger
import TestSupport
import Testing

/// The JSON Schemas in Schemas/ and the Swift catalogue must agree: what the encoder
/// writes validates, and the decoder refuses exactly what the schema refuses.
/// Validation is done by Python's `jsonschema` (an independent implementation).
@Suite("Schemas agree with the catalogue")
struct SchemaTests {
    static func samples() -> [(type: String, version: UInt32, data: Payload)] {
        let id = UUID(uuidString: "3f2b8c1e-5d4a-4e8f-9a7b-1c2d3e4f5a6b")!
        let events: [LedgerEvent] = [
            .fundOpened(FundOpened(fundId: "vi-nguoi-ngheo", name: "Quỹ “Vì người nghèo”", openedOn: day("2024-01-01"), openingBalance: VND(0), purpose: "Hộ nghèo")),
            .memberEnrolled(MemberEnrolled(memberId: "dv-001", fullName: "Nguyễn Thị Lan", cell: "Chi bộ khóm Vĩnh Tây 1", enrolledOn: day("2024-01-01"))),
            .memberLeft(MemberLeft(memberId: "dv-001", leftOn: day("2024-08-01"), reason: "chuyển sinh hoạt")),
            .pledgeMade(PledgeMade(pledgeId: "p-1", fundId: "q", donor: Donor(name: "Công ty An Phú", kind: .business), amount: VND(5_000_000), pledgedOn: day("2024-02-01"), dueOn: day("2024-06-30"))),
            .pledgeCancelled(PledgeCancelled(pledgeId: "p-1", cancelledOn: day("2024-03-01"), reason: "đổi ý")),
            .donationReceived(DonationReceived(fundId: "q", donor: Donor(name: "Chùa Tây An", kind: .religiousBody), amount: VND(5_000_000), receivedOn: day("2024-02-01"), pledgeId: "p-1", receiptNo: "PT-001")),
            .piggyBankModelStarted(PiggyBankModelStarted(modelId: "ong-heo-2024", name: "Ống heo tiết kiệm", fundId: "q", startsOn: day("2024-05-19"), endsOn: day("2024-11-30"))),
            .piggyBankDeposited(PiggyBankDeposited(modelId: "ong-heo-2024", memberId: "dv-001", amount: VND(7_000), depositedOn: day("2024-06-01"))),
            .piggyBankModelClosed(PiggyBankModelClosed(modelId: "ong-heo-2024", closedOn: day("2024-11-30"), decisionRef: "NQ 68")),
            .disbursementMade(DisbursementMade(disbursementId: "d-1", fundId: "q", purpose: .healthInsurance, beneficiary: Beneficiary(name: "Hộ ông Lê Văn Tư", kind: .nearPoorHousehold), amount: VND(50_752_000), quantity: 93, disbursedOn: day("2024-03-01"), decisionRef: "QĐ 12", programme: "BHYT 2024")),
            .externalSupportRecorded(ExternalSupportRecorded(organisation: "Hội Phụ nữ", programme: "Mẹ đỡ đầu", description: "05 trẻ", beneficiaries: 5, value: VND(20_900_000), recordedOn: day("2024-04-01"), source: "Hội viên")),
            .entryReversed(EntryReversed(reversesEventId: id, reversedOn: day("2024-10-01"), reason: "nhập nhầm")),
            .periodClosed(
                PeriodClosed(
                    through: day("2024-03-31"), decision: "Quyết định 05/QĐ-MTTQ",
                    funds: [.init(fundId: "khuyen-hoc", balance: VND(0)), .init(fundId: "q", balance: VND(57_248_000))],
                    models: [.init(modelId: "ong-heo-2024", collected: VND(26_043_000))])),
        ]
        // Names as the log keeps them: sealed, with a donor's consent and a beneficiary's area.
        let sealed = { (number: UInt32) in
            PersonName.sealed(
                SealedName(
                    subjectId: "ds-" + String(format: "%06d", number), sealed: (0..<92).map { UInt8($0 * 7 % 256) },
                    keyCommitment: (0..<32).map { UInt8(255 - $0) }))
        }
        let stored: [LedgerEvent] = [
            .memberEnrolled(MemberEnrolled(memberId: "dv-002", fullName: sealed(1), cell: "Chi bộ 2", enrolledOn: day("2024-01-01"))),
            .pledgeMade(PledgeMade(pledgeId: "p-2", fundId: "q", donor: Donor(name: sealed(2), kind: .individual, publish: true), amount: VND(200_000), pledgedOn: day("2024-02-01"))),
            .donationReceived(DonationReceived(fundId: "q", donor: Donor(name: sealed(2), kind: .partyMember), amount: VND(200_000), receivedOn: day("2024-02-02"))),
            .disbursementMade(DisbursementMade(disbursementId: "d-2", fundId: "q", purpose: .gift, beneficiary: Beneficiary(name: sealed(3), kind: .poorHousehold, area: "Khóm Vĩnh Tây 1"), amount: VND(500_000), disbursedOn: day("2024-03-01"))),
            .subjectErased(SubjectErased(subjectId: "ds-000003", erasedOn: day("2026-11-30"), reason: "theo yêu cầu của người dân", retentionOverridden: true)),
            .storeMigrated(StoreMigrated(fromFormat: 1, headPosition: 12, headHash: String(repeating: "ab", count: 32), migratedOn: day("2026-11-30"))),
        ]
        var samples = (events + stored).map { ($0.type.rawValue, $0.type.currentSchemaVersion, $0.payload()) }
        samples.append(
            ("DonationReceived", 1,
             .object(["fundId": .text("q"), "donorName": .text("Bà Hoa"), "amount": .integer(100_000), "receivedOn": .text("2024-02-01")])))
        return samples
    }

    /// Every sample, and mutations of it: each member left out, each value of another
    /// type, money below its minimum, an unknown enumeration value, an unknown member.
    static func mutations(of data: Payload) -> [Payload] {
        guard case .object(let members) = data else { return [] }
        var mutations: [Payload] = []
        for (key, value) in members {
            var without = members
            without.removeValue(forKey: key)
            mutations.append(.object(without))
            var retyped = members
            switch value {
            case .text: retyped[key] = .integer(5)
            case .integer(let number):
                retyped[key] = .text(String(number))
                var below = members
                below[key] = .integer(-1)
                mutations.append(.object(below))
                var zero = members
                zero[key] = .integer(0)
                mutations.append(.object(zero))
            case .object(let nested):
                retyped[key] = .text("x")
                for (nestedKey, _) in nested {
                    var changed = nested
                    changed[nestedKey] = nestedKey == "kind" ? .text("alien") : .integer(1)
                    var outer = members
                    outer[key] = .object(changed)
                    mutations.append(.object(outer))
                    changed.removeValue(forKey: nestedKey)
                    outer[key] = .object(changed)
                    mutations.append(.object(outer))
                }
            case .array(let items):
                retyped[key] = .text("x")
                // The first item of a list of objects: each member left out, retyped, below its minimum, and one too many.
                guard case .object(let item)? = items.first else { break }
                for (itemKey, itemValue) in item {
                    var changed = item
                    changed.removeValue(forKey: itemKey)
                    mutations.append(.object(members.merging([key: .array([.object(changed)] + items.dropFirst())]) { $1 }))
                    changed = item
                    if case .integer = itemValue { changed[itemKey] = .integer(-1) } else { changed[itemKey] = .integer(1) }
                    mutations.append(.object(members.merging([key: .array([.object(changed)] + items.dropFirst())]) { $1 }))
                }
                var extraItem = item
                extraItem["unexpected"] = .integer(1)
                mutations.append(.object(members.merging([key: .array([.object(extraItem)])]) { $1 }))
            default: retyped[key] = .text("x")
            }
            mutations.append(.object(retyped))
            if key == "purpose", case .text = value, members["disbursementId"] != nil {
                var unknown = members
                unknown[key] = .text("party")
                mutations.append(.object(unknown))
            }
        }
        var extra = members
        extra["unexpected"] = .integer(1)
        mutations.append(.object(extra))
        return mutations
    }

    static func verdicts(for lines: [(type: String, version: UInt32, data: Payload)]) throws -> [Bool] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-schema-samples-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let text = lines.map { #"{"type":"\#($0.type)","schemaVersion":\#($0.version),"data":"# + $0.data.jsonText + "}" }
            .joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", packageRoot.appendingPathComponent("tools/check_schemas.py").path,
            packageRoot.appendingPathComponent("Schemas").path, file.path,
        ]
        let output = temporaryOutputFile()
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        process.standardOutput = handle
        try process.run()
        try waitForExit(process, timeLimit: 120)
        let data = try Data(contentsOf: output)
        #expect(process.terminationStatus == 0, "check_schemas.py failed; is Python's jsonschema installed?")
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return object["valid"] as! Bool
        }
    }

    @Test("every event type has a schema for each version, and an import-line schema exists")
    func schemaFiles() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("Schemas").path)
        for type in EventType.allCases {
            for version in 1...type.currentSchemaVersion {
                #expect(names.contains("\(type.rawValue).v\(version).schema.json"))
            }
        }
        #expect(names.contains("import-line.v1.schema.json"))
    }

    @Test("what the encoder writes validates, and the decoder refuses exactly what the schemas refuse")
    func agreement() throws {
        var lines: [(type: String, version: UInt32, data: Payload)] = []
        var originals: [Bool] = []
        for sample in Self.samples() {
            lines.append(sample)
            originals.append(true)
            for mutation in Self.mutations(of: sample.data) {
                lines.append((sample.type, sample.version, mutation))
                originals.append(false)
            }
        }
        let schema = try Self.verdicts(for: lines)
        try #require(schema.count == lines.count)
        var refusedBoth = 0
        for (index, line) in lines.enumerated() {
            let swift: Bool
            do {
                _ = try LedgerEvent.decode(typeName: line.type, schemaVersion: line.version, data: line.data)
                swift = true
            } catch {
                swift = false
            }
            if originals[index] {
                #expect(schema[index], "the schema refuses what the encoder wrote: \(line.type) \(line.data.jsonText)")
            }
            #expect(swift == schema[index], "\(line.type) v\(line.version) \(line.data.jsonText): Swift \(swift), schema \(schema[index])")
            if !swift && !schema[index] { refusedBoth += 1 }
        }
        #expect(refusedBoth > 100, "the mutations must include many invalid cases")
    }
}

@Suite("The import-line schema")
struct ImportLineSchemaTests {
    @Test("every line of the demo files validates against import-line.v1, and its data against its type's schema")
    func demoLinesValidate() throws {
        let script = """
            import json, sys, pathlib, jsonschema
            schemas = pathlib.Path(sys.argv[1])
            envelope = jsonschema.Draft202012Validator(json.loads((schemas / "import-line.v1.schema.json").read_text()))
            current = {"DonationReceived": 2}
            count = 0
            for name in sys.argv[2:]:
                for number, line in enumerate(pathlib.Path(name).read_text(encoding="utf-8").splitlines(), 1):
                    if not line.strip():
                        continue
                    value = json.loads(line)
                    envelope.validate(value)
                    version = value.get("schemaVersion", current.get(value["type"], 1))
                    schema = json.loads((schemas / f"{value['type']}.v{version}.schema.json").read_text())
                    jsonschema.Draft202012Validator(schema).validate(value["data"])
                    count += 1
            bad = {"type": "Nope", "data": {}}
            assert not envelope.is_valid(bad)
            assert not envelope.is_valid({"type": "FundOpened", "data": {}, "extra": 1})
            print(count)
            """
        let (status, text) = try python([
            "-c", script, packageRoot.appendingPathComponent("Schemas").path,
            packageRoot.appendingPathComponent("Sources/ansinh/Demo/nui-sam-2024.jsonl").path,
            packageRoot.appendingPathComponent("Sources/ansinh/Demo/piggybank-2024.jsonl").path,
        ])
        #expect(status == 0, "\(text)")
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "2292")
    }
}
