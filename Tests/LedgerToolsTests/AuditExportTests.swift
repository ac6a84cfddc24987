@testable import EventLog
import Foundation
import LMDB
@testable import Ledger
import LedgerTools
import TestSupport
import Testing


/// A fresh temporary path (nothing created), removed with everything under it when released.
final class TemporaryPath {
    let path: String
    init(_ label: String) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-\(label)-\(UUID().uuidString.prefix(8))").path
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func demoLedger(_ folder: TemporaryPath) throws -> Ledger {
    let ledger = try Ledger(path: folder.path)
    for file in ["nui-sam-2024.jsonl", "piggybank-2024.jsonl"] {
        _ = try ledger.importLines(Array(try Data(contentsOf: packageRoot.appendingPathComponent("Sources/ansinh/Demo/" + file))), actor: "demo")
    }
    return ledger
}


func verifyExport(_ arguments: String...) throws -> (Int32, String) {
    try python([packageRoot.appendingPathComponent("tools/verify-export.py").path] + arguments)
}

@Suite("Audits", .serialized)
struct AuditTests {
    @Test("an audit of an honest store passes, and replays it to identical projections")
    func honestStore() throws {
        let folder = TemporaryPath("audit")
        let scratch = TemporaryPath("scratch")
        let ledger = try demoLedger(folder)
        let report = try Auditor.audit(ledger, scratchFolder: scratch.path)
        #expect(report.isValid, "\(String(describing: report.problem))")
        #expect(report.eventsChecked == 2_292)
        #expect(!FileManager.default.fileExists(atPath: scratch.path), "the scratch store is removed")
    }

    @Test("a flipped byte in a stored event is named with its position")
    func flippedByte() throws {
        let folder = TemporaryPath("audit")
        do { _ = try demoLedger(folder) }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.path + "/data.mdb")))
        // A beneficiary kind inside disbursements' data: every copy (LMDB keeps old pages).
        let starts = bytes.ranges(of: Array("nearPoorHousehold".utf8)).map(\.lowerBound)
        #expect(!starts.isEmpty)
        for start in starts { bytes[start + 2] ^= 0x01 }
        try Data(bytes).write(to: URL(fileURLWithPath: folder.path + "/data.mdb"))
        let ledger = try Ledger(path: folder.path)
        let report = try Auditor.audit(ledger, scratchFolder: TemporaryPath("scratch").path)
        guard case .chain(let failure) = report.problem else {
            Issue.record("expected a chain failure, got \(String(describing: report.problem))")
            return
        }
        #expect(failure.position > 0)
        #expect("\(failure)".contains("bytes changed"))
    }

    @Test("a projection changed behind the log's back is found, naming the entity")
    func projectionDrift() throws {
        let folder = TemporaryPath("audit")
        let ledger = try demoLedger(folder)
        // Inflate one fund's stored balance sheet directly in its projection table, and
        // seal it again as the ledger does: only a replay shows it.
        try ledger.log.environment.write { transaction in
            let funds = try transaction.openDatabase("funds.balances")
            guard let stored = try transaction.get(funds, "khuyen-hoc") else { throw LMDBError.notFound }
            var fund = try FundBalance(rowBytes: UnsafeRawBufferPointer(rebasing: stored.dropLast(Seal.byteCount)))
            fund.balance = VND(999_000_000)
            try transaction.put(funds, key: "khuyen-hoc", value: Seal.sealed(fund.rowBytes(), key: "khuyen-hoc"))
        }
        let report = try Auditor.audit(ledger, scratchFolder: TemporaryPath("scratch").path)
        #expect(
            report.problem
                == .projectionDrift(
                    readModel: "funds", table: "funds.balances", entity: "khuyen-hoc", detail: "stored value differs from a replay of the log"))
    }

    @Test("a stored table's entry removed, added at its end or added between two is named, walking both tables side by side")
    func projectionDriftByEntries() throws {
        func audit(_ change: (WriteTransaction, Database) throws -> Void) throws -> AuditProblem? {
            let ledger = try demoLedger(TemporaryPath("audit"))
            try ledger.log.environment.write { transaction in try change(transaction, try transaction.openDatabase("funds.balances")) }
            return try Auditor.audit(ledger, scratchFolder: TemporaryPath("scratch").path).problem
        }
        func drift(_ entity: String, _ detail: String) -> AuditProblem {
            .projectionDrift(readModel: "funds", table: "funds.balances", entity: entity, detail: detail)
        }
        var last = ""
        let removed = try audit { transaction, funds in
            last = try transaction.withCursor(funds) { String(decoding: try $0.last()!.key, as: UTF8.self) }
            _ = try transaction.delete(funds, key: last)
        }
        #expect(removed == drift(last, "missing from the stored projection"))
        let appended = try audit { transaction, funds in try transaction.put(funds, key: "zz-quy-moi", value: [1, 2, 3]) }
        #expect(appended == drift("zz-quy-moi", "stored, but a replay of the log has no such entry"))
        let between = try audit { transaction, funds in try transaction.put(funds, key: "a-quy-moi", value: [1, 2, 3]) }
        #expect(between == drift("a-quy-moi", "stored and replayed entries differ in key"))
    }

    @Test("a damaged byte in a read model's record is reported as damage, never shown as a figure")
    func sealedRecords() throws {
        let folder = TemporaryPath("audit")
        let ledger = try demoLedger(folder)
        try ledger.log.environment.write { transaction in
            let funds = try transaction.openDatabase("funds.balances")
            guard let stored = try transaction.get(funds, "khuyen-hoc") else { throw LMDBError.notFound }
            var bytes = Array(stored)
            bytes[bytes.count / 2] ^= 0x01
            try transaction.put(funds, key: "khuyen-hoc", value: bytes)
        }
        #expect { try ledger.funds() } throws: { error in
            "\(error)".contains("a record of funds.balances is damaged (its checksum does not hold)")
        }
        #expect { try ledger.fund("khuyen-hoc") } throws: { error in error is ProjectionFault }
        #expect(try ledger.fund("vi-nguoi-ngheo") != nil, "the other records still read")
    }

    @Test("an event the rules would have refused is named with its position")
    func ruleBroken() throws {
        let folder = TemporaryPath("audit")
        let ledger = try Ledger(path: folder.path)
        try ledger.record([LedgerCommand(.fundOpened(FundOpened(fundId: "q", name: "Q", openedOn: LocalDate("2024-01-01")!)))], actor: "lan")
        // Written around the rules, straight into the log: a payment from an empty fund.
        let overdraft = LedgerEvent.disbursementMade(
            DisbursementMade(
                disbursementId: "d", fundId: "q", purpose: .gift, beneficiary: Beneficiary(name: "X", kind: .poorHousehold),
                amount: VND(5_000), disbursedOn: LocalDate("2024-02-01")!))
        try ledger.log.append([NewEvent(type: "DisbursementMade", data: overdraft.payload())], to: "fund-q", actor: "mallory")
        let report = try Auditor.audit(ledger, scratchFolder: TemporaryPath("scratch").path)
        #expect(report.problem?.position == 2)
        #expect("\(report.problem!)".contains("below 0"))
    }

    @Test("an event stored outside its normal form (a name in NFD, written around the ledger) is named with its position")
    func notNormalised() throws {
        let folder = TemporaryPath("audit")
        let ledger = try Ledger(path: folder.path)
        try ledger.record([LedgerCommand(.fundOpened(FundOpened(fundId: "q", name: "Q", openedOn: LocalDate("2024-01-01")!)))], actor: "lan")
        let nfd = "Tra\u{0302}\u{0300}n Thi\u{0323} Hoa"  // "Trần Thị Hoa", decomposed
        let donation = LedgerEvent.donationReceived(
            DonationReceived(
                fundId: "q", donor: Donor(name: nfd, kind: .individual), amount: VND(5_000), receivedOn: LocalDate("2024-02-01")!))
        try ledger.log.append([NewEvent(type: "DonationReceived", schemaVersion: 2, data: donation.payload())], to: "fund-q", actor: "mallory")
        let report = try Auditor.audit(ledger, scratchFolder: TemporaryPath("scratch").path)
        #expect(report.problem?.position == 2, "\(String(describing: report.problem))")
        #expect("\(report.problem!)".contains("is not stored in the form recording gives it"), "\(report.problem!)")
    }

    /// Old versions name people in the clear: only a store of format 1 holds them (a
    /// store of format 2 records names sealed, at the current versions).
    @Test("an event stored at an older schema version, in its normal form, passes the audit of a format-1 store")
    func olderSchemaVersionAudits() throws {
        let folder = TemporaryPath("audit")
        var ledger = try Ledger(path: folder.path)
        try ledger.record([LedgerCommand(.fundOpened(FundOpened(fundId: "q", name: "Q", openedOn: LocalDate("2024-01-01")!)))], actor: "lan")
        let old = NewEvent(
            type: "DonationReceived", schemaVersion: 1,
            data: .object([
                "fundId": .text("q"), "donorName": .text("Bà Trần Thị Hoa"), "amount": .integer(2_000_000),
                "receivedOn": .text("2024-02-01"),
            ]))
        try ledger.log.append([old], to: "fund-q", actor: "lan")
        try ledger.setSetting("store-format", to: "1")
        ledger = try Ledger(path: folder.path, openingFormat1: true)
        #expect(ledger.format == .namesInClear)
        let report = try Auditor.audit(ledger, scratchFolder: TemporaryPath("scratch").path)
        #expect(report.isValid, "\(String(describing: report.problem))")
        #expect(report.readModelsChecked.count == 9)
    }

    @Test("replaying to a position shows the ledger as it stood then")
    func timeTravel() throws {
        let folder = TemporaryPath("audit")
        let ledger = try demoLedger(folder)
        let position: UInt64 = 60
        let expected = try Ledger(path: TemporaryPath("expected").path)
        let lines = try Data(contentsOf: packageRoot.appendingPathComponent("Sources/ansinh/Demo/nui-sam-2024.jsonl")).split(separator: UInt8(ascii: "\n"))
        _ = try expected.importLines(Array(lines.prefix(Int(position)).joined(separator: [UInt8(ascii: "\n")])), actor: "demo")
        let scratch = TemporaryPath("past")
        let past = try Auditor.replay(ledger, through: position, into: scratch.path)
        #expect(try past.head().position == position)
        #expect(try past.funds() == expected.funds())
        #expect(try Auditor.lastPosition(recordedOnOrBefore: LocalDate.today(), in: ledger) == 2_292)
        #expect(try Auditor.lastPosition(recordedOnOrBefore: LocalDate("2000-01-01")!, in: ledger) == 0)
    }
}

@Suite("Exports", .serialized)
struct ExportTests {
    @Test("an export verifies with Python alone, and every kind of tampering is caught")
    func exportAndTampering() throws {
        let folder = TemporaryPath("export-store")
        let ledger = try demoLedger(folder)
        let out = TemporaryPath("export")
        let manifest = try Exporter.export(ledger, to: out.path, view: .internal)
        #expect(manifest.headPosition == 2_292)
        #expect(manifest.fromPosition == 1)
        #expect(manifest.view == "internal")
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path)
        for name in ["events.jsonl", "funds.json", "funds.csv", "members.json", "members.csv", "member-histories.json",
                     "member-deposits.csv", "pledges.json", "pledges.csv", "cells.json", "cells.csv", "periods.json", "periods.csv",
                     "piggybank-ong-heo-2024.json", "piggybank-ong-heo-2024-cells.csv", "report-2024.json", "report-2024.csv",
                     "manifest.json"] {
            #expect(files.contains(name), "\(name) missing")
        }
        #expect(!files.contains { $0.hasPrefix(".") })
        let histories = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out.path + "/member-histories.json"))) as! [[String: Any]]
        #expect(histories.count == 120)
        #expect(histories.reduce(0) { $0 + ($1["deposits"] as! [Any]).count } == 2_058, "2.057 deposits, one reversed, and its reversal")
        let depositRows = try String(contentsOfFile: out.path + "/member-deposits.csv", encoding: .utf8).components(separatedBy: "\r\n")
        #expect(depositRows.first == "memberId,position,depositedOn,modelId,amount,runningTotal,reversed,reversesPosition")
        #expect(depositRows.filter { !$0.isEmpty }.count == 2_059, "a header, then the same rows")
        let (status, output) = try verifyExport(out.path)
        #expect(status == 0, "\(output)")

        func tampered(_ label: String, updateManifest: Bool, _ change: ([Substring]) -> [Substring]) throws -> (Int32, String) {
            let copy = TemporaryPath("tampered")
            try FileManager.default.copyItem(atPath: out.path, toPath: copy.path)
            let events = copy.path + "/events.jsonl"
            let text = try String(contentsOfFile: events, encoding: .utf8)
            let lines = change(text.split(separator: "\n", omittingEmptySubsequences: false))
            try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: events))
            if updateManifest {
                // A forger who also fixes the manifest's size and SHA-256.
                let data = try Data(contentsOf: URL(fileURLWithPath: events))
                var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: copy.path + "/manifest.json"))) as! [String: Any]
                var files = object["files"] as! [[String: Any]]
                let index = files.firstIndex { $0["name"] as? String == "events.jsonl" }!
                files[index]["bytes"] = data.count
                files[index]["sha256"] = sha256Hex(data)
                object["files"] = files
                try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: copy.path + "/manifest.json"))
            }
            return try verifyExport(copy.path)
        }
        let editAmount: ([Substring]) -> [Substring] = { lines in
            var lines = lines
            let index = lines.firstIndex { $0.contains("\"amount\":250000000") }!
            lines[index] = Substring(lines[index].replacingOccurrences(of: "\"amount\":250000000", with: "\"amount\":25000000"))
            return lines
        }
        let removeLine: ([Substring]) -> [Substring] = { lines in var lines = lines; lines.remove(at: 100); return lines }
        let reorder: ([Substring]) -> [Substring] = { lines in var lines = lines; lines.swapAt(10, 11); return lines }
        let truncate: ([Substring]) -> [Substring] = { lines in Array(lines.prefix(500)) }
        for (label, change) in [("edited amount", editAmount), ("removed line", removeLine), ("reordered lines", reorder), ("truncated file", truncate)] {
            for forger in [false, true] {
                let (status, output) = try tampered(label, updateManifest: forger, change)
                #expect(status == 1, "\(label), manifest updated: \(forger): \(output)")
                #expect(output.contains("export check failed"), "\(label): \(output)")
            }
        }
    }

    @Test("incremental exports continue the chain, and the checker follows it")
    func incremental() throws {
        let folder = TemporaryPath("export-store")
        let ledger = try demoLedger(folder)
        let first = TemporaryPath("export-1")
        let second = TemporaryPath("export-2")
        try Exporter.export(ledger, to: first.path)
        try ledger.record(
            [LedgerCommand(.donationReceived(DonationReceived(fundId: "khuyen-hoc", donor: Donor(name: "Bà Năm", kind: .individual), amount: VND(1_000_000), receivedOn: LocalDate("2024-10-01")!)))],
            actor: "lan")
        let manifest = try Exporter.export(ledger, to: second.path, sincePosition: 2_292)
        #expect(manifest.fromPosition == 2_293)
        #expect(manifest.eventCount == 1)
        var (status, output) = try verifyExport(second.path, "--previous", first.path)
        #expect(status == 0, "\(output)")
        // The second export alone does not continue a different earlier one.
        let unrelated = TemporaryPath("export-3")
        try Exporter.export(ledger, to: unrelated.path, sincePosition: 2_000)
        (status, output) = try verifyExport(second.path, "--previous", unrelated.path)
        #expect(status == 1, "\(output)")
    }

    @Test("a signed manifest verifies against the ward's key, and not against another")
    func signature() throws {
        let folder = TemporaryPath("export-store")
        let ledger = try demoLedger(folder)
        let key = Curve25519SigningKeyForTests.make()
        let out = TemporaryPath("export")
        let manifest = try Exporter.export(ledger, to: out.path, signingKey: key.privateKey)
        #expect(manifest.signingKey == key.publicHex)
        var (status, output) = try verifyExport(out.path, "--public-key", key.publicHex)
        #expect(status == 0, "\(output)")
        #expect(output.contains("signature valid for the given public key"), "\(output)")
        (status, output) = try verifyExport(out.path, "--public-key", Curve25519SigningKeyForTests.make().publicHex)
        #expect(status == 1, "\(output)")
    }

    @Test("an export refuses an existing folder, and a failed one leaves nothing that looks complete")
    func atomicity() throws {
        let folder = TemporaryPath("export-store")
        let ledger = try demoLedger(folder)
        let out = TemporaryPath("export")
        try FileManager.default.createDirectory(atPath: out.path, withIntermediateDirectories: true)
        #expect(throws: ExportError.self) { try Exporter.export(ledger, to: out.path) }
        let other = TemporaryPath("export")
        #expect(throws: ExportError.self) { try Exporter.export(ledger, to: other.path, sincePosition: 9_999) }
        #expect(!FileManager.default.fileExists(atPath: other.path))
        let siblings = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
        #expect(!siblings.contains { $0.hasPrefix("." + URL(fileURLWithPath: other.path).lastPathComponent) }, "no partial folder left")
    }
}

@Suite("Exports while clerks write", .serialized)
struct ConcurrentExportTests {
    @Test("each export taken while another process appends is consistent with its manifest's head")
    func exportDuringWrites() throws {
        let folder = TemporaryPath("busy-store")
        let chunks = TemporaryPath("chunks")
        try FileManager.default.createDirectory(atPath: chunks.path, withIntermediateDirectories: true)
        var paths: [String] = []
        let lines = try Data(contentsOf: packageRoot.appendingPathComponent("Sources/ansinh/Demo/piggybank-2024.jsonl"))
            .split(separator: UInt8(ascii: "\n"))
        for (index, start) in stride(from: 0, to: lines.count, by: 100).enumerated() {
            let path = chunks.path + "/chunk-\(String(format: "%03d", index)).jsonl"
            try Data(Array(lines[start..<min(start + 100, lines.count)].joined(separator: [UInt8(ascii: "\n")])) + [10])
                .write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let ledger = try Ledger(path: folder.path)
        _ = try ledger.importLines(Array(try Data(contentsOf: packageRoot.appendingPathComponent("Sources/ansinh/Demo/nui-sam-2024.jsonl"))), actor: "demo")
        // Another process imports the piggy-bank file, a hundred lines at a time.
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "for f in \"$@\"; do '\(ansinhExecutable.path)' import \"$f\" --store '\(folder.path)' --actor clerk >/dev/null || exit 1; done", "sh"] + paths
        try writer.run()
        var exports: [TemporaryPath] = []
        var heads = Set<UInt64>()
        while writer.isRunning || exports.count < 2 {
            let out = TemporaryPath("busy-export")
            let manifest = try Exporter.export(ledger, to: out.path)
            heads.insert(manifest.headPosition)
            exports.append(out)
            if exports.count > 40 { break }
        }
        try waitForExit(writer, timeLimit: 300)
        #expect(writer.terminationStatus == 0)
        #expect(heads.count >= 2, "the exports should have seen the log at different heads: \(heads.sorted())")
        for out in exports {
            let (status, output) = try verifyExport(out.path)
            #expect(status == 0, "\(output)")
            // The projections in the export are those of its own head: the deposit total
            // in funds.json equals the deposits in its events.jsonl, less those reversed.
            let events = try String(contentsOfFile: out.path + "/events.jsonl", encoding: .utf8).split(separator: "\n")
            var deposited = 0
            var deposits: [String: Int] = [:]  // event id → amount
            var members = 0
            for line in events {
                let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                let data = event["data"] as! [String: Any]
                switch event["type"] as? String {
                case "PiggyBankDeposited":
                    deposited += data["amount"] as! Int
                    deposits[(event["eventId"] as! String).lowercased()] = data["amount"] as? Int
                case "EntryReversed":
                    deposited -= deposits[(data["reversesEventId"] as! String).lowercased()] ?? 0
                case "MemberEnrolled":
                    members += 1
                default:
                    break
                }
            }
            let funds = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out.path + "/funds.json"))) as! [[String: Any]]
            let piggyFund = funds.first { $0["fundId"] as? String == "an-sinh-dang-bo" }
            let depositsInFund = ((piggyFund?["deposits"] as? [String: Any])?["amount"] as? Int) ?? 0
            #expect(depositsInFund == deposited)
            let exportedMembers = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out.path + "/members.json"))) as! [Any]
            #expect(exportedMembers.count == members)
        }
    }
}
