import Crypto
import EventLog
import Foundation
import LMDB
import Testing

/// The formats, pinned: `Tests/Fixtures/golden/` holds a small store written by
/// `make.sh` (every kind of event, fixed ids and clock), its export and its head hash.
/// The store is of format 1 (people's names in the clear, before they were sealed): it
/// must still verify, tell every other command to migrate it, and migrate into a store
/// whose internal export is the golden one, file for file, but for the events (their
/// names now sealed) and the manifest. Today's program must record the same history
/// again, to the same figures and names. Each of the seven ways the verification reports a
/// failure is triggered by a record crafted from the documented layout (README, "Event
/// record and hash chain"), written with LMDB alone. Changes to how the ledger stores
/// or folds its read models must leave all of this as it is.
@Suite("The golden store", .serialized)
struct GoldenStoreTests {
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures/golden")
    /// The day make.sh fixed the clock to: a re-export must name the same instant.
    static let today = "2024-12-31"

    static func ansinh(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProcess(ansinhExecutable.path, arguments, environment: ["ANSINH_TEST_TODAY": today], timeLimit: 120)
    }

    /// A copy of the golden store in a temporary folder (opening a store writes its
    /// lock file, and an export records its position: the fixture stays untouched).
    static func copy() throws -> TemporaryPath {
        let folder = TemporaryPath("golden")
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        for name in ["data.mdb", "store-id"] {
            try FileManager.default.copyItem(
                atPath: fixtures.appendingPathComponent("store/" + name).path, toPath: folder.path + "/" + name)
        }
        return folder
    }

    /// Every file of an export folder, by name; not the Merkle tree's tiles (tile/), which
    /// hash the events, whose bytes depend on how names are sealed.
    static func files(in folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name != "tile" {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return files
    }

    /// Files whose bytes depend on how names are sealed (the events, under keys drawn at
    /// random) or on the export itself (the manifest).
    static let sealedOrOwn: Set<String> = ["events.jsonl", "manifest.json"]

    /// With `shifted`, the files are a migrated store's, whose positions are one later
    /// (its first event records the old head): those naming positions are compared with
    /// each position taken back by one, the others byte for byte.
    static func expectSameExport(_ folder: String, _ label: String, except: Set<String> = [], shifted: Bool = false) throws {
        let expected = try files(in: fixtures.appendingPathComponent("export").path)
        var found = try files(in: folder)
        // Exports since version 4 add each event's public form (it names each event's hash,
        // which depends on how names are sealed); the golden export predates it.
        #expect(found.removeValue(forKey: "public-events.jsonl") != nil, "\(label): no public-events.jsonl")
        #expect(found.keys.sorted() == expected.keys.sorted(), "\(label): the files differ")
        for (name, bytes) in expected.sorted(by: { $0.key < $1.key }) where !except.contains(name) {
            guard shifted, let migrated = found[name], migrated != bytes else {
                #expect(found[name] == bytes, "\(label): \(name) is not byte for byte the golden one")
                continue
            }
            #expect(try positionsTakenBack(migrated, name: name) == bytes, "\(label): \(name) differs beyond its positions")
        }
    }

    /// A file of a migrated store's export with every position (`position`,
    /// `reversesPosition`, in JSON or as a CSV column) one less, in the same form.
    static func positionsTakenBack(_ data: Data, name: String) throws -> Data {
        let text = String(decoding: data, as: UTF8.self)
        if name.hasSuffix(".json") {
            // The export writes JSON one member a line: `"position": N`.
            let pattern = try NSRegularExpression(pattern: #"("(?:position|reversesPosition)": )([0-9]+)"#)
            var result = text
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
                let number = Int(text[Range(match.range(at: 2), in: text)!])!
                result.replaceSubrange(Range(match.range(at: 2), in: result)!, with: String(number - 1))
            }
            return Data(result.utf8)
        }
        let lineEnd = text.contains("\r\n") ? "\r\n" : "\n"  // CSV ends its lines with CR LF
        var lines = text.components(separatedBy: lineEnd)
        let header = lines[0].components(separatedBy: ",")
        let columns = header.indices.filter { ["position", "reversesPosition"].contains(header[$0]) }
        for index in lines.indices.dropFirst() where !lines[index].isEmpty {
            var cells = lines[index].components(separatedBy: ",")
            for column in columns where column < cells.count {
                if let number = Int(cells[column]) { cells[column] = String(number - 1) }
            }
            lines[index] = cells.joined(separator: ",")
        }
        return Data(lines.joined(separator: lineEnd).utf8)
    }

    static var headHash: String {
        get throws {
            try String(contentsOf: fixtures.appendingPathComponent("head-hash.txt"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test("the golden store (format 1) verifies, has its head hash, is refused elsewhere, and migrates to the same figures and names")
    func reexport() throws {
        let store = try Self.copy()
        var run = try Self.ansinh(["audit", "verify", "--store", store.path])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains(try Self.headHash), "\(run.output)")
        run = try Self.ansinh(["status", "--format", "json", "--store", store.path])
        let status = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
        #expect(status?["headPosition"] as? Int == 20)
        #expect(status?["headHash"] as? String == (try Self.headHash))
        let log = try EventLog(path: store.path, options: Self.readOnly)
        let report = try log.verify()
        #expect(report.isValid && report.eventsChecked == 20, "\(String(describing: report.failure))")
        #expect(report.head.hash.hex == (try Self.headHash))
        #expect(status?["storeFormat"] as? Int == 1)
        run = try Self.ansinh(["status", "--store", store.path])
        #expect(run.output.contains("Names:       in the clear (store format 1); migrate: ansinh migrate --from \(store.path) --to NEW-FOLDER\n"))
        let export = TemporaryPath("golden-export")
        run = try Self.ansinh(["export", "--out", export.path, "--store", store.path])
        #expect(run.status == 74, "\(run.output)")
        #expect(run.output.contains("ansinh migrate --from \(store.path) --to"), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: export.path))

        let migrated = TemporaryPath("golden-migrated")
        run = try Self.ansinh(["migrate", "--from", store.path, "--to", migrated.path])
        #expect(run.status == 0, "\(run.output)")
        let headHash = try Self.headHash
        #expect(run.output.contains("Migrated 20 events") && run.output.contains(headHash), "\(run.output)")
        run = try Self.ansinh(["export", "--internal", "--out", export.path, "--store", migrated.path])
        #expect(run.status == 0, "\(run.output)")
        try Self.expectSameExport(export.path, "internal export of the migrated golden store", except: Self.sealedOrOwn, shifted: true)
        run = try Self.ansinh(["audit", "verify", "--store", migrated.path])
        #expect(run.status == 0, "\(run.output)")
        let people = try Self.ansinh(["people", "--format", "json", "--store", migrated.path]).output
        let subjects = (try JSONSerialization.jsonObject(with: Data(people.utf8)) as? [Any])?.count ?? -1
        run = try Self.ansinh(["status", "--store", migrated.path])
        #expect(
            subjects > 0 && run.output.contains("Names:       sealed under each person's key (store format 2); \(subjects) people, 0 erased\n"),
            "\(run.output)")
        // Every old event one position later, with its id and its instant; the first records the old head.
        let lines = try String(contentsOfFile: export.path + "/events.jsonl", encoding: .utf8).split(separator: "\n")
        let golden = try String(contentsOfFile: Self.fixtures.appendingPathComponent("export/events.jsonl").path, encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count == golden.count + 1)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(first?["type"] as? String == "StoreMigrated")
        #expect((first?["data"] as? [String: Any])?["headHash"] as? String == (try Self.headHash))
        for (old, new) in zip(golden, lines.dropFirst()) {
            let before = try JSONSerialization.jsonObject(with: Data(old.utf8)) as? [String: Any]
            let after = try JSONSerialization.jsonObject(with: Data(new.utf8)) as? [String: Any]
            for field in ["eventId", "type", "recordedAt", "recordedBy"] {
                #expect(before?[field] as? String == after?[field] as? String, "\(field) of \(old)")
            }
            #expect((before?["position"] as? Int).map { $0 + 1 } == after?["position"] as? Int)
        }
    }

    @Test("today's program records the golden history again, to the same bytes and hashes")
    func recordAgain() throws {
        let work = TemporaryPath("golden-again")
        try FileManager.default.createDirectory(atPath: work.path, withIntermediateDirectories: true)
        let (status, output) = try runProcess(
            "/bin/bash", [Self.fixtures.appendingPathComponent("make.sh").path, ansinhExecutable.path, work.path + "/store", work.path + "/export"],
            timeLimit: 300)
        #expect(status == 0, "\(output)")
        try Self.expectSameExport(work.path + "/export", "the history recorded again", except: Self.sealedOrOwn)
    }

    @Test("the golden export passes the independent checker, and its chain ends at the head hash")
    func independentChecker() throws {
        let export = Self.fixtures.appendingPathComponent("export").path
        let (status, output) = try python([packageRoot.appendingPathComponent("tools/verify-export.py").path, export])
        #expect(status == 0, "\(output)")
        let lines = try String(contentsOfFile: export + "/events.jsonl", encoding: .utf8).split(separator: "\n")
        let last = try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any]
        #expect(last?["hash"] as? String == (try Self.headHash))
    }

    static var readOnly: EventLog.Options {
        var options = EventLog.Options()
        options.createIfMissing = false
        options.environment.readOnly = true
        return options
    }

    // MARK: The seven failures

    /// A stored record, split by the documented layout.
    struct Record {
        var bytes: [UInt8]
        static let positionOffset = 32
        static let eventIdOffset = 40

        var eventId: [UInt8] { Array(bytes[Self.eventIdOffset..<Self.eventIdOffset + 16]) }
        /// Offset and length of the variable fields, after the 78 fixed bytes.
        var dataRange: Range<Int> {
            var offset = 32 + 8 + 16 + 8 + 8 + 4
            for _ in 0..<3 {  // type, stream, recordedBy: u16 length ‖ UTF-8
                offset += 2 + Int(bytes[offset]) << 8 + Int(bytes[offset + 1])
            }
            let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 + Int($1) }
            return offset + 4..<offset + 4 + length
        }

        /// Replaces the data (fixing its length) and stores a correct hash of the result.
        mutating func replaceData(with data: [UInt8]) {
            let range = dataRange
            let length = UInt32(data.count)
            bytes = Array(bytes[..<(range.lowerBound - 4)]) + withUnsafeBytes(of: length.bigEndian) { Array($0) } + data
            bytes += Array(SHA256.hash(data: bytes))
        }
    }

    /// Copies the golden store, lets `craft` change it with LMDB alone, and returns what
    /// the verification reports.
    static func verifyAfter(_ craft: (WriteTransaction, Database) throws -> Void) throws
        -> (failure: VerificationFailure?, cli: (status: Int32, output: String))
    {
        let store = try copy()
        do {
            let environment = try Environment(path: store.path)
            try environment.write { transaction in
                try craft(transaction, try transaction.openDatabase("events", flags: .integerKey))
            }
        }
        let failure = try EventLog(path: store.path, options: readOnly).verify().failure
        return (failure, try ansinh(["audit", "verify", "--store", store.path]))
    }

    static func record(_ transaction: WriteTransaction, _ events: Database, at position: UInt64) throws -> Record {
        Record(bytes: Array(try #require(try transaction.get(events, position))))
    }

    @Test("each of the seven ways verification fails is reported, at its position, by the log and by `audit verify`")
    func sevenFailures() throws {
        let position: UInt64 = 6
        let cases: [(name: String, craft: (WriteTransaction, Database) throws -> Void, matches: (VerificationFailure.Problem) -> Bool)] = [
            ("missingPosition", { transaction, events in
                try transaction.delete(events, key: position)
            }, { if case .missingPosition(found: 7) = $0 { true } else { false } }),
            ("malformedRecord", { transaction, events in
                let record = try Self.record(transaction, events, at: position)
                try transaction.put(events, key: position, value: Array(record.bytes.prefix(60)))
            }, { if case .malformedRecord = $0 { true } else { false } }),
            ("positionMismatch", { transaction, events in
                var record = try Self.record(transaction, events, at: position)
                record.bytes[Record.positionOffset + 7] = 9
                try transaction.put(events, key: position, value: record.bytes)
            }, { if case .positionMismatch(recorded: 9) = $0 { true } else { false } }),
            ("chainBroken", { transaction, events in
                var record = try Self.record(transaction, events, at: position)
                record.bytes[0] ^= 0x01
                try transaction.put(events, key: position, value: record.bytes)
            }, { if case .chainBroken = $0 { true } else { false } }),
            ("hashMismatch", { transaction, events in
                var record = try Self.record(transaction, events, at: position)
                let data = record.dataRange
                record.bytes[data.upperBound - 1] ^= 0x01
                try transaction.put(events, key: position, value: record.bytes)
            }, { if case .hashMismatch = $0 { true } else { false } }),
            ("dataNotCanonical", { transaction, events in
                // 5 as CBOR with a one-byte argument (0x18 0x05) where the shortest form is
                // 0x05, under a correct hash: only canonical-form checking catches it.
                var record = try Self.record(transaction, events, at: position)
                record.replaceData(with: [0xa1, 0x61, 0x61, 0x18, 0x05])
                try transaction.put(events, key: position, value: record.bytes)
            }, { if case .dataNotCanonical = $0 { true } else { false } }),
            ("indexMismatch", { transaction, events in
                let record = try Self.record(transaction, events, at: position)
                let eventIds = try transaction.openDatabase("event-ids")
                let elsewhere: UInt64 = 5
                try transaction.put(eventIds, key: record.eventId, value: elsewhere)
            }, { if case .indexMismatch = $0 { true } else { false } }),
        ]
        for (name, craft, matches) in cases {
            let (failure, cli) = try Self.verifyAfter(craft)
            #expect(failure?.position == position, "\(name): \(String(describing: failure))")
            #expect(failure.map { matches($0.problem) } == true, "\(name): \(String(describing: failure))")
            #expect(cli.status == 1, "\(name): \(cli.status) \(cli.output)")
            #expect(cli.output.contains("position \(position)"), "\(name): \(cli.output)")
        }
    }

    /// The indexes are checked by scanning them whole (an order-independent digest of
    /// each), not by a look-up per event: these hold that every way an index can be
    /// wrong is still found, and named at the first position at fault.
    @Test("a wrong, missing, swapped or extra index entry is found and named, even before a later break of the chain")
    func indexFailures() throws {
        let cases: [(name: String, position: UInt64, craft: (WriteTransaction, Database) throws -> Void, detail: String)] = [
            ("stream entry redirected", 6, { transaction, events in
                let streams = try transaction.openDatabase("streams")
                let key = try transaction.withCursor(streams) { cursor in
                    var entry = try cursor.first()
                    while let current = entry, current.value.loadNativeUInt64() != 6 { entry = try cursor.next() }
                    return entry.map { Array($0.key) }
                }
                try transaction.put(streams, key: try #require(key), value: UInt64(2))
            }, "points to 2"),
            ("event-id entry deleted", 6, { transaction, events in
                let record = try Self.record(transaction, events, at: 6)
                try transaction.delete(try transaction.openDatabase("event-ids"), key: record.eventId)
            }, "points to nothing"),
            ("event-id entries of two events swapped", 4, { transaction, events in
                let ids = try transaction.openDatabase("event-ids")
                let four = try Self.record(transaction, events, at: 4)
                let six = try Self.record(transaction, events, at: 6)
                try transaction.put(ids, key: four.eventId, value: UInt64(6))
                try transaction.put(ids, key: six.eventId, value: UInt64(4))
            }, "points to 6"),
            ("an event-id entry for no event", 0, { transaction, _ in
                try transaction.put(try transaction.openDatabase("event-ids"), key: Array(repeating: UInt8(7), count: 16), value: UInt64(3))
            }, "event-id entries"),
            ("an index entry wrong before a later break of the chain", 5, { transaction, events in
                let record = try Self.record(transaction, events, at: 5)
                try transaction.put(try transaction.openDatabase("event-ids"), key: record.eventId, value: UInt64(1))
                var later = try Self.record(transaction, events, at: 9)
                later.bytes[0] ^= 0x01
                try transaction.put(events, key: UInt64(9), value: later.bytes)
            }, "points to 1"),
        ]
        for (name, position, craft, detail) in cases {
            let (failure, cli) = try Self.verifyAfter(craft)
            guard let failure, case .indexMismatch(let reason) = failure.problem else {
                Issue.record("\(name): \(String(describing: failure))")
                continue
            }
            #expect(reason.contains(detail), "\(name): \(reason)")
            if position > 0 {
                #expect(failure.position == position, "\(name): \(failure)")
            }
            #expect(cli.status == 1, "\(name): \(cli.status) \(cli.output)")
            #expect(cli.output.contains("index disagrees"), "\(name): \(cli.output)")
        }
    }
}
