import Crypto
@testable import EventLog
import Foundation
import LMDB
@testable import Ledger
import LedgerTools
import Testing

/// What someone with write access to the store's files can do, short of the ward's
/// signing key: rewrite stored events with correct record hashes, or cut the log, and
/// build the Merkle tree of what is left again, so that the store agrees with itself.
enum Forger {
    /// Builds the tree of the log as it now stands, as a forger would.
    static func rebuildTree(_ ledger: Ledger, in transaction: WriteTransaction) throws {
        let tree = ledger.log.databases.tree!
        try transaction.removeAll(tree)
        let reader = LogReader(transaction: transaction, databases: ledger.log.databases)
        try TreeAppender(transaction: transaction, tree: tree).catchUp(through: try reader.head().position, reader: reader)
    }

    /// Replaces the data of the event at `position` with `change(data)` and re-hashes
    /// it. With `rechain`, every later event is re-hashed too, so the whole chain is
    /// valid again; without, the next event's `prevHash` no longer matches.
    static func rewrite(_ ledger: Ledger, at position: UInt64, rechain: Bool, change: (inout Payload) -> Void) throws {
        try ledger.log.environment.write { transaction in
            let events = try transaction.openDatabase("events", flags: .integerKey)
            let reader = LogReader(transaction: transaction, databases: ledger.log.databases)
            let head = try reader.head().position
            var previous = try position == 1 ? ChainHash.genesis : reader.event(at: position - 1)!.hash
            var record: [UInt8] = []
            for current in position...(rechain ? head : position) {
                let event = try reader.event(at: current)!.copy()
                var data = event.data
                if current == position {
                    var payload = try Payload(canonicalBytes: data)
                    change(&payload)
                    data = payload.canonicalBytes()
                }
                previous = EventRecord.encode(
                    into: &record, prevHash: rechain || current == position ? previous : event.prevHash, position: current,
                    eventId: event.eventId, recordedAt: event.recordedAt, streamVersion: event.streamVersion,
                    schemaVersion: event.schemaVersion, type: Array(event.type.utf8), stream: Array(event.stream.utf8),
                    recordedBy: Array(event.recordedBy.utf8), data: data)
                try transaction.put(events, key: current, value: record)
            }
            try rebuildTree(ledger, in: transaction)
        }
    }

    /// Deletes every event after `position`, with its index entries: the log that is
    /// left is a valid chain.
    static func cut(_ ledger: Ledger, after position: UInt64) throws {
        try ledger.log.environment.write { transaction in
            let databases = ledger.log.databases
            let reader = LogReader(transaction: transaction, databases: databases)
            let head = try reader.head().position
            for current in (position + 1...head).reversed() {
                let event = try reader.event(at: current)!.copy()
                _ = try transaction.delete(databases.events, key: current)
                _ = try transaction.delete(databases.eventIds, key: withUnsafeBytes(of: event.eventId.uuid) { Array($0) })
                var streamKey = Array(event.stream.utf8)
                streamKey.append(0)
                EventRecord.appendBigEndian(event.streamVersion, to: &streamKey)
                _ = try transaction.delete(databases.streams, key: streamKey)
            }
            try rebuildTree(ledger, in: transaction)
        }
    }

    /// Sets the first integer member named `field` found in the payload (depth first).
    static func set(_ field: String, to value: Int64) -> (inout Payload) -> Void {
        { payload in
            guard case .object(var members) = payload, members[field] != nil else { return }
            members[field] = .integer(value)
            payload = .object(members)
        }
    }
}

@Suite("Tampering with the store", .serialized)
struct TamperingTests {
    /// The position of the first stored disbursement in the demo ward.
    static func firstDisbursement(_ ledger: Ledger) throws -> UInt64 {
        try ledger.readLog { reader in
            var found: UInt64 = 0
            try reader.forEachEvent { event in
                if found == 0, event.type == "DisbursementMade" { found = event.position }
            }
            return found
        }
    }

    @Test("a changed amount, re-hashed without re-chaining, breaks the chain at the next event")
    func rehashedWithoutChain() throws {
        let folder = TemporaryPath("tamper")
        let ledger = try demoLedger(folder)
        let position = try Self.firstDisbursement(ledger)
        try Forger.rewrite(ledger, at: position, rechain: false, change: Forger.set("amount", to: 1_000))
        let report = try Auditor.audit(ledger, scratchFolder: TemporaryPath("scratch").path)
        guard case .chain(let failure) = report.problem else {
            Issue.record("expected a broken chain, got \(String(describing: report.problem))")
            return
        }
        #expect(failure.position == position + 1)
        #expect("\(failure)".contains("chain broken"))
    }

    @Test("a close of the books whose figures were changed, chain and projections recomputed, fails the audit at its position")
    func forgedCloseFigures() throws {
        let folder = TemporaryPath("tamper")
        let ledger = try demoLedger(folder)
        let close = try ledger.closePeriod(through: LocalDate("2024-06-30")!, decision: "Quyết định 05/QĐ-MTTQ", actor: "lan")
        #expect(try Auditor.audit(ledger, scratchFolder: TemporaryPath("scratch").path).isValid)
        try Forger.rewrite(ledger, at: close.position, rechain: true) { payload in
            guard case .object(var members) = payload, case .array(var funds) = members["funds"], case .object(var first) = funds[0]
            else { return }
            first["balance"] = .integer(1)
            funds[0] = .object(first)
            members["funds"] = .array(funds)
            payload = .object(members)
        }
        try ledger.rebuildProjections()
        #expect(try ledger.log.verify().isValid, "the forged chain is valid on its own")
        let report = try Auditor.audit(ledger, scratchFolder: TemporaryPath("scratch").path)
        guard case .ruleBroken(let position, let type, let reason) = report.problem else {
            Issue.record("expected the close's figures to be recomputed and found wrong, got \(String(describing: report.problem))")
            return
        }
        #expect(position == close.position && type == "PeriodClosed")
        #expect(reason.contains("does not match the books") && reason.contains("balance 1 đ"), "\(reason)")
    }

    @Test("a changed amount with the whole chain recomputed shows as projection drift, and against a published manifest")
    func rechained() throws {
        let folder = TemporaryPath("tamper")
        let ledger = try demoLedger(folder)
        let published = TemporaryPath("published")
        let key = Curve25519SigningKeyForTests.make()
        try Exporter.export(ledger, to: published.path, signingKey: key.privateKey)
        let position = try Self.firstDisbursement(ledger)
        try Forger.rewrite(ledger, at: position, rechain: true, change: Forger.set("amount", to: 1_000))
        #expect(try ledger.log.verify().isValid, "the forged chain is valid on its own")
        var report = try Auditor.audit(ledger, scratchFolder: TemporaryPath("scratch").path)
        guard case .projectionDrift = report.problem else {
            Issue.record("expected drift between the stored projections and a replay, got \(String(describing: report.problem))")
            return
        }
        // A forger who also refolds the projections leaves a store consistent with itself:
        // only a head published before the edit shows it.
        try ledger.rebuildProjections()
        report = try Auditor.audit(ledger, scratchFolder: TemporaryPath("scratch").path)
        #expect(report.isValid, "the limit of a self-contained audit: \(String(describing: report.problem))")
        let manifest = try PublishedManifest(path: published.path, trustedKey: key.privateKey.publicKey)
        #expect(manifest.signatureChecked)
        report = try Auditor.audit(ledger, scratchFolder: TemporaryPath("scratch").path, published: [manifest])
        guard case .publishedHashDiffers(_, let at, _, _) = report.problem else {
            Issue.record("expected the published head's hash to differ, got \(String(describing: report.problem))")
            return
        }
        #expect(at == 2_292)
        #expect("\(report.problem!)".contains("history was rewritten"))
    }

    @Test("a deleted tail of events leaves a valid chain, and is found against a published manifest")
    func deletedTail() throws {
        let folder = TemporaryPath("tamper")
        let ledger = try demoLedger(folder)
        let published = TemporaryPath("published")
        try Exporter.export(ledger, to: published.path)
        try Forger.cut(ledger, after: 2_200)
        try ledger.rebuildProjections()
        var report = try Auditor.audit(ledger, scratchFolder: TemporaryPath("scratch").path)
        #expect(report.isValid, "\(String(describing: report.problem))")
        #expect(report.head.position == 2_200)
        report = try Auditor.audit(
            ledger, scratchFolder: TemporaryPath("scratch").path,
            published: [try PublishedManifest(path: published.path + "/manifest.json", trustedKey: nil)])
        #expect(report.problem == .publishedHeadMissing(manifest: published.path + "/manifest.json", position: 2_292, head: 2_200))
        #expect("\(report.problem!)".contains("events were removed"))
    }

    @Test("a published manifest is refused when unsigned, edited after signing, or signed by another key")
    func manifestSignature() throws {
        let folder = TemporaryPath("tamper")
        let ledger = try demoLedger(folder)
        let key = Curve25519SigningKeyForTests.make()
        let signed = TemporaryPath("signed")
        let unsigned = TemporaryPath("unsigned")
        try Exporter.export(ledger, to: signed.path, signingKey: key.privateKey)
        try Exporter.export(ledger, to: unsigned.path)
        #expect(try PublishedManifest(path: signed.path, trustedKey: key.privateKey.publicKey).signatureChecked)
        #expect(!(try PublishedManifest(path: unsigned.path, trustedKey: nil).signatureChecked))
        #expect(throws: ManifestError.self) { try PublishedManifest(path: unsigned.path, trustedKey: key.privateKey.publicKey) }
        #expect(throws: ManifestError.self) {
            try PublishedManifest(path: signed.path, trustedKey: Curve25519SigningKeyForTests.make().privateKey.publicKey)
        }
        // A forger moves the published head back, to match a cut log.
        let file = signed.path + "/manifest.json"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "\"headPosition\" : 2292", with: "\"headPosition\" : 2200").utf8)
            .write(to: URL(fileURLWithPath: file))
        #expect(try String(contentsOfFile: file, encoding: .utf8) != text)
        #expect(throws: ManifestError.self) { try PublishedManifest(path: signed.path, trustedKey: key.privateKey.publicKey) }
        #expect(throws: ManifestError.self) { try PublishedManifest(path: TemporaryPath("none").path, trustedKey: nil) }
    }
}

@Suite("Partial writes")
struct PartialWriteTests {
    @Test("partial exports left by killed processes are removed by the next export to the folder; a live one is kept")
    func abandonedPartials() throws {
        let folder = TemporaryPath("partials")
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        let ledger = try Ledger(path: folder.path + "/store")
        // A process id no process has: past the kernel's largest.
        let abandoned = folder.path + "/.export.partial-2147483646-0badf00d"
        let live = folder.path + "/.export.partial-\(getpid())-0000beef"
        let other = folder.path + "/.other.partial-2147483646-0badf00d"
        let notOurs = folder.path + "/.notes.partial-12"
        for path in [abandoned, live, other, notOurs] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        try Exporter.export(ledger, to: folder.path + "/export")
        #expect(!FileManager.default.fileExists(atPath: abandoned), "the killed process's partial export is gone")
        #expect(FileManager.default.fileExists(atPath: live), "a running process's partial export is left alone")
        #expect(!FileManager.default.fileExists(atPath: other), "a killed process's partial of another target is gone too")
        #expect(FileManager.default.fileExists(atPath: notOurs), "names ansinh does not write are left alone")
        #expect(FileManager.default.fileExists(atPath: folder.path + "/export/manifest.json"))
    }
}
