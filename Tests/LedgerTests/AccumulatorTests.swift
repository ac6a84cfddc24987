import EventLog
import Foundation
@testable import Ledger
import Testing

/// A projection that only opens a table, for driving accumulators by hand.
private struct TableHolder: InlineProjection {
    let name = "accumulator-test"
    let tables: [Table]
    var table: Table { tables[0] }

    init(_ setup: ProjectionSetup) throws { tables = try (0..<6).map { try setup.table("accumulator-test.rows-\($0)") } }

    func apply(_ event: RecordedEventView, in context: ProjectionContext) throws {}
    func removeAll(in tables: Tables) throws { for table in self.tables { try tables.removeAll(table) } }
}

/// The accumulators found by dense ids (``NumberedRowCache``) against a plain dictionary
/// of key bytes: random changes of rows of every kind of key (single ids below and
/// beyond the array's reach, pairs, days before 1970; one kind to a table, as the read
/// models keep them), over several transactions, some rolled back, flushed now and then within one; after each, every
/// table holds exactly the reference's rows, in its order.
@Suite("Accumulators by dense ids")
struct AccumulatorTests {
    @Test("a numbered accumulator writes what a dictionary of keys would, across transactions and rollbacks", arguments: [1, 0xACC] as [UInt64])
    func matchesReference(seed: UInt64) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-accumulators-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var holder: TableHolder?
        let log = try EventLog(path: path, options: EventLog.Options()) { setup in
            holder = try TableHolder(setup)
            return [holder!]
        }
        let tables = holder!.tables
        let entities = LedgerEntities()
        var random = PropertyTests.Generator(state: seed)
        // Enough members that their numbers pass the array's reach (65 536).
        let members = (0..<70_000).map { "m\($0)" }
        let funds = ["f-ngheo", "f-hoc", "f-tri-an"]
        /// A key of the kind table `kind` holds.
        func someKey(_ kind: Int) -> EntityKey {
            switch kind {
            case 0: return .fund(funds[Int(random.next() % 3)])
            case 1: return .fundDay(funds[Int(random.next() % 3)], LocalDate(dayNumber: Int32(Int(random.next() % 800) - 400)))
            case 2: return .member(members[Int(random.next() % UInt64(members.count))])
            case 3: return .modelMember(model: "mo\(random.next() % 4)", member: members[Int(random.next() % 300)])
            case 4: return .modelCell(model: "mo\(random.next() % 4)", cell: "Chi bộ \(random.next() % 9)")
            default: return .type(EventType.allCases[Int(random.next() % UInt64(EventType.allCases.count))])
            }
        }
        // Numbers the whole member list first, as a long-lived writer would have.
        for member in members { _ = EntityKey.member(member).number(in: entities) }

        var reference = [[[UInt8]: Int64]](repeating: [:], count: tables.count)
        struct RolledBack: Error {}
        for transaction in 0..<12 {
            let rollBack = transaction % 4 == 3
            var changed = reference
            do {
                try log.write(actor: "test") { writer in
                    let caches = tables.map { NumberedRowCache<Int64>($0, entities) }
                    let transaction = writer.tables
                    for _ in 0..<6_000 {
                        let kind = Int(random.next() % UInt64(tables.count))
                        let key = someKey(kind)
                        let cache = caches[kind]
                        let bytes = key.bytes()
                        // A scan in the middle of a transaction flushes, and the cache refills.
                        if random.next() % 500 == 0 { try cache.flush(into: transaction) }
                        switch random.next() % 4 {
                        case 0:
                            let value = Int64(random.next() % 1_000)
                            cache.set(value, key)
                            changed[kind][bytes] = value
                        case 1:
                            #expect(try cache.row(key, in: transaction) == changed[kind][bytes], "row of \(key)")
                        case 2:
                            try cache.modify(key, in: transaction) { row in row = nil }
                            changed[kind][bytes] = nil
                        default:
                            let seen = try cache.modify(key, in: transaction) { row -> Int64? in
                                let before = row
                                row = (row ?? 0) + 7
                                return before
                            }
                            #expect(seen == changed[kind][bytes], "modified row of \(key)")
                            changed[kind][bytes] = (changed[kind][bytes] ?? 0) + 7
                        }
                    }
                    for cache in caches { try cache.flush(into: transaction) }
                    if rollBack { throw RolledBack() }
                }
                reference = changed
            } catch is RolledBack {
                #expect(rollBack)
            }
            for (kind, table) in tables.enumerated() {
                let stored = try log.read { reader in
                    try reader.tables.withCursor(table) { cursor in
                        var rows: [([UInt8], Int64)] = []
                        var entry = try cursor.first()
                        while let current = entry {
                            let value = try Int64(rowBytes: try Seal.opened(current.value, key: current.key, in: table))
                            rows.append((Array(current.key), value))
                            entry = try cursor.next()
                        }
                        return rows
                    }
                }
                let expected = reference[kind].sorted { RowKey.less($0.key, $1.key) }
                #expect(!expected.isEmpty)
                #expect(stored.map(\.0) == expected.map(\.key), "keys of table \(kind) after transaction \(transaction)")
                #expect(stored.map(\.1) == expected.map(\.value), "values of table \(kind) after transaction \(transaction)")
            }
        }
        #expect(entities.members.count == members.count)
        #expect(entities.funds.count == funds.count)
    }

    @Test("rows after the table's last key are appended, and rows before it still land in their place")
    func appendsAfterTheLastKey() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-append-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var holder: TableHolder?
        let log = try EventLog(path: path, options: EventLog.Options()) { setup in
            holder = try TableHolder(setup)
            return [holder!]
        }
        let table = holder!.table
        let key = { (name: String) in Array(name.utf8) }
        try log.write(actor: "test") { writer in
            try writer.tables.putInOrder(table, [(key("b"), Int64(1)), (key("d"), Int64(2))])
        }
        // "a" and "c" fall before the last key; "c" is deleted again; "e" and "f" come after it.
        try log.write(actor: "test") { writer in
            try writer.tables.putInOrder(
                table, [(key("a"), Int64(3)), (key("b"), nil), (key("c"), Int64(4)), (key("e"), Int64(5)), (key("f"), Int64(6))])
        }
        let rows = try log.read { reader in
            try reader.tables.withCursor(table) { cursor in
                var rows: [String] = []
                var entry = try cursor.first()
                while let current = entry {
                    let value = try Int64(rowBytes: try Seal.opened(current.value, key: current.key, in: table))
                    rows.append("\(String(decoding: current.key, as: UTF8.self))=\(value)")
                    entry = try cursor.next()
                }
                return rows
            }
        }
        #expect(rows == ["a=3", "c=4", "d=2", "e=5", "f=6"])
    }
}
