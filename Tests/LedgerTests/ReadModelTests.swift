@testable import EventLog
import Foundation
@testable import Ledger
import TestSupport
import Testing

/// The read models, one fold each: rebuilt alone, in bounded transactions, resumed
/// after an interruption, and refolded alone when their layout changes.
@Suite("Read models")
struct ReadModelTests {
    /// The demo ward (2 292 events, with reversals) in a temporary store.
    static func demoStore() throws -> TemporaryLedger {
        let store = try TemporaryLedger()
        for name in ["nui-sam-2024.jsonl", "piggybank-2024.jsonl"] {
            let lines = try Data(contentsOf: packageRoot.appendingPathComponent("Sources/ansinh/Demo/" + name))
            _ = try store.ledger.importLines(Array(lines), actor: "demo")
        }
        return store
    }

    @Test("every read model is registered with its name, layout, tables and what it answers; names and tables are unique")
    func registry() throws {
        let store = try TemporaryLedger()
        let models = store.ledger.readModelDescriptions
        #expect(models.map(\.name) == ["funds", "registers", "members", "piggybank", "pledges", "external-support", "periods", "entries", "people"])
        #expect(Set(models.flatMap(\.tables)).count == models.flatMap(\.tables).count, "no table belongs to two read models")
        for model in models {
            #expect(!model.tables.isEmpty && !model.answers.isEmpty && model.layoutVersion >= 1, "\(model.name)")
            #expect(model.tables.allSatisfy { $0.hasPrefix(model.name + ".") }, "\(model.name)'s tables say whose they are")
        }
    }

    @Test("each read model rebuilt alone, in small transactions, holds the bytes it held; the others are untouched")
    func rebuildEachAlone() throws {
        let store = try Self.demoStore()
        let before = try store.ledger.projectionDump()
        #expect(before.allSatisfy { !$0.entries.isEmpty || $0.name == "piggybank.below-target" || $0.name == "periods.closes" })
        for model in store.ledger.readModelDescriptions {
            var reported: [UInt64] = []
            try store.ledger.log.rebuildProjections(named: [model.name], batchEventCountMax: 300) { done, _ in reported.append(done) }
            #expect(reported.last == 2_292 && reported.count >= 2_292 / 300, "\(model.name): folded in bounded steps")
            let after = try store.ledger.projectionDump()
            #expect(after == before, "\(model.name): a rebuild alone gives the same bytes")
        }
        #expect(throws: LogError.unknownProjection(name: "ledger", known: store.ledger.readModelDescriptions.map(\.name))) {
            try store.ledger.rebuildProjections(named: ["ledger"])
        }
    }

    @Test("while a read model is behind its queries say it is rebuilding; the next writer folds it on from its checkpoint")
    func interruptedRebuild() throws {
        let store = try Self.demoStore()
        let before = try store.ledger.projectionDump()
        let funds = try #require(try store.ledger.funds().first)
        // What a rebuild killed after its first batches leaves: emptied tables, folded to position 1 000.
        let model = try #require(store.ledger.readModels.first { $0.name == "piggybank" })
        try store.ledger.log.environment.write { transaction in
            try model.removeAll(in: Tables(transaction))
            try transaction.put(store.ledger.log.databases.checkpoints, key: "piggybank", value: UInt64(0))
        }
        try store.ledger.log.write(actor: "") { _ in }  // a writer folds what lags first...
        #expect(try store.ledger.projectionDump() == before)
        try store.ledger.log.environment.write { transaction in
            try model.removeAll(in: Tables(transaction))
            try transaction.put(store.ledger.log.databases.checkpoints, key: "piggybank", value: UInt64(0))
        }
        let ledger = store.ledger
        #expect(try !ledger.readModelsCurrent())
        #expect { try ledger.models() } throws: { error in
            "\(error)".hasPrefix("rebuilding: read models at position 0 of 2292 (piggybank)")
        }
        #expect(try ledger.readModelStatus().readModels.first { $0.name == "funds" }?.checkpoint == 2_292)
        // ...and so does opening the store for writing, in bounded steps.
        try ledger.log.foldLaggingProjections(batchEventCountMax: 500, progress: nil)
        #expect(try ledger.readModelsCurrent())
        #expect(try ledger.projectionDump() == before)
        #expect(try ledger.funds().first == funds)
    }

    @Test("a store whose one read model is in another layout refolds that one alone when opened for writing")
    func onlyTheChangedLayoutRefolds() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-layout-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var before: [ProjectionTable] = []
        do {
            let ledger = try Ledger(path: path)
            try ledger.record(
                [openFund("q"), enrol("dv-1"), startModel("m", fund: "q"), deposit("m", "dv-1", 7_000, on: "2024-06-01"), donate("q", 5_000)]
                    .map { LedgerCommand($0) }, actor: "lan")
            before = try ledger.projectionDump()
            try ledger.log.environment.write { transaction in
                let meta = try transaction.openDatabase("meta")
                try transaction.put(meta, key: "projection.members.format", value: [0, 0, 0, 99] as [UInt8])
                // A mark in another read model's table: it must survive, for that one is not refolded.
                try transaction.put(try transaction.openDatabase("entries.type-counts"), key: "mark", value: [1] as [UInt8])
            }
        }
        let ledger = try Ledger(path: path)
        let after = try ledger.projectionDump()
        #expect(after.filter { $0.readModel == "members" } == before.filter { $0.readModel == "members" })
        let counts = try #require(after.first { $0.name == "entries.type-counts" })
        #expect(counts.entries.contains { $0.key == Array("mark".utf8) }, "entries was not refolded")
    }

    @Test("a store written by the single projection of earlier versions opens with its old tables gone and every read model folded")
    func retiredProjection() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-retired-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var before: [ProjectionTable] = []
        do {
            let ledger = try Ledger(path: path)
            try ledger.record([openFund("q"), donate("q", 5_000)].map { LedgerCommand($0) }, actor: "lan")
            before = try ledger.projectionDump()
            try ledger.log.environment.write { transaction in
                let meta = try transaction.openDatabase("meta")
                try transaction.put(try transaction.openDatabase("ledger-funds", flags: .create), key: "q", value: [0xa0] as [UInt8])
                try transaction.put(meta, key: "projection.ledger.format", value: [0, 0, 0, 4] as [UInt8])
                try transaction.put(try transaction.openDatabase("checkpoints"), key: "ledger", value: UInt64(2))
            }
        }
        let reopened = try Ledger(path: path)
        #expect(try reopened.projectionDump() == before)
        let left = try reopened.log.environment.read { transaction -> (table: Bool, checkpoint: Bool, format: Bool) in
            let table = (try? transaction.openDatabase("ledger-funds")) != nil
            let checkpoint = try transaction.get(try transaction.openDatabase("checkpoints"), "ledger") != nil
            let format = try transaction.get(try transaction.openDatabase("meta"), "projection.ledger.format") != nil
            return (table, checkpoint, format)
        }
        #expect(!left.table && !left.checkpoint && !left.format, "nothing of the retired projection is left: \(left)")
    }
}
