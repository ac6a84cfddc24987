import Crypto
import EventLog
import Foundation
import TestSupport
import Testing

@Suite("Hash chain and verification")
struct HashChainTests {
    @Test("each hash is SHA-256 of the record, which begins with the previous hash")
    func chainLinks() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append((1...5).map { sampleEvent($0) }, to: "s", actor: "a")
        try log.read { reader throws in
            var previous = ChainHash.genesis
            try reader.forEachEvent { event throws in
                #expect(event.prevHash == previous)
                let digest = Array(SHA256.hash(data: Array(event.canonicalBytes)))
                #expect(event.hash.bytes == digest)
                #expect(Array(event.canonicalBytes.prefix(32)) == previous.bytes)
                previous = event.hash
            }
        }
        let report = try log.verify()
        #expect(report.isValid)
        #expect(report.eventsChecked == 5)
    }

    @Test("a flipped byte inside a stored event is found, with its position")
    func flippedByteIsFound() throws {
        let folder = TemporaryFolder()
        do {
            let log = try openLog(folder)
            for number in 1...30 {
                let marker = number == 17 ? "MARKER-SEVENTEEN" : "ordinary"
                try log.append(
                    [NewEvent(type: "Noted", data: .object(["n": .integer(Int64(number)), "m": .text(marker)]))],
                    to: "s", actor: "a")
            }
        }
        try flipByte(inFile: folder.dataFile, after: Array("MARKER-SEVENTEEN".utf8), offset: 3)
        let log = try openLog(folder)
        let report = try log.verify()
        #expect(report.failure?.position == 17)
        guard case .hashMismatch = report.failure?.problem else {
            Issue.record("expected a hash mismatch, got \(String(describing: report.failure))")
            return
        }
        #expect(report.eventsChecked == 16)
    }

    @Test("a changed previous hash breaks the chain at that position")
    func brokenChainIsFound() throws {
        let folder = TemporaryFolder()
        let hashOfFourth: ChainHash
        do {
            let log = try openLog(folder)
            try log.append((1...8).map { sampleEvent($0) }, to: "s", actor: "a")
            hashOfFourth = try log.read { try $0.event(at: 4)!.hash }
        }
        // The fifth record starts with the fourth's hash: damage that copy of it.
        var needle = hashOfFourth.bytes
        needle.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 5])
        try flipByte(inFile: folder.dataFile, after: needle, offset: 0)
        let report = try openLog(folder).verify()
        #expect(report.failure?.position == 5)
        guard case .chainBroken = report.failure?.problem else {
            Issue.record("expected a broken chain, got \(String(describing: report.failure))")
            return
        }
    }

    @Test("Python's standard library recomputes every hash from the JSON Lines form")
    func independentRecomputation() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append(
            [
                NewEvent(
                    type: "DonationReceived",
                    data: .object([
                        "fundId": .text("vi-nguoi-ngheo"), "amount": .integer(624_845_000),
                        "donor": .object(["name": .text("Chùa Tây An"), "kind": .text("religiousBody")]),
                        "note": .text("dòng 1\ndòng \"2\"\t\\ \u{1}"), "refund": .integer(-1_000_000_000_000),
                        "tags": .array([.bool(true), .bool(false), .null, .integer(23), .integer(24), .integer(65_536)]),
                        "a": .text(""), "bb": .integer(0),
                    ])),
                NewEvent(type: "MemberEnrolled", schemaVersion: 2, data: .object(["fullName": .text("Nguyễn Thị Lan")])),
            ], to: "fund-vi-nguoi-ngheo", actor: "Trần Văn Bình")
        try log.append((1...40).map { sampleEvent($0) }, to: "members", actor: "lan")
        var lines: [UInt8] = []
        try log.read { reader in try reader.forEachEvent { try $0.appendJSONLine(to: &lines) } }
        let file = folder.path + "-events.jsonl"
        try Data(lines).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let script = packageRoot.appendingPathComponent("tools/ansinh_chain.py").path
        let (status, output) = try python([script, file])
        #expect(status == 0, "\(output)")
        #expect(output.contains("42 events"), "\(output)")
        #expect(output.contains(try log.head().hash.hex), "\(output)")

        // The same script must reject an edited amount.
        let edited = String(decoding: lines, as: UTF8.self).replacingOccurrences(of: "624845000", with: "624845001")
        try Data(edited.utf8).write(to: URL(fileURLWithPath: file))
        let (editedStatus, editedOutput) = try python([script, file])
        #expect(editedStatus != 0)
        #expect(editedOutput.contains("line 1"), "\(editedOutput)")
    }
}

