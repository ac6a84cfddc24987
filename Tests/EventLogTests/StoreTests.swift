@testable import EventLog
import Foundation
import LMDB
import Testing

@Suite("Opening stores")
struct StoreTests {
    @Test("a store written by a newer format is refused, not misread")
    func newerFormatRefused() throws {
        let folder = TemporaryFolder()
        do {
            let log = try openLog(folder)
            try log.append([sampleEvent(1)], to: "s", actor: "a")
            try log.environment.write { transaction throws in
                let meta = try transaction.openDatabase("meta")
                try transaction.put(meta, key: "format", value: [0, 0, 0, 2] as [UInt8])
            }
        }
        #expect(throws: LogError.unsupportedStoreFormat(found: 2, supported: 1)) { try openLog(folder) }
        let message = LogError.unsupportedStoreFormat(found: 2, supported: 1).description
        #expect(message.contains("newer"))
    }

    @Test("a store's id: kept in its data file and named beside it; another store's data file is refused; a lost id is taken back from the folder")
    func identity() throws {
        let folder = TemporaryFolder()
        let other = TemporaryFolder()
        do {
            _ = try openLog(folder)
            _ = try openLog(other)
        }
        let named = try String(contentsOfFile: folder.path + "/store-id", encoding: .utf8)
        #expect(named.count == 33 && named.hasSuffix("\n"))
        // An open that wrote the file but never committed the id: the next open takes the file's.
        do {
            let log = try openLog(folder)
            try log.environment.write { transaction throws in
                _ = try transaction.delete(try transaction.openDatabase("meta"), key: "storeId")
            }
        }
        _ = try openLog(folder)
        #expect(try String(contentsOfFile: folder.path + "/store-id", encoding: .utf8) == named)
        try FileManager.default.removeItem(atPath: folder.dataFile)
        try FileManager.default.copyItem(atPath: other.dataFile, toPath: folder.dataFile)
        #expect {
            try openLog(folder)
        } throws: { error in
            guard case .damagedStore(let reason) = error as? LogError else { return false }
            return reason.hasPrefix("the data file belongs to another store")
        }
    }

    @Test("a missing store is not created unless asked; a file is not a store")
    func missingAndFile() throws {
        let folder = TemporaryFolder()
        #expect(throws: LogError.storeNotFound(path: folder.path)) {
            try openLog(folder) { $0.createIfMissing = false }
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        _ = FileManager.default.createFile(atPath: folder.path, contents: Data("not a store".utf8))
        #expect(throws: LogError.storeNotAFolder(path: folder.path)) { try openLog(folder) }
    }

    @Test("a new store's folder and files are readable by their owner only")
    func ownerOnly() throws {
        let folder = TemporaryFolder()
        _ = try openLog(folder)
        let folderMode = try FileManager.default.attributesOfItem(atPath: folder.path)[.posixPermissions] as? Int
        let fileMode = try FileManager.default.attributesOfItem(atPath: folder.dataFile)[.posixPermissions] as? Int
        #expect(folderMode == 0o700)
        #expect(fileMode == 0o600)
    }

    @Test("a read-only open reads, and an empty folder opened read-only is not a store")
    func readOnly() throws {
        let folder = TemporaryFolder()
        do {
            let log = try openLog(folder)
            try log.append([sampleEvent(1), sampleEvent(2)], to: "s", actor: "a")
        }
        let log = try openLog(folder) { $0.environment.readOnly = true }
        #expect(try log.head().position == 2)
        #expect(try log.verify().isValid)

        let empty = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: empty.path, withIntermediateDirectories: true)
        #expect(throws: (any Error).self) { try openLog(empty) { $0.environment.readOnly = true } }
    }

    @Test("the map grows when it fills; no write sees MDB_MAP_FULL")
    func mapGrows() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder) { $0.environment.mapSizeBytesInitial = 256 * 1024 }
        let filler = String(repeating: "đồng ", count: 200)
        for batch in 0..<40 {
            try log.append(
                (0..<50).map { NewEvent(type: "Big", data: .object(["b": .integer(Int64(batch)), "f": .text(filler + "\($0)")])) },
                to: "s", actor: "a")
        }
        #expect(try log.head().position == 2_000)
        #expect(log.environment.info.mapSizeBytes > 256 * 1024)
        #expect(try log.verify().isValid)
    }

    @Test("bulk-load mode appends, and a store reopened after sync holds every event")
    func bulkLoadMode() throws {
        let folder = TemporaryFolder()
        do {
            let log = try openLog(folder) { $0.environment.durability = .bulkLoadNoSync }
            for number in 0..<100 { try log.append([sampleEvent(number)], to: "s", actor: "a") }
            try log.environment.sync()
        }
        let log = try openLog(folder)
        #expect(try log.head().position == 100)
        #expect(try log.verify().isValid)
    }
}
