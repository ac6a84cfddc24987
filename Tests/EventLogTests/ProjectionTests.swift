import EventLog
import Foundation
import Testing

/// Counts events per type and sums the `n` field of each: a small read model.
struct TypeCounter: InlineProjection {
    let name = "type-counter"
    let counts: Table

    init(_ setup: ProjectionSetup) throws {
        counts = try setup.table("test-type-counts")
    }

    func apply(_ event: RecordedEventView, in context: ProjectionContext) throws {
        let tables = context.tables
        let type = event.type
        var current = try tables.get(counts, type).map(Self.number) ?? 0
        current += 1
        try tables.put(counts, key: type, value: withUnsafeBytes(of: current.bigEndian) { Array($0) })
    }

    func removeAll(in tables: Tables) throws {
        try tables.removeAll(counts)
    }

    static func number(_ bytes: UnsafeRawBufferPointer) -> UInt64 { UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)) }

    static func count(_ type: String, in reader: LogReader, _ table: Table) throws -> UInt64 {
        try reader.tables.get(table, type).map(number) ?? 0
    }
}

@Suite("Projections")
struct ProjectionTests {
    @Test("an inline projection commits with the events, and sees earlier appends of its transaction")
    func inlineProjection() throws {
        let folder = TemporaryFolder()
        var counter: TypeCounter?
        let log = try openLog(folder, projections: { setup throws in
            counter = try TypeCounter(setup)
            return [counter!]
        })
        let counts = counter!.counts
        try log.write(actor: "a") { writer throws in
            try writer.append([sampleEvent(1, type: "A"), sampleEvent(2, type: "B")], to: "s")
            #expect(try TypeCounter.count("A", in: writer.reader, counts) == 1)
            try writer.append([sampleEvent(3, type: "A")], to: "s")
            #expect(try TypeCounter.count("A", in: writer.reader, counts) == 2)
        }
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try log.write(actor: "a") { writer throws in
                try writer.append([sampleEvent(4, type: "A")], to: "s")
                throw Refused()
            }
        }
        try log.read { reader throws in
            #expect(try TypeCounter.count("A", in: reader, counts) == 2)
            #expect(try TypeCounter.count("B", in: reader, counts) == 1)
            #expect(try reader.checkpoint(named: "type-counter") == 3)
        }
    }

    @Test("rebuilding from position 1 gives byte-identical projection databases")
    func rebuildIsByteIdentical() throws {
        let folder = TemporaryFolder()
        var counter: TypeCounter?
        let log = try openLog(folder, projections: { setup throws in
            counter = try TypeCounter(setup)
            return [counter!]
        })
        for number in 0..<300 {
            try log.append([sampleEvent(number, type: "T\(number % 7)")], to: "s\(number % 3)", actor: "a")
        }
        let counts = counter!.counts
        let before = try log.read { try dump(counts, in: $0.tables) }
        var reported: [(UInt64, UInt64)] = []
        try log.rebuildProjections { reported.append(($0, $1)) }
        let after = try log.read { try dump(counts, in: $0.tables) }
        #expect(before == after)
        #expect(before.count == 7)
        #expect(reported.last.map { [$0.0, $0.1] } == [300, 300])
        #expect(try log.read { try $0.checkpoint(named: "type-counter") } == 300)
    }

    @Test("a projection added to an existing store is caught up when the store opens")
    func lateProjectionCatchesUp() throws {
        let folder = TemporaryFolder()
        do {
            let log = try openLog(folder)
            try log.append((0..<25).map { sampleEvent($0, type: "X") }, to: "s", actor: "a")
        }
        var counter: TypeCounter?
        let log = try openLog(folder, projections: { setup throws in
            counter = try TypeCounter(setup)
            return [counter!]
        })
        let counts = counter!.counts
        #expect(try log.read { try TypeCounter.count("X", in: $0, counts) } == 25)
        #expect(try log.read { try $0.checkpoint(named: "type-counter") } == 25)
    }

    @Test("a reader outside the write path catches up from its stored checkpoint")
    func catchUpSubscriber() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append((1...25).map { sampleEvent($0) }, to: "s", actor: "a")
        var seen: [UInt64] = []
        #expect(try log.catchUp(checkpoint: "exporter", batchEventCountMax: 10) { seen.append($0.position) } == 25)
        #expect(seen == Array(1...25))
        try log.append((26...30).map { sampleEvent($0) }, to: "s", actor: "a")
        seen.removeAll()
        try log.catchUp(checkpoint: "exporter") { seen.append($0.position) }
        #expect(seen == Array(26...30))
        #expect(try log.read { try $0.checkpoint(named: "exporter") } == 30)
    }
}
